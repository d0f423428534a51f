"""On-disk cache of acquired volumes, readable with numpy alone.

Each entry is two files under ``<cache dir>/volumes/``, named from the canonical source string:
``<name>.json`` (the sidecar: source, checksum, voxel spacing, provenance, and for local files what identifies
the version read: size, modification and status-change times, inode) and ``<name>.<checksum prefix>.npy``
(the array). Both are written to a temporary file and renamed into place, the array first, so an entry exists
only once it is complete. A data file is named by its content and never rewritten with other bytes, so a
reader that meets a writer halfway sees either the old entry, the new one, or none, and never mistakes a fresh
entry for a corrupt one. Loading recomputes the checksum; an entry that does not match (corrupt, truncated)
is deleted and reported as missing, so the caller fetches again. A cache that cannot be written (read-only) is
detected before anything is fetched (:func:`check_writable`), and one without room for a volume as soon as
its size is known, before its data is fetched (:func:`free_bytes`).

The cache directory is ``$CRYOET_ZARR_BENCH_CACHE`` if set, else ``$XDG_CACHE_HOME/cryoet-zarr-bench``, else
``~/.cache/cryoet-zarr-bench``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import write_file
from .._orphans import owner_tag, remove_orphans
from ..volume import Volume, checksum

__all__ = [
    "CACHE_ENV",
    "ENTRY_OVERHEAD",
    "CacheEntry",
    "cache_dir",
    "check_writable",
    "find_entry",
    "free_bytes",
    "load",
    "save",
]

CACHE_ENV = "CRYOET_ZARR_BENCH_CACHE"
_SIDECAR_VERSION = 2
#: Bytes an entry takes besides its array: the ``.npy`` header and the sidecar, generously.
ENTRY_OVERHEAD = 64 * 1024


def cache_dir() -> Path:
    """The root of the cache (see the module docstring for how it is chosen)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cryoet-zarr-bench"


@dataclass(frozen=True)
class CacheEntry:
    """Where one cached volume lives and what it holds."""

    source: str
    data_path: Path
    sidecar_path: Path
    nbytes: int
    checksum: str

    def describe(self) -> str:
        """One line, e.g. ``cached portal:... in /…/x.npy (8.4 MB, sha256:…)``."""
        return f"cached {self.source} in {self.data_path} ({self.nbytes / 1e6:.1f} MB, {self.checksum})"


