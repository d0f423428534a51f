"""Write a volume to a Zarr store with a codec, read it back, and count what the store holds.

Two kinds of store share one interface: :class:`DirectoryStore` (a local directory; the default) and
:class:`MemoryStore` (a ``dict``; no disk in the measurement).  A write never leaves a half-written store:
it goes to a fresh location and replaces the old store only once every chunk is written.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
from numcodecs.compat import ensure_ndarray

from . import _compat
from ._atomic import replace_directory
from ._orphans import owner_tag, remove_orphans
from .codecs import CodecSpec, parse_codec
from .errors import UserError
from .layouts import Layout, format_chunks, parse_chunks, parse_layout

__all__ = [
    "DirectoryStore",
    "MemoryStore",
    "NoSpaceError",
    "StoredBytes",
    "ZarrStore",
    "decode_chunks",
    "format_chunks",
    "parse_chunks",
]

#: Object names that hold metadata rather than chunk data, in either Zarr format.
METADATA_NAMES = frozenset({".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"})
_CHUNK_KEY = re.compile(r"^(?:c/)?(\d+(?:[./]\d+)*)$")


class NoSpaceError(UserError, OSError):
    """A store could not be written for lack of disk space; nothing of it was left behind."""


@dataclass(frozen=True)
class StoredBytes:
    """Bytes a store holds, split into chunk data and metadata documents."""

    chunks: int
    metadata: int

    @property
    def total(self) -> int:
        return self.chunks + self.metadata


class ZarrStore(ABC):
    """A place one array is written to and read from."""

    def write(
        self,
        data: np.ndarray,
        *,
        codec: CodecSpec | str,
        chunks: Layout | str | tuple[int, ...],
        zarr_format: int = 3,
    ) -> None:
        """Write ``data`` as a single array, replacing whatever the store held, all or nothing.

        ``chunks`` is a chunk shape or a whole :class:`~cryoet_zarr_bench.layouts.Layout` (or its name, such
        as ``shard256-64``).
        """
        everything = tuple(slice(0, n) for n in data.shape)
        self.write_blocks(
            [(everything, data)],
            shape=data.shape,
            dtype=data.dtype,
            codec=codec,
            chunks=chunks,
            zarr_format=zarr_format,
        )

    def write_blocks(
        self,
        blocks: Iterable[tuple[tuple[slice, ...], np.ndarray]],
        *,
        shape: tuple[int, ...],
        dtype: np.dtype,
        codec: CodecSpec | str,
        chunks: Layout | str | tuple[int, ...],
        zarr_format: int = 3,
    ) -> None:
        """Write an array of ``shape`` one ``(region, values)`` block at a time, all or nothing.

        Only one block need be in memory at a time (``blocks`` may be a generator); blocks aligned with the
        stored objects (chunks, or shards) write each object once.
        """
        codec = parse_codec(codec)
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        with self.staged(nbytes=nbytes) as staging:
            array = self._create_at(staging, shape, dtype, codec, chunks, zarr_format)
            for region, values in blocks:
                codec.check_values(values)
                _compat.write_region(array, region, values)
                del values  # before the next block is read, so that only one is held

    def create(
        self,
        *,
        shape: tuple[int, ...],
        dtype: np.dtype,
        codec: CodecSpec | str,
        chunks: Layout | str | tuple[int, ...],
        zarr_format: int = 3,
    ) -> Any:
        """An empty array at the store's own location, replacing what it held: the installed zarr's array.

        Writing into it (``array[...] = data``) is zarr's public write path and nothing else, which is what
        the asv suite times; :meth:`write` adds all-or-nothing staging and stops every chunk write on an error
        or an interrupt (through zarr-python internals), which the command line needs and a timing must not
        measure.
        """
        return self._create_at(self._fresh_location(), shape, dtype, parse_codec(codec), chunks, zarr_format)

    def _create_at(self, location: Any, shape, dtype, codec: CodecSpec, chunks, zarr_format: int) -> Any:
        layout = parse_layout(chunks)
        return _compat.create_array(
            location,
            shape=tuple(shape),
            chunks=layout.chunks,
            shards=layout.shards,
            write_empty_chunks=layout.write_empty_chunks,
            dtype=np.dtype(dtype),
            codec=codec,
            zarr_format=zarr_format,
            storage_options=self._storage_options(writing=True),
        )

    @contextmanager
    def staged(self, nbytes: int | None = None) -> Iterator[Any]:
        """A fresh location to write a whole array into (by any library): it replaces the store's array when
        the ``with`` block ends, or is discarded if the block raises.  ``nbytes``, the array's size, only
        serves the message should the disk fill up."""
        staging = self._new_staging()
        try:
            yield staging
            self._commit(staging)
        except BaseException as error:
            self._discard(staging)
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                where = staging.parent if isinstance(staging, Path) else "memory"
                what = "the array" if nbytes is None else f"a {nbytes / 1e6:.0f} MB volume"
                raise NoSpaceError(
                    f"not enough space in {where} to write {what} ({error.strerror}); "
                    "free some space, or write elsewhere (quick: set TMPDIR, or pass --memory)"
                ) from None
            raise

    def open(self) -> Any:
        """The stored array, opened read-only (nothing is read but its metadata)."""
        return _compat.open_array(self._location(), self._storage_options())

    def read(self) -> np.ndarray:
        """The whole array, as a numpy array."""
        return np.asarray(self.open()[...])

    def stored_objects(self) -> int:
        """How many data objects (chunks, or shards if sharded) the store holds; metadata not counted."""
        return sum(1 for key, _ in self._object_sizes() if key.rsplit("/", 1)[-1] not in METADATA_NAMES)

    def stored_bytes(self) -> StoredBytes:
        """Bytes the store holds now, counted object by object."""
        chunks = metadata = 0
        for key, size in self._object_sizes():
            if key.rsplit("/", 1)[-1] in METADATA_NAMES:
                metadata += size
            else:
                chunks += size
        return StoredBytes(chunks=chunks, metadata=metadata)

    def chunk_payloads(self) -> dict[tuple[int, ...], bytes]:
        """The encoded bytes of every chunk, keyed by chunk grid index."""
        payloads = {}
        for key, _ in self._object_sizes():
            match = _CHUNK_KEY.match(key)
            if match:
                index = tuple(int(i) for i in re.split(r"[./]", match.group(1)))
                payloads[index] = self._read_object(key)
        return payloads

    def _storage_options(self, *, writing: bool = False) -> dict[str, Any] | None:
        """fsspec options (for writing or for reading) of a store given by URL; None for local and
        in-memory stores."""
        return None

    @abstractmethod
    def exists(self) -> bool:
        """Whether an array has been written here."""

    @abstractmethod
    def clear(self) -> None:
        """Remove the array, if any."""

    @abstractmethod
    def _location(self) -> Any: ...

    @abstractmethod
    def _fresh_location(self) -> Any:
        """The store's own location, emptied, for an array written in place."""

    @abstractmethod
    def _new_staging(self) -> Any: ...

    @abstractmethod
    def _commit(self, staging: Any) -> None: ...

    @abstractmethod
    def _discard(self, staging: Any) -> None: ...

    @abstractmethod
    def _object_sizes(self) -> Iterator[tuple[str, int]]:
        """(key, size in bytes) of every object, keys relative to the array with ``/`` separators."""

    @abstractmethod
    def _read_object(self, key: str) -> bytes: ...


