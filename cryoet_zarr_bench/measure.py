"""Timed write/read of one volume with one codec, with its round-trip check: the rows of the seed table.

A lossy codec's row says whether the data came back within the codec's own error bound and how faithful it is
(:mod:`.fidelity`: PSNR, max error, SSIM, added noise as a fraction of the noise variance).

The asv suite times the same operations itself; this module serves the command line, where one quick table is
wanted without asv.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import fidelity
from .codecs import CodecSpec, ErrorCheck, error_check, parse_codec
from .stores import DirectoryStore, MemoryStore, StoredBytes, set_blosc_threads
from .volume import Volume, same_bits  # noqa: F401  (same_bits: re-exported)

__all__ = ["Measurement", "measure_codec", "same_bits"]


@dataclass(frozen=True)
class Measurement:
    """What one codec did to one volume: median times, stored bytes, and whether the data came back (exactly,
    or within a lossy codec's bound, with its fidelity figures)."""

    codec: str
    write_s: float
    read_s: float
    raw_bytes: int
    stored: StoredBytes
    error: ErrorCheck
    repeats: int
    fidelity: fidelity.Fidelity | None = None

    @property
    def lossless_ok(self) -> bool | None:
        """Whether a lossless codec gave back the exact volume (None for lossy codecs)."""
        return self.error.within if self.error.guarantee == "exact" else None

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.stored.total

    @property
    def saved_bytes(self) -> int:
        return self.raw_bytes - self.stored.total

    @property
    def saved_pct(self) -> float:
        return 100.0 * self.saved_bytes / self.raw_bytes

    def as_row(self) -> dict[str, object]:
        return {
            "codec": self.codec,
            "write_s": self.write_s,
            "read_s": self.read_s,
            "ratio": self.ratio,
            "stored_bytes": self.stored.total,
            "saved_pct": self.saved_pct,
            "lossless_ok": self.lossless_ok,
            "within_bound": self.error.within if self.error.guarantee == "bound" else None,
            "max_abs_error": self.error.max_abs_error,
            "psnr_db": None if self.fidelity is None else self.fidelity.psnr_db,
            "psnr_peak": None if self.fidelity is None else self.fidelity.data_range,
            "ssim": None if self.fidelity is None else self.fidelity.ssim,
            "added_noise_pct": None if self.fidelity is None else 100 * self.fidelity.added_noise_fraction,
            "noise_sigma": None if self.fidelity is None else self.fidelity.sigma,
        }


def _timed(operation: Callable[[], object]) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def measure_codec(
    volume: Volume,
    codec: CodecSpec | str,
    *,
    chunks: tuple[int, int, int],
    zarr_format: int = 3,
    repeats: int = 5,
    in_memory: bool = False,
    blosc_threads: int = 1,
    noise: fidelity.NoiseReference | None = None,
) -> Measurement:
    """Write ``volume`` ``repeats`` times into fresh stores, read it back ``repeats`` times; report medians.

    Stores live in a temporary directory (or in memory with ``in_memory``) that is removed afterwards;
    removing a store is never part of a timing.  The round trip is checked on the first read; a lossy codec's
    fidelity is measured against ``noise`` (:func:`fidelity.noise_reference` of the volume if not given).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    spec = parse_codec(codec)
    previous_threads = set_blosc_threads(blosc_threads)
    try:
        with tempfile.TemporaryDirectory(prefix="cryoet-zarr-bench-") as workdir:
            write_times = []
            for i in range(repeats):
                store = MemoryStore() if in_memory else DirectoryStore(Path(workdir) / f"{i}.zarr")
                start = time.perf_counter()
                store.write(volume.data, codec=spec, chunks=chunks, zarr_format=zarr_format)
                write_times.append(time.perf_counter() - start)
                if i < repeats - 1:
                    store.clear()
            decoded = store.read()
            read_times = [_timed(store.read) for _ in range(repeats)]
            stored = store.stored_bytes()
    finally:
        set_blosc_threads(previous_threads)
    error = error_check(spec, volume.data, decoded)
    fidelity_figures = None
    if not spec.lossless:
        noise = noise or fidelity.noise_reference(volume)
        fidelity_figures = fidelity.assess(
            volume.data, decoded, sigma=noise.sigma, voxel_spacing=volume.voxel_spacing[0]
        )
    return Measurement(
        codec=str(spec),
        write_s=statistics.median(write_times),
        read_s=statistics.median(read_times),
        raw_bytes=volume.nbytes,
        stored=stored,
        error=error,
        repeats=repeats,
        fidelity=fidelity_figures,
    )
