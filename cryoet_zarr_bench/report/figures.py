"""Figures for the reports, drawn with matplotlib's object API (no pyplot, so no global backend state).

:func:`line_panels` is the general figure: a grid of panels sharing one ordered, categorical x-axis, each with
a few named lines, some points ringed in red.  :func:`release_figure` draws one benchmark of the by-release
report with it: zarr releases on the x-axis, one line per Python and numcodecs release.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..releases import version_number
from .asv_results import Case
from .model import Release, ReleaseTable, is_number
from .text import display_scale

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Panel", "Series", "line_panels", "release_figure"]

#: Above this many x positions the tick labels are turned so that they cannot overlap ...
_UPRIGHT_TICKS = 4
#: ... slanted up to this many characters (a zarr release such as 3.0.10), vertical beyond.
_SLANTED_LENGTH = 8
#: How far apart, in x positions, the series are drawn around each position.
_DODGE = 0.06


@dataclass(frozen=True)
class Series:
    """One line: a value per x position (NaN where there is none)."""

    label: str
    values: Sequence[float]
    marked: frozenset[int] = field(default_factory=frozenset)
    """Positions ringed in red."""


@dataclass(frozen=True)
class Panel:
    title: str
    series: Sequence[Series]


def line_panels(
    rows: Sequence[Sequence[Panel]],
    *,
    x_labels: Sequence[str],
    x_title: str,
    y_title: str,
    title: str,
    legend_title: str,
    warning: str | None = None,
) -> Figure:
    """A grid of panels (``rows`` of equally many panels) over the same categorical x positions.

    Each series keeps its colour in every panel and is drawn slightly beside the others, so that equal values
    stay visible; points measured at non-adjacent positions are joined.  The
    legend sits below the panels, the tick labels are turned when there are many, and a `warning` is added to
    the title in red.
    """
    from matplotlib import rcParams
    from matplotlib.figure import Figure  # imported here: matplotlib is needed for figures only

    n_rows, n_cols = len(rows), len(rows[0])
    labels = list(dict.fromkeys(series.label for row in rows for panel in row for series in panel.series))
    palette = rcParams["axes.prop_cycle"].by_key()["color"]
    colors = {label: palette[i % len(palette)] for i, label in enumerate(labels)}
    positions = list(range(len(x_labels)))
    # Many labels are slanted; long ones stand upright, where their boxes are only a line of text wide.
    rotation = (
        0 if len(x_labels) <= _UPRIGHT_TICKS else 40 if max(map(len, x_labels)) <= _SLANTED_LENGTH else 90
    )

    width = 1.5 + 3.8 * n_cols
    # As many legend entries a row as fit the figure's width (at font size 8, about 0.07 inch a character).
    entry_width = 0.6 + 0.07 * max(map(len, labels), default=0)
    legend_columns = max(1, min(len(labels), int(width // entry_width)))
    figure = Figure(
        figsize=(width, 1.8 + 2.6 * n_rows + 0.25 * math.ceil(len(labels) / legend_columns)),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey="row")
    for row, row_axes in zip(rows, axes):
        for ax, panel in zip(row_axes, row):
            for series in panel.series:
                # Each series a little to the side of its position, so that equal values stay visible.
                dodge = _DODGE * (labels.index(series.label) - (len(labels) - 1) / 2)
                measured = [i for i in positions if not math.isnan(series.values[i])]
                y = [series.values[i] for i in measured]
                ax.plot(
                    [i + dodge for i in measured],
                    y,
                    marker="o",
                    markersize=4,
                    color=colors[series.label],
                    label=series.label,
                )
                rings = sorted(series.marked)
                ax.plot(
                    [i + dodge for i in rings],
                    [series.values[i] for i in rings],
                    linestyle="none",
                    marker="o",
                    markersize=12,
                    markerfacecolor="none",
                    markeredgecolor="red",
                    markeredgewidth=2,
                )
            ax.set_title(panel.title, fontsize=9)
            ax.grid(True, alpha=0.3)
        row_axes[0].set_ylabel(y_title)
    for ax in axes[-1]:
        ax.set_xticks(
            positions, x_labels, fontsize=8, rotation=rotation, ha="right" if rotation == 40 else "center"
        )
        ax.set_xlabel(x_title)
    axes[0][0].set_xlim(-0.5, len(positions) - 0.5)
    handles = {
        line.get_label(): line for ax in axes.flat for line in ax.get_lines() if line.get_label() in colors
    }
    figure.legend(
        [handles[label] for label in labels if label in handles],
        [label for label in labels if label in handles],
        title=legend_title,
        loc="outside lower center",
        ncols=legend_columns,
        fontsize=8,
    )
    if warning:
        figure.suptitle(f"{title}: {warning}", color="red")
    else:
        figure.suptitle(title)
    return figure


def release_figure(
    table: ReleaseTable, marked: Collection[tuple[tuple[tuple[str, str], ...], Release]] = ()
) -> Figure:
    """One benchmark by release: a row of panels per codec, a column per other setting (chunks, Zarr format).

    zarr releases run along the x-axis in release order; each line is one Python and numcodecs release.
    The values of `marked` (case parameters, release): those after a change of chunk bytes
    (:attr:`~cryoet_zarr_bench.report.model.ReleaseReport.changed_cells`), are ringed in red and the title
    says so.
    """
    zarr_releases = sorted({release.zarr for release in table.releases}, key=version_number)
    lines = sorted(
        {(release.python, release.numcodecs) for release in table.releases},
        key=lambda line: (version_number(line[0]), version_number(line[1])),
    )
    codecs = list(dict.fromkeys(case.param("codec") for case in table.rows))
    settings = list(dict.fromkeys(case.describe(skip=("codec",)) for case in table.rows))
    cases = {(case.param("codec"), case.describe(skip=("codec",))): case for case in table.rows}
    factor, unit = display_scale(table.benchmark)

    def series(case: Case, python: str, numcodecs: str) -> Series:
        releases = [Release(python, zarr, numcodecs) for zarr in zarr_releases]
        values = [table.value(case, release) if release in table.releases else None for release in releases]
        return Series(
            label=releases[0].describe(("python", "numcodecs")),
            values=[value * factor if is_number(value) else math.nan for value in values],
            marked=frozenset(i for i, release in enumerate(releases) if (case.params, release) in marked),
        )

    rows = [
        [
            Panel(
                title=f"{codec}\n{setting}",
                series=[series(cases[codec, setting], *line) for line in lines]
                if (codec, setting) in cases
                else [],
            )
            for setting in settings
        ]
        for codec in codecs
    ]
    ringed = any(series.marked for row in rows for panel in row for series in panel.series)
    return line_panels(
        rows,
        x_labels=zarr_releases,
        x_title="zarr release",
        y_title=unit,
        title=table.benchmark.name,
        legend_title="Python, numcodecs",
        warning="chunk bytes changed between releases (red rings)" if ringed else None,
    )