def _entry_name(source: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", source).strip("_")[:60]
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{readable}-{digest}"


def _volumes_dir(root: Path | None) -> Path:
    return (root or cache_dir()) / "volumes"


def _sidecar_path(source: str, root: Path | None) -> Path:
    return _volumes_dir(root) / f"{_entry_name(source)}.json"


def _data_path(sidecar_path: Path, digest: str) -> Path:
    """The data file of the entry whose sidecar is ``sidecar_path`` and whose checksum is ``digest``."""
    return sidecar_path.with_name(f"{sidecar_path.stem}.{digest.removeprefix('sha256:')[:16]}.npy")


def _data_files(sidecar_path: Path) -> list[Path]:
    """Every data file of one entry, whatever its checksum (and the unnamed one of older versions)."""
    stem = sidecar_path.stem
    return [*sidecar_path.parent.glob(f"{stem}.*.npy"), *sidecar_path.parent.glob(f"{stem}.npy")]


def _read_sidecar(sidecar_path: Path) -> dict[str, Any] | None:
    """The sidecar's content; None if there is none to read, ``{}`` if it is not a valid sidecar."""
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except OSError:
        return None
    except ValueError:
        return {}
    if not isinstance(sidecar, dict) or not isinstance(sidecar.get("checksum"), str):
        return {}
    return sidecar


def _discard(sidecar_path: Path, sidecar: dict[str, Any], data: list[Path], source: str, reason: str) -> None:
    """Remove a damaged entry: the ``data`` files,
    and the sidecar unless a writer has replaced it meanwhile."""
    try:
        for path in data:
            path.unlink(missing_ok=True)
        if _read_sidecar(sidecar_path) == sidecar:
            sidecar_path.unlink(missing_ok=True)
    except OSError:
        return  # a read-only cache: acquire() says so before fetching again
    warnings.warn(
        f"discarded the cache entry for {source} ({reason}); it will be fetched again", stacklevel=3
    )


def check_writable(root: Path | None = None) -> None:
    """Raise ``OSError`` unless a cache entry can be written (checked before anything is fetched)."""
    directory = _volumes_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".write-check.{owner_tag()}{os.urandom(4).hex()}"
    probe.touch()
    probe.unlink()


def free_bytes(root: Path | None = None) -> int | None:
    """Bytes free for new entries on the cache's disk (None if the system cannot say)."""
    directory = _volumes_dir(root)
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def find_entry(source: str, *, root: Path | None = None) -> CacheEntry | None:
    """The entry recorded for ``source`` (canonical string), without reading or verifying its data."""
    sidecar_path = _sidecar_path(source, root)
    sidecar = _read_sidecar(sidecar_path)
    if not sidecar or sidecar.get("source") != source:
        return None
    data_path = _data_path(sidecar_path, sidecar["checksum"])
    if not data_path.exists():
        return None
    return CacheEntry(source, data_path, sidecar_path, data_path.stat().st_size, sidecar["checksum"])


def load(source: str, *, fingerprint: str | None = None, root: Path | None = None) -> Volume | None:
    """The cached volume for ``source``, or None if there is no valid entry.

    Temporary files left in the cache by runs that were killed are removed first (see :mod:`.._orphans`).

    Parameters
    ----------
    source
        Canonical source string (the cache key).
    fingerprint
        What identifies the source file's current version (see
        :func:`~cryoet_zarr_bench.sources.local.file_fingerprint`); an entry recorded with another fingerprint
        is stale and ignored. None for sources that do not change (the portal, URLs).
    root
        Cache directory; defaults to :func:`cache_dir`.
    """
    sidecar_path = _sidecar_path(source, root)
    remove_orphans(sidecar_path.parent, ".")
    sidecar = _read_sidecar(sidecar_path)
    if sidecar is None:
        return None
    if sidecar.get("version") != _SIDECAR_VERSION or sidecar.get("source") != source:
        reason = f"unreadable sidecar {sidecar_path}"
        _discard(sidecar_path, sidecar, _data_files(sidecar_path), source, reason)
        return None
    if sidecar.get("fingerprint") != fingerprint:
        return None
    data_path = _data_path(sidecar_path, sidecar["checksum"])
    try:
        data = np.load(data_path, allow_pickle=False)
    except FileNotFoundError:
        if _read_sidecar(sidecar_path) == sidecar:  # else a writer replaced the entry meanwhile
            _discard(sidecar_path, sidecar, [], source, f"{data_path} is missing")
        return None
    except (OSError, ValueError, EOFError) as error:
        _discard(sidecar_path, sidecar, [data_path], source, f"cannot read {data_path}: {error}")
        return None
    if checksum(data) != sidecar["checksum"]:
        _discard(sidecar_path, sidecar, [data_path], source, f"checksum mismatch in {data_path}")
        return None
    return Volume(data, tuple(sidecar["voxel_spacing"]), source, sidecar["provenance"])


def save(volume: Volume, *, fingerprint: str | None = None, root: Path | None = None) -> CacheEntry:
    """Store ``volume`` under its source string, replacing any previous entry; returns the new entry."""
    sidecar_path = _sidecar_path(volume.source, root)
    digest = volume.checksum()
    data_path = _data_path(sidecar_path, digest)
    sidecar = {
        "version": _SIDECAR_VERSION,
        "source": volume.source,
        "checksum": digest,
        "shape": list(volume.shape),
        "dtype": volume.dtype.str,
        "voxel_spacing": list(volume.voxel_spacing),
        "fingerprint": fingerprint,
        "provenance": volume.provenance,
    }
    sidecar_text = json.dumps(sidecar, indent=2, sort_keys=True)
    previous = _read_sidecar(sidecar_path)
    write_file(data_path, lambda stream: np.save(stream, volume.data, allow_pickle=False))
    try:
        write_file(sidecar_path, lambda stream: stream.write(sidecar_text.encode()))
    except BaseException:
        if not previous or previous.get("checksum") != digest:  # the data file no sidecar names
            data_path.unlink(missing_ok=True)
        raise
    for stale in _data_files(sidecar_path):
        if stale != data_path:
            stale.unlink(missing_ok=True)
    return CacheEntry(volume.source, data_path, sidecar_path, data_path.stat().st_size, digest)
