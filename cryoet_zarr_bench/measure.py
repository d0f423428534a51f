"""Timed write/read of one volume with one codec, with its round-trip check: the rows of `quick`'s table.

The asv suite times the same operations itself; this module serves the command line, where one quick table is
wanted without asv.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import fidelity
from ._memory import require_memory
from ._orphans import owner_tag, remove_orphans
from .codecs import CodecSpec, ErrorCheck, error_check, is_noise_tied, parse_codec, resolve_noise_tied
from .information import GaussianReference
from .noise import NoiseEstimate
from .runtime import Runtime
from .sources.halves import noise_estimate
from .stores import DirectoryStore, MemoryStore, StoredBytes, format_chunks
from .volume import Volume, same_bits  # same_bits: re-exported

__all__ = ["WORKDIR_PREFIX", "Measurement", "check_memory", "measure_codec", "memory_needed", "same_bits"]

#: Name prefix of the temporary directory each run writes its stores in (followed by the owner's PID tag).
WORKDIR_PREFIX = "cryoet-zarr-bench-"


def memory_needed(volume: Volume, chunks: tuple[int, ...], *, in_memory: bool) -> int:
    """Rough bytes :func:`measure_codec` needs beside the volume: the array read back, the store if it is in
    memory (no larger than the raw data plus edge-chunk padding for lossless codecs), and a few copies of one
    chunk (the raw chunk, its padded copy, its encoding)."""
    chunk_bytes = math.prod(chunks) * volume.dtype.itemsize
    padded = math.prod(-(-n // c) * c for n, c in zip(volume.shape, chunks)) * volume.dtype.itemsize
    return volume.nbytes + (padded if in_memory else 0) + 3 * chunk_bytes


def check_memory(volume: Volume, chunks: tuple[int, ...], *, in_memory: bool) -> None:
    """Refuse up front, with the estimate, a measurement that cannot fit in the memory available."""
    require_memory(
        memory_needed(volume, chunks, in_memory=in_memory),
        f"writing a {format_chunks(volume.shape)} {volume.dtype} volume in {format_chunks(chunks)} chunks",
        "choose smaller chunks or a smaller volume (--size)",
    )


@dataclass(frozen=True)
class Measurement:
    """What one codec did to one volume: median times, stored bytes, whether the data came back, and the
    concurrency it ran with (:meth:`Runtime.settings`).  ``setting`` is the name asked for (a noise-tied one
    such as ``step-1%+pcodec-8``), ``codec`` the concrete pipeline written.

    The ratio and the savings count chunk bytes only: the metadata documents (``stored.metadata``) differ
    between zarr releases and store kinds for reasons that have nothing to do with the codec.  The data came
    back exactly from a lossless codec, or within a lossy codec's bound (``error``), with its fidelity figures
    and the ratio of the Gaussian reference at the same distortion (``reference_ratio``).
    """

    codec: str
    write_s: float
    read_s: float
    raw_bytes: int
    stored: StoredBytes
    error: ErrorCheck
    repeats: int
    runtime: dict[str, object]
    fidelity: fidelity.Fidelity | None = None
    setting: str = ""
    reference_ratio: float | None = None

    @property
    def lossless_ok(self) -> bool | None:
        """Whether a lossless codec gave back the exact volume (None for lossy codecs)."""
        return self.error.within if self.error.guarantee == "exact" else None

    @property
    def ratio(self) -> float:
        """Raw bytes ÷ chunk bytes."""
        return self.raw_bytes / self.stored.chunks

    @property
    def saved_bytes(self) -> int:
        return self.raw_bytes - self.stored.chunks

    @property
    def saved_pct(self) -> float:
        return 100.0 * self.saved_bytes / self.raw_bytes

    @property
    def fraction_of_reference(self) -> float | None:
        """The ratio as a share of the Gaussian reference's at the same distortion (may exceed 1); None when
        there is no reference, or when the lossy setting was exact on these data (e.g. ``bitround-16`` on
        integer counts stored as float32): at zero distortion the reference needs unbounded bits."""
        return self.ratio / self.reference_ratio if self.reference_ratio else None

    def as_row(self) -> dict[str, object]:
        figures = self.fidelity
        half_map = None if figures is None else figures.half_map
        return {
            "codec": self.codec,
            "setting": self.setting or self.codec,
            "write_s": self.write_s,
            "read_s": self.read_s,
            "ratio": self.ratio,
            "chunk_bytes": self.stored.chunks,
            "metadata_bytes": self.stored.metadata,
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
            "worst_shell_error_pct": None if figures is None else 100 * figures.worst_shell_error_fraction,
            "worst_shell_cycles_per_voxel": None if figures is None else figures.worst_shell_frequency,
            "fsc_min_to_half_map": None if figures is None else figures.fsc_min_to_half_map,
            "half_map_resolution_angstrom": None if half_map is None else half_map.before.resolution,
            "half_map_resolution_uncertainty_angstrom": (
                None if half_map is None else half_map.before.resolution_uncertainty
            ),
            "half_map_shift_angstrom": None if half_map is None else half_map.shift_angstrom,
            "half_map_within_uncertainty": None if half_map is None else half_map.within_uncertainty,
            "safe": None if figures is None else figures.safe,
            "verdict": None if figures is None else {c.name: c.passed for c in figures.verdict.criteria},
            "gaussian_reference_ratio": self.reference_ratio,
            "fraction_of_gaussian_reference": self.fraction_of_reference,
            "runtime": self.runtime,
        }


#: The default: a read or write on one thread, whatever the libraries would choose.
ONE_THREAD = Runtime(1)


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
    runtime: Runtime = ONE_THREAD,
    noise: NoiseEstimate | None = None,
    reference: GaussianReference | None = None,
    images: bool = False,
) -> Measurement:
    """Write ``volume`` ``repeats`` times into fresh stores, read it back ``repeats`` times; report medians.

    Stores live in a temporary directory (or in memory with ``in_memory``) that is removed afterwards, also
    by the next run if this one is killed; removing a store is never part of a timing.  The round trip is
    checked on the first read; a lossy codec's fidelity is measured against ``noise`` (the volume's
    :func:`~cryoet_zarr_bench.sources.halves.noise_estimate` if not given; its half-volumes, if any, are
    compressed alike for the half-map figures) and its ratio against the Gaussian ``reference`` (computed
    from the volume if not given).  ``images``: the volume is a stack of 2-D images, judged image by image.
    Everything runs under ``runtime`` (default: one thread), which is restored afterwards.  A run that cannot
    fit in the machine's available memory is refused before it starts
    (:class:`~cryoet_zarr_bench._memory.NotEnoughMemoryError`).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    setting = str(codec)
    if is_noise_tied(setting):
        noise = noise or noise_estimate(volume)
        codec = resolve_noise_tied(setting, volume.data, noise.sigma)
    spec = parse_codec(codec)
    check_memory(volume, chunks, in_memory=in_memory)
    temporary_root = Path(tempfile.gettempdir())
    remove_orphans(temporary_root, WORKDIR_PREFIX)
    with runtime.applied(), tempfile.TemporaryDirectory(
        prefix=f"{WORKDIR_PREFIX}{owner_tag()}", dir=temporary_root
    ) as workdir:
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
        settings = runtime.settings()
    error = error_check(spec, volume.data, decoded)
    fidelity_figures = reference_ratio = None
    if not spec.lossless:
        noise = noise or noise_estimate(volume)
        halves_decoded = None
        if noise.halves is not None:
            halves_decoded = tuple(_round_trip(half, spec, chunks, zarr_format) for half in noise.halves)
        fidelity_figures = fidelity.assess(
            volume.data,
            decoded,
            sigma=noise.sigma,
            voxel_spacing=volume.voxel_spacing[0],
            halves=noise.halves,
            halves_decoded=halves_decoded,  # type: ignore[arg-type]
            images=images,
        )
        reference = reference or GaussianReference.of(volume.data)
        reference_ratio = reference.ratio(fidelity_figures.mse)
    return Measurement(
        codec=str(spec),
        write_s=statistics.median(write_times),
        read_s=statistics.median(read_times),
        raw_bytes=volume.nbytes,
        stored=stored,
        error=error,
        repeats=repeats,
        runtime=settings,
        fidelity=fidelity_figures,
        setting=setting,
        reference_ratio=reference_ratio,
    )


def _round_trip(data, spec: CodecSpec, chunks: tuple[int, int, int], zarr_format: int):
    """``data`` written with ``spec`` to a memory store and read back (a half-volume for the half-map FSC)."""
    store = MemoryStore()
    store.write(data, codec=spec, chunks=chunks, zarr_format=zarr_format)
    return store.read()