class DirectoryStore(ZarrStore):
    """An array in a local directory."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DirectoryStore({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_dir()

    def clear(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _location(self) -> Path:
        if not self.exists():
            raise FileNotFoundError(f"no Zarr array at {self.path}; write one first")
        return self.path

    def _fresh_location(self) -> Path:
        self.clear()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path

    def _new_staging(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.path.parent, f".{self.path.name}.")
        return self.path.with_name(f".{self.path.name}.partial-{owner_tag()}{uuid.uuid4().hex[:12]}")

    def _commit(self, staging: Path) -> None:
        replace_directory(staging, self.path)

    def _discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def _object_sizes(self) -> Iterator[tuple[str, int]]:
        for file in sorted(self._location().rglob("*")):
            if file.is_file():
                yield file.relative_to(self.path).as_posix(), file.stat().st_size

    def _read_object(self, key: str) -> bytes:
        return (self.path / key).read_bytes()


class MemoryStore(ZarrStore):
    """An array held in a ``dict``: what is measured is the codec and zarr, not the disk."""

    def __init__(self) -> None:
        self._objects: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return "MemoryStore()"

    def exists(self) -> bool:
        return self._objects is not None

    def clear(self) -> None:
        self._objects = None

    def _location(self) -> dict[str, Any]:
        if self._objects is None:
            raise LookupError("the memory store is empty; write an array first")
        return self._objects

    def _fresh_location(self) -> dict[str, Any]:
        self._objects = {}
        return self._objects

    def _new_staging(self) -> dict[str, Any]:
        return {}

    def _commit(self, staging: dict[str, Any]) -> None:
        self._objects = staging

    def _discard(self, staging: dict[str, Any]) -> None:
        staging.clear()

    def _object_sizes(self) -> Iterator[tuple[str, int]]:
        for key, value in sorted(self._location().items()):
            yield key, len(value)

    def _read_object(self, key: str) -> bytes:
        return _compat.object_bytes(self._location()[key])


def decode_chunks(
    payloads: Mapping[tuple[int, ...], bytes],
    *,
    codec: CodecSpec | str,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    dtype: np.dtype,
) -> np.ndarray:
    """Rebuild an array from its encoded chunks with numcodecs alone, bypassing zarr.

    This is the floor under :meth:`ZarrStore.read`: the same chunk bytes, the same codecs, no zarr.  Each
    chunk is decompressed, then run back through the pipeline's filters in reverse order (both Zarr formats
    store the same bytes for the pipelines :mod:`.codecs` names).
    """
    spec = parse_codec(codec)
    spec.require()
    filter_configs, compressor_config = spec.zarr_v2(dtype)
    decoder = None if compressor_config is None else numcodecs.get_codec(dict(compressor_config))
    filters = [numcodecs.get_codec(dict(config)) for config in reversed(filter_configs)]
    dtype = np.dtype(dtype)
    grid = tuple(-(-n // c) for n, c in zip(shape, chunks))
    if len(payloads) != np.prod(grid):
        raise ValueError(f"expected {np.prod(grid)} chunks for a {grid} chunk grid, got {len(payloads)}")
    out = np.empty(shape, dtype=dtype)
    for index, payload in payloads.items():
        raw = payload if decoder is None else decoder.decode(payload)
        for stage in filters:
            raw = stage.decode(raw)
        chunk = ensure_ndarray(raw).view(dtype).reshape(chunks)
        region = tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, chunks, shape))
        out[region] = chunk[tuple(slice(0, r.stop - r.start) for r in region)]
    return out
