"""The layout report as text: what each layout stores, and a table row per layout and access pattern."""

from __future__ import annotations

from ..runs import is_number
from .model import CodecLayouts

__all__ = ["layout_cells", "layout_header", "stored_summary"]


def layout_header(codec: CodecLayouts) -> list[str]:
    """``layout``, ``pattern``, then a read time (ms) per store and requests and bytes per S3 reader."""
    return (
        ["layout", "pattern"]
        + [f"{store} (ms)" for store in codec.times]
        + [f"{reader} requests" for reader in codec.requests]
        + [f"{reader} bytes" for reader in codec.bytes_transferred]
    )


def layout_cells(codec: CodecLayouts) -> list[tuple[list[str], list[str]]]:
    """A row per layout and pattern: ``n/a`` where a case was skipped, ``failed`` where it failed."""
    grids = [(grid, 1e3, ".3g") for grid in codec.times.values()]
    grids += [(grid, 1.0, ",.0f") for grid in codec.requests.values()]
    grids += [(grid, 1.0, ",.0f") for grid in codec.bytes_transferred.values()]
    first = next(iter(codec.times.values()))
    return [
        ([layout, pattern], [_cell(grid.value(layout, pattern), scale, form) for grid, scale, form in grids])
        for layout in first.layouts
        for pattern in first.patterns
    ]


def _cell(value: float | None, scale: float, digits: str) -> str:
    if value is None:
        return "failed"
    return format(value * scale, digits) if is_number(value) else "n/a"


def stored_summary(codec: CodecLayouts) -> str:
    """What each layout stores, and which stores the fewest objects."""
    parts = [
        f"{layout}: {_cell(codec.stored_objects[layout], 1.0, ',.0f')} objects, "
        f"{_cell(codec.stored_bytes[layout], 1.0, ',.0f')} bytes"
        for layout in codec.stored_objects
    ]
    fewest = codec.fewest_objects
    ending = f"; fewest objects: {fewest}." if fewest else "."
    return "Stored (local disk): " + "; ".join(parts) + ending
