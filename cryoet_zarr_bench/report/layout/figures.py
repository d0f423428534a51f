"""The layout figure: for one codec, heat maps of layout x access pattern, a read time per store and the
requests per read of each S3 reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..panels import HeatMap, heat_maps
from .model import CodecLayouts, Grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["layout_figure"]


def layout_figure(codec: CodecLayouts) -> Figure:
    """A heat map per store (read time, ms) and per S3 reader (requests per read), a store's maps to a row."""

    def panel(title: str, grid: Grid, scale: float, digits: str) -> HeatMap:
        return HeatMap(title, grid.layouts, grid.patterns, grid.values, scale=scale, digits=digits)

    panels = [panel(f"read time (ms), {store}", grid, 1e3, ".3g") for store, grid in codec.times.items()] + [
        panel(f"requests per read, {reader}", grid, 1.0, ".0f") for reader, grid in codec.requests.items()
    ]
    title = f"{codec.codec}: layout x access pattern"
    return heat_maps(panels, columns=max(1, len(codec.times)), title=title)
