"""How small each codec makes the volume. Deterministic, so each number is measured once."""

from cryoet_zarr_bench.stores import MemoryStore, parse_chunks

from . import VolumeBenchmark, check_round_trip


class Compression(VolumeBenchmark):
    version = "1"

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.store = MemoryStore()
        self.store.write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)
        check_round_trip(self.store, volume, codec)
        self.stored = self.store.stored_bytes()

    def track_compression_ratio(self, volume, codec, chunks, zarr_format):
        return volume.nbytes / self.stored.total

    track_compression_ratio.unit = "ratio"

    def track_stored_bytes(self, volume, codec, chunks, zarr_format):
        return self.stored.total

    track_stored_bytes.unit = "bytes"
