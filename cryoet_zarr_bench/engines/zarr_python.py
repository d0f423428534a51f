"""The ``zarr-python`` engine: the installed zarr-python (2.18 or 3.x) with its own codec pipeline.

This is the project's existing path (:class:`~cryoet_zarr_bench.stores.DirectoryStore` over ``_compat``),
under :meth:`Runtime.applied <cryoet_zarr_bench.runtime.Runtime.applied>`: Blosc's threads and, on zarr 3,
``async.concurrency`` and ``threading.max_workers`` all get ``runtime.threads``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import _compat
from ..codecs import CodecSpec
from ..runtime import Runtime
from ..stores import DirectoryStore
from . import supported_codec

NAME = "zarr-python"


def available() -> str | None:
    return None


def formats() -> tuple[int, ...]:
    return _compat.SUPPORTED_FORMATS


def unsupported(codec: CodecSpec | str, zarr_format: int) -> str | None:
    if zarr_format not in formats():
        return f"zarr-python {_compat.library_versions()['zarr']} cannot write Zarr format {zarr_format}"
    return None


@dataclass(frozen=True)
class ThroughZarrPython:
    """An engine whose arrays zarr-python creates, writes and opens (a
    :class:`~cryoet_zarr_bench.stores.DirectoryStore`), inside the engine's own configuration.

    ``configured(runtime)`` is a context manager that sets the engine's knobs for one call, restores them
    after, and yields the settings it gave (read back from the library); ``unsupported`` is the engine's
    ``unsupported(codec, zarr_format)``.  Its methods are the engine interface's ``settings``, ``write`` and
    ``read``: a write creates the array and writes it whole, a read opens it and reads it whole, as for every
    engine.
    """

    configured: Callable[[Runtime], AbstractContextManager[dict[str, Any]]]
    unsupported: Callable[[CodecSpec, int], str | None]

    def settings(self, runtime: Runtime) -> dict[str, Any]:
        with self.configured(runtime) as given:
            return given

    def write(
        self,
        path: str | Path,
        data: np.ndarray,
        *,
        codec: CodecSpec | str,
        chunks: tuple[int, ...],
        zarr_format: int,
        runtime: Runtime,
    ) -> dict[str, Any]:
        codec = supported_codec(self.unsupported, codec, zarr_format)
        with self.configured(runtime) as given:
            array = DirectoryStore(path).create(
                shape=data.shape, dtype=data.dtype, codec=codec, chunks=chunks, zarr_format=zarr_format
            )
            array[...] = data  # zarr's public write path, as every engine's own
        return given

    def read(self, path: str | Path, runtime: Runtime) -> np.ndarray:
        with self.configured(runtime):
            return DirectoryStore(path).read()


@contextmanager
def _configured(runtime: Runtime) -> Iterator[dict[str, Any]]:
    with runtime.applied():
        yield {"engine": NAME, **runtime.settings()}


_ENGINE = ThroughZarrPython(_configured, unsupported)
settings = _ENGINE.settings
write = _ENGINE.write
read = _ENGINE.read
