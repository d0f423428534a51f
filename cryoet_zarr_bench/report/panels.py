"""The kinds of figure the pages draw, with matplotlib's object API (no pyplot, so no global backend state).

:func:`line_panels` is the general figure: a grid of panels sharing one ordered, categorical x-axis, each with
a few named lines, some points ringed in red (the by-release figures, :mod:`.by_release.figures`).
:func:`bar_panels` is its grouped-bar sibling (the engines figure, :mod:`.engines.figures`).
:func:`heat_maps` draws grids of numbers (the layout page's layout x access pattern grids,
:mod:`.layout.figures`) as coloured cells, each annotated.  A page's own figures module says what its
figures show and draws them with these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .runs import is_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "HeatMap",
    "Panel",
    "Series",
    "bar_panels",
    "heat_maps",
    "line_panels",
]

#: Above this many x positions the tick labels are turned so that they cannot overlap ...
_UPRIGHT_TICKS = 4
#: ... slanted up to this many characters (a zarr release such as 3.0.10), vertical beyond.
_SLANTED_LENGTH = 8
#: How far apart, in x positions, the series are drawn around each position.
_DODGE = 0.06


@dataclass(frozen=True)
class Series:
    """One line, or one bar per group: a value per x position (NaN where there is none)."""

    label: str
    values: Sequence[float]
    marked: frozenset[int] = field(default_factory=frozenset)
    """Positions ringed in red (line panels)."""
    notes: Mapping[int, str] = field(default_factory=dict)
    """What to write where a position has no value (bar panels; ``n/a`` where not given)."""


@dataclass(frozen=True)
class Panel:
    title: str
    series: Sequence[Series]


def line_panels(
    rows: Sequence[Sequence[Panel | None]],
    *,
    x_labels: Sequence[str],
    x_title: str,
    y_title: str,
    title: str,
    legend_title: str,
    warning: str | None = None,
    share_y: bool = True,
) -> Figure:
    """A grid of panels (``rows`` of equally many panels; None leaves a place empty) over the same
    categorical x positions.

    Each series keeps its colour in every panel and is drawn slightly beside the others, so that equal values
    stay visible; points measured at non-adjacent positions are joined.  The panels of a row share their
    y-axis unless `share_y` is False (panels of unrelated settings).  The legend sits below the panels, the
    tick labels are turned when there are many, and a `warning` is added to the title in red.
    """
    n_rows, n_cols = len(rows), len(rows[0])
    labels = _series_labels(rows)
    colors = _colors(labels)
    positions = list(range(len(x_labels)))
    # Many labels are slanted; long ones stand upright, where their boxes are only a line of text wide.
    rotation = (
        0 if len(x_labels) <= _UPRIGHT_TICKS else 40 if max(map(len, x_labels)) <= _SLANTED_LENGTH else 90
    )

    figure, axes, legend_columns = _figure(n_rows, n_cols, labels, share_y=share_y)
    for row, row_axes in zip(rows, axes):
        for ax, panel in zip(row_axes, row):
            if panel is None:
                continue
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
    for column in range(n_cols):
        # The tick labels under the lowest panel of each column, the places left empty hidden.
        drawn = [row for row in range(n_rows) if rows[row][column] is not None]
        for row in range(n_rows):
            if row not in drawn:
                axes[row][column].set_visible(False)
        lowest = axes[drawn[-1] if drawn else n_rows - 1][column]
        lowest.set_xticks(
            positions, x_labels, fontsize=8, rotation=rotation, ha="right" if rotation == 40 else "center"
        )
        lowest.tick_params(labelbottom=True)
        lowest.set_xlabel(x_title)
    axes[0][0].set_xlim(-0.5, len(positions) - 0.5)
    handles = {
        line.get_label(): line for ax in axes.flat for line in ax.get_lines() if line.get_label() in colors
    }
    _finish(figure, handles, labels, legend_columns, legend_title, title, warning)
    return figure


def bar_panels(
    rows: Sequence[Sequence[Panel]],
    *,
    x_labels: Sequence[str],
    x_title: str,
    y_title: str,
    title: str,
    legend_title: str,
) -> Figure:
    """A grid of panels (``rows`` of equally many panels) of grouped bars: a group per x position, a bar per
    series in it.

    Each series keeps its colour and its place in the group in every panel; where a value is NaN, its note
    (``n/a`` unless the series says otherwise) is written where its bar would stand.  Panels of a row share
    their y-axis; the legend sits below.
    """
    n_rows, n_cols = len(rows), len(rows[0])
    labels = _series_labels(rows)
    colors = _colors(labels)
    figure, axes, legend_columns = _figure(n_rows, n_cols, labels)
    width = 0.8 / max(1, len(labels))
    handles = {}
    for row, row_axes in zip(rows, axes):
        for ax, panel in zip(row_axes, row):
            for series in panel.series:
                offsets = [
                    i + (labels.index(series.label) - (len(labels) - 1) / 2) * width
                    for i in range(len(x_labels))
                ]
                values = [0.0 if math.isnan(value) else value for value in series.values]
                handles[series.label] = ax.bar(
                    offsets, values, width, color=colors[series.label], label=series.label
                )
                for i, (offset, value) in enumerate(zip(offsets, series.values)):
                    if math.isnan(value):
                        note = series.notes.get(i, "n/a")
                        ax.text(offset, 0, note, rotation=90, ha="center", va="bottom", fontsize=7)
            ax.set_title(panel.title, fontsize=9)
            ax.grid(True, axis="y", alpha=0.3)
        row_axes[0].set_ylabel(y_title)
    for ax in axes[-1]:
        ax.set_xticks(range(len(x_labels)), x_labels, fontsize=8, rotation=40, ha="right")
        ax.set_xlabel(x_title)
    _finish(figure, handles, labels, legend_columns, legend_title, title, None)
    return figure


@dataclass(frozen=True)
class HeatMap:
    """One panel of :func:`heat_maps`: ``values[i][j]`` at row ``rows[i]``, column ``columns[j]``; NaN or None
    where nothing was measured."""

    title: str
    rows: Sequence[str]
    columns: Sequence[str]
    values: Sequence[Sequence[float | None]]
    scale: float = 1.0
    """Each value is multiplied by it before it is coloured and written (1000 for seconds shown in ms)."""
    digits: str = ".3g"
    """How each scaled value is written (a format specification)."""


def heat_maps(panels: Sequence[HeatMap], *, columns: int, title: str) -> Figure:
    """Panels of coloured cells in a grid of `columns` panels a row, each cell annotated with its value.

    Each panel has its own colour scale (logarithmic where every value is positive, as times and counts
    spanning orders of magnitude are); a cell with no measured value is grey and says ``n/a``.
    """
    import numpy as np
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.figure import Figure

    n_rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(1.0 + 4.2 * columns, 0.8 + 2.4 * n_rows), layout="constrained")
    axes = figure.subplots(n_rows, columns, squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        grid = np.array(
            [[value * panel.scale if is_number(value) else np.nan for value in row] for row in panel.values],
            dtype=float,
        )
        measured = grid[~np.isnan(grid)]
        norm = LogNorm() if measured.size and (measured > 0).all() else Normalize()
        ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", norm=norm, aspect="auto")
        ax.set_facecolor("#ddd")
        for (i, j), value in np.ndenumerate(grid):
            light = not math.isnan(value) and norm(value) < 0.5
            text = "n/a" if math.isnan(value) else format(value, panel.digits)
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if light else "black")
        ax.set_xticks(range(len(panel.columns)), panel.columns, fontsize=8)
        ax.set_yticks(range(len(panel.rows)), panel.rows, fontsize=8)
        ax.set_title(panel.title, fontsize=9)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    figure.suptitle(title)
    return figure


def _series_labels(rows: Sequence[Sequence[Panel | None]]) -> list[str]:
    """Every series' label once, in order of first appearance."""
    return list(
        dict.fromkeys(series.label for row in rows for panel in row if panel for series in panel.series)
    )


