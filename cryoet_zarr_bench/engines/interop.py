"""Stores written by different engines, compared chunk by chunk.

Engines that write the same codec configuration need not write the same bytes: an encoder may map a level to
its own settings, or stamp a header differently.  :func:`compare_chunks` says, per engine, how many chunks and
chunk bytes it wrote and how many of its chunks are byte-identical to a reference engine's.

Seen so far (zarr-python 3.1.6 / numcodecs 0.16.6, tensorstore 0.1.86, zarrs 0.2.3, one thread, float32):

* identical from all three engines: uncompressed chunks, standalone Zstandard (levels 1-22), and Blosc with
  ``shuffle`` or ``bitshuffle`` for the blosclz, lz4, lz4hc and zstd compressors;
* Blosc ``noshuffle``: the same compressed bytes, but the header's typesize byte is 1 instead of 4 where the
  engine is not told the element size: zarrs in format 2, tensorstore in format 3 (zarr-python adds
  ``typesize: 4`` to the Zarr 3 blosc codec; the codec name's own translation carries none);
* Blosc ``zlib`` and standalone gzip: tensorstore's deflate gives streams of other lengths than the zlib
  numcodecs uses at the same level, and so does zarrs' gzip (its Blosc-zlib matches numcodecs'); gzip headers
  differ as well (numcodecs stamps the write time into ``mtime``, tensorstore and zarrs write 0; tensorstore
  marks the OS as Unix).

Every engine reads every other engine's stores, with one exception: tensorstore 0.1.86 refuses a format 2
``.zarray`` whose zstd compressor entry names ``checksum``, which zarr-python 2.18 writes (numcodecs' full
configuration); zarr-python 3 writes only the id and level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..stores import DirectoryStore

__all__ = ["EngineChunks", "compare_chunks"]


@dataclass(frozen=True)
class EngineChunks:
    """What one engine wrote for one array, next to the reference engine's store of the same array."""

    engine: str
    chunks: int
    chunk_bytes: int
    #: Chunks whose bytes equal the reference engine's chunk at the same grid index.
    identical: int

    @property
    def all_identical(self) -> bool:
        return self.identical == self.chunks


def compare_chunks(stores: Mapping[str, str | Path], reference: str) -> dict[str, EngineChunks]:
    """Compare the chunk objects of one array as written by several engines (engine name -> store directory)
    with the ``reference`` engine's, chunk by chunk."""
    if reference not in stores:
        raise ValueError(f"reference engine {reference!r} is not among the stores ({', '.join(stores)})")
    payloads = {engine: DirectoryStore(path).chunk_payloads() for engine, path in stores.items()}
    expected = payloads[reference]
    return {
        engine: EngineChunks(
            engine=engine,
            chunks=len(chunks),
            chunk_bytes=sum(map(len, chunks.values())),
            identical=sum(expected.get(index) == payload for index, payload in chunks.items()),
        )
        for engine, chunks in payloads.items()
    }
