"""What depends on the machine more than on a release: reads from a cold page cache (the disk), the memory an
operation adds, how repeatable a warm read is (the machine study, ``CRYOET_ZARR_BENCH_STUDIES=machine``).

These follow the machine's disk, allocator and load: a cold read on a virtual machine's disk and an added peak
that moves with glibc's reuse of freed buffers vary between runs of the same code by more than the 10% a
release comparison must see, so they are not in the default suite, whose every figure ``asv continuous``
compares between commits.

- ``ColdRead.time_read_cold``: ``array[...]`` with the store's files evicted from the page cache before every
  sample, so the disk is read too (n/a where eviction is impossible, e.g. tmpfs).
- ``PeakMemory``: the most memory a write or a read holds at once beyond what the process held before it (its
  buffers, the codec's scratch memory, the array a read returns), not the process's peak (Linux only).
- ``ReadPrecision.track_read_spread``: the slowest of 21 warm reads over the fastest.
"""

import gc
import time

from cryoet_zarr_bench.peak_memory import added_peak_bytes
from cryoet_zarr_bench.stores import DirectoryStore

from . import (
    SETTINGS,
    VolumeBenchmark,
    check_round_trip,
    evict_page_cache,
    new_array,
    only_if,
    read_store,
    warm_page_cache,
    warm_up,
)

SELECTED = SETTINGS.runs("machine")


@only_if(SELECTED)
class ColdRead(VolumeBenchmark):
    """The whole array read from the disk: the store's files are evicted from the page cache before every
    sample."""

    version = "3"
    repeat = (5, 8, 3.0)

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        store = read_store(volume, codec, chunks, zarr_format)
        self.array = store.open()
        evict_page_cache(store)

    def time_read_cold(self, volume, codec, chunks, zarr_format):
        """``array[...]``; none of the store's files are in the page cache."""
        self.array[...]


@only_if(SELECTED)
class PeakMemory(VolumeBenchmark):
    """What one write or one read adds to the process's resident memory at its peak, in bytes.

    Measured against a baseline taken just before the operation (Linux only; elsewhere these are skipped),
    so the interpreter, the imports and the volume itself do not count; see
    :mod:`cryoet_zarr_bench.peak_memory`. A read's figure includes the array it returns (the volume's size).
    """

    version = "3"

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        warm_up(volume, codec, zarr_format)

    def track_write_added_peak(self, volume, codec, chunks, zarr_format):
        """Peak memory ``array[...] = volume`` adds, into an empty array (bytes)."""
        store = DirectoryStore(self.workdir / "written.zarr")
        array = new_array(store, volume, codec, chunks, zarr_format)
        added = added_peak_bytes(lambda: array.__setitem__(Ellipsis, volume.data))
        check_round_trip(store, volume, codec)
        return added

    track_write_added_peak.unit = "bytes"

    def track_read_added_peak(self, volume, codec, chunks, zarr_format):
        """Peak memory ``array[...]`` adds from an opened array, the returned array included (bytes)."""
        store = read_store(volume, codec, chunks, zarr_format)
        array = store.open()
        warm_page_cache(store)
        return added_peak_bytes(lambda: array[...])

    track_read_added_peak.unit = "bytes"


@only_if(SELECTED)
class ReadPrecision(VolumeBenchmark):
    """The slowest of 21 warm reads over the fastest: 1.0 is perfectly repeatable (a quiet 2-core VM:
    1.06-2.13)."""

    version = "2"
    reads = 21

    def track_read_spread(self, volume, codec, chunks, zarr_format):
        """max / min of the times of 21 consecutive warm reads,
        after one untimed read (garbage collection off)."""
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
