"""The one place that knows zarr-python 2.18 from 3.x.

Everything else in the project creates, opens and inspects arrays through these functions.  A store is given
as a local directory path (``str``/``Path``), an fsspec URL, or a ``dict`` that holds the store's objects in
memory (key -> bytes in zarr 2, key -> zarr Buffer in zarr 3; :func:`object_bytes` reads either).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import numcodecs
import numcodecs.blosc
import numpy as np
import zarr

from .codecs import CodecSpec

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
]

ZARR_MAJOR = int(zarr.__version__.split(".")[0])
#: Zarr formats the installed zarr-python can write.
SUPPORTED_FORMATS: tuple[int, ...] = (2,) if ZARR_MAJOR == 2 else (2, 3)

StoreLike = str | Path | MutableMapping


class UnsupportedFormatError(NotImplementedError):
    """The installed zarr-python cannot write the requested Zarr format."""


class UnsupportedLayoutError(NotImplementedError):
    """The installed zarr-python, or the requested Zarr format, cannot store the requested layout."""


class UnsupportedReaderError(NotImplementedError):
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
    """Create an empty array whose chunks are compressed with ``codec``.

    ``shards`` groups the chunks into Zarr format 3 shards (one stored object per shard); with
    ``write_empty_chunks`` False, a chunk holding only the fill value (0) is not stored.  ``storage_options``
    go to fsspec when ``store`` is a URL such as ``s3://bucket/array.zarr``.
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
    config = codec.numcodecs_config()
    compressor = None if config is None else numcodecs.get_codec(dict(config))
    url_options = {} if storage_options is None else {"storage_options": storage_options}
    if ZARR_MAJOR == 2:
        return zarr.open_array(
            store,
            mode="w",
            shape=shape,
            chunks=chunks,
            dtype=dtype,
            compressor=compressor,
            filters=None,
            fill_value=0,
            write_empty_chunks=write_empty_chunks,
            **url_options,
        )
    if zarr_format == 3:
        v3_codec = codec.zarr_v3_codec()
        compressors: Any = None if v3_codec is None else [v3_codec]
    else:
        compressors = compressor
    return zarr.create_array(
        _store_arg(store),
        shape=shape,
        chunks=chunks,
        shards=shards,
        dtype=dtype,
        compressors=compressors,
        filters=None,
        fill_value=0,
        zarr_format=zarr_format,
        overwrite=True,
        config={"write_empty_chunks": write_empty_chunks},
        **url_options,
    )


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
        raise UnsupportedReaderError("obstore is not installed; pip install obstore") from None
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
    from zarr.core import sync

    if sync._executor is not None:
        sync._executor.shutdown(wait=True)
        sync._executor = None
    # Always make the new pool now: zarr's event loop keeps the old one as its default executor until then.
    sync._get_executor()
