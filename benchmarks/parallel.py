"""Parallel speed-up, on purpose: the same write and warm read at one thread and at every core (the parallel
study, ``CRYOET_ZARR_BENCH_STUDIES=parallel``).

``threads`` is a parameter here (``1`` or ``all``: every core the process may run on; asv's machine
information records how many), given to Blosc and to zarr 3's chunk concurrency alike. Everywhere else the
suite runs at ``CRYOET_ZARR_BENCH_THREADS`` (default 1), so this module is where concurrency is the subject.
zarr 2.18 works chunk by chunk, so there only Blosc's own threads can run in parallel.
"""

from cryoet_zarr_bench.runtime import Runtime, parse_threads
from cryoet_zarr_bench.stores import DirectoryStore

from . import (
    PARAM_NAMES,
    PARAMS,
    SETTINGS,
    VolumeBenchmark,
    check_round_trip,
    new_array,
    only_if,
    read_store,
    warm_page_cache,
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
    """The whole volume written on ``threads`` threads, into a fresh empty array before every sample."""

    version = "2"

    def setup(self, volume, codec, chunks, zarr_format, threads):
        super().setup(volume, codec, chunks, zarr_format, threads)
        self.store = DirectoryStore(self.workdir / "written.zarr")
        self.array = new_array(self.store, volume, codec, chunks, zarr_format)

    def time_write(self, volume, codec, chunks, zarr_format, threads):
        """``array[...] = volume`` into an empty local array on ``threads`` threads."""
        self.array[...] = volume.data

    def teardown(self, volume, codec, chunks, zarr_format, threads):
        if hasattr(self, "array"):  # not if setup skipped the case
            check_round_trip(self.store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format, threads)


@only_if(SELECTED)
class Read(_Parallel):
    """The whole array read on ``threads`` threads from a local store whose files are in the page cache."""

    version = "2"

    def setup(self, volume, codec, chunks, zarr_format, threads):
        super().setup(volume, codec, chunks, zarr_format, threads)
        store = read_store(volume, codec, chunks, zarr_format)
        self.array = store.open()
        warm_page_cache(store)

    def time_read_warm(self, volume, codec, chunks, zarr_format, threads):
        """``array[...]`` on ``threads`` threads (the array opened in setup)."""
        self.array[...]
