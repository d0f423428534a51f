import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import numcodecs
import numcodecs.abc
import numcodecs.blosc
import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.codecs import CodecSpec
from cryoet_zarr_bench.codecs.compressors import Zstd
from cryoet_zarr_bench.runtime import THREADS_ENV, Runtime, available_cores, parse_threads
from cryoet_zarr_bench.stores import DirectoryStore


def test_parse_threads():
    assert parse_threads("3") == 3
    assert parse_threads(2) == 2
    assert parse_threads("all") == available_cores() >= 1
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(ValueError, match="threads"):
            parse_threads(bad)


def test_from_env_names_the_variable():
    assert Runtime.from_env({}) == Runtime(1)
    assert Runtime.from_env({THREADS_ENV: "2"}) == Runtime(2)
    with pytest.raises(ValueError, match=THREADS_ENV):
        Runtime.from_env({THREADS_ENV: "lots"})


@pytest.mark.parametrize("threads", [1, 2])
def test_applied_sets_every_knob_and_restores_it(threads):
    before = _compat.concurrency_settings()
    with Runtime(threads).applied() as runtime:
        settings = runtime.settings()
        assert settings["threads"] == threads
        assert settings["blosc_nthreads"] == threads
        if _compat.ZARR_MAJOR >= 3:
            assert settings["zarr_async_concurrency"] == threads
            assert settings["zarr_max_workers"] == threads
            assert settings["blosc_use_threads"] is False  # zarr 3's choice: its pool is the parallelism
        else:
            assert settings["blosc_use_threads"] is (threads > 1)
    assert _compat.concurrency_settings() == before


# --- The threads a benchmark's reads and writes really use -------------------------------------------------
#
# A numcodecs codec (zstd underneath) records, for every chunk it encodes or decodes, the thread it runs on
# and the Blosc thread count in force. It is written and read through the project's own stores, so what is
# observed is zarr's codec pipeline under a Runtime, as every benchmark runs it.


class ThreadRecorder(numcodecs.abc.Codec):
    codec_id = "cryoet_zarr_bench_test_thread_recorder"
    calls: ClassVar[list[tuple[str, int, int]]] = []  # (encode|decode, thread id, Blosc threads)

    def __init__(self, level=1):
        self.level = level
        self._zstd = numcodecs.Zstd(level=level)

    def _record(self, what):
        ThreadRecorder.calls.append((what, threading.get_ident(), numcodecs.blosc.get_nthreads()))
        time.sleep(0.002)  # long enough for a pool with several workers to use them

    def encode(self, buf):
        self._record("encode")
        return self._zstd.encode(buf)

    def decode(self, buf, out=None):
        self._record("decode")
        return self._zstd.decode(buf, out)


numcodecs.register_codec(ThreadRecorder)

if _compat.ZARR_MAJOR >= 3:
    try:  # zarr >= 3.1.3 wraps numcodecs codecs itself; earlier releases through numcodecs.zarr3
        from zarr.codecs.numcodecs._codecs import _NumcodecsBytesBytesCodec
    except ImportError:
        from numcodecs.zarr3 import _NumcodecsBytesBytesCodec
    import zarr.registry

    class ThreadRecorderV3(_NumcodecsBytesBytesCodec):
        """The recorder as a Zarr format 3 codec, run the way zarr 3 runs every numcodecs codec."""

        codec_name = f"numcodecs.{ThreadRecorder.codec_id}"

    zarr.registry.register_codec(f"numcodecs.{ThreadRecorder.codec_id}", ThreadRecorderV3)


@dataclass(frozen=True)
class ThreadRecordingZstd(Zstd):
    """A compressor stage the stores accept, naming the recorder instead of zstd."""

    def numcodecs_config(self, dtype):
        return {"id": ThreadRecorder.codec_id, "level": self.level}

    def zarr_v3_codec(self, dtype):
        return {"name": f"numcodecs.{ThreadRecorder.codec_id}", "configuration": {"level": self.level}}


def _calls_of(operation):
    ThreadRecorder.calls.clear()
    operation()
    return list(ThreadRecorder.calls)


@pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3 specification")
@pytest.mark.parametrize("zarr_format", _compat.SUPPORTED_FORMATS)
def test_one_thread_encodes_and_decodes_every_chunk_on_one_thread(tmp_path, zarr_format):
    """On zarr 3 (formats 2 and 3) and, where zarr 2.18 is installed, on zarr 2.18 (format 2)."""
    data = np.random.default_rng(1).standard_normal((64, 64, 64)).astype(np.float32)
    chunk_count = 4**3
    store = DirectoryStore(tmp_path / "a.zarr")
    codec = CodecSpec(ThreadRecordingZstd(level=1))
    with Runtime(1).applied():
        written = _calls_of(
            lambda: store.write(data, codec=codec, chunks=(16, 16, 16), zarr_format=zarr_format)
        )
        read = _calls_of(lambda: np.testing.assert_array_equal(store.read(), data))
    assert [what for what, _, _ in written] == ["encode"] * chunk_count
    assert [what for what, _, _ in read] == ["decode"] * chunk_count
    for calls in (written, read):
        assert len({thread for _, thread, _ in calls}) == 1
        assert {blosc for _, _, blosc in calls} == {1}


@pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3 specification")
@pytest.mark.skipif(_compat.ZARR_MAJOR < 3, reason="zarr 2.18 encodes chunk by chunk on the calling thread")
@pytest.mark.parametrize("zarr_format", _compat.SUPPORTED_FORMATS)
def test_more_threads_let_zarr_3_use_several(tmp_path, zarr_format):
    """The recorder sees parallelism where there is some, so the one-thread test above can fail."""
    data = np.zeros((64, 64, 64), np.float32)
    store = DirectoryStore(tmp_path / "a.zarr")
    codec = CodecSpec(ThreadRecordingZstd(level=1))
    with Runtime(4).applied():
        written = _calls_of(
            lambda: store.write(data, codec=codec, chunks=(16, 16, 16), zarr_format=zarr_format)
        )
        read = _calls_of(store.read)
    assert 1 < len({thread for _, thread, _ in written}) <= 4
    assert 1 < len({thread for _, thread, _ in read}) <= 4
