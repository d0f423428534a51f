"""On-disk cache of acquired volumes, readable with numpy alone.

Each entry is two files under ``<cache dir>/volumes/``, named from the canonical source string:
``<name>.npy`` (the array) and ``<name>.json`` (source, checksum, voxel spacing, provenance, and for local
files the size and modification time they had). Both are written to a temporary file and renamed into place,
the sidecar last, so an entry exists only once it is complete. Loading recomputes the checksum; an entry that
does not match (corrupt, truncated, half-replaced) is deleted and reported as missing, so the caller fetches
again.

The cache directory is ``$CRYOET_ZARR_BENCH_CACHE`` if set, else ``$XDG_CACHE_HOME/cryoet-zarr-bench``, else
``~/.cache/cryoet-zarr-bench``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import write_file
from ..volume import Volume, checksum

__all__ = ["CACHE_ENV", "CacheEntry", "cache_dir", "find_entry", "load", "save"]

CACHE_ENV = "CRYOET_ZARR_BENCH_CACHE"
_SIDECAR_VERSION = 1


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


def _paths(source: str, root: Path | None) -> tuple[Path, Path]:
    directory = (root or cache_dir()) / "volumes"
    name = _entry_name(source)
    return directory / f"{name}.npy", directory / f"{name}.json"


def _read_sidecar(sidecar_path: Path) -> dict[str, Any] | None:
    """The sidecar's content; None if there is none to read, ``{}`` if it is not a JSON object."""
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except OSError:
        return None
    except ValueError:
        return {}
    return sidecar if isinstance(sidecar, dict) else {}


def _discard(paths: tuple[Path, Path], source: str, reason: str) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    warnings.warn(
        f"discarded the cache entry for {source} ({reason}); it will be fetched again", stacklevel=3
    )


def find_entry(source: str, *, root: Path | None = None) -> CacheEntry | None:
    """The entry recorded for ``source`` (canonical string), without reading or verifying its data."""
    data_path, sidecar_path = _paths(source, root)
    sidecar = _read_sidecar(sidecar_path)
    if not sidecar or sidecar.get("source") != source or not data_path.exists():
        return None
    return CacheEntry(source, data_path, sidecar_path, data_path.stat().st_size, sidecar["checksum"])


def load(source: str, *, fingerprint: str | None = None, root: Path | None = None) -> Volume | None:
    """The cached volume for ``source``, or None if there is no valid entry.

    Parameters
    ----------
    source
        Canonical source string (the cache key).
    fingerprint
        What the source file looks like now (size and modification time); an entry recorded with another
        fingerprint is stale and ignored. None for sources that do not change (the portal, URLs).
    root
        Cache directory; defaults to :func:`cache_dir`.
    """
    data_path, sidecar_path = _paths(source, root)
    sidecar = _read_sidecar(sidecar_path)
    if sidecar is None:
        return None
    if sidecar.get("version") != _SIDECAR_VERSION or sidecar.get("source") != source:
        _discard((data_path, sidecar_path), source, f"unreadable sidecar {sidecar_path}")
        return None
    if sidecar.get("fingerprint") != fingerprint:
        return None
    try:
        data = np.load(data_path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        _discard((data_path, sidecar_path), source, f"cannot read {data_path}: {error}")
        return None
    if checksum(data) != sidecar.get("checksum"):
        _discard((data_path, sidecar_path), source, f"checksum mismatch in {data_path}")
        return None
    return Volume(data, tuple(sidecar["voxel_spacing"]), source, sidecar["provenance"])


def save(volume: Volume, *, fingerprint: str | None = None, root: Path | None = None) -> CacheEntry:
    """Store ``volume`` under its source string, replacing any previous entry; returns the new entry."""
    data_path, sidecar_path = _paths(volume.source, root)
    digest = volume.checksum()
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
    write_file(data_path, lambda stream: np.save(stream, volume.data, allow_pickle=False))
    write_file(sidecar_path, lambda stream: stream.write(sidecar_text.encode()))
    return CacheEntry(volume.source, data_path, sidecar_path, data_path.stat().st_size, digest)
