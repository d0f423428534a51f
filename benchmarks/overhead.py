"""zarr's overhead over the raw codec: the same stored chunks, decoded by zarr and by numcodecs alone.

Both read from memory and both run on ONE thread whatever ``CRYOET_ZARR_BENCH_THREADS`` says (numcodecs
decodes chunk by chunk; zarr 3 would otherwise decode several chunks at once), so on zarr 2.18 and 3.x alike
the difference between ``time_read_zarr`` and ``time_decode_numcodecs`` is what zarr-python adds (metadata,
chunk lookup, its codec pipeline) on top of decompression and copying, for the same single-threaded work.
The lossless codecs of the set only: the numcodecs decoding is checked to give the volume back exactly.
"""

from functools import cache

from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import decode_chunks, parse_chunks

from . import CHUNKS, LOSSLESS_CODECS, ROUNDS, ZARR_FORMATS, VolumeBenchmark, memory_store, only_if


@only_if(LOSSLESS_CODECS)
class ZarrOverhead(VolumeBenchmark):
    version = "4"
    params = [LOSSLESS_CODECS, CHUNKS, ZARR_FORMATS]
    runtime = Runtime(threads=1)
    # Idempotent and cheap to set up (the store is written once per process): samples in many short rounds.
    rounds = ROUNDS
    repeat = 3

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.array = memory_store(volume, codec, chunks, zarr_format).open()
        self.payloads = checked_payloads(volume, codec, chunks, zarr_format)

    def time_read_zarr(self, volume, codec, chunks, zarr_format):
        """``array[...]`` through zarr-python, from memory, one thread (the array opened in setup)."""
        self.array[...]

    def time_decode_numcodecs(self, volume, codec, chunks, zarr_format):
        """The same chunk bytes decoded by numcodecs alone, one thread."""
        decode(volume, self.payloads, codec, chunks)


def decode(volume, payloads, codec, chunks):
    """The volume rebuilt from its chunks' bytes by numcodecs, bypassing zarr."""
    return decode_chunks(payloads, codec=codec, shape=volume.shape, chunks=parse_chunks(chunks), dtype=volume.dtype)


@cache
def checked_payloads(volume, codec, chunks, zarr_format):
    """The stored chunks' bytes, checked once per process to decode to the volume with numcodecs alone."""
    payloads = memory_store(volume, codec, chunks, zarr_format).chunk_payloads()
    if not same_bits(decode(volume, payloads, codec, chunks), volume.data):
        raise AssertionError(f"numcodecs decoding of {codec} chunks differs from the volume")
    return payloads
