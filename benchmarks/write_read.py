"""Writing the volume into a Zarr array and reading it back, per codec, chunk shape and Zarr format.

Every figure here uses the suite's one runtime, ``CRYOET_ZARR_BENCH_THREADS`` (default: one thread, for Blosc
and zarr 3's chunk concurrency alike); the parallel study times the same at one thread and at all cores.
Stores are in memory, as astropy's I/O benchmarks use ``BytesIO``: the subject is the codec and zarr, not the
disk (local disk, S3 and a cold page cache are the layout and machine studies').  What is timed is zarr's
public API alone:

- ``Write.time_write``: ``array[...] = volume`` into an empty array that setup created (its metadata written)
  in a fresh store before every sample; checking the copy happens in ``teardown``, untimed.
- ``Read.time_read``: ``array[...]`` from an array that setup opened (its metadata read).

Both take their samples in many short rounds (:data:`~benchmarks.ROUNDS`), spread over the run, so that a
comparison of two commits or environments sees the machine's drift in both alike.
"""

from cryoet_zarr_bench.stores import MemoryStore

from . import ROUNDS, VolumeBenchmark, check_round_trip, memory_store, new_array


class Write(VolumeBenchmark):
    """Each sample writes the volume into a fresh, empty array
    (setup and teardown run around every sample)."""

    version = "7"
    rounds = ROUNDS
    repeat = 2

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.store = MemoryStore()
        self.array = new_array(self.store, volume, codec, chunks, zarr_format)

    def time_write(self, volume, codec, chunks, zarr_format):
        """``array[...] = volume``: every chunk encoded and stored."""
        self.array[...] = volume.data

    def teardown(self, volume, codec, chunks, zarr_format):
        if hasattr(self, "array"):  # not if setup skipped the case
            check_round_trip(self.store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format)


class Read(VolumeBenchmark):
    """The whole array into numpy.  Reading is idempotent: the store is written once per process."""

    version = "7"
    rounds = ROUNDS
    repeat = 3

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.array = memory_store(volume, codec, chunks, zarr_format).open()

    def time_read(self, volume, codec, chunks, zarr_format):
        """``array[...]``: every chunk fetched and decoded into one numpy array."""
        self.array[...]
