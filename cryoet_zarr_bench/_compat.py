"""The one place that knows zarr-python 2.18 from 3.x.

Everything else in the project creates, opens and inspects arrays through these functions.  A store is given
as a local directory path (``str``/``Path``), an fsspec URL, or a ``dict`` that holds the store's objects in
memory (key -> bytes in zarr 2, key -> zarr Buffer in zarr 3; :func:`object_bytes` reads either).
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import MutableMapping
from concurrent.futures import wait
from pathlib import Path
from typing import Any

import numcodecs
import numcodecs.blosc
import numpy as np
import zarr

from .codecs import CodecCannotExpress, CodecSpec
from .errors import UserError

__all__ = [
    "SUPPORTED_FORMATS",
    "ZARR_MAJOR",
    "UnsupportedFormatError",
    "UnsupportedLayoutError",
    "UnsupportedReaderError",
    "concurrency_settings",
    "create_array",
    "library_versions",
    "object_bytes",
    "open_array",
    "open_array_with_obstore",
    "restore_concurrency",
    "set_concurrency",
    "write_region",
]

ZARR_MAJOR = int(zarr.__version__.split(".")[0])
#: Zarr formats the installed zarr-python can write.
SUPPORTED_FORMATS: tuple[int, ...] = (2,) if ZARR_MAJOR == 2 else (2, 3)

StoreLike = str | Path | MutableMapping

# zarr 3 warns, each time it builds a numcodecs codec (every write and read of a filter, pcodec or ZFP
# pipeline), that other Zarr implementations may not read it; the codec study uses them knowingly.
warnings.filterwarnings("ignore", message="Numcodecs codecs are not in the Zarr version 3 specification")


class UnsupportedFormatError(UserError, NotImplementedError):
    """The installed zarr-python cannot write the requested Zarr format."""


class UnsupportedLayoutError(UserError, NotImplementedError):
    """The installed zarr-python, or the requested Zarr format, cannot store the requested layout."""


class UnsupportedReaderError(UserError, NotImplementedError):
    """The installed packages cannot read a store the requested way."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose releases this project compares."""
    return {"zarr": zarr.__version__, "numcodecs": numcodecs.__version__, "numpy": np.__version__}


def _store_arg(store: StoreLike) -> Any:
    if isinstance(store, Path):
        return str(store)
    if isinstance(store, MutableMapping) and ZARR_MAJOR >= 3:
        return zarr.storage.MemoryStore(store_dict=store)
    return store


