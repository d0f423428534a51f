"""How small each codec makes the volume. Deterministic, so each number is measured once.

The headline ratio is raw bytes over *chunk* bytes: the chunk objects are what the codec produced, while the
metadata documents (a few hundred bytes of JSON) differ between zarr releases and store kinds for reasons that
have nothing to do with compression. Both are tracked, apart and summed.
"""

from . import VolumeBenchmark, memory_store


class Compression(VolumeBenchmark):
    version = "2"

    def setup(self, volume, codec, chunks, zarr_format):
        super().setup(volume, codec, chunks, zarr_format)
        self.stored = memory_store(volume, codec, chunks, zarr_format).stored_bytes()

    def track_compression_ratio(self, volume, codec, chunks, zarr_format):
        """Raw bytes ÷ chunk bytes (metadata excluded)."""
        return volume.nbytes / self.stored.chunks

    track_compression_ratio.unit = "ratio"

    def track_chunk_bytes(self, volume, codec, chunks, zarr_format):
        """Bytes of the chunk objects alone: what the codec wrote."""
        return self.stored.chunks

    track_chunk_bytes.unit = "bytes"

    def track_metadata_bytes(self, volume, codec, chunks, zarr_format):
        """Bytes of the metadata documents (``.zarray``/``.zattrs`` or ``zarr.json``)."""
        return self.stored.metadata

    track_metadata_bytes.unit = "bytes"

    def track_stored_bytes(self, volume, codec, chunks, zarr_format):
        """Everything the store holds: chunks plus metadata."""
        return self.stored.total

    track_stored_bytes.unit = "bytes"
