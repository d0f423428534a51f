"""zarr's overhead over the raw codec: the chunks ``write_read.Read.time_read`` reads, decoded by numcodecs.

``ZarrOverhead.time_decode_numcodecs`` decodes the same stored chunk bytes from memory with numcodecs, chunk
by chunk, on ONE thread, and assembles the volume; ``write_read.Read.time_read`` reads them through
zarr-python from the same kind of in-memory store.  At the suite's default of one thread the two are the same
work, so their ratio is what zarr-python adds (metadata, chunk lookup, its codec pipeline) on zarr 2.18 and
3.x alike; with ``CRYOET_ZARR_BENCH_THREADS`` above 1 the zarr read also gains zarr's parallelism.  The
lossless codecs of the set only: the numcodecs decoding is checked to give the volume back exactly.
"""

from functools import cache

from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import decode_chunks, parse_chunks

from . import CHUNKS, LOSSLESS_CODECS, ROUNDS, ZARR_FORMATS, VolumeBenchmark, memory_store, only_if


@only_if(LOSSLESS_CODECS)
class ZarrOverhead(VolumeBenchmark):
    version = "7"
    params = [LOSSLESS_CODECS, CHUNKS, ZARR_FORMATS]
    runtime = Runtime(threads=1)
    # Idempotent and cheap to set up (the store is written once per process): samples in many short rounds.
    rounds = ROUNDS
    repeat = 3

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.payloads = checked_payloads(volume, codec, chunks, zarr_format)

    def time_decode_numcodecs(self, volume, codec, chunks, zarr_format):
        """The same chunk bytes decoded by numcodecs alone, one thread."""
        decode(volume, self.payloads, codec, chunks)


def decode(volume, payloads, codec, chunks):
    """The volume rebuilt from its chunks' bytes by numcodecs, bypassing zarr."""
    return decode_chunks(
        payloads, codec=codec, shape=volume.shape, chunks=parse_chunks(chunks), dtype=volume.dtype
    )


@cache
def checked_payloads(volume, codec, chunks, zarr_format):
    """The stored chunks' bytes, checked once per process to decode to the volume with numcodecs alone."""
    payloads = memory_store(volume, codec, chunks, zarr_format).chunk_payloads()
    if not same_bits(decode(volume, payloads, codec, chunks), volume.data):
        raise AssertionError(f"numcodecs decoding of {codec} chunks differs from the volume")
    return payloads
