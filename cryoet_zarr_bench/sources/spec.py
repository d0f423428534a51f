"""The source syntax: one string names a volume for the CLI, the asv suite and the Python API.

A source is a base, optionally followed by ``?`` and ``&``-separated options::

    synthetic                                   the synthetic 128³ volume, seed 0
    synthetic?shape=256&seed=3                  shape N (a cube) or Z,Y,X
    portal:10445/TS_100_3                       CryoET Data Portal dataset/run (centred 128³ crop, level 0)
    portal:10445/TS_100_3?processing=denoised&crop=centre:64,128,128
    path/to/tomo.mrc?crop=0:64,0:128,0:128      MRC/REC file (.mrc, .rec, .map; .mrcs image stacks; a 2-D
                                                micrograph is a one-slice volume; .gz/.bz2-compressed too)
    path/to/tomo.zarr?level=1                   OME-Zarr directory, or an s3:// / https:// URL
    path/to/vol.npy?dtype=float32               NumPy .npy file
    vol.npy?dtype=int16&lossy=yes               a conversion that changes values, asked for explicitly

Options, and the kinds of source that accept them:

==================  ==============  ===========================================================
``shape=N|Z,Y,X``   synthetic       volume shape (default 128)
``seed=N``          synthetic       generator seed (default 0)
``spacing=Å``       portal          voxel spacing of the tomogram to choose
``processing=P``    portal          tomogram processing: raw, denoised, filtered, ...
``method=M``        portal          reconstruction method: WBP, SART, SIRT, ...
``tomogram=ID``     portal          one tomogram by its portal id
``level=N``         portal, zarr    OME-Zarr multiscale level (default 0)
``crop=C``          all             ``centre:N``, ``centre:Z,Y,X``, ``z0:z1,y0:y1,x0:x1`` or ``full``
``dtype=D``         all             convert to this numpy dtype (default: keep the stored dtype)
``lossy=yes``       all             with ``dtype``: convert even if values change (see :mod:`.convert`)
``halves=A,B``      all but synth.  two half-volumes (odd/even tomograms) of the same geometry, for the
                                    noise σ and the half-map FSC; a relative path is taken from the
                                    volume's own directory (the working directory for the portal)
``sigma=S``         all             the noise σ, stated (in the data's units) rather than estimated
==================  ==============  ===========================================================

A portal source without ``crop`` means ``crop=centre:128``; every other source defaults to the whole volume.
``str(spec)`` is the canonical form: defaults that shape the array (synthetic shape and seed, crop of a portal
source, level) are spelled out, options appear in the order of the table above, synthetic shapes as Z,Y,X
(as in :func:`~cryoet_zarr_bench.sources.synthetic.synthetic_volume`'s ``Volume.source``), centred cubes
as ``centre:N``, and ``parse_source(str(spec)) == spec``. Portal tomogram filters appear only when given: the
default choice is a ranking (see :mod:`.portal`), not a value.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, replace

import numpy as np

from .crops import PORTAL_DEFAULT_CROP, BoxCrop, CentreCrop, Crop, parse_crop, triple, unsigned
from .errors import SourceError
from .kinds import empty_source_message, half_volume_message, kind_of, source_kind

__all__ = [
    "PORTAL_DEFAULT_CROP",
    "BoxCrop",
    "CentreCrop",
    "Crop",
    "SourceSpec",
    "TomogramFilter",
    "parse_source",
]


@dataclass(frozen=True)
class TomogramFilter:
    """Which tomogram of a portal run to read; unset fields match anything.

    When several tomograms match, :func:`cryoet_zarr_bench.sources.portal.choose_tomogram` applies a
    documented ranking, so the choice never depends on the order the portal lists them in.
    """

    voxel_spacing: float | None = None
    processing: str | None = None
    reconstruction_method: str | None = None
    tomogram_id: int | None = None

    def options(self) -> list[tuple[str, str]]:
        """The set fields as (option, value) pairs of the source syntax."""
        pairs = [
            ("spacing", None if self.voxel_spacing is None else repr(self.voxel_spacing)),
            ("processing", self.processing),
            ("method", self.reconstruction_method),
            ("tomogram", None if self.tomogram_id is None else str(self.tomogram_id)),
        ]
        return [(key, value) for key, value in pairs if value is not None]

    def __str__(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.options()) or "no filter"


def _is_url(location: str) -> bool:
    return "://" in location


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source. Build one with :func:`parse_source`; ``str()`` gives the canonical string.

    Attributes
    ----------
    kind
        The name of a registered kind (:mod:`.kinds`): ``synthetic``, ``portal``, ``mrc``, ``npy``, ``zarr``.
    location
        ``DATASET/RUN`` for the portal, a path or URL for files and stores, empty for synthetic volumes.
    shape, seed
        Synthetic volume parameters (filled with their defaults for synthetic sources, else None).
    tomogram
        Portal tomogram filter (portal only).
    crop
        The sub-volume to read; None reads the whole volume (level).
    level
        OME-Zarr multiscale level (portal and zarr, default 0; else None).
    dtype
        Numpy dtype name to convert to, or None to keep the stored dtype.
    lossy
        Convert to ``dtype`` even where values change (NaN into integers, rounding, clipping); without it
        such a conversion is refused.
    halves
        Paths (or URLs) of two half-volumes of the same geometry, or None; they are read with the same crop,
        level and dtype as the volume.
    sigma
        The noise σ as stated by the user, or None (then it is estimated).
    """

    kind: str
    location: str = ""
    shape: tuple[int, int, int] | None = None
    seed: int | None = None
    tomogram: TomogramFilter | None = None
    crop: Crop | None = None
    level: int | None = None
    dtype: str | None = None
    lossy: bool = False
    halves: tuple[str, str] | None = None
    sigma: float | None = None

    def __post_init__(self) -> None:
        kind = source_kind(self.kind)
        allowed = kind.options
        given = {
            "shape": self.shape,
            "seed": self.seed,
            "tomogram": self.tomogram,
            "level": self.level,
            "halves": self.halves,
            "sigma": self.sigma,
        }
        for name, value in given.items():
            if value is not None and name not in allowed:
                raise SourceError(f"{self.kind} sources take no {name}")
        if kind.is_path:
            if not self.location:
                raise SourceError(f"{self.kind} sources need a path")
        elif kind.check_location is not None:
            kind.check_location(self.location)
        elif self.location:
            raise SourceError(f"a {self.kind} source has no location, got {self.location!r}")
        for name, default in kind.defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        if self.level is not None and self.level < 0:
            raise SourceError(f"level must be a non-negative integer, got {self.level}")
        if self.dtype is not None:
            object.__setattr__(self, "dtype", _dtype_name(self.dtype))
        elif self.lossy:
            raise SourceError("lossy=yes allows a lossy dtype conversion: give it with dtype=, or leave it")
        if self.sigma is not None and not (np.isfinite(self.sigma) and self.sigma > 0):
            raise SourceError(
                f"sigma must be a positive number (the noise σ in data units), got {self.sigma}"
            )
        if self.halves is not None:
            if len(self.halves) != 2 or not all(self.halves):
                raise SourceError(f"halves takes two paths, A,B; got {','.join(self.halves)!r}")
            for half in self.halves:
                if not kind_of(half).is_path:
                    raise SourceError(half_volume_message(half))

    @property
    def dataset_id(self) -> int:
        """The portal dataset id (portal sources only)."""
        return int(self.location.split("/")[0])

    @property
    def run_name(self) -> str:
        """The portal run name (portal sources only)."""
        return self.location.split("/")[1]

    @property
    def is_remote(self) -> bool:
        """True when reading needs the network (the portal or a URL)."""
        return source_kind(self.kind).remote or _is_url(self.location)

    @property
    def is_local_path(self) -> bool:
        """True when the location is a path on this machine (not a URL, the portal or a synthetic volume)."""
        return source_kind(self.kind).is_path and not _is_url(self.location)

    def with_absolute_path(self) -> SourceSpec:
        """The same source with a local path made absolute (URLs, portal and synthetic sources unchanged)."""
        halves = self.halves
        if halves is not None:
            base = os.path.dirname(self.location) if self.is_local_path else ""
            halves = tuple(  # type: ignore[assignment]
                half if _is_url(half) else os.path.abspath(os.path.join(base, os.path.expanduser(half)))
                for half in halves
            )
        if not self.is_local_path:
            return replace(self, halves=halves)
        return replace(self, location=os.path.abspath(os.path.expanduser(self.location)), halves=halves)

    def volume_only(self) -> SourceSpec:
        """The same volume without its noise options (``halves``, ``sigma``): what is read and cached."""
        return replace(self, halves=None, sigma=None)

    def half(self, which: int) -> SourceSpec:
        """Half-volume ``which`` (0 or 1) as a source of its own, read with this source's crop and dtype, and
        its level if the half's kind has levels (an MRC half of an OME-Zarr volume has none; an OME-Zarr half
        of an MRC volume is read at level 0)."""
        if self.halves is None:
            raise SourceError(f"{self} names no half-volumes")
        half = parse_source(self.halves[which])
        level = self.level if "level" in source_kind(half.kind).options else None
        return replace(half, crop=self.crop, dtype=self.dtype, level=level).with_absolute_path()

    def _options(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.shape is not None:
            pairs.append(("shape", ",".join(map(str, self.shape))))
        if self.seed is not None:
            pairs.append(("seed", str(self.seed)))
        if self.tomogram is not None:
            pairs.extend(self.tomogram.options())
        if self.crop is not None:
            pairs.append(("crop", str(self.crop)))
        elif source_kind(self.kind).default_crop is not None:
            pairs.append(("crop", "full"))
        if self.level is not None:
            pairs.append(("level", str(self.level)))
        if self.dtype is not None:
            pairs.append(("dtype", self.dtype))
        if self.lossy:
            pairs.append(("lossy", "yes"))
        if self.halves is not None:
            pairs.append(("halves", ",".join(self.halves)))
        if self.sigma is not None:
            pairs.append(("sigma", repr(self.sigma)))
        return pairs

    def __str__(self) -> str:
        base = source_kind(self.kind).base(self.location)
        options = "&".join(f"{key}={value}" for key, value in self._options())
        return f"{base}?{options}" if options else base


def _dtype_name(text: str) -> str:
    try:
        dtype = np.dtype(text)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "iuf":
        raise SourceError(f"dtype must name an integer or float numpy dtype (e.g. float32), got {text!r}")
    return dtype.name


def _yes(text: str, what: str) -> bool:
    if text != "yes":
        raise SourceError(f"{what} takes only yes (leave it out for no), got {text!r}")
    return True


def _check_encodable(base: str) -> None:
    """Refuse a path that holds bytes that are not UTF-8 (Python keeps them as lone surrogates), which no
    cache sidecar, store path or table could record."""
    try:
        base.encode("utf-8")
    except UnicodeEncodeError:
        shown = base.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise SourceError(
            f"the path {shown} holds bytes that are not UTF-8; rename the file, or link it under a UTF-8 name"
        ) from None


def _split_options(query: str, kind: str, allowed: tuple[str, ...]) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, equals, value = item.partition("=")
        if not equals or not value:
            raise SourceError(f"option {item!r} needs a value: write {key}=VALUE")
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SourceError(
                f"unknown option {key!r} for {kind} sources; {hint}they take {', '.join(allowed)}"
            )
        if key in options:
            raise SourceError(f"option {key!r} is given twice")
        options[key] = value
    return options


def parse_source(text: str) -> SourceSpec:
    """Parse a source string (see the module docstring for the syntax) into a :class:`SourceSpec`.

    Raises
    ------
    SourceError
        If the string does not follow the syntax; the message says which part and how to write it.
    """
    base, _, query = text.strip().partition("?")
    if not base:
        raise SourceError(empty_source_message())
    _check_encodable(base)
    kind = kind_of(base)
    options = _split_options(query, kind.name, kind.options)
    own = kind.parse_options(options) if kind.parse_options is not None else {}
    crop_text = options.get("crop")
    crop = parse_crop(crop_text) if crop_text is not None else kind.default_crop
    return SourceSpec(
        kind=kind.name,
        location=kind.location(base),
        shape=triple(options["shape"], "shape") if "shape" in options else None,
        seed=unsigned(options["seed"], "seed") if "seed" in options else None,
        crop=crop,
        level=unsigned(options["level"], "level") if "level" in options else None,
        dtype=options.get("dtype"),
        lossy=_yes(options["lossy"], "lossy") if "lossy" in options else False,
        halves=tuple(options["halves"].split(",")) if "halves" in options else None,  # type: ignore[arg-type]
        sigma=_positive_number(options["sigma"], "sigma") if "sigma" in options else None,
        **own,
    )


def _positive_number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise SourceError(f"{what} must be a positive number, got {text!r}")
    return value
