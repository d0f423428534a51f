"""The central slices of one lossy setting, taken from the volume itself (not from recorded results): the one
figure of the study page a run of ``cryoet-zarr-bench study`` adds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...codecs import check_error_bound, is_noise_tied, resolve_noise_tied
from ...sources.halves import noise_estimate
from ...stores import MemoryStore, parse_chunks
from ...volume import Volume
from .model import StudyReport, StudyRow

__all__ = ["CentralSlices", "central_slices", "slices_setting"]


@dataclass(frozen=True)
class CentralSlices:
    """The central XY slice (z = depth // 2) of a volume, of its copy decoded from ``codec`` and their
    difference (decoded - original), in data units."""

    codec: str
    chunks: str
    zarr_format: int
    z: int
    original: np.ndarray
    decoded: np.ndarray

    @property
    def difference(self) -> np.ndarray:
        return self.decoded.astype(np.float64) - self.original.astype(np.float64)


def slices_setting(report: StudyReport, codec: str | None = None) -> StudyRow | None:
    """The recorded setting the slices show: ``codec``'s (its first recorded chunks and format), by default
    the highest-ratio safe setting of all; None when ``codec`` is unrecorded or nothing was judged safe."""
    if codec is not None:
        return next((row for row in report.rows if row.codec == codec), None)
    return max(report.best_safe().values(), key=lambda row: row.ratio, default=None)


def central_slices(volume: Volume, codec: str, chunks: str, zarr_format: int) -> CentralSlices:
    """Write ``volume`` with ``codec`` into a memory store, read it back (the codec's error bound checked, as
    in the benchmarks) and keep the central XY slices.  A noise-tied setting (``step-1%+pcodec-8``) is
    resolved against the volume's noise first, as ``study.NoiseTiedFidelity`` does."""
    concrete = codec
    if is_noise_tied(codec):
        concrete = resolve_noise_tied(codec, volume.data, noise_estimate(volume).sigma)
    store = MemoryStore()
    store.write(volume.data, codec=concrete, chunks=parse_chunks(chunks), zarr_format=zarr_format)
    decoded = store.read()
    check_error_bound(concrete, volume.data, decoded)
    z = volume.shape[0] // 2
    return CentralSlices(concrete, chunks, zarr_format, z, volume.data[z].copy(), np.asarray(decoded[z]))
