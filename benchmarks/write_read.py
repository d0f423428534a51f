"""Writing the volume to a local Zarr store and reading it back, per codec, chunk shape and Zarr format.

Every figure here uses the suite's one runtime, ``CRYOET_ZARR_BENCH_THREADS`` (default: one thread, for Blosc
and zarr 3's chunk concurrency alike); the parallel study times the same at one thread and at all cores.
Stores are on local disk, in asv's working directory.  What is timed is zarr's public API alone:

- ``Write.time_write``: ``array[...] = volume`` into an empty array that setup created (its metadata written)
  in a fresh store before every sample; checking and removing the store happen in ``teardown``, untimed.
- ``Read.time_read_warm``: ``array[...]`` from an array that setup opened (its metadata read); the store's
  files are in the page cache (read once in setup before every sample), so decoding and copying dominate.

Both take their samples in many short rounds (:data:`~benchmarks.ROUNDS`), spread over the run, so that a
comparison of two commits or environments sees the machine's drift in both alike.  Reads from a cold page
cache and the peak memory an operation adds are the machine study's (``machine.py``).
"""

from cryoet_zarr_bench.stores import DirectoryStore

from . import ROUNDS, StoreRead, VolumeBenchmark, check_round_trip, new_array, warm_page_cache


class Write(VolumeBenchmark):
    """Each sample writes the volume into a fresh, empty array (setup and teardown run around every sample)."""

    version = "4"
    rounds = ROUNDS
    repeat = 2

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


class Read(StoreRead):
    """The whole array from a local store into numpy, the store's files already in the page cache.

    Reading is idempotent, so a read takes many samples; setup before each only re-warms the page cache.
    """

    version = "4"
    rounds = ROUNDS
    repeat = 3
    page_cache_state = staticmethod(warm_page_cache)

    def time_read_warm(self, volume, codec, chunks, zarr_format):
        """``array[...]``: every chunk read and decoded into numpy; the store's files are in the page cache."""
        self.array[...]
