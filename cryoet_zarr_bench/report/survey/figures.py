"""The distribution of each codec's ratio across the surveyed volumes, as one matplotlib figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ratio_figure"]


def ratio_figure(rows: Sequence[dict[str, Any]]) -> Figure:
    """One column per codec: every volume's ratio as a dot over a box plot (quartiles, Tukey whiskers)."""
    from matplotlib.figure import Figure

    codecs = sorted({row["codec"] for row in rows})
    ratios = [np.array([row["ratio"] for row in rows if row["codec"] == codec]) for codec in codecs]
    figure = Figure(figsize=(max(4.0, 1.4 * len(codecs)), 4.0), layout="constrained")
    axes = figure.subplots()
    axes.boxplot(ratios, showfliers=False, widths=0.5)
    jitter = np.random.default_rng(0)
    for position, values in enumerate(ratios, start=1):
        axes.plot(position + jitter.uniform(-0.12, 0.12, len(values)), values, "o", alpha=0.6, markersize=4)
    axes.set_xticks(range(1, len(codecs) + 1), codecs, rotation=30, ha="right")
    axes.set_ylabel("compression ratio (raw ÷ chunk bytes)")
    axes.set_title(f"{len({row['source'] for row in rows})} volumes")
    return figure
