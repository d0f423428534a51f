"""Timed write/read of one volume with one codec, with its round-trip check: the rows of the seed table.

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

import numpy as np

from .codecs import CodecSpec, parse_codec
from .stores import DirectoryStore, MemoryStore, StoredBytes, set_blosc_threads
from .volume import Volume, same_bits

__all__ = ["Measurement", "measure_codec", "same_bits"]


@dataclass(frozen=True)
class Measurement:
    """What one codec did to one volume: median times, stored bytes, and whether the data came back."""

    codec: str
    write_s: float
    read_s: float
    raw_bytes: int
    stored: StoredBytes
    lossless_ok: bool
    repeats: int

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
) -> Measurement:
    """Write ``volume`` ``repeats`` times into fresh stores, read it back ``repeats`` times; report medians.

    Stores live in a temporary directory (or in memory with ``in_memory``) that is removed afterwards;
    removing a store is never part of a timing.  The round trip is checked on the first read.
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
            lossless_ok = same_bits(store.read(), volume.data)
            read_times = [_timed(store.read) for _ in range(repeats)]
            stored = store.stored_bytes()
    finally:
        set_blosc_threads(previous_threads)
    return Measurement(
        codec=str(spec),
        write_s=statistics.median(write_times),
        read_s=statistics.median(read_times),
        raw_bytes=volume.nbytes,
        stored=stored,
        lossless_ok=lossless_ok,
        repeats=repeats,
    )
