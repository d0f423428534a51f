"""The ``tensorstore`` engine: Google's C++ TensorStore, its ``zarr`` (format 2) and ``zarr3`` drivers.

It writes the metadata zarr-python would write for the same codec (the compressor is
:meth:`CodecSpec.numcodecs_config <cryoet_zarr_bench.codecs.CodecSpec.numcodecs_config>` in format 2 and
:meth:`CodecSpec.zarr_v3_codec <cryoet_zarr_bench.codecs.CodecSpec.zarr_v3_codec>` after the ``bytes`` codec
in format 3), every chunk included (``store_data_equal_to_fill_value``), so stores are comparable chunk for
chunk.  Files are not fsynced (``file_io_sync`` off), as zarr-python does not fsync either.  No cache pool:
every read decodes from the files.

Concurrency, from ``runtime.threads`` (n), in the context every array is opened with:
``data_copy_concurrency`` (threads that encode and decode chunks) and ``file_io_concurrency`` (concurrent
file operations) are both limited to n.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..codecs import CodecSpec
from ..runtime import Runtime
from ..stores import DirectoryStore
from . import missing_package, supported_codec, unsupported_codec

NAME = "tensorstore"
#: Codecs TensorStore reads and writes, by Zarr format (numcodecs ids for format 2, codec names for format 3).
CODECS = {2: frozenset({"blosc", "zstd", "gzip", "zlib", "bz2"}), 3: frozenset({"blosc", "zstd", "gzip"})}
_DRIVERS = {2: "zarr", 3: "zarr3"}
_CONCURRENCY_RESOURCES = ("data_copy_concurrency", "file_io_concurrency")


def available() -> str | None:
    return missing_package("tensorstore")


def formats() -> tuple[int, ...]:
    return tuple(CODECS)


def unsupported(codec: CodecSpec | str, zarr_format: int) -> str | None:
    return unsupported_codec(NAME, CODECS, codec, zarr_format)


def _context(runtime: Runtime) -> Any:
    import tensorstore as ts

    limits = {resource: {"limit": runtime.threads} for resource in _CONCURRENCY_RESOURCES}
    return ts.Context({**limits, "file_io_sync": False})


def _given(runtime: Runtime, context: Any) -> dict[str, Any]:
    """What a context holds, read back from TensorStore."""
    given = {resource: context[resource].to_json()["limit"] for resource in _CONCURRENCY_RESOURCES}
    return {
        "engine": NAME,
        "threads": runtime.threads,
        **given,
        "file_io_sync": context["file_io_sync"].to_json(),
    }


def settings(runtime: Runtime) -> dict[str, Any]:
    return _given(runtime, _context(runtime))


def _metadata(
    data: np.ndarray, codec: CodecSpec, chunks: tuple[int, ...], zarr_format: int
) -> dict[str, Any]:
    if zarr_format == 2:
        return {
            "shape": list(data.shape),
            "chunks": list(chunks),
            "dtype": data.dtype.str,
            "compressor": codec.numcodecs_config(),
            "filters": None,
            "fill_value": 0,
            "order": "C",
            "dimension_separator": ".",
        }
    compressor = codec.zarr_v3_codec()
    return {
        "shape": list(data.shape),
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default"},
        "data_type": data.dtype.name,
        "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]
        + ([] if compressor is None else [compressor]),
    }


def _spec(path: Path, zarr_format: int) -> dict[str, Any]:
    return {
        "driver": _DRIVERS[zarr_format],
        "kvstore": {"driver": "file", "path": str(Path(path).absolute())},
    }


def write(
    path: str | Path,
    data: np.ndarray,
    *,
    codec: CodecSpec | str,
    chunks: tuple[int, ...],
    zarr_format: int,
    runtime: Runtime,
) -> dict[str, Any]:
    import tensorstore as ts

    codec = supported_codec(unsupported, codec, zarr_format)
    context = _context(runtime)
    with DirectoryStore(path).staged() as staging:
        array = ts.open(
            {
                **_spec(staging, zarr_format),
                "metadata": _metadata(data, codec, tuple(chunks), zarr_format),
                "store_data_equal_to_fill_value": True,
            },
            create=True,
            context=context,
        ).result()
        array.write(data).result()
    return _given(runtime, context)


def read(path: str | Path, runtime: Runtime) -> np.ndarray:
    import tensorstore as ts

    path = Path(path)
    if (path / "zarr.json").is_file():
        zarr_format = 3
    elif (path / ".zarray").is_file():
        zarr_format = 2
    else:
        raise FileNotFoundError(f"no Zarr array at {path} (neither zarr.json nor .zarray); write one first")
    array = ts.open(_spec(path, zarr_format), open=True, read=True, context=_context(runtime)).result()
    return array.read().result()
