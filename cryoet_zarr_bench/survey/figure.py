"""The distribution of each codec's ratio across the surveyed volumes, as one PNG (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import write_file

__all__ = ["write_ratio_figure"]


def write_ratio_figure(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """One column per codec: every volume's ratio as a dot over a box plot (quartiles, Tukey whiskers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    codecs = sorted({row["codec"] for row in rows})
    ratios = [np.array([row["ratio"] for row in rows if row["codec"] == codec]) for codec in codecs]
    figure, axes = plt.subplots(figsize=(max(4.0, 1.4 * len(codecs)), 4.0), layout="constrained")
    axes.boxplot(ratios, showfliers=False, widths=0.5)
    jitter = np.random.default_rng(0)
    for position, values in enumerate(ratios, start=1):
        axes.plot(position + jitter.uniform(-0.12, 0.12, len(values)), values, "o", alpha=0.6, markersize=4)
    axes.set_xticks(range(1, len(codecs) + 1), codecs, rotation=30, ha="right")
    axes.set_ylabel("compression ratio (raw ÷ chunk bytes)")
    axes.set_title(f"{len({row['source'] for row in rows})} volumes")
    write_file(Path(path), lambda stream: figure.savefig(stream, format="png", dpi=110))
    plt.close(figure)
