"""Engines side by side: every store one engine writes, every other engine reads back exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.engines import (
    ENGINE_NAMES,
    EngineUnavailable,
    UnsupportedByEngine,
    get_engine,
    unsupported_codec,
)
from cryoet_zarr_bench.engines.interop import compare_chunks
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import DirectoryStore, decode_chunks

from support import require

#: One configuration per codec family.
CODECS = ["none", "blosc-lz4-5-shuffle", "blosc-zstd-5-bitshuffle", "zstd-5", "gzip-5"]
CHUNKS = (16, 16, 16)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(12)
    smooth = np.cumsum(rng.standard_normal((32, 32, 32)), axis=2)
    return (smooth * 1e-5).astype(np.float32)


def engine(name):
    """The engine called ``name``; skips when it is missing (fails under CRYOET_ZARR_BENCH_REQUIRE_ALL=1)."""
    try:
        return get_engine(name)
    except EngineUnavailable as error:
        require(False, str(error))


def writable(name, codec, zarr_format):
    """The engine, if it can write ``codec`` in ``zarr_format``; skips (never fails) where it cannot."""
    module = engine(name)
    reason = module.unsupported(codec, zarr_format)
    if reason is not None:
        pytest.skip(reason)
    return module


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("writer", ENGINE_NAMES)
def test_every_engine_reads_what_each_engine_wrote(tmp_path, data, writer, codec, zarr_format):
    path = tmp_path / "array.zarr"
    writable(writer, codec, zarr_format).write(
        path, data, codec=codec, chunks=CHUNKS, zarr_format=zarr_format, runtime=Runtime(1)
    )
    for reader in ENGINE_NAMES:
        if zarr_format not in engine(reader).formats():  # zarr-python 2.18 cannot open format 3
            continue
        if reader == "tensorstore" and zstd_entry_with_checksum(path):  # what zarr-python 2.18 writes
            with pytest.raises(ValueError, match='extra members: "checksum"'):
                engine(reader).read(path, Runtime(1))
            continue
        assert same_bits(engine(reader).read(path, Runtime(1)), data), f"{reader} reading {writer}'s store"
    # The chunks are the codec's standard stream: numcodecs alone, bypassing every engine, decodes them.
    decoded = decode_chunks(
        DirectoryStore(path).chunk_payloads(), codec=codec, shape=data.shape, chunks=CHUNKS, dtype=data.dtype
    )
    assert same_bits(decoded, data)


def zstd_entry_with_checksum(path):
    """Whether a format 2 array's zstd compressor entry names ``checksum`` (numcodecs' full configuration,
    which zarr-python 2.18 writes; zarr-python 3 writes only the id and level)."""
    zarray = path / ".zarray"
    compressor = json.loads(zarray.read_text())["compressor"] if zarray.is_file() else None
    return compressor is not None and compressor["id"] == "zstd" and "checksum" in compressor


def test_tensorstore_refuses_a_zstd_entry_naming_checksum(tmp_path, data):
    """tensorstore's zarr driver rejects members it does not know in a compressor entry; zarr-python 2.18
    writes zstd's ``checksum`` (false) into ``.zarray``, so tensorstore cannot open those arrays."""
    path = tmp_path / "a.zarr"
    engine("tensorstore").write(path, data, codec="zstd-5", chunks=CHUNKS, zarr_format=2, runtime=Runtime(1))
    metadata = json.loads((path / ".zarray").read_text())
    metadata["compressor"]["checksum"] = False
    (path / ".zarray").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match='extra members: "checksum"'):
        engine("tensorstore").read(path, Runtime(1))
    for reader in ("zarr-python", "zarrs"):
        if 2 in engine(reader).formats():
            assert same_bits(engine(reader).read(path, Runtime(1)), data), reader


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("codec", CODECS)
def test_chunk_bytes_across_engines(tmp_path, data, codec, zarr_format):
    stores = {}
    for name in ENGINE_NAMES:
        stores[name] = tmp_path / f"{name}.zarr"
        writable(name, codec, zarr_format).write(
            stores[name], data, codec=codec, chunks=CHUNKS, zarr_format=zarr_format, runtime=Runtime(1)
        )
    compared = compare_chunks(stores, reference="zarr-python")
    assert {c.chunks for c in compared.values()} == {8}  # every chunk written, by every engine
    if codec == "gzip-5":
        # numcodecs stamps the write time into the gzip header; tensorstore and zarrs write mtime 0.
        assert compared["tensorstore"].identical == compared["zarrs"].identical == 0
        assert compared["tensorstore"].chunk_bytes != compared["zarr-python"].chunk_bytes
    else:
        # Same Blosc, same Zstandard, no header of their own: the same bytes from every engine.
        assert all(c.all_identical for c in compared.values()), compared
        assert len({c.chunk_bytes for c in compared.values()}) == 1


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_blosc_noshuffle_chunks_differ_at_most_in_the_typesize_byte(tmp_path, data, zarr_format):
    """Where an engine is not told the element size it writes typesize 1 into the Blosc header (byte 3);
    without a shuffle the compressed bytes are the same."""
    payloads = {}
    for name in ENGINE_NAMES:
        path = tmp_path / f"{name}.zarr"
        writable(name, "blosc-lz4-5-noshuffle", zarr_format).write(
            path,
            data,
            codec="blosc-lz4-5-noshuffle",
            chunks=CHUNKS,
            zarr_format=zarr_format,
            runtime=Runtime(1),
        )
        payloads[name] = DirectoryStore(path).chunk_payloads()
    reference = payloads["zarr-python"]
    for name, chunks in payloads.items():
        assert chunks.keys() == reference.keys()
        for index, payload in chunks.items():
            expected = reference[index]
            assert payload[3] in (1, data.itemsize), name
            assert payload[:3] + payload[4:] == expected[:3] + expected[4:], name


