"""Writing the volume to a local Zarr store and reading it back, per codec, chunk shape and Zarr format."""

import itertools
from pathlib import Path

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore, parse_chunks

from . import PARAMS, VolumeBenchmark, check_round_trip


class Write(VolumeBenchmark):
    """Each sample writes a fresh store; removing stores happens in ``teardown``, outside the timing."""

    version = "1"

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.chunk_shape = parse_chunks(chunks)
        self.stores = []

    def _write_fresh_store(self, volume, codec, zarr_format):
        store = DirectoryStore(self.workdir / f"{len(self.stores)}.zarr")
        self.stores.append(store)
        store.write(volume.data, codec=codec, chunks=self.chunk_shape, zarr_format=zarr_format)

    def time_write(self, volume, codec, chunks, zarr_format):
        self._write_fresh_store(volume, codec, zarr_format)

    def peakmem_write(self, volume, codec, chunks, zarr_format):
        self._write_fresh_store(volume, codec, zarr_format)

    def teardown(self, volume, codec, chunks, zarr_format):
        for store in getattr(self, "stores", []):  # none if setup skipped the case
            check_round_trip(store, volume, codec)
        super().teardown(volume, codec, chunks, zarr_format)


class Read(VolumeBenchmark):
    """The whole array from a local store into numpy.

    ``setup_cache`` writes (and checks) one store per parameter combination, once per environment, in asv's
    cache directory, which is the working directory of every benchmark of this class.
    """

    version = "1"

    def setup_cache(self):
        volume = super().setup_cache()
        for codec, chunks, zarr_format in itertools.product(*PARAMS):
            if zarr_format in _compat.SUPPORTED_FORMATS:
                store = _stored(codec, chunks, zarr_format)
                try:
                    store.write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)
                except NotImplementedError:
                    continue  # a codec this environment cannot store; setup skips the case with the reason
                check_round_trip(store, volume, codec)
        return volume

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.store = _stored(codec, chunks, zarr_format)
        if not self.store.exists():
            MemoryStore().write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)
            raise AssertionError(f"setup_cache stored no {codec} array, yet it can be written")

    def time_read(self, volume, codec, chunks, zarr_format):
        self.store.read()

    def peakmem_read(self, volume, codec, chunks, zarr_format):
        self.store.read()


def _stored(codec, chunks, zarr_format):
    return DirectoryStore(Path("read-stores") / f"{codec}_{chunks}_v{zarr_format}.zarr")
