"""What a survey's table says: per codec, the ratio across volumes, its spread and uncertainty,
and the saving.

Every figure here is recomputed from the table's rows (:meth:`SurveyTable.rows`), so a summary printed at the
end of a survey and one recomputed later from the same table are equal.

* The **confidence interval** of the mean ratio is Student's t interval at 95 % (``mean ± t·s/√n``), which
  assumes the surveyed volumes are a random sample of the population the mean speaks for.
* **Outliers** are volumes whose ratio lies outside Tukey's fences (below Q1 − 1.5·IQR or above Q3 + 1.5·IQR).
* The **extrapolated saving** scales the pooled stored fraction (Σ chunk bytes ÷ Σ raw bytes over the surveyed
  volumes) to a total raw size, against a baseline codec (the portal's Blosc-LZ4 by default); the assumptions
  behind it are listed with it.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..report.tables import format_table

__all__ = [
    "PORTAL_BASELINE",
    "CodecSummary",
    "Extrapolation",
    "extrapolate",
    "format_summary",
    "full_tomogram_bytes",
    "summarise",
    "survey_report",
    "t_quantile_975",
    "volume_notes",
]

#: How the portal stores tomograms today: the baseline a saving is measured against.
PORTAL_BASELINE = "blosc-lz4-5-shuffle"
#: Student's t 0.975 quantiles for 1-30 degrees of freedom.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)  # fmt: skip
_SETTINGS = ("codec", "chunks", "zarr_format", "threads")


def t_quantile_975(degrees_of_freedom: int) -> float:
    """Student's t 0.975 quantile: tabulated to 30 degrees of freedom,
    then ``1.960 + 2.46/df`` (≤ 0.1 % off)."""
    if degrees_of_freedom < 1:
        raise ValueError("a t interval needs at least two values")
    if degrees_of_freedom <= len(_T975):
        return _T975[degrees_of_freedom - 1]
    return 1.960 + 2.46 / degrees_of_freedom


@dataclass(frozen=True)
class CodecSummary:
    """One codec setting's ratios across the surveyed volumes."""

    codec: str
    chunks: str
    zarr_format: int
    threads: int
    volumes: int
    mean_ratio: float
    std_ratio: float
    """Sample standard deviation (ddof=1); NaN for a single volume."""
    ci_low: float
    ci_high: float
    min_ratio: float
    max_ratio: float
    pooled_ratio: float
    """Σ raw bytes ÷ Σ chunk bytes: the ratio of the surveyed volumes stored together."""
    mean_write_mb_s: float
    mean_read_mb_s: float
    outliers: tuple[tuple[str, float], ...]
    """(source, ratio) of the volumes outside Tukey's fences."""