def given_while_writing(module, path, data, zarr_format, threads):
    """The settings ``module`` says it held while writing ``data`` at ``threads``: the same as it reports for
    that runtime outside a write."""
    given = module.write(
        path,
        data,
        codec="blosc-lz4-5-shuffle",
        chunks=CHUNKS,
        zarr_format=zarr_format,
        runtime=Runtime(threads),
    )
    assert given == module.settings(Runtime(threads))
    return given


@pytest.mark.parametrize("threads", [1, 2])
def test_zarr_python_is_given_the_runtimes_threads(tmp_path, data, threads):
    before = _compat.concurrency_settings()
    given = given_while_writing(engine("zarr-python"), tmp_path / "a.zarr", data, 2, threads)
    assert given["engine"] == "zarr-python"
    assert given["threads"] == given["blosc_nthreads"] == threads
    if _compat.ZARR_MAJOR >= 3:
        assert given["zarr_async_concurrency"] == given["zarr_max_workers"] == threads
    assert _compat.concurrency_settings() == before  # given for the call only


@pytest.mark.parametrize("threads", [1, 2])
def test_tensorstore_is_given_the_runtimes_threads(tmp_path, data, threads):
    given = given_while_writing(engine("tensorstore"), tmp_path / "a.zarr", data, 3, threads)
    assert given == {
        "engine": "tensorstore",
        "threads": threads,
        "data_copy_concurrency": threads,
        "file_io_concurrency": threads,
        "file_io_sync": False,
    }


@pytest.mark.parametrize("threads", [1, 2])
def test_zarrs_is_given_the_runtimes_threads_and_runs_the_zarrs_pipeline(tmp_path, data, threads):
    zarrs = engine("zarrs")
    import zarr

    pipeline_before = zarr.config.get("codec_pipeline.path")
    given = given_while_writing(zarrs, tmp_path / "a.zarr", data, 3, threads)
    assert given["engine"] == "zarrs"
    assert given["codec_pipeline"] == "zarrs.ZarrsCodecPipeline"
    assert given["zarrs_strict"] is True  # never a silent fallback to zarr-python's pipeline
    assert given["threads"] == given["zarrs_num_threads"] == threads
    assert given["zarrs_chunk_concurrent_minimum"] == given["zarrs_chunk_concurrent_maximum"] == threads
    assert given["zarr_async_concurrency"] == threads
    assert zarr.config.get("codec_pipeline.path") == pipeline_before  # given for the call only


def test_a_failed_write_leaves_the_previous_store(tmp_path, data):
    tensorstore = engine("tensorstore")
    path = tmp_path / "a.zarr"
    tensorstore.write(path, data, codec="zstd-5", chunks=CHUNKS, zarr_format=3, runtime=Runtime(1))
    with pytest.raises(ValueError):
        tensorstore.write(
            path, data[..., :0], codec="zstd-5", chunks=(0, 0, 0), zarr_format=3, runtime=Runtime(1)
        )
    assert same_bits(tensorstore.read(path, Runtime(1)), data)
    assert [p.name for p in tmp_path.iterdir()] == ["a.zarr"]  # no staging directory left behind


def test_unsupported_configurations_are_named():
    assert unsupported_codec("x", {2: {"blosc"}}, "blosc-lz4-5-shuffle", 2) is None
    assert unsupported_codec("x", {2: {"blosc"}}, "none", 2) is None
    assert unsupported_codec("x", {2: {"blosc"}}, "zstd-5", 2) == (
        "x has no 'zstd' codec for Zarr format 2 (needed by zstd-5)"
    )
    assert unsupported_codec("x", {2: {"blosc"}}, "none", 3) == "x does not write Zarr format 3"
    assert issubclass(UnsupportedByEngine, NotImplementedError)  # asv records a skip
    assert issubclass(EngineUnavailable, NotImplementedError)


@pytest.mark.skipif(3 in _compat.SUPPORTED_FORMATS, reason="this zarr-python writes format 3")
def test_zarr_python_2_refuses_format_3(tmp_path, data):
    with pytest.raises(UnsupportedByEngine, match="cannot write Zarr format 3"):
        engine("zarr-python").write(
            tmp_path / "a.zarr", data, codec="none", chunks=CHUNKS, zarr_format=3, runtime=Runtime(1)
        )


def test_unknown_engine_names_the_valid_ones():
    with pytest.raises(
        ValueError, match="unknown engine 'h5py'; valid engines: zarr-python, tensorstore, zarrs"
    ):
        get_engine("h5py")
