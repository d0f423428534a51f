"""Where volumes come from: one source syntax (:mod:`.spec`) for the CLI, the asv suite and the Python API.

>>> volume = acquire("portal:10445/TS_100_3?crop=centre:128&level=0")  # doctest: +SKIP

Each kind of source (synthetic, the portal, MRC, ``.npy`` and OME-Zarr) is one registration
(:mod:`.kinds`) in the module of its reader, imported below. Sources read over the network or with optional
packages (the portal, ``s3://``/``https://`` URLs, MRC files) are cached on disk after the first read
(:mod:`.cache`), so the asv environments, which have only numpy, zarr and numcodecs, read them with numpy
alone. Synthetic volumes (cheap and deterministic), ``.npy`` files and local OME-Zarr directories (already on
local disk, readable in every environment) are read directly; a cache entry for them would only be a second
copy.

``mrcfile``, ``zarr``, ``s3fs``, ``cryoet_data_portal`` and ``tqdm`` are imported when a source needs them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from .._memory import format_bytes
from ..volume import Volume
from . import cache as volume_cache
from .errors import SourceError, one_line
from .kinds import BeforeReading, source_kind
from .spec import SourceSpec, parse_source

# Each of these modules registers the kinds it reads; their order is the order error messages list kinds in.
# isort: off
from . import generated  # noqa: F401  synthetic
from . import portal  # noqa: F401  portal
from . import local  # noqa: F401  mrc, npy, zarr
# isort: on

__all__ = ["SourceError", "SourceSpec", "acquire", "acquire_shared", "describe_cache_entry", "parse_source"]


def _spec(source: str | SourceSpec) -> SourceSpec:
    spec = source if isinstance(source, SourceSpec) else parse_source(source)
    return spec.with_absolute_path()


def _is_cached(spec: SourceSpec) -> bool:
    return spec.is_remote or source_kind(spec.kind).always_cached


def _fingerprint(spec: SourceSpec) -> str | None:
    fingerprint = source_kind(spec.kind).fingerprint
    return None if fingerprint is None else fingerprint(spec)


def _read(spec: SourceSpec, progress: bool, before_reading: BeforeReading = None) -> Volume:
    return source_kind(spec.kind).read(spec, progress=progress, before_reading=before_reading)


def _converted(volume: Volume, spec: SourceSpec) -> Volume:
    """``volume`` under its canonical source string, converted to the spec's dtype if it names one (a
    conversion that changes values only with ``lossy=yes``, noted; see :mod:`.convert`)."""
    data, notes = volume.data, list(volume.provenance.get("notes", []))
    if spec.dtype is not None and data.dtype != spec.dtype:
        from .convert import convert

        data, note = convert(data, spec.dtype, lossy=spec.lossy, source=str(spec))
        notes += [note] if note else []
    provenance = {**volume.provenance, "dtype": data.dtype.name}
    if notes:
        provenance["notes"] = notes
    return Volume(data, volume.voxel_spacing, str(spec), provenance)


def _check_room(spec: SourceSpec) -> Callable[[tuple[int, ...], np.dtype], None]:
    """A ``before_reading`` callback that refuses a volume the cache has no room for."""

    def check(shape: tuple[int, ...], dtype: np.dtype) -> None:
        itemsize = np.dtype(spec.dtype or dtype).itemsize
        needed = math.prod(shape) * itemsize + volume_cache.ENTRY_OVERHEAD
        free = volume_cache.free_bytes()
        if free is not None and free < needed:
            raise SourceError(
                f"the cache in {volume_cache.cache_dir()} has {format_bytes(free)} free but {spec} needs "
                f"about {format_bytes(needed)}; free some space, set {volume_cache.CACHE_ENV} to a larger "
                "disk, or read without the cache (--no-cache)"
            )

    return check


def acquire(source: str | SourceSpec, *, cache: bool = True, progress: bool = False) -> Volume:
    """The volume a source names, read from the cache when possible.

    Parameters
    ----------
    source
        A source string (see :mod:`cryoet_zarr_bench.sources.spec`) or a parsed :class:`SourceSpec`.
        Local paths are made absolute; ``Volume.source`` is the canonical string.
    cache
        Read from and write to the on-disk cache (for the sources that are cached; see the module docstring).
        False reads the source and leaves the cache untouched. With True, a cache that cannot be written, or
        has no room for the volume, is reported before anything is fetched.
    progress
        Show a progress bar while OME-Zarr chunks are fetched.

    Raises
    ------
    SourceError
        For a malformed source, missing or unreadable data, or an unreachable or forbidden store; the message
        is one line saying what was wrong and what to do. No cache entry is written when reading fails.
    """
    full = _spec(source)
    spec = full.volume_only()  # halves and a stated σ describe the noise; they do not change what is read
    volume = _acquire(spec, cache=cache, progress=progress)
    if full == spec:
        return volume
    return Volume(volume.data, volume.voxel_spacing, str(full), volume.provenance)


def _acquire(spec: SourceSpec, *, cache: bool, progress: bool) -> Volume:
    if not (cache and _is_cached(spec)):
        return _converted(_read(spec, progress), spec)
    key = str(spec)
    fingerprint = _fingerprint(spec)
    volume = volume_cache.load(key, fingerprint=fingerprint)
    if volume is None:
        with _cache_write_errors(key):
            volume_cache.check_writable()
        volume = _converted(_read(spec, progress, _check_room(spec)), spec)
        with _cache_write_errors(key):
            volume_cache.save(volume, fingerprint=fingerprint)
    return volume


@contextmanager
def _cache_write_errors(key: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise SourceError(
            f"cannot write the cache entry for {key} in {volume_cache.cache_dir()} ({one_line(error)}); "
            f"set {volume_cache.CACHE_ENV} to a writable directory, or read without the cache (--no-cache)"
        ) from error


def acquire_shared(source: str | SourceSpec) -> Volume:
    """The volume, through the on-disk cache even when it is synthetic: for a volume several processes read
    (asv environments, survey workers), generated once and then read with numpy alone, bit for bit the
    same."""
    spec = _spec(source)
    if not source_kind(spec.kind).generated:
        return acquire(spec)
    volume = volume_cache.load(str(spec))
    if volume is None:
        volume = acquire(spec)
        with _cache_write_errors(str(spec)):
            volume_cache.save(volume)
    return volume


def describe_cache_entry(source: str | SourceSpec) -> str | None:
    """One line saying where the cached copy of ``source`` is, its size and checksum; None if not cached."""
    entry = volume_cache.find_entry(str(_spec(source)))
    return None if entry is None else entry.describe()
