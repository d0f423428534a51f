"""The ``zarrs`` engine: zarr-python 3 with chunks encoded, decoded and stored by the Rust ``zarrs`` crate.

zarr-python creates and opens the array exactly as the ``zarr-python`` engine does; ``codec_pipeline.path =
"zarrs.ZarrsCodecPipeline"`` hands every chunk to zarrs.  ``codec_pipeline.strict`` is on, so an array zarrs
cannot handle raises instead of silently falling back to zarr-python's own pipeline (which would time the
wrong engine).  Local directory stores only (zarrs does not take zarr-python's in-memory store).

Concurrency, all from ``runtime.threads`` (n): :meth:`Runtime.applied
<cryoet_zarr_bench.runtime.Runtime.applied>` sets ``threading.max_workers`` (zarrs' Rust thread count) and
``async.concurrency``; ``codec_pipeline.chunk_concurrent_minimum`` and ``chunk_concurrent_maximum`` are both
n, so zarrs works on n chunks at a time, one thread each — the same chunk-parallel model as zarr-python 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .. import _compat
from ..codecs import CodecSpec, parse_codec
from ..runtime import Runtime
from ..stores import DirectoryStore
from . import require_support, unsupported_codec

NAME = "zarrs"
PIPELINE = "zarrs.ZarrsCodecPipeline"
#: Codecs zarrs reads and writes, by Zarr format (numcodecs ids for format 2, codec names for format 3).
CODECS = {2: frozenset({"blosc", "zstd", "gzip", "zlib", "bz2"}), 3: frozenset({"blosc", "zstd", "gzip"})}


def available() -> str | None:
    if _compat.ZARR_MAJOR < 3:
        return f"the zarrs codec pipeline needs zarr-python 3, not {_compat.library_versions()['zarr']}"
    try:
        import zarrs  # noqa: F401
    except ImportError as error:
        return f"zarrs is not installed ({error}); pip install 'cryoet-zarr-bench[engines]'"
    return None


def formats() -> tuple[int, ...]:
    return tuple(CODECS)


def unsupported(codec: CodecSpec | str, zarr_format: int) -> str | None:
    return unsupported_codec(NAME, CODECS, codec, zarr_format)


@contextmanager
def _configured(runtime: Runtime) -> Iterator[dict[str, Any]]:
    import zarr
    import zarr.registry

    knobs = {
        "codec_pipeline.path": PIPELINE,
        "codec_pipeline.strict": True,
        "codec_pipeline.chunk_concurrent_minimum": runtime.threads,
        "codec_pipeline.chunk_concurrent_maximum": runtime.threads,
    }
    with runtime.applied(), zarr.config.set(knobs):
        pipeline = (
            zarr.registry.get_pipeline_class()
        )  # the class zarr-python builds every array's pipeline from
        yield {
            "engine": NAME,
            **runtime.settings(),
            "codec_pipeline": f"{pipeline.__module__}.{pipeline.__qualname__}",
            "zarrs_strict": zarr.config.get("codec_pipeline.strict"),
            "zarrs_num_threads": zarr.config.get("threading.max_workers"),
            "zarrs_chunk_concurrent_minimum": zarr.config.get("codec_pipeline.chunk_concurrent_minimum"),
            "zarrs_chunk_concurrent_maximum": zarr.config.get("codec_pipeline.chunk_concurrent_maximum"),
        }


def settings(runtime: Runtime) -> dict[str, Any]:
    with _configured(runtime) as given:
        return given


def write(
    path: str | Path,
    data: np.ndarray,
    *,
    codec: CodecSpec | str,
    chunks: tuple[int, ...],
    zarr_format: int,
    runtime: Runtime,
) -> dict[str, Any]:
    codec = parse_codec(codec)
    require_support(unsupported(codec, zarr_format))
    with _configured(runtime) as given:
        DirectoryStore(path).write(data, codec=codec, chunks=chunks, zarr_format=zarr_format)
    return given


def read(path: str | Path, runtime: Runtime) -> np.ndarray:
    with _configured(runtime):
        return DirectoryStore(path).read()