def _colors(labels: Sequence[str]) -> dict[str, str]:
    """A colour per label, from matplotlib's default cycle."""
    from matplotlib import rcParams

    palette = rcParams["axes.prop_cycle"].by_key()["color"]
    return {label: palette[i % len(palette)] for i, label in enumerate(labels)}


def _figure(n_rows: int, n_cols: int, labels: Sequence[str], *, share_y: bool = True):
    """A figure of ``n_rows`` x ``n_cols`` panels sized for them and a legend of `labels` below; its axes
    (sharing x, and y along a row unless `share_y` is False) and the legend's number of columns."""
    from matplotlib.figure import Figure  # imported here: matplotlib is needed for figures only

    width = 1.5 + 3.8 * n_cols
    # As many legend entries a row as fit the figure's width (at font size 8, about 0.07 inch a character).
    entry_width = 0.6 + 0.07 * max(map(len, labels), default=0)
    legend_columns = max(1, min(len(labels), int(width // entry_width)))
    figure = Figure(
        figsize=(width, 1.8 + 2.6 * n_rows + 0.25 * math.ceil(len(labels) / legend_columns)),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey="row" if share_y else False)
    return figure, axes, legend_columns


def _finish(figure, handles, labels, legend_columns, legend_title, title, warning) -> None:
    """The legend below the panels (`labels` that were drawn, in order) and the title, a `warning` in red."""
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
