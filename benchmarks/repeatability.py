"""How repeatable a warm read's time is on this machine (the repeatability study,
``CRYOET_ZARR_BENCH_STUDIES=repeatability``).

A property of the machine more than of a release, and itself noisy (1.06-2.13 on a quiet 2-core virtual
machine), so it is not in the default suite, whose every figure ``asv continuous`` compares between commits.
"""

import gc
import time

from . import SETTINGS, VolumeBenchmark, only_if, read_store


@only_if(SETTINGS.runs("repeatability"))
class ReadPrecision(VolumeBenchmark):
    """The slowest of 21 warm reads over the fastest: 1.0 is perfectly repeatable (a quiet 2-core VM:
    1.06-2.13)."""

    version = "1"
    reads = 21

    def track_read_spread(self, volume, codec, chunks, zarr_format):
        """max / min of the times of 21 consecutive warm reads, after one untimed read (garbage collection off)."""
        store = read_store(volume, codec, chunks, zarr_format)
        store.read()
        times = []
        gc.disable()  # as asv's own timings do
        try:
            for _ in range(self.reads):
                start = time.perf_counter()
                store.read()
                times.append(time.perf_counter() - start)
        finally:
            gc.enable()
        return max(times) / min(times)

    track_read_spread.unit = "ratio"