def _outliers(sources: Sequence[str], ratios: np.ndarray) -> tuple[tuple[str, float], ...]:
    if len(ratios) < 4:
        return ()
    q1, q3 = np.percentile(ratios, [25, 75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return tuple((s, float(r)) for s, r in zip(sources, ratios) if r < low or r > high)


def summarise(rows: Iterable[dict[str, Any]]) -> list[CodecSummary]:
    """One :class:`CodecSummary` per codec setting (codec, chunks, Zarr format, threads) in ``rows``."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[name] for name in _SETTINGS)].append(row)
    summaries = []
    for (codec, chunks, zarr_format, threads), group in sorted(groups.items(), key=lambda item: str(item[0])):
        ratios = np.array([row["ratio"] for row in group], dtype=float)
        n = len(ratios)
        mean = float(ratios.mean())
        std = float(ratios.std(ddof=1)) if n > 1 else math.nan
        half_width = t_quantile_975(n - 1) * std / math.sqrt(n) if n > 1 else math.nan
        summaries.append(
            CodecSummary(
                codec=codec,
                chunks=chunks,
                zarr_format=zarr_format,
                threads=threads,
                volumes=n,
                mean_ratio=mean,
                std_ratio=std,
                ci_low=mean - half_width,
                ci_high=mean + half_width,
                min_ratio=float(ratios.min()),
                max_ratio=float(ratios.max()),
                pooled_ratio=(
                    sum(row["raw_bytes"] for row in group) / sum(row["chunk_bytes"] for row in group)
                ),
                mean_write_mb_s=float(np.mean([row["write_mb_s"] for row in group])),
                mean_read_mb_s=float(np.mean([row["read_mb_s"] for row in group])),
                outliers=_outliers([row["source"] for row in group], ratios),
            )
        )
    return summaries


def full_tomogram_bytes(row: dict[str, Any]) -> int:
    """Raw bytes of the whole tomogram a row's volume was cropped from (its own bytes if not a crop)."""
    provenance = json.loads(row.get("provenance") or "{}")
    shape = provenance.get("full_shape")
    if not shape:
        return int(row["raw_bytes"])
    itemsize = np.dtype(row["dtype"]).itemsize
    return int(np.prod(shape)) * itemsize


@dataclass(frozen=True)
class Extrapolation:
    """The storage a codec would take for ``scope``, and what it saves against the baseline codec."""

    scope: str
    codec: str
    baseline: str
    raw_bytes: int
    stored_bytes: float
    baseline_bytes: float
    assumptions: tuple[str, ...]

    @property
    def saved_bytes(self) -> float:
        """Bytes saved against the baseline (negative: the codec stores more)."""
        return self.baseline_bytes - self.stored_bytes


def extrapolate(
    rows: Sequence[dict[str, Any]],
    *,
    scope: str,
    raw_bytes: int | None = None,
    baseline: str = PORTAL_BASELINE,
) -> list[Extrapolation]:
    """Storage and saving per codec for ``scope``, whose raw size is ``raw_bytes``.

    ``raw_bytes`` defaults to the whole tomograms the surveyed volumes come from (each counted once), which is
    the surveyed dataset when every run of it was surveyed.  Empty when the baseline codec was not surveyed.
    """
    by_codec: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_codec[row["codec"]].append(row)
    if baseline not in by_codec:
        return []
    whole = {row["source"]: full_tomogram_bytes(row) for row in rows}
    total = raw_bytes if raw_bytes is not None else sum(whole.values())
    settings = sorted({(row["chunks"], row["zarr_format"]) for row in rows})
    assumptions = (
        f"the {len(whole)} surveyed volumes are representative of {scope}",
        "each volume compresses like the whole tomogram it was cropped from"
        if any(row["raw_bytes"] != whole[row["source"]] for row in rows)
        else "the surveyed volumes are whole tomograms",
        f"chunks and Zarr format as surveyed: {', '.join(f'{c} v{f}' for c, f in settings)}",
        "metadata documents are not counted (a few hundred bytes per array)",
        f"raw size of {scope}: {total / 1e9:.6g} GB"
        + (" (given)" if raw_bytes is not None else " (the whole tomograms of the surveyed volumes)"),
        "egress saved per full download of the scope equals the storage saved",
    )

    def fraction(codec: str) -> float:
        group = by_codec[codec]
        return sum(row["chunk_bytes"] for row in group) / sum(row["raw_bytes"] for row in group)

    return [
        Extrapolation(
            scope, codec, baseline, total, total * fraction(codec), total * fraction(baseline), assumptions
        )
        for codec in sorted(by_codec)
    ]


def survey_report(
    rows: Sequence[dict[str, Any]], *, portal_bytes: int | None = None
) -> tuple[list[CodecSummary], list[Extrapolation]]:
    """The summaries of ``rows`` and their extrapolations: to the surveyed tomograms, and to the portal when
    its raw size ``portal_bytes`` is given."""
    extrapolations = extrapolate(rows, scope="the surveyed tomograms")
    if portal_bytes is not None:
        extrapolations += extrapolate(rows, scope="the portal", raw_bytes=portal_bytes)
    return summarise(rows), extrapolations


def volume_notes(rows: Iterable[dict[str, Any]]) -> list[str]:
    """What the volumes' provenance notes (missing chunks, a lossy conversion, bytes a header leaves out),
    once per volume, as ``source: note`` lines."""
    notes: dict[str, None] = {}
    for row in rows:
        provenance = json.loads(row.get("provenance") or "{}")
        for note in provenance.get("notes", []):
            notes[f"{row['source']}: {note}"] = None
    return list(notes)


def _gigabytes(value: float) -> str:
    text = f"{value / 1e9:.3f}"
    return "0.000" if text == "-0.000" else text


def format_summary(summaries: Sequence[CodecSummary], extrapolations: Sequence[Extrapolation] = ()) -> str:
    """The summary and the extrapolations as terminal tables, assumptions listed under them."""
    header = ("codec", "chunks", "fmt", "threads", "n", "mean ratio", "95% CI", "std", "min", "max",
              "pooled", "write MB/s", "read MB/s")  # fmt: skip
    rows = [
        (s.codec, s.chunks, s.zarr_format, s.threads, s.volumes, f"{s.mean_ratio:.4f}",
         "n/a" if math.isnan(s.ci_low) else f"{s.ci_low:.4f}-{s.ci_high:.4f}",
         "n/a" if math.isnan(s.std_ratio) else f"{s.std_ratio:.4f}",
         f"{s.min_ratio:.4f}", f"{s.max_ratio:.4f}", f"{s.pooled_ratio:.4f}",
         f"{s.mean_write_mb_s:.1f}", f"{s.mean_read_mb_s:.1f}")  # fmt: skip
        for s in summaries
    ]
    parts = [format_table(header, rows)]
    outliers = [f"  {s.codec}: {source} ratio {ratio:.4f}" for s in summaries for source, ratio in s.outliers]
    parts.append("outliers (outside Tukey's fences):\n" + "\n".join(outliers) if outliers else "no outliers")
    for scope in dict.fromkeys(e.scope for e in extrapolations):
        group = [e for e in extrapolations if e.scope == scope]
        table = format_table(
            ("codec", "stored GB", f"saved vs {group[0].baseline} GB", "saved %"),
            [
                (e.codec, _gigabytes(e.stored_bytes), _gigabytes(e.saved_bytes),
                 f"{100 * e.saved_bytes / e.baseline_bytes:+.1f}")  # fmt: skip
                for e in group
            ],
        )
        assumptions = "\n".join(f"  - {a}" for a in group[0].assumptions)
        parts.append(f"extrapolated to {scope}:\n{table}\nassuming:\n{assumptions}")
    return "\n\n".join(parts)
