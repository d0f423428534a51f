"""The codec study's figures (matplotlib, no pyplot): ratio against added noise with the Gaussian reference,
against the half-map FSC's change, against read throughput, and the central slices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..registry import READ_TIME
from .model import pareto_front

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .model import StudyReport
    from .slices import CentralSlices

__all__ = ["plot_ratio", "plot_slices", "plot_throughput"]


def plot_ratio(report: StudyReport, *, x: str, log: bool) -> Figure:
    """Compression ratio against ``x``, one marker series per family; settings that passed every judged
    criterion filled, the others hollow.  With the added noise on the x-axis, the Gaussian reference at each
    setting's distortion is drawn in."""
    from matplotlib import rcParams
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.subplots()
    palette = rcParams["axes.prop_cycle"].by_key()["color"]
    families = sorted({row.family for row in report.rows})
    for i, name in enumerate(families):
        rows = [row for row in report.rows if row.family == name]
        color = palette[i % len(palette)]
        label = name
        for safe in (True, False):
            chosen = [row for row in rows if row.passes is safe and not np.isnan(getattr(row, x))]
            if chosen:
                ax.scatter(
                    [getattr(row, x) for row in chosen],
                    [row.ratio for row in chosen],
                    color=color if safe else "none",
                    edgecolors=color,
                    label=label,
                )
                label = None
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
        points = sorted(
            (row.added_noise_pct, row.ratio / row.fraction_of_reference)
            for row in report.rows
            if row.added_noise_pct > 0 and row.fraction_of_reference > 0
        )
        if points:
            ax.plot(*zip(*points), color="black", marker=".", linewidth=0.8, label="Gaussian reference")
        ax.axvline(1.0, color="grey", linestyle=":", label="1% added noise")
        ax.set_xlabel("added noise (% of the noise variance)")
    else:
        ax.axvline(1.0, color="grey", linestyle=":", label="the FSC's own uncertainty")
        ax.set_xlabel("half-map FSC change, worst shell up to 0.143 (in units of its uncertainty 1/√n)")
    ax.set_ylabel("compression ratio")
    ax.set_title(f"{report.environment} (filled = passed every judged criterion)", fontsize=9)
    ax.legend(fontsize=7)
    return figure


def plot_throughput(report: StudyReport) -> Figure:
    """Ratio against read throughput for every codec with both recorded; the Pareto front joined and named."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.subplots()
    ax.scatter([p[2] for p in report.throughput], [p[1] for p in report.throughput], color="lightgrey")
    front = pareto_front(report.throughput)
    ax.plot([p[2] for p in front], [p[1] for p in front], marker="o", color="black", label="Pareto front")
    for name, ratio, speed in front:
        ax.annotate(name, (speed, ratio), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"read throughput (raw MB/s, {READ_TIME})")
    ax.set_ylabel("compression ratio")
    ax.set_title(f"{report.environment}", fontsize=9)
    ax.legend(fontsize=7)
    return figure


def plot_slices(slices: CentralSlices) -> Figure:
    """Original, decoded and difference side by side with colour bars (data units): original and decoded on
    the original's grey scale, the difference on its own symmetric one."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 3.8), layout="constrained")
    low, high = float(slices.original.min()), float(slices.original.max())
    extent = float(np.abs(slices.difference).max()) or 1.0
    panels = (
        ("original", slices.original, "gray", low, high),
        (f"decoded ({slices.codec})", slices.decoded, "gray", low, high),
        ("difference (decoded - original)", slices.difference, "RdBu_r", -extent, extent),
    )
    for ax, (title, image, cmap, vmin, vmax) in zip(figure.subplots(1, 3), panels, strict=True):
        shown = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
        figure.colorbar(shown, ax=ax, shrink=0.8)
    figure.suptitle(f"central XY slice z = {slices.z}", fontsize=9)
    return figure