def create_array(
    store: StoreLike,
    *,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    dtype: np.dtype,
    codec: CodecSpec,
    zarr_format: int,
    shards: tuple[int, ...] | None = None,
    write_empty_chunks: bool = True,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """Create an empty array whose chunks go through the pipeline ``codec``.

    ``shards`` groups the chunks into Zarr format 3 shards (one stored object per shard); with
    ``write_empty_chunks`` False, a chunk holding only the fill value (0) is not stored.  ``storage_options``
    go to fsspec when ``store`` is a URL such as ``s3://bucket/array.zarr``.

    Raises :class:`~.codecs.CodecUnavailable` if a codec's package is missing,
    :class:`~.codecs.CodecCannotExpress` if this zarr-python cannot store the pipeline and
    :class:`UnsupportedLayoutError` for shards it cannot write (all ``NotImplementedError``, which asv records
    as a skip).
    """
    if zarr_format not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(
            f"zarr-python {zarr.__version__} cannot write Zarr format {zarr_format}; "
            f"it supports format(s) {', '.join(map(str, SUPPORTED_FORMATS))}"
        )
    if shards is not None and (ZARR_MAJOR == 2 or zarr_format != 3):
        raise UnsupportedLayoutError(
            f"sharding needs Zarr format 3 written by zarr-python 3; this is format {zarr_format} "
            f"with zarr-python {zarr.__version__}"
        )
    codec.require()
    broken = _release_cannot_store(codec, zarr_format)
    if broken:
        raise CodecCannotExpress(f"{codec} in Zarr format {zarr_format}: {broken}")
    filter_configs, compressor_config = codec.zarr_v2(dtype)
    filters = [numcodecs.get_codec(dict(config)) for config in filter_configs] or None
    compressor = None if compressor_config is None else numcodecs.get_codec(dict(compressor_config))
    url_options = {} if storage_options is None else {"storage_options": storage_options}
    if ZARR_MAJOR == 2:
        return zarr.open_array(
            store,
            mode="w",
            shape=shape,
            chunks=chunks,
            dtype=dtype,
            compressor=compressor,
            filters=filters,
            fill_value=0,
            write_empty_chunks=write_empty_chunks,
            **url_options,
        )
    if zarr_format == 3:
        v3 = codec.zarr_v3(dtype)
        _require_v3_codecs(codec, [*v3["filters"], v3["serializer"], *v3["compressors"]])
        codecs: dict[str, Any] = {
            "filters": v3["filters"] or None,
            "serializer": v3["serializer"] or "auto",
            "compressors": v3["compressors"] or None,
        }
    else:
        codecs = {"filters": filters, "compressors": compressor}
    return zarr.create_array(
        _store_arg(store),
        shape=shape,
        chunks=chunks,
        shards=shards,
        dtype=dtype,
        fill_value=0,
        zarr_format=zarr_format,
        overwrite=True,
        config={"write_empty_chunks": write_empty_chunks},
        **codecs,
        **url_options,
    )


def write_region(array: Any, region: Any, data: np.ndarray) -> None:
    """``array[region] = data``; if that fails or is interrupted,
    every chunk write has stopped when it returns.

    zarr 3 writes chunks as tasks on its event loop, each handing its file write to a thread pool. When one
    write fails (a full disk) or the caller is interrupted, the others carry on by default, and recreate files
    in a store the caller has already removed. Here the tasks are cancelled and awaited, and the thread pool
    is drained, before the error reaches the caller. zarr 2 writes chunk by chunk in the calling thread.
    """
    if ZARR_MAJOR == 2:
        array[region] = data
        return
    from zarr.core.sync import _get_executor, _get_loop

    executor = _get_executor()  # makes zarr's pool the loop's default one, which every chunk write uses
    loop = _get_loop()
    write = _StoppableWrite()
    try:
        asyncio.run_coroutine_threadsafe(write.run(array._async_array, region, data), loop).result()
    except BaseException:
        # One round trip through the loop later, the write has started if it was scheduled at all (an
        # interrupt may land anywhere, even inside run_coroutine_threadsafe).
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result()
        if write.started.is_set():
            loop.call_soon_threadsafe(write.cancel)
            write.stopped.wait()
        _drain(executor)
        raise


class _StoppableWrite:
    """One ``setitem`` on zarr 3's event loop that, on failure or cancellation, cancels and awaits the tasks
    it started before it ends."""

    def __init__(self) -> None:
        self.started, self.stopped = threading.Event(), threading.Event()
        self._task: asyncio.Task | None = None

    async def run(self, async_array: Any, region: Any, data: np.ndarray) -> None:
        self._task = asyncio.current_task()
        self.started.set()
        before = asyncio.all_tasks()
        try:
            await async_array.setitem(region, data)
        except BaseException:
            spawned = asyncio.all_tasks() - before
            for task in spawned:
                task.cancel()
            await asyncio.gather(*spawned, return_exceptions=True)
            raise
        finally:
            self.stopped.set()

    def cancel(self) -> None:
        """Cancel the write (call on the loop's thread); harmless once it has ended."""
        assert self._task is not None
        self._task.cancel()


def _drain(executor: Any) -> None:
    """Return once every job the thread pool had started has finished (queued ones were cancelled)."""
    workers = executor._max_workers
    all_idle = threading.Barrier(workers)
    wait([executor.submit(all_idle.wait) for _ in range(workers)])


def _release_cannot_store(codec: CodecSpec, zarr_format: int) -> str | None:
    """Why this zarr/numcodecs pair fails on ``codec`` (found running the release matrix), or None."""
    families = {stage.family for stage in codec.stages}
    zarr_release = _release(zarr.__version__)
    if ZARR_MAJOR < 3:
        return None
    old_numcodecs = _release(numcodecs.__version__) < (0, 16)
    if "pcodec" in families and old_numcodecs and (zarr_format == 2 or zarr_release < (3, 1)):
        return (
            f"numcodecs {numcodecs.__version__}'s PCodec.decode needs bytes and zarr {zarr.__version__} "
            "hands it an array (TypeError on read; fixed in numcodecs 0.16)"
        )
    if "zfp" in families and zarr_format == 3 and zarr_release < (3, 1):
        return f"zarr {zarr.__version__} hands numcodecs' ZFPY non-contiguous chunks (ValueError on write)"
    return None


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _require_v3_codecs(codec: CodecSpec, metadata: list[dict[str, Any] | None]) -> None:
    """Raise :class:`CodecCannotExpress` if this zarr-python has no Zarr format 3 codec for a stage."""
    from zarr.registry import get_codec_class

    for entry in metadata:
        if entry is None:
            continue
        try:
            get_codec_class(entry["name"])
        except KeyError:
            raise CodecCannotExpress(
                f"{codec}: zarr-python {zarr.__version__} has no Zarr format 3 codec {entry['name']!r} "
                "(zarr.codecs.numcodecs arrived in zarr 3.1.3; numcodecs 0.16's own integration needs it too)"
            ) from None


def open_array(store: StoreLike, storage_options: dict[str, Any] | None = None) -> Any:
    """Open an existing array read-only (a local path, an fsspec URL such as ``s3://...``, or a dict)."""
    if storage_options is None:
        return zarr.open_array(_store_arg(store), mode="r")
    if ZARR_MAJOR == 2:
        # zarr 2's FSStore reads any OSError (access denied, a dropped connection) as a missing chunk and
        # fills it with zeros; only a KeyError (the object does not exist) should mean that.
        storage_options = {**storage_options, "exceptions": (KeyError,)}
    return zarr.open_array(_store_arg(store), mode="r", storage_options=storage_options)


def open_array_with_obstore(bucket: str, prefix: str, *, endpoint: str, region: str) -> Any:
    """Open an array in S3 read-only through zarr 3's ``ObjectStore`` (obstore), anonymously, over HTTP."""
    if not hasattr(zarr.storage, "ObjectStore"):
        raise UnsupportedReaderError(f"zarr-python {zarr.__version__} has no ObjectStore")
    try:
        from obstore.store import S3Store
    except ImportError:
        raise UnsupportedReaderError(
            "obstore is not installed; pip install 'cryoet-zarr-bench[obstore]'"
        ) from None
    store = S3Store(
        bucket,
        prefix=prefix,
        endpoint=endpoint,
        region=region,
        skip_signature=True,
        client_options={"allow_http": True},
    )
    return zarr.open_array(zarr.storage.ObjectStore(store, read_only=True), mode="r")


def object_bytes(value: Any) -> bytes:
    """The bytes of one object held in an in-memory store."""
    return value if isinstance(value, bytes) else value.to_bytes()


def set_concurrency(threads: int) -> None:
    """Let a read or write use ``threads`` threads, through every knob the installed releases have.

    zarr 2.18 works chunk by chunk, so only Blosc's own threads can run in parallel there.  zarr 3 encodes and
    decodes ``async.concurrency`` chunks at a time on a pool of ``threading.max_workers`` threads, and turns
    Blosc's own threads off when it is imported (each chunk is then compressed on the pool thread that took
    it); the pool is made anew, since zarr sizes it once, when first used.
    """
    numcodecs.blosc.set_nthreads(threads)
    if ZARR_MAJOR == 2:
        numcodecs.blosc.use_threads = threads > 1
        return
    zarr.config.set({"async.concurrency": threads, "threading.max_workers": threads})
    _renew_zarr_thread_pool()


def concurrency_settings() -> dict[str, Any]:
    """What each concurrency knob holds now, by name (the zarr 3 ones only under zarr 3)."""
    settings: dict[str, Any] = {
        "blosc_nthreads": numcodecs.blosc.get_nthreads(),
        "blosc_use_threads": numcodecs.blosc.use_threads,
    }
    if ZARR_MAJOR >= 3:
        settings["zarr_async_concurrency"] = zarr.config.get("async.concurrency")
        settings["zarr_max_workers"] = zarr.config.get("threading.max_workers")
    return settings


def restore_concurrency(settings: dict[str, Any]) -> None:
    """Put back what :func:`concurrency_settings` returned."""
    numcodecs.blosc.set_nthreads(settings["blosc_nthreads"])
    numcodecs.blosc.use_threads = settings["blosc_use_threads"]
    if ZARR_MAJOR >= 3:
        zarr.config.set(
            {
                "async.concurrency": settings["zarr_async_concurrency"],
                "threading.max_workers": settings["zarr_max_workers"],
            }
        )
        _renew_zarr_thread_pool()


def _renew_zarr_thread_pool() -> None:
    """Give zarr a pool of the configured size, unless it has one (a benchmark's setup applies its runtime
    before every sample; a new pool would start its threads inside the timing)."""
    from zarr.core import sync

    wanted = zarr.config.get("threading.max_workers")
    if sync._executor is not None and wanted is not None and sync._executor._max_workers == wanted:
        return
    if sync._executor is not None:
        sync._executor.shutdown(wait=True)
        sync._executor = None
    sync._get_executor()  # also the event loop's default executor, which would otherwise stay shut down
