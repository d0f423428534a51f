import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.layouts import parse_layout
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.recompress import block_shape, blocks, recompress, traced_peak_bytes
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore

NEWEST = _compat.SUPPORTED_FORMATS[-1]


def test_blocks_tile_the_array_aligned_with_the_destination_objects():
    assert block_shape((64, 64, 64), parse_layout("shard128-32")) == (32, 128, 128)
    assert block_shape((256, 256, 256), parse_layout("64")) == (64, 256, 256)
    assert block_shape((50, 64, 64), parse_layout("32x128x128")) == (32, 128, 128)
    regions = list(blocks((5, 4, 3), (2, 4, 2)))
    assert len(regions) == 3 * 1 * 2
    covered = np.zeros((5, 4, 3), dtype=int)
    for region in regions:
        covered[region] += 1
    assert (covered == 1).all()


@pytest.mark.parametrize("layout", ["16", "8x32x16+skipempty", "shard32-16"])
def test_recompress_copies_the_values_exactly_into_the_new_codec_and_layout(layout):
    if parse_layout(layout).sharded and NEWEST != 3:
        pytest.skip("sharding needs zarr-python 3")
    data = np.random.default_rng(2).standard_normal((40, 48, 56)).astype(np.float32)
    data[:16] = 0
    source, destination = MemoryStore(), MemoryStore()
    source.write(data, codec="blosc-lz4-5-shuffle", chunks="24", zarr_format=NEWEST)
    recompress(source, destination, codec="zstd-3", layout=layout, zarr_format=NEWEST)
    assert same_bits(destination.read(), data)


@pytest.mark.parametrize("layout", ["32", "shard128-32"])
def test_recompressing_a_portal_shaped_tomogram_stays_under_half_its_size(tmp_path, layout):
    """The portal's 184x630x630 in 256³ chunks, at half scale: a source chunk is 23% of the volume, and a
    whole destination shard 16%, so holding a shard while a source chunk is decoded would pass the bound."""
    if parse_layout(layout).sharded and NEWEST != 3:
        pytest.skip("sharding needs zarr-python 3")
    data = np.random.default_rng(0).standard_normal((92, 315, 315), dtype=np.float32)
    source = DirectoryStore(tmp_path / "source.zarr")
    source.write(data, codec="blosc-lz4-5-shuffle", chunks="128", zarr_format=2)
    destination = DirectoryStore(tmp_path / "destination.zarr")

    with Runtime(threads=1).applied():
        peak = traced_peak_bytes(
            lambda: recompress(source, destination, codec="zstd-1", layout=layout, zarr_format=NEWEST)
        )

    assert 0 < peak < data.nbytes / 2
    assert same_bits(destination.read(), data)
