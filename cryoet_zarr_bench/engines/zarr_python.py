"""The ``zarr-python`` engine: the installed zarr-python (2.18 or 3.x) with its own codec pipeline.

This is the project's existing path (:class:`~cryoet_zarr_bench.stores.DirectoryStore` over ``_compat``),
under :meth:`Runtime.applied <cryoet_zarr_bench.runtime.Runtime.applied>`: Blosc's threads and, on zarr 3,
``async.concurrency`` and ``threading.max_workers`` all get ``runtime.threads``.
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
from . import require_support

NAME = "zarr-python"


def available() -> str | None:
    return None


def formats() -> tuple[int, ...]:
    return _compat.SUPPORTED_FORMATS


def unsupported(codec: CodecSpec | str, zarr_format: int) -> str | None:
    if zarr_format not in formats():
        return f"zarr-python {_compat.library_versions()['zarr']} cannot write Zarr format {zarr_format}"
    return None


@contextmanager
def _configured(runtime: Runtime) -> Iterator[dict[str, Any]]:
    with runtime.applied():
        yield {"engine": NAME, **runtime.settings()}


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
