import json
import os
import time

import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import (
    DirectoryStore,
    MemoryStore,
    NoSpaceError,
    decode_chunks,
    format_chunks,
    parse_chunks,
)

from support import finished_process_id, mounted_tmpfs

FORMATS = [
    2,
    pytest.param(
        3, marks=pytest.mark.skipif(3 not in _compat.SUPPORTED_FORMATS, reason="zarr 2 cannot write format 3")
    ),
]
# One configuration per codec family, Blosc compressor and Blosc shuffle.
CODECS = [
    "none",
    "blosc-blosclz-5-shuffle",
    "blosc-lz4-1-noshuffle",
    "blosc-lz4hc-9-bitshuffle",
    "blosc-zlib-5-shuffle",
    "blosc-zstd-5-bitshuffle",
    "zstd-1",
    "zstd-22",
    "gzip-9",
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    smooth = np.cumsum(rng.standard_normal((40, 48, 56)), axis=2)
    return (smooth * 1e-5).astype(np.float32)


@pytest.fixture(params=["directory", "memory"])
def store(request, tmp_path):
    return DirectoryStore(tmp_path / "array.zarr") if request.param == "directory" else MemoryStore()


@pytest.mark.parametrize("zarr_format", FORMATS)
@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_family_round_trips_exactly(store, data, codec, zarr_format):
    store.write(data, codec=codec, chunks=(16, 16, 16), zarr_format=zarr_format)
    assert same_bits(store.read(), data)
    decoded = decode_chunks(
        store.chunk_payloads(), codec=codec, shape=data.shape, chunks=(16, 16, 16), dtype=data.dtype
    )
    assert same_bits(decoded, data)


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_an_array_created_in_place_and_written_whole_holds_what_write_stores(store, data, zarr_format):
    """What the asv suite times (``create(...)[...] = data``, zarr's public API) stores the same chunks as
    ``write`` (staged, all or nothing), and replaces what the store held."""
    store.write(data[:8], codec="zstd-5", chunks=(8, 8, 8), zarr_format=zarr_format)
    array = store.create(
        shape=data.shape, dtype=data.dtype, codec="zstd-5", chunks="16", zarr_format=zarr_format
    )
    assert store.stored_objects() == 0  # the old array is gone; only the new metadata is there
    array[...] = data
    assert same_bits(store.read(), data)
    staged = MemoryStore()
    staged.write(data, codec="zstd-5", chunks=(16, 16, 16), zarr_format=zarr_format)
    assert store.chunk_payloads() == staged.chunk_payloads()


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_uncompressed_store_holds_raw_bytes_plus_metadata(store, zarr_format):
    data = np.arange(32 * 32 * 32, dtype=np.float32).reshape(32, 32, 32)
    store.write(data, codec="none", chunks=(16, 16, 16), zarr_format=zarr_format)
    stored = store.stored_bytes()
    assert stored.chunks == data.nbytes
    assert 100 < stored.metadata < 2000
    assert stored.total == data.nbytes + stored.metadata
    assert len(store.chunk_payloads()) == 8


@pytest.mark.parametrize("zarr_format", FORMATS)
@pytest.mark.parametrize("codec", CODECS)
def test_memory_and_directory_stores_hold_the_same_chunks(tmp_path, data, codec, zarr_format):
    """Chunk bytes are the codec's output, so both stores count the same; only metadata documents may differ
    (zarr 2's ``.zarray`` does, between its memory and directory stores)."""
    directory, memory = DirectoryStore(tmp_path / "a.zarr"), MemoryStore()
    with Runtime(1).applied():  # threaded Blosc orders its blocks nondeterministically
        for store in (directory, memory):
            store.write(data, codec=codec, chunks=(16, 16, 16), zarr_format=zarr_format)
    assert _without_gzip_mtime(directory.chunk_payloads()) == _without_gzip_mtime(memory.chunk_payloads())
    assert directory.stored_bytes().chunks == memory.stored_bytes().chunks


def _without_gzip_mtime(payloads):
    """Chunks with a gzip header's modification time (bytes 4-7, the second it was written) zeroed."""
    return {
        index: payload[:4] + bytes(4) + payload[8:] if payload[:2] == b"\x1f\x8b" else payload
        for index, payload in payloads.items()
    }


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_compressed_bytes_are_the_sum_of_the_chunk_objects(tmp_path, data, zarr_format):
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(data, codec="blosc-zstd-5-shuffle", chunks=(16, 16, 16), zarr_format=zarr_format)
    payloads = store.chunk_payloads()
    assert len(payloads) == 3 * 3 * 4  # edge chunks included
    assert store.stored_bytes().chunks == sum(len(p) for p in payloads.values()) < data.nbytes
    memory = MemoryStore()
    memory.write(data, codec="blosc-zstd-5-shuffle", chunks=(16, 16, 16), zarr_format=zarr_format)
    assert memory.stored_bytes().chunks == store.stored_bytes().chunks


def test_format_2_metadata_names_the_compressor(tmp_path, data):
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(data, codec="blosc-lz4-5-shuffle", chunks=(16, 16, 16), zarr_format=2)
    zarray = json.loads((tmp_path / "a.zarr" / ".zarray").read_text())
    assert zarray["zarr_format"] == 2
    assert zarray["compressor"]["id"] == "blosc"
    assert (
        zarray["compressor"]["cname"],
        zarray["compressor"]["clevel"],
        zarray["compressor"]["shuffle"],
    ) == ("lz4", 5, 1)
    assert zarray["chunks"] == [16, 16, 16]


@pytest.mark.skipif(3 not in _compat.SUPPORTED_FORMATS, reason="zarr 2 cannot write format 3")
def test_format_3_metadata_names_the_codec(tmp_path, data):
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(data, codec="zstd-7", chunks=(16, 16, 16), zarr_format=3)
    meta = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    assert [c["name"] for c in meta["codecs"]] == ["bytes", "zstd"]
    assert meta["codecs"][1]["configuration"]["level"] == 7


@pytest.mark.skipif(3 in _compat.SUPPORTED_FORMATS, reason="this zarr writes format 3")
def test_format_3_on_zarr_2_is_a_clear_not_implemented(tmp_path, data):
    store = DirectoryStore(tmp_path / "a.zarr")
    with pytest.raises(
        _compat.UnsupportedFormatError, match="cannot write Zarr format 3; it supports format"
    ):
        store.write(data, codec="none", chunks=(16, 16, 16), zarr_format=3)
    assert list(tmp_path.iterdir()) == []


def _big(data):
    """2.6 MB of float32: more than the 1 MB disks below hold, in a few dozen 16³ chunks."""
    return np.tile(data, (1, 3, 3))[:, :128, :128].copy()


@pytest.mark.parametrize("zarr_format", _compat.SUPPORTED_FORMATS)
def test_a_full_disk_leaves_no_store_and_no_chunk_written_afterwards(tmp_path, data, zarr_format):
    with mounted_tmpfs(tmp_path / "disk", megabytes=1) as disk:
        store = DirectoryStore(disk / "a.zarr")
        with pytest.raises(
            NoSpaceError,
            match=rf"^not enough space in {disk} to write a 3 MB volume \(No space left on device\); free",
        ):
            store.write(_big(data), codec="none", chunks=(16, 16, 16), zarr_format=zarr_format)
        time.sleep(0.3)  # a chunk write still pending would land now
        assert list(disk.rglob("*")) == []


def test_a_failed_rewrite_keeps_the_previous_store(tmp_path, data):
    with mounted_tmpfs(tmp_path / "disk", megabytes=1) as disk:
        store = DirectoryStore(disk / "a.zarr")
        store.write(data[:8], codec="zstd-3", chunks=(16, 16, 16), zarr_format=2)
        with pytest.raises(NoSpaceError):
            store.write(
                _big(data), codec="none", chunks=(8, 8, 8), zarr_format=max(_compat.SUPPORTED_FORMATS)
            )
        assert same_bits(store.read(), data[:8])
        assert [p.name for p in disk.iterdir()] == ["a.zarr"]


def test_staging_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path, data):
    orphan = tmp_path / f".a.zarr.partial-pid{finished_process_id()}-0123456789ab"
    (orphan / "c").mkdir(parents=True)
    live = tmp_path / f".a.zarr.partial-pid{os.getpid()}-0123456789ab"
    live.mkdir()
    other = tmp_path / f".b.zarr.partial-pid{finished_process_id()}-0123456789ab"
    other.mkdir()
    DirectoryStore(tmp_path / "a.zarr").write(data, codec="none", chunks=(16, 16, 16), zarr_format=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.zarr", live.name, other.name])


def test_a_rewrite_replaces_the_store_and_leaves_nothing_beside_it(tmp_path, data):
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(data, codec="zstd-3", chunks=(16, 16, 16), zarr_format=2)
    store.write(data[:8], codec="none", chunks=(8, 8, 8), zarr_format=2)
    assert same_bits(store.read(), data[:8])
    assert [p.name for p in tmp_path.iterdir()] == ["a.zarr"]
    store.clear()
    assert not store.exists()


def test_a_failed_memory_write_keeps_the_previous_array(data, monkeypatch):
    store = MemoryStore()
    store.write(data, codec="zstd-3", chunks=(16, 16, 16), zarr_format=2)
    real_write_region = _compat.write_region

    def write_then_fail(array, region, value):
        real_write_region(array, region, value)
        raise OSError("No space left on device")

    monkeypatch.setattr(_compat, "write_region", write_then_fail)
    with pytest.raises(OSError):
        store.write(data * 2, codec="none", chunks=(16, 16, 16), zarr_format=2)
    assert same_bits(store.read(), data)


def test_reading_an_empty_store_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Zarr array at .*write one first"):
        DirectoryStore(tmp_path / "missing.zarr").read()
    with pytest.raises(LookupError, match="memory store is empty"):
        MemoryStore().read()


def test_chunk_shapes_have_one_string_form():
    assert format_chunks(parse_chunks("64")) == "64x64x64"
    assert parse_chunks("64") == (64, 64, 64)
    assert parse_chunks("32x128X128") == (32, 128, 128)
    for bad in ("0", "64x64", "big", "1x2x3x4"):
        with pytest.raises(ValueError, match="is not a chunk shape"):
            parse_chunks(bad)


def test_same_bits_compares_views_of_any_layout(data):
    transposed, strided = data.T, data[:, ::2, ::3]
    assert not transposed.flags.c_contiguous and not strided.flags.c_contiguous
    assert same_bits(transposed, np.ascontiguousarray(transposed))
    assert same_bits(strided, strided.copy())
    changed = strided.copy()
    changed[0, 0, 0] = np.nextafter(changed[0, 0, 0], np.float32(1))
    assert not same_bits(strided, changed)
    assert not same_bits(np.float32(-0.0) * np.ones(3, np.float32)[::2], np.zeros(2, np.float32))
