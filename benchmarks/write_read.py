"""Writing the volume to a local Zarr store and reading it back, per codec, chunk shape and Zarr format.

Every figure here uses the suite's one runtime, ``CRYOET_ZARR_BENCH_THREADS`` (default: one thread, for Blosc
and zarr 3's chunk concurrency alike); the parallel study times the same at one thread and at all cores.
Stores are on local disk, in asv's working directory.  What is timed is zarr's public API alone:

- ``Write.time_write``: ``array[...] = volume`` into an empty array that setup created (its metadata written)
  in a fresh store before every sample; checking and removing the store happen in ``teardown``, untimed.
- ``Read.time_read_warm``: ``array[...]`` from an array that setup opened (its metadata read); the store's
  files are in the page cache (read once in setup before every sample), so decoding and copying dominate.
- ``ColdRead.time_read_cold``: the same read with the store's files evicted from the page cache before every
  sample, so the disk is read too.
- ``PeakMemory``: the most memory a write or a read holds at once beyond what the process held before it
  (its buffers, the codec's scratch memory, the array a read returns), not the process's peak.
"""

from cryoet_zarr_bench.peak_memory import added_peak_bytes
from cryoet_zarr_bench.stores import DirectoryStore

from . import (
    VolumeBenchmark,
    check_round_trip,
    evict_page_cache,
    new_array,
    read_store,
    warm_page_cache,
    warm_up,
)


class Write(VolumeBenchmark):
    """Each sample writes the volume into a fresh, empty array (setup and teardown run around every sample)."""

    version = "3"
    repeat = 4

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.store = DirectoryStore(self.workdir / "written.zarr")
        self.array = new_array(self.store, volume, codec, chunks, zarr_format)

    def time_write(self, volume, codec, chunks, zarr_format):
        """``array[...] = volume``: every chunk encoded and written to local disk (no fsync)."""
        self.array[...] = volume.data

    def teardown(self, volume, codec, chunks, zarr_format):
        if hasattr(self, "array"):  # not if setup skipped the case
            check_round_trip(self.store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format)


class _StoreRead(VolumeBenchmark):
    """Reads of the whole array from the case's read store, whose files ``page_cache_state`` sets up (in or out
    of the page cache) before every sample."""

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.store = read_store(volume, codec, chunks, zarr_format)
        self.array = self.store.open()
        self.page_cache_state(self.store)


class Read(_StoreRead):
    """The whole array from a local store into numpy, the store's files already in the page cache.

    Reading is idempotent, so a read takes many samples; setup before each only re-warms the page cache.
    """

    version = "3"
    repeat = (10, 25, 4.0)
    page_cache_state = staticmethod(warm_page_cache)

    def time_read_warm(self, volume, codec, chunks, zarr_format):
        """``array[...]``: every chunk read and decoded into numpy; the store's files are in the page cache."""
        self.array[...]


class ColdRead(_StoreRead):
    """The same read from the disk: the store's files are evicted from the page cache before every sample."""

    version = "2"
    repeat = (5, 8, 3.0)
    page_cache_state = staticmethod(evict_page_cache)

    def time_read_cold(self, volume, codec, chunks, zarr_format):
        """``array[...]``; none of the store's files are in the page cache."""
        self.array[...]


class PeakMemory(VolumeBenchmark):
    """What one write or one read adds to the process's resident memory at its peak, in bytes.

    Measured against a baseline taken just before the operation (Linux only; elsewhere these are skipped),
    so the interpreter, the imports and the volume itself do not count; see
    :mod:`cryoet_zarr_bench.peak_memory`. A read's figure includes the array it returns (the volume's size).
    """

    version = "2"

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
