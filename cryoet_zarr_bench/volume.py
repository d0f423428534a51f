"""The unit of data every part of the project passes around: a 3-D array with its metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Volume", "checksum", "same_bits"]


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Exact equality, bit for bit (NaNs and signed zeros included), whatever the arrays' memory layout."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(
        np.array_equal(np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8))
    )


def checksum(data: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes, as ``sha256:<hex>``."""
    digest = hashlib.sha256()
    digest.update(f"{data.dtype.str}{data.shape}".encode())
    digest.update(np.ascontiguousarray(data).data)
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True, eq=False)
class Volume:
    """A tomogram (or a crop of one) ready to be benchmarked.

    Attributes
    ----------
    data
        3-D numeric array in (z, y, x) order.
    voxel_spacing
        Voxel size along (z, y, x) in ångström.
    source
        The source string that reproduces this volume (see :mod:`cryoet_zarr_bench.sources`).
    provenance
        Free-form, JSON-serialisable facts about where the data came from
        (dataset, run, tomogram id, store URL, generator parameters, ...).
    """

    data: np.ndarray
    voxel_spacing: tuple[float, float, float]
    source: str
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = np.asarray(self.data)
        if data.ndim != 3:
            raise ValueError(f"a volume must be 3-D (z, y, x); got an array of shape {data.shape}")
        if data.dtype.kind not in "iuf":
            raise ValueError(f"a volume must hold integers or floats; got dtype {data.dtype}")
        spacing = tuple(float(s) for s in np.broadcast_to(self.voxel_spacing, (3,)))
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "voxel_spacing", spacing)
        object.__setattr__(self, "provenance", dict(self.provenance))

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.data.shape  # type: ignore[return-value]

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def checksum(self) -> str:
        return checksum(self.data)

    def describe(self) -> str:
        """One line for tables and logs, e.g. ``synthetic 128x128x128 float32 @ 10.0 Å``."""
        shape = "x".join(str(n) for n in self.shape)
        spacing = "/".join(f"{s:g}" for s in sorted(set(self.voxel_spacing)))
        return f"{self.source} {shape} {self.dtype} @ {spacing} Å"
