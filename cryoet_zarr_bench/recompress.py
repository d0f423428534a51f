"""Recompressing a full-size tomogram from one store into another in bounded memory.

A portal tomogram is several hundred MB (184 x 630 x 630 float32 is 292 MB); reading it whole and writing it
again holds it at least twice.  :func:`recompress` streams it instead: it reads one block, writes it, and
moves on, so its peak memory is that of one block and one source chunk, whatever the volume's size.

Each block is one destination chunk deep along z (the inner chunk, if the destination is sharded) and covers
whole destination objects (chunks, or shards) and whole source chunks along y and x.  So no destination chunk
is ever written in part, but a shard is written once per layer of its inner chunks: zarr-python reads the
shard's encoded chunks back and writes the shard again with the new layer, which costs time and saves the
memory of holding a whole shard.  zarr decodes a whole source chunk to read any part of it, so the peak is
one block plus one source chunk decoded and its encoded bytes, at one thread (zarr 3 decodes up to
``async.concurrency`` chunks at once, so set :class:`~cryoet_zarr_bench.runtime.Runtime` first).
"""

from __future__ import annotations

import itertools
import math
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .codecs import CodecSpec
from .layouts import Layout, parse_layout
from .stores import ZarrStore

__all__ = ["block_shape", "blocks", "recompress", "traced_peak_bytes"]


def block_shape(source_chunks: tuple[int, ...], layout: Layout) -> tuple[int, ...]:
    """One destination chunk deep (z) and, across (y, x), the smallest multiple of the destination's object
    shape (chunk, or shard) that covers a source chunk."""
    target = layout.object_shape
    across = tuple(math.ceil(s / t) * t for s, t in zip(source_chunks[1:], target[1:], strict=True))
    return (layout.chunks[0], *across)


def blocks(shape: tuple[int, ...], block: tuple[int, ...]) -> Iterator[tuple[slice, ...]]:
    """The regions of ``block`` shape (smaller at the far edges) that tile an array of ``shape``, C order."""
    starts = [range(0, n, b) for n, b in zip(shape, block, strict=True)]
    for corner in itertools.product(*starts):
        yield tuple(slice(c, min(c + b, n)) for c, b, n in zip(corner, block, shape, strict=True))


def recompress(
    source: ZarrStore,
    destination: ZarrStore,
    *,
    codec: CodecSpec | str,
    layout: Layout | str,
    zarr_format: int = 3,
) -> None:
    """Copy the array in ``source`` into ``destination`` with another codec and layout, block by block.

    Only zarr's public API (``destination[region] = source[region]``), so what a benchmark of this times is
    the installed zarr's own reads and writes; ``destination`` is emptied first and holds a partial copy
    should the copy fail.
    """
    layout = parse_layout(layout)
    array = source.open()
    shape = tuple(array.shape)
    block = block_shape(tuple(array.chunks), layout)
    copy = destination.create(
        shape=shape, dtype=array.dtype, codec=codec, chunks=layout, zarr_format=zarr_format
    )
    for region in blocks(shape, block):
        copy[region] = np.asarray(array[region])  # one block held at a time


def traced_peak_bytes(operation: Callable[[], Any]) -> int:
    """Peak bytes allocated through Python's allocators (numpy arrays included) while ``operation`` runs,
    over what was allocated when it started."""
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        operation()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already_tracing:
            tracemalloc.stop()
    return peak - baseline
