"""Full-size tomograms in bounded memory: recompressing a whole volume from one local store into another.

The full-size study (``CRYOET_ZARR_BENCH_STUDIES=full-size``).  The source is a synthetic tomogram of each
size in ``CRYOET_ZARR_BENCH_FULL_SIZES`` (comma-separated shapes, ``512`` or ``184x630x630``; default
``184x630x630``, the shape of the portal's full TS_100_3), stored as the portal stores it (Zarr format 2,
Blosc LZ4 level 5 with byte shuffle, 256³ chunks) on local disk.  It is recompressed block by block
(:func:`cryoet_zarr_bench.recompress.recompress`) into each codec and layout (Zarr format 3).  Besides the
time, ``track_peak_bytes`` records the peak memory the recompression allocates over what was allocated when it
started (traced through Python's allocators, numpy included).  That peak is one block (one destination chunk
deep, across whole source chunks) plus one 256³ source chunk decoded (64 MiB of float32) and its encoded
bytes, so it is below half the volume only for volumes of several source chunks (512³: 26-30 %; 184x630x630:
41-50 %); at 256³ the one source chunk is the whole volume.  A sharded destination takes longer because each
shard is written once per layer of inner chunks.  One thread unless the runtime policy says otherwise (zarr
decodes that many chunks at once); warm page cache.
"""

from pathlib import Path

from cryoet_zarr_bench.layouts import parse_chunks
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.recompress import recompress, traced_peak_bytes
from cryoet_zarr_bench.releases import verify_pins
from cryoet_zarr_bench.sources.synthetic import synthetic_volume
from cryoet_zarr_bench.stores import DirectoryStore

from . import LOSSLESS_CODECS, SETTINGS, VolumeBenchmark, only_if

SIZES = list(SETTINGS.full_sizes)
LAYOUTS = list(SETTINGS.layouts)
SOURCE_CODEC, SOURCE_CHUNKS, SOURCE_FORMAT = "blosc-lz4-5-shuffle", "256", 2
ZARR_FORMAT = 3


@only_if(SETTINGS.runs("full-size") and LOSSLESS_CODECS)
class Recompress(VolumeBenchmark):
    """Recompress a full-size tomogram from the portal's layout into a codec and layout, block by block."""

    version = "1"
    timeout = 1800
    repeat = 1
    rounds = 1
    params = [SIZES, LOSSLESS_CODECS, LAYOUTS]  # every copy is checked to be exact
    param_names = ["size", "codec", "layout"]

    def setup_cache(self):
        verify_pins()
        sources = {}
        for size in SIZES:
            volume = synthetic_volume(parse_chunks(size))
            sources[size] = DirectoryStore(Path("full-size-sources").resolve() / f"{size}.zarr")
            sources[size].write(
                volume.data, codec=SOURCE_CODEC, chunks=SOURCE_CHUNKS, zarr_format=SOURCE_FORMAT
            )
        return sources

    def setup(self, sources, size, codec, layout):
        super().setup(None, codec, layout, ZARR_FORMAT)
        self.source = sources[size]
        self.destinations = []

    def _recompress(self, codec, layout):
        destination = DirectoryStore(self.workdir / f"{len(self.destinations)}.zarr")
        self.destinations.append(destination)
        recompress(self.source, destination, codec=codec, layout=layout, zarr_format=ZARR_FORMAT)

    def time_recompress(self, sources, size, codec, layout):
        self._recompress(codec, layout)

    def track_peak_bytes(self, sources, size, codec, layout):
        return traced_peak_bytes(lambda: self._recompress(codec, layout))

    track_peak_bytes.unit = "bytes"

    def teardown(self, sources, size, codec, layout):
        if getattr(self, "destinations", None):
            expected = self.source.read()
            for destination in self.destinations:
                if not same_bits(destination.read(), expected):
                    raise AssertionError(f"{destination!r} is not an exact copy of {self.source!r}")
        super().teardown(None, codec, layout, ZARR_FORMAT)
