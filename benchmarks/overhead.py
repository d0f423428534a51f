"""zarr's overhead over the raw codec: the same stored chunks, decoded by zarr and by numcodecs alone.

Both read from memory, so the difference between ``time_read_zarr`` and ``time_decode_numcodecs`` is what
zarr-python adds (metadata, chunk lookup, its codec pipeline) on top of decompression and copying.
"""

from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.stores import MemoryStore, decode_chunks, parse_chunks

from . import VolumeBenchmark, check_round_trip


class ZarrOverhead(VolumeBenchmark):
    version = "1"

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.chunk_shape = parse_chunks(chunks)
        self.store = MemoryStore()
        self.store.write(volume.data, codec=codec, chunks=self.chunk_shape, zarr_format=zarr_format)
        check_round_trip(self.store, volume, codec)
        self.payloads = self.store.chunk_payloads()
        if not same_bits(self._decode(volume, codec), self.store.read()):
            raise AssertionError(f"numcodecs decoding of {codec} chunks differs from zarr's")

    def _decode(self, volume, codec):
        return decode_chunks(
            self.payloads, codec=codec, shape=volume.shape, chunks=self.chunk_shape, dtype=volume.dtype
        )

    def time_read_zarr(self, volume, codec, chunks, zarr_format):
        self.store.read()

    def time_decode_numcodecs(self, volume, codec, chunks, zarr_format):
        self._decode(volume, codec)
