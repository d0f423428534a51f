"""The ``zarrs`` engine: zarr-python 3 with chunks encoded, decoded and stored by the Rust ``zarrs`` crate.

zarr-python creates and opens the array exactly as the ``zarr-python`` engine does (both are a
:class:`~cryoet_zarr_bench.engines.zarr_python.ThroughZarrPython`); ``codec_pipeline.path =
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
from typing import Any

from .. import _compat
from ..codecs import CodecSpec
from ..runtime import Runtime
from . import missing_package, unsupported_codec
from .zarr_python import ThroughZarrPython

NAME = "zarrs"
PIPELINE = "zarrs.ZarrsCodecPipeline"
#: Codecs zarrs reads and writes, by Zarr format (numcodecs ids for format 2, codec names for format 3).
CODECS = {2: frozenset({"blosc", "zstd", "gzip", "zlib", "bz2"}), 3: frozenset({"blosc", "zstd", "gzip"})}


def available() -> str | None:
    if _compat.ZARR_MAJOR < 3:
        return f"the zarrs codec pipeline needs zarr-python 3, not {_compat.library_versions()['zarr']}"
    return missing_package("zarrs")


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


_ENGINE = ThroughZarrPython(_configured, unsupported)
settings = _ENGINE.settings
write = _ENGINE.write
read = _ENGINE.read
