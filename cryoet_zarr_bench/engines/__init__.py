"""Engines: the libraries that write and read a Zarr array, compared on the same stores.

Every engine is a module exposing the same functions, so a benchmark or a test swaps one for another by name:

``available() -> str | None``
    None when the engine can run here, otherwise why not (e.g. the package is not installed).
``formats() -> tuple[int, ...]``
    The Zarr formats it writes and reads.
``unsupported(codec, zarr_format) -> str | None``
    None when it can write ``codec`` in ``zarr_format``, otherwise why not.
``settings(runtime) -> dict``
    The concurrency settings it is given for a :class:`~cryoet_zarr_bench.runtime.Runtime`, read back from
    the library (``engine`` and ``threads`` included).
``write(path, data, *, codec, chunks, zarr_format, runtime) -> dict``
    Write ``data`` as one array in the local directory ``path``, all or nothing; returns the concurrency
    settings the engine held while writing.
``read(path, runtime) -> numpy.ndarray``
    The whole array at ``path``, whichever engine wrote it.

Engines (each optional but the first; install the rest with ``pip install 'cryoet-zarr-bench[engines]'``):

* ``zarr-python`` — the installed zarr-python (2.18 or 3.x), through :mod:`cryoet_zarr_bench.stores`;
* ``tensorstore`` — Google's C++ library, its ``zarr`` (format 2) and ``zarr3`` drivers;
* ``zarrs`` — zarr-python 3 running its chunks through the Rust ``zarrs`` codec pipeline.

Codecs are translated only by :class:`~cryoet_zarr_bench.codecs.CodecSpec` (its numcodecs configuration for
format 2, its Zarr 3 codec for format 3), so every engine writes the same metadata for the same codec name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from types import ModuleType

from ..codecs import CodecSpec, parse_codec
from ..errors import UserError

__all__ = [
    "ENGINE_NAMES",
    "EngineUnavailable",
    "UnsupportedByEngine",
    "get_engine",
    "missing_package",
    "require_support",
    "supported_codec",
    "unsupported_codec",
]

#: Engine names, as benchmarks and the command line spell them, and the module implementing each.
_MODULES = {"zarr-python": "zarr_python", "tensorstore": "tensorstore", "zarrs": "zarrs"}
ENGINE_NAMES: tuple[str, ...] = tuple(_MODULES)


class EngineUnavailable(UserError, NotImplementedError):
    """The engine cannot run in this environment (asv records a skip, with this reason)."""


class UnsupportedByEngine(UserError, NotImplementedError):
    """The engine cannot write this codec or Zarr format (asv records a skip, with this reason)."""


def get_engine(name: str) -> ModuleType:
    """The engine module called ``name``; raises :class:`EngineUnavailable` if it cannot run here."""
    if name not in _MODULES:
        raise ValueError(f"unknown engine {name!r}; valid engines: {', '.join(ENGINE_NAMES)}")
    engine = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    reason = engine.available()
    if reason is not None:
        raise EngineUnavailable(f"engine {name}: {reason}")
    return engine


def require_support(reason: str | None) -> None:
    """Raise :class:`UnsupportedByEngine` with ``reason`` (an engine's ``unsupported`` answer), if any."""
    if reason is not None:
        raise UnsupportedByEngine(reason)


def supported_codec(
    unsupported: Callable[[CodecSpec, int], str | None], codec: CodecSpec | str, zarr_format: int
) -> CodecSpec:
    """``codec`` parsed, once the engine's ``unsupported`` has no reason against it in ``zarr_format``
    (otherwise :class:`UnsupportedByEngine` with that reason)."""
    spec = parse_codec(codec)
    require_support(unsupported(spec, zarr_format))
    return spec


def missing_package(package: str) -> str | None:
    """None when the optional ``package`` an engine runs on imports here, otherwise why not and how to
    install it (an engine's ``available`` answer)."""
    try:
        importlib.import_module(package)
    except ImportError as error:
        return f"{package} is not installed ({error}); pip install 'cryoet-zarr-bench[engines]'"
    return None


def unsupported_codec(
    engine: str, codecs: Mapping[int, Collection[str]], codec: CodecSpec | str, zarr_format: int
) -> str | None:
    """Why ``engine`` cannot write ``codec`` in ``zarr_format``, or None if it can.

    ``codecs`` maps each Zarr format the engine writes to the codec names it knows there: numcodecs ids
    (``compressor.id``) for format 2, Zarr 3 codec names for format 3.
    """
    if zarr_format not in codecs:
        return f"{engine} does not write Zarr format {zarr_format}"
    spec = parse_codec(codec)
    entry = spec.numcodecs_config() if zarr_format == 2 else spec.zarr_v3_codec()
    if entry is None:
        return None
    name = entry["id"] if zarr_format == 2 else entry["name"]
    if name not in codecs[zarr_format]:
        return f"{engine} has no {name!r} codec for Zarr format {zarr_format} (needed by {spec})"
    return None
