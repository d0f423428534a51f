"""The layout page: the report of :mod:`.layout` next to the asv dashboard, linked from it as "Layout".

``publish`` and ``bench`` write ``<html_dir>/layout/index.html`` (:func:`layout_page`, through
:data:`~.site.LAYOUT`) when the results hold the access benchmarks: for each environment and codec, heat maps
of layout x access pattern (read time per store, requests per S3 reader) and the same numbers as a table.
"""

from __future__ import annotations

from .figures import HeatMap, heat_maps
from .layout import ACCESS_TIME, CodecLayouts, Grid, LayoutReport
from .pages import Notice, Page, Paragraph, Plot, Section, Table
from .runs import is_number
from .sampling import single_sample_note

__all__ = ["PAGE_DIR", "layout_cells", "layout_header", "layout_page"]

#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "layout"


def layout_page(report: LayoutReport) -> Page:
    """A section per environment and codec: the heat maps, the grids as one table, what each layout stores."""
    sections = []
    for env_number, environment in enumerate(report.environments, start=1):
        for codec_number, codec in enumerate(environment.codecs, start=1):
            number = f"{env_number}-{codec_number}"
            sections.append(
                Section(
                    heading=f"{codec.codec} in {environment.label}",
                    id=f"layout-{number}",
                    blocks=[
                        Paragraph(_stored_summary(codec)),
                        Plot(
                            f"layout-{number}.png",
                            f"read time and requests by layout and access pattern, {codec.codec}",
                            lambda codec=codec: heat_maps(
                                _heat_map_panels(codec),
                                columns=max(1, len(codec.times)),
                                title=f"{codec.codec}: layout x access pattern",
                            ),
                        ),
                        Table(
                            id=f"table-layout-{number}",
                            header=layout_header(codec),
                            rows=layout_cells(codec),
                        ),
                    ],
                )
            )
    note = single_sample_note([environment.run for environment in report.environments], {ACCESS_TIME})
    return Page(
        title="Layout and access: chunks, shards and the reads users do",
        blocks=[
            *([Notice("note", "Single samples", note, id="single-samples")] if note else []),
            Paragraph(
                f"Machine {report.machine}, commit {report.commit}. benchmarks/access.py: each access "
                "pattern (xy, xz, yz: one slice through the middle; sub64: a seeded random 64³ subvolume; "
                "whole: the whole volume) read from an array opened beforehand, on one thread unless "
                "CRYOET_ZARR_BENCH_THREADS said otherwise. Stores: local disk (warm page cache), memory, "
                "S3 (moto on 127.0.0.1 read through s3fs) and S3 with 20 ms added to every request. "
                "Requests and bytes are counted by a proxy in front of the S3 server, per read."
            ),
        ],
        sections=sections,
    )


def _heat_map_panels(codec: CodecLayouts) -> list[HeatMap]:
    def panel(title: str, grid: Grid, scale: float, digits: str) -> HeatMap:
        return HeatMap(title, grid.layouts, grid.patterns, grid.values, scale=scale, digits=digits)

    return [panel(f"read time (ms), {store}", grid, 1e3, ".3g") for store, grid in codec.times.items()] + [
        panel(f"requests per read, {reader}", grid, 1.0, ".0f") for reader, grid in codec.requests.items()
    ]


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


def _stored_summary(codec: CodecLayouts) -> str:
    """What each layout stores, and which stores the fewest objects."""
    parts = [
        f"{layout}: {_cell(codec.stored_objects[layout], 1.0, ',.0f')} objects, "
        f"{_cell(codec.stored_bytes[layout], 1.0, ',.0f')} bytes"
        for layout in codec.stored_objects
    ]
    fewest = codec.fewest_objects
    ending = f"; fewest objects: {fewest}." if fewest else "."
    return "Stored (local disk): " + "; ".join(parts) + ending
