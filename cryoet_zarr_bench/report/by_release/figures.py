"""The by-release report's figures: one benchmark's values with the zarr releases along the x-axis.

Drawn with :func:`~cryoet_zarr_bench.report.panels.line_panels`: one line per Python and numcodecs release,
a panel per codec and setting that has a measured value, never more than :data:`MAX_COLUMNS` panels wide.
A benchmark of few settings is one figure (a row per codec); one of many settings (the access study's
layout x store x pattern: 40 settings) is one figure per codec, its settings wrapped into rows, since a row
per codec would be 40 panels (15,000 px) wide.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING

from ...releases import version_number
from ..asv_results import Case
from ..panels import Panel, Series, line_panels
from ..runs import Release, is_number
from .table import ReleaseTable
from .text import display_scale

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_COLUMNS", "release_figure", "release_figure_codecs"]

#: The most panels a figure puts side by side (about 1,700 px at the pages' 100 dpi).
MAX_COLUMNS = 4


def release_figure_codecs(table: ReleaseTable) -> list[str | None]:
    """The figures `table` is drawn in, each named by its codec: ``[None]`` for one figure of every codec (a
    row per codec, a column per other setting) when the settings fit :data:`MAX_COLUMNS` columns; otherwise
    one figure per codec, its settings wrapped into rows (so that no figure grows wider than
    :data:`MAX_COLUMNS` panels).  Codecs without a measured value get no figure; no codec, no figure."""
    codecs = [codec for codec in _codecs(table) if _panel_cases(table, codec)]
    if not codecs:
        return []
    settings = {case.describe(skip=("codec",)) for case in table.rows}
    return [None] if len(settings) <= MAX_COLUMNS else codecs


def release_figure(
    table: ReleaseTable,
    marked: Collection[tuple[tuple[tuple[str, str], ...], Release]] = (),
    codec: str | None = None,
) -> Figure:
    """One benchmark by release: a panel per codec and setting (chunks, Zarr format ...) with a value.

    zarr releases run along the x-axis in release order; each line is one Python and numcodecs release.
    With `codec` None, a row per codec and a column per setting; with a `codec`, that codec's settings only,
    :data:`MAX_COLUMNS` to a row (see :func:`release_figure_codecs`).  The values of `marked` (case
    parameters, release): those after a change of chunk bytes (:attr:`.model.ReleaseReport.changed_cells`),
    are ringed in red and the title says so.
    """
    zarr_releases = sorted({release.zarr for release in table.releases}, key=version_number)
    lines = sorted(
        {(release.python, release.numcodecs) for release in table.releases},
        key=lambda line: (version_number(line[0]), version_number(line[1])),
    )
    factor, unit = display_scale(table.benchmark)

    def series(case: Case, python: str, numcodecs: str) -> Series:
        releases = [Release(python, zarr, numcodecs) for zarr in zarr_releases]
        values = [table.value(case, release) if release in table.releases else None for release in releases]
        return Series(
            label=releases[0].describe(("python", "numcodecs")),
            values=[value * factor if is_number(value) else math.nan for value in values],
            marked=frozenset(i for i, release in enumerate(releases) if (case.params, release) in marked),
        )

    def panel(case: Case, title: str) -> Panel:
        return Panel(title=title, series=[series(case, *line) for line in lines])

    if codec is None:
        settings = list(dict.fromkeys(case.describe(skip=("codec",)) for case in table.rows))
        rows = []
        for name in _codecs(table):
            cases = {case.describe(skip=("codec",)): case for case in _panel_cases(table, name)}
            if cases:
                rows.append([panel(cases[s], f"{name}\n{s}") if s in cases else None for s in settings])
        title, share_y = table.benchmark.name, True
    else:
        panels = [panel(case, case.describe(skip=("codec",))) for case in _panel_cases(table, codec)]
        columns = min(MAX_COLUMNS, len(panels))
        panels += [None] * (-len(panels) % columns)
        rows = [panels[i : i + columns] for i in range(0, len(panels), columns)]
        title, share_y = f"{table.benchmark.name}, codec {codec}", False
    ringed = any(series.marked for row in rows for panel in row if panel for series in panel.series)
    return line_panels(
        rows,
        x_labels=zarr_releases,
        x_title="zarr release",
        y_title=unit,
        title=title,
        legend_title="Python, numcodecs",
        warning="chunk bytes changed between releases (red rings)" if ringed else None,
        share_y=share_y,
    )


def _codecs(table: ReleaseTable) -> list[str]:
    """The table's codecs in the suite's order."""
    return list(dict.fromkeys(case.param("codec") for case in table.rows))


def _panel_cases(table: ReleaseTable, codec: str) -> list[Case]:
    """The cases of `codec` with a measured value in some release: those worth a panel."""
    return [
        case
        for case, values in table.rows.items()
        if case.param("codec") == codec and any(is_number(value) for value in values)
    ]
