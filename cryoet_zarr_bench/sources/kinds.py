"""The kinds of source, one registration each: how a source string names one, what it may say, how its volume
is read and whether it is cached.

A kind is either a *path kind*, recognised by how a local path or URL ends (``.mrc``, ``.npy``, ``.zarr``),
or a *named kind*, recognised by its name: alone (``synthetic``) or before a location
(``portal:10445/TS_100_3``). Each kind is a :class:`SourceKind` that the module of its reader passes to
:func:`register` (as the codec families register themselves in :mod:`cryoet_zarr_bench.codecs`); :mod:`.spec`
parses and prints source strings by asking :data:`KINDS`, and :func:`cryoet_zarr_bench.sources.acquire` reads
and caches by it. The order of registration is the order of the error messages' lists (see
``sources/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import SourceError

if TYPE_CHECKING:
    from ..volume import Volume
    from .crops import Crop
    from .spec import SourceSpec

__all__ = [
    "FILE_OPTIONS",
    "KINDS",
    "BeforeReading",
    "Reader",
    "SourceKind",
    "kind_of",
    "register",
    "source_kind",
]

#: The options every kind of file takes (the order of the source syntax's table).
FILE_OPTIONS = ("crop", "dtype", "lossy", "halves", "sigma")

BeforeReading = Callable[[tuple[int, ...], np.dtype], None] | None


class Reader(Protocol):
    def __call__(self, spec: SourceSpec, *, progress: bool, before_reading: BeforeReading) -> Volume:
        """The volume ``spec`` names, under ``str(spec)``, its crop applied (the dtype is converted later).

        ``before_reading`` is called with the shape and data type about to be read, before they are (the
        cache checks its room); ``progress`` asks for a progress bar and "still waiting" lines. Every failure
        is one :class:`~.errors.SourceError` line saying what was wrong and what to do.
        """


@dataclass(frozen=True, eq=False)
class SourceKind:
    """One kind of source.

    Attributes
    ----------
    name
        The kind's name (``SourceSpec.kind``); a named kind is written with it.
    syntax
        How a source of this kind is written, for the message that cannot tell a kind
        (``portal:DATASET/RUN``, ``.npy``).
    options
        The options it takes, in the order its error messages list them.
    read
        Its :class:`Reader`. Optional packages are imported inside it, never at the top of its module.
    suffixes
        A path kind's name endings (lower case; a path or URL of any case matches). Empty for a named kind.
    title
        What a path kind's files are called in messages (``MRC``, ``OME-Zarr``).
    check_location
        A named kind written ``NAME:LOCATION``: raises a :class:`~.errors.SourceError` for a location it
        cannot read. None: the name alone, no location.
    remote
        A named kind whose reading needs the network (a path kind is remote when its location is a URL).
    defaults
        ``SourceSpec`` fields filled in when not given (part of the canonical string: they shape the array).
    default_crop
        The crop when none is given; ``crop=full`` then reads the whole volume.
    parse_options
        The kind's own options, from ``{option: text}``, as ``SourceSpec`` fields (the portal's tomogram
        filter).
    always_cached
        Read through the on-disk cache even from a local path (any remote source is): its reader needs a
        package the asv environments lack, or the network.
    fingerprint
        What identifies the version of a cached local file (see
        :func:`~cryoet_zarr_bench.sources.local.file_fingerprint`), so that a changed file is read again.
    generated
        Made rather than read: :func:`~cryoet_zarr_bench.sources.acquire_shared` caches it all the same, so
        that several processes read one copy.
    survey_suffixes
        The file names a folder given to ``survey`` picks up.
    """

    name: str
    syntax: str
    options: tuple[str, ...]
    read: Reader
    suffixes: tuple[str, ...] = ()
    title: str = ""
    check_location: Callable[[str], None] | None = None
    remote: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)
    default_crop: Crop | None = None
    parse_options: Callable[[dict[str, str]], dict[str, Any]] | None = None
    always_cached: bool = False
    fingerprint: Callable[[SourceSpec], str] | None = None
    generated: bool = False
    survey_suffixes: tuple[str, ...] = ()

    @property
    def is_path(self) -> bool:
        """Whether its sources are local paths or URLs (made absolute, checked to exist, usable as halves)."""
        return bool(self.suffixes)

    def recognises(self, base: str) -> bool:
        """Whether ``base`` (a source string before its ``?``) names a source of this kind."""
        if self.is_path:
            return base.rstrip("/").lower().endswith(self.suffixes)
        if self.check_location is not None:
            return base.startswith(f"{self.name}:")
        return base == self.name

    def location(self, base: str) -> str:
        """The location ``base`` gives (a path, a URL, what follows ``NAME:``, or nothing)."""
        if self.is_path:
            return base
        return base[len(self.name) + 1 :] if self.check_location is not None else ""

    def base(self, location: str) -> str:
        """The source string's base for ``location``: the inverse of :meth:`location`."""
        if self.is_path:
            return location
        return f"{self.name}:{location}" if self.check_location is not None else self.name


#: Every kind, by name, in the order registered.
KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    """Add a kind of source (a kind of the same name is replaced)."""
    KINDS[kind.name] = kind
    return kind


def source_kind(name: str) -> SourceKind:
    """The kind called ``name``; a :class:`~.errors.SourceError` for an unknown one."""
    kind = KINDS.get(name)
    if kind is None:
        raise SourceError(f"unknown source kind {name!r}; expected one of {', '.join(KINDS)}")
    return kind


def kind_of(base: str) -> SourceKind:
    """The kind ``base`` (a source string before its ``?``) names, the first registered that recognises it."""
    for kind in KINDS.values():
        if kind.recognises(base):
            return kind
    named = ", ".join(kind.syntax for kind in KINDS.values() if not kind.is_path)
    raise SourceError(
        f"cannot tell what kind of source {base!r} is: expected {named}, or a path or URL ending in "
        f"{_either(kind.syntax for kind in KINDS.values() if kind.is_path)}"
    )


def empty_source_message() -> str:
    named = ", ".join(kind.syntax for kind in KINDS.values() if not kind.is_path)
    files = "/".join(kind.suffixes[0] for kind in KINDS.values() if kind.is_path)
    return f"empty source: give {named}, or a {files} path"


def half_volume_message(half: str) -> str:
    return f"a half-volume is an {_either(k.title for k in KINDS.values() if k.is_path)} path; got {half!r}"


def _either(items) -> str:
    """``a, b or c``."""
    *rest, last = items
    return f"{', '.join(rest)} or {last}" if rest else last
