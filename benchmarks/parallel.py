"""Parallel speed-up, on purpose: the core's write and read (in memory) at one thread and at every core (the
parallel study, ``CRYOET_ZARR_BENCH_STUDIES=parallel``).

``threads`` is a parameter here (``1`` or ``all``: every core the process may run on; asv's machine
information records how many), given to Blosc and to zarr 3's chunk concurrency alike. Everywhere else the
suite runs at ``CRYOET_ZARR_BENCH_THREADS`` (default 1), so this module is where concurrency is the subject.
zarr 2.18 works chunk by chunk, so there only Blosc's own threads can run in parallel.
"""

from cryoet_zarr_bench.runtime import Runtime, parse_threads
from cryoet_zarr_bench.stores import MemoryStore

from . import (
    PARAM_NAMES,
    PARAMS,
    SETTINGS,
    VolumeBenchmark,
    check_round_trip,
    memory_store,
    new_array,
    only_if,
)

SELECTED = SETTINGS.runs("parallel")


class _Parallel(VolumeBenchmark):
    params = PARAMS + [["1", "all"]]
    param_names = PARAM_NAMES + ["threads"]
    # One round of 6 samples: the point is the gap between 1 and all, which is wide where there is one.
    rounds = 1
    repeat = 6

    def setup(self, volume, codec, chunks, zarr_format, threads):
        self.runtime = Runtime(parse_threads(threads))
        super().setup(volume, codec, chunks, zarr_format)

    def teardown(self, volume, codec, chunks, zarr_format, threads):
        super().teardown(volume, codec, chunks, zarr_format)


@only_if(SELECTED)
class Write(_Parallel):
    """``write_read.Write`` on ``threads`` threads: the volume into a fresh, empty in-memory array."""

    version = "3"

    def setup(self, volume, codec, chunks, zarr_format, threads):
        super().setup(volume, codec, chunks, zarr_format, threads)
        self.store = MemoryStore()
        self.array = new_array(self.store, volume, codec, chunks, zarr_format)

    def time_write(self, volume, codec, chunks, zarr_format, threads):
        """``array[...] = volume`` on ``threads`` threads."""
        self.array[...] = volume.data

    def teardown(self, volume, codec, chunks, zarr_format, threads):
        if hasattr(self, "array"):  # not if setup skipped the case
            check_round_trip(self.store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format, threads)


@only_if(SELECTED)
class Read(_Parallel):
    """``write_read.Read`` on ``threads`` threads: the whole array from an in-memory store."""

    version = "3"

    def setup(self, volume, codec, chunks, zarr_format, threads):
        super().setup(volume, codec, chunks, zarr_format, threads)
        self.array = memory_store(volume, codec, chunks, zarr_format).open()

    def time_read(self, volume, codec, chunks, zarr_format, threads):
        """``array[...]`` on ``threads`` threads (the array opened in setup)."""
        self.array[...]
