"""How an array is cut into stored objects: one short string form, parsed in one place (like codecs).

A :class:`Layout` names a chunk shape, an optional Zarr format 3 shard shape, and whether chunks that hold
nothing but the fill value are stored::

    64                          64³ chunks, one object each
    32x128x128                  chunks of 32 (z) x 128 (y) x 128 (x)
    shard256-64                 256³ shards (one object each) of 64³ inner chunks (Zarr format 3 only)
    shard256x256x256-64x64x64   the same, every edge spelled out
    64+skipempty                ``write_empty_chunks`` off: chunks equal to the fill value are not stored

``str(layout)`` spells every edge out (``64x64x64``, ``shard256x256x256-64x64x64+skipempty``), and
``parse_layout(str(layout)) == layout``.  Without ``+skipempty`` every chunk is stored, empty or not (the
default, and what the portal's tomograms, which have no empty chunks, amount to).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UserError

__all__ = ["Layout", "LayoutSpecError", "format_chunks", "parse_chunks", "parse_layout"]

SHARD_PREFIX = "shard"
SKIP_EMPTY_SUFFIX = "+skipempty"

_GRAMMAR = (
    "<chunks> | shard<shard>-<chunks>, optionally followed by +skipempty, where a shape is one edge (64) or "
    "three (32x128x128) and each shard edge is a multiple of the chunk edge; e.g. 64, 32x128x128, "
    "shard256-64, 64+skipempty"
)


class LayoutSpecError(UserError, ValueError):
    """A layout string that does not describe a valid layout."""


def parse_chunks(text: str) -> tuple[int, int, int]:
    """A chunk shape from its string form: ``"64"`` -> (64, 64, 64), ``"32x128x128"`` -> (32, 128, 128)."""
    try:
        edges = tuple(int(n) for n in str(text).lower().split("x"))
    except ValueError:
        edges = ()
    if len(edges) == 1:
        edges *= 3
    if len(edges) != 3 or min(edges) < 1:
        raise LayoutSpecError(f"{text!r} is not a chunk shape: give one edge (64) or three (32x128x128)")
    return edges  # type: ignore[return-value]


def format_chunks(chunks: tuple[int, ...]) -> str:
    """The string form :func:`parse_chunks` reads: ``"64x64x64"``."""
    return "x".join(map(str, chunks))


@dataclass(frozen=True)
class Layout:
    """Chunk shape, optional shard shape and the ``write_empty_chunks`` choice; build one with
    :func:`parse_layout`."""

    chunks: tuple[int, int, int]
    shards: tuple[int, int, int] | None = None
    write_empty_chunks: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunks", parse_chunks(format_chunks(self.chunks)))
        if self.shards is not None:
            object.__setattr__(self, "shards", parse_chunks(format_chunks(self.shards)))
            if any(s % c for s, c in zip(self.shards, self.chunks)):
                raise LayoutSpecError(
                    f"shard shape {format_chunks(self.shards)} is not a whole number of "
                    f"{format_chunks(self.chunks)} chunks along every axis"
                )

    def __str__(self) -> str:
        text = format_chunks(self.chunks)
        if self.shards is not None:
            text = f"{SHARD_PREFIX}{format_chunks(self.shards)}-{text}"
        return text if self.write_empty_chunks else text + SKIP_EMPTY_SUFFIX

    @property
    def sharded(self) -> bool:
        return self.shards is not None

    @property
    def object_shape(self) -> tuple[int, int, int]:
        """The shape of the block each stored object holds: the shard if sharded, else the chunk."""
        return self.shards if self.shards is not None else self.chunks

    def objects_touched(self, region: tuple[slice, ...], shape: tuple[int, ...]) -> int:
        """How many stored objects (shards, or chunks if unsharded) the region of an array touches."""
        return _blocks_touched(region, shape, self.object_shape)

    def chunks_touched(self, region: tuple[slice, ...], shape: tuple[int, ...]) -> int:
        """How many chunks (the inner chunks, if sharded) the region of an array touches."""
        return _blocks_touched(region, shape, self.chunks)


def _blocks_touched(region: tuple[slice, ...], shape: tuple[int, ...], block: tuple[int, ...]) -> int:
    count = 1
    for selection, size, edge in zip(region, shape, block, strict=True):
        start, stop, _ = selection.indices(size)
        count *= 0 if stop <= start else (stop - 1) // edge - start // edge + 1
    return count


def parse_layout(text: str | Layout | tuple[int, ...]) -> Layout:
    """Parse a layout name such as ``shard256-64`` (a :class:`Layout` is returned unchanged, and a tuple
    of three edges is a chunk shape)."""
    if isinstance(text, Layout):
        return text
    if isinstance(text, tuple):
        return Layout(chunks=text)  # type: ignore[arg-type]
    body = str(text).strip().lower()
    write_empty_chunks = not body.endswith(SKIP_EMPTY_SUFFIX)
    body = body.removesuffix(SKIP_EMPTY_SUFFIX)
    try:
        if body.startswith(SHARD_PREFIX):
            shards, separator, chunks = body[len(SHARD_PREFIX) :].partition("-")
            if not separator:
                raise LayoutSpecError(f"no inner chunk shape after the shard shape in {text!r}")
            return Layout(parse_chunks(chunks), parse_chunks(shards), write_empty_chunks)
        return Layout(parse_chunks(body), None, write_empty_chunks)
    except LayoutSpecError as error:
        raise LayoutSpecError(f"cannot parse layout {text!r} ({error}); valid layouts: {_GRAMMAR}") from None

