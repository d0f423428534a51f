import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.layouts import Layout, LayoutSpecError, parse_layout
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.stores import MemoryStore

zarr3_only = pytest.mark.skipif(_compat.ZARR_MAJOR == 2, reason="sharding needs zarr-python 3")


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("64", Layout((64, 64, 64)), "64x64x64"),
        ("32x128X128", Layout((32, 128, 128)), "32x128x128"),
        ("shard256-64", Layout((64, 64, 64), (256, 256, 256)), "shard256x256x256-64x64x64"),
        ("shard128x256x256-32x64x64", Layout((32, 64, 64), (128, 256, 256)), "shard128x256x256-32x64x64"),
        ("64+skipempty", Layout((64, 64, 64), write_empty_chunks=False), "64x64x64+skipempty"),
        (
            "shard128-32+skipempty",
            Layout((32,) * 3, (128,) * 3, False),
            "shard128x128x128-32x32x32+skipempty",
        ),
    ],
)
def test_layout_names_round_trip(text, expected, canonical):
    layout = parse_layout(text)
    assert layout == expected
    assert str(layout) == canonical
    assert parse_layout(str(layout)) == layout
    assert parse_layout((64, 64, 64)) == Layout((64, 64, 64))


@pytest.mark.parametrize("bad", ["", "0", "64x64", "shard256", "shard100-64", "shard-64", "64+zip", "a"])
def test_bad_layout_names_say_what_is_valid(bad):
    with pytest.raises(LayoutSpecError, match="valid layouts"):
        parse_layout(bad)


def test_objects_touched_counts_chunks_or_shards_a_region_crosses():
    shape = (100, 128, 128)
    slab = (slice(50, 51), slice(None), slice(None))
    assert parse_layout("64").objects_touched(slab, shape) == 4
    assert parse_layout("32x128x128").objects_touched(slab, shape) == 1
    assert parse_layout("shard64-16").objects_touched(slab, shape) == 4
    assert parse_layout("shard64-16").chunks_touched(slab, shape) == 64
    assert parse_layout("16").objects_touched((slice(10, 40), slice(0, 16), slice(120, 128)), shape) == 3


@zarr3_only
@pytest.mark.parametrize("layout", ["shard32-16", "shard32x16x32-16", "shard32-16+skipempty"])
def test_sharded_layouts_store_one_object_per_shard_and_round_trip(layout):
    data = np.random.default_rng(3).standard_normal((40, 48, 64)).astype(np.float32)
    store = MemoryStore()
    store.write(data, codec="blosc-lz4-5-shuffle", chunks=layout)
    assert same_bits(store.read(), data)
    assert store.stored_objects() == {"shard32-16": 2 * 2 * 2, "shard32x16x32-16": 2 * 3 * 2}.get(
        layout.removesuffix("+skipempty"), 8
    )


@pytest.mark.parametrize("layout", ["16", "shard32-16"])
def test_skipempty_leaves_chunks_of_zeros_unstored(layout):
    if parse_layout(layout).sharded and _compat.ZARR_MAJOR == 2:
        pytest.skip("sharding needs zarr-python 3")
    data = np.zeros((64, 64, 64), dtype=np.uint8)
    data[3, 40, 50] = 7  # in chunk (0, 2, 3), shard (0, 1, 1)
    kept, skipped = MemoryStore(), MemoryStore()
    newest = _compat.SUPPORTED_FORMATS[-1]
    kept.write(data, codec="zstd-3", chunks=layout, zarr_format=newest)
    skipped.write(data, codec="zstd-3", chunks=layout + "+skipempty", zarr_format=newest)
    assert kept.stored_objects() == (64 if layout == "16" else 8)
    assert skipped.stored_objects() == 1
    assert same_bits(skipped.read(), data)


@pytest.mark.parametrize("zarr_format", _compat.SUPPORTED_FORMATS)
def test_sharding_where_it_cannot_be_written_is_a_clear_skip(zarr_format):
    if zarr_format == 3:
        pytest.skip("format 3 on zarr 3 can shard")
    with pytest.raises(_compat.UnsupportedLayoutError, match="sharding needs Zarr format 3") as caught:
        MemoryStore().write(np.zeros((8, 8, 8), np.float32), codec="none", chunks="shard8-4", zarr_format=2)
    assert isinstance(caught.value, NotImplementedError)
