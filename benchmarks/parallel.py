"""Parallel speed-up, on purpose: the same write and warm read at one thread and at every core (the parallel
study, ``CRYOET_ZARR_BENCH_STUDIES=parallel``).

``threads`` is a parameter here (``1`` or ``all``: every core the process may run on; asv's machine
information records how many), given to Blosc and to zarr 3's chunk concurrency alike. Everywhere else the
suite runs at ``CRYOET_ZARR_BENCH_THREADS`` (default 1), so this class is where concurrency is the subject.
zarr 2.18 works chunk by chunk, so there only Blosc's own threads can run in parallel.
"""

from cryoet_zarr_bench.runtime import Runtime, parse_threads
from cryoet_zarr_bench.stores import DirectoryStore, parse_chunks

from . import (
    PARAM_NAMES,
    PARAMS,
    SETTINGS,
    VolumeBenchmark,
    check_round_trip,
    only_if,
    read_store,
    warm_page_cache,
)


@only_if(SETTINGS.runs("parallel"))
class Parallel(VolumeBenchmark):
    version = "1"
    params = PARAMS + [["1", "all"]]
    param_names = PARAM_NAMES + ["threads"]
    # One round of 6 samples: the point is the gap between 1 and all, which is wide where there is one.
    rounds = 1
    repeat = 6

    def setup(self, volume, codec, chunks, zarr_format, threads):
        self.runtime = Runtime(parse_threads(threads))
        super().setup(volume, codec, chunks, zarr_format)
        self.store = read_store(volume, codec, chunks, zarr_format)
        warm_page_cache(self.store)
        self.written = []

    def time_write(self, volume, codec, chunks, zarr_format, threads):
        """Write the whole volume into a new local store on ``threads`` threads."""
        store = DirectoryStore(self.workdir / f"{len(self.written)}.zarr")
        self.written.append(store)
        store.write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)

    def time_read_warm(self, volume, codec, chunks, zarr_format, threads):
        """Read the whole array on ``threads`` threads; the store's files are in the page cache."""
        self.store.read()

    def teardown(self, volume, codec, chunks, zarr_format, threads):
        for store in getattr(self, "written", []):  # none if setup skipped the case
            check_round_trip(store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format, threads)
