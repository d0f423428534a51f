"""The codec study from recorded asv results: every lossy setting against the noise and the R(D) bound.

Reads one environment's results of ``benchmarks/study.py`` (``LossyFidelity`` and ``NoiseTiedFidelity``) and
arranges them by lossy family: the compression ratio, the added noise (% of the noise variance), the ratio
as a fraction of the rate–distortion bound at the same added noise, the half-map resolution shift and the
safety verdict; for every family, the highest-ratio safe setting; and, beside the volume's lossless limit
(the order-0 byte-plane entropy estimate), the best lossless ratio found and the best float-aware one.
``cryoet-zarr-bench study`` prints the tables (:func:`format_study`) and writes
``<html_dir>/study/index.html`` with two figures (:func:`write_study_page`): ratio against added noise with
the R(D) bound drawn in, ratio against the half-map resolution shift and, where ``write_read.Read`` ran,
ratio against read throughput with the Pareto front marked.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._atomic import replace_directory
from ..codecs import NOISE_TIED, parse_codec
from ..information import rate_distortion_ratio
from .asv_results import EnvironmentRun, Results
from .model import ReportError
from .tables import format_table

__all__ = [
    "STUDY_PAGE_DIR",
    "LosslessBest",
    "StudyReport",
    "StudyRow",
    "build_study",
    "family",
    "float_aware",
    "format_study",
    "pareto_front",
    "write_study_page",
]

STUDY_PAGE_DIR = "study"
_CLASSES = ("study.LossyFidelity", "study.NoiseTiedFidelity")
_ENTROPY_LIMIT = "study.Limits.track_entropy_ratio_limit"
_COMPRESSION_RATIO = "compression.Compression.track_compression_ratio"
_REQUIRED = ("compression_ratio", "added_noise", "ratio_of_rate_distortion_bound")
#: Half-map figures exist only for volumes with half-volumes (the synthetic source).
_FIGURES = (*_REQUIRED, "half_map_shift", "safe")


@dataclass(frozen=True)
class StudyRow:
    """One lossy setting at one chunk shape and Zarr format."""

    codec: str
    family: str
    chunks: str
    zarr_format: str
    ratio: float
    added_noise_pct: float
    fraction_of_bound: float
    half_map_shift_angstrom: float
    safe: bool | None


@dataclass(frozen=True)
class LosslessBest:
    """The volume's lossless limit beside the best ratios found (``Compression.track_compression_ratio``)."""

    entropy_limit: float | None
    best: tuple[str, float] | None
    best_float_aware: tuple[str, float] | None


@dataclass(frozen=True)
class StudyReport:
    environment: str
    commit: str
    rows: list[StudyRow]
    lossless: LosslessBest
    throughput: list[tuple[str, float, float]]
    """(case, compression ratio, read throughput in MB/s) of every codec with both recorded."""

    def best_safe(self) -> dict[str, StudyRow]:
        """The highest-ratio safe setting of every family that has one."""
        best: dict[str, StudyRow] = {}
        for row in self.rows:
            if row.safe and (row.family not in best or row.ratio > best[row.family].ratio):
                best[row.family] = row
        return best


def family(codec: str) -> str:
    """The lossy family a study codec belongs to: its first stage (``zfp-accuracy``; ``noise-tied step``)."""
    if codec in NOISE_TIED:
        return f"noise-tied {codec.split('-')[0]}"
    spec = parse_codec(codec)
    stage = spec.filters[0] if spec.filters else spec.compressor
    return f"zfp-{stage.mode}" if stage.family == "zfp" else stage.family


def build_study(results: Results, environment: str | None = None) -> StudyReport:
    """The study rows of one environment's latest run (by default the newest run holding study results)."""
    runs = [run for run in results.runs if any(case.benchmark.startswith(_CLASSES) for case in run.values)]
    if environment is not None:
        runs = [run for run in runs if environment in run.env_name]
    if not runs:
        raise ReportError(
            "no study results"
            + (f" for environment {environment!r}" if environment else "")
            + ": run the suite with CRYOET_ZARR_BENCH_CODECS=study first"
        )
    run = max(runs, key=lambda run: run.date_ms)
    return StudyReport(
        environment=run.env_name,
        commit=run.commit,
        rows=_rows(run),
        lossless=_lossless(run),
        throughput=_throughput(run),
    )


def _throughput(run: EnvironmentRun) -> list[tuple[str, float, float]]:
    """Ratio and read throughput (raw MB per second of ``Read.time_read``) of every case with both."""
    by_name: dict[str, dict] = {}
    for case, value in run.values.items():
        if _is_number(value):
            by_name.setdefault(case.benchmark, {})[case.params] = value
    ratios = by_name.get(_COMPRESSION_RATIO, {})
    stored = by_name.get("compression.Compression.track_stored_bytes", {})
    reads = by_name.get("write_read.Read.time_read", {})
    points = []
    for params, seconds in reads.items():
        if params in ratios and params in stored and seconds > 0:
            raw_mb = ratios[params] * stored[params] / 1e6
            points.append((", ".join(value for _, value in params), ratios[params], raw_mb / seconds))
    return points


def pareto_front(points: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """The points no other point beats on both ratio and throughput, by ratio."""
    front = [
        p
        for p in points
        if not any(q[1] >= p[1] and q[2] >= p[2] and (q[1] > p[1] or q[2] > p[2]) for q in points)
    ]
    return sorted(front, key=lambda p: p[1])


def float_aware(codec: str) -> bool:
    """Whether a lossless codec understands floats: pcodec, ZFP, or Blosc with bit shuffling."""
    compressor = parse_codec(codec).compressor
    return compressor.family in ("pcodec", "zfp") or getattr(compressor, "shuffle", None) == "bitshuffle"


def _lossless(run: EnvironmentRun) -> LosslessBest:
    limits = [v for case, v in run.values.items() if case.benchmark == _ENTROPY_LIMIT and _is_number(v)]
    ratios = [
        (case.param("codec"), value)
        for case, value in run.values.items()
        if case.benchmark == _COMPRESSION_RATIO
        and _is_number(value)
        and parse_codec(case.param("codec")).lossless
    ]
    floats = [(codec, ratio) for codec, ratio in ratios if float_aware(codec)]
    return LosslessBest(
        entropy_limit=limits[0] if limits else None,
        best=max(ratios, key=lambda item: item[1], default=None),
        best_float_aware=max(floats, key=lambda item: item[1], default=None),
    )


def _is_number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _rows(run: EnvironmentRun) -> list[StudyRow]:
    values: dict[tuple[str, tuple], dict[str, float]] = {}
    for case, value in run.values.items():
        cls, _, track = case.benchmark.rpartition(".track_")
        if cls in _CLASSES and track in _FIGURES and value is not None and not math.isnan(value):
            values.setdefault((cls, case.params), {})[track] = value
    rows = []
    for (_, params), figures in values.items():
        if not set(_REQUIRED) <= set(figures):
            continue
        named = dict(params)
        rows.append(
            StudyRow(
                codec=named["codec"],
                family=family(named["codec"]),
                chunks=named["chunks"],
                zarr_format=named["zarr_format"],
                ratio=figures["compression_ratio"],
                added_noise_pct=figures["added_noise"],
                fraction_of_bound=figures["ratio_of_rate_distortion_bound"],
                half_map_shift_angstrom=figures.get("half_map_shift", math.nan),
                safe=bool(figures["safe"]) if "safe" in figures else None,
            )
        )
    return sorted(rows, key=lambda row: (row.family, row.chunks, row.zarr_format, -row.ratio))


_COLUMNS = (
    "family",
    "codec",
    "chunks",
    "format",
    "ratio",
    "added noise %",
    "of R(D)",
    "half-map shift Å",
    "safe",
)


def _cells(row: StudyRow) -> list[str]:
    return [
        row.family,
        row.codec,
        row.chunks,
        row.zarr_format,
        f"{row.ratio:.2f}",
        f"{row.added_noise_pct:.3f}",
        f"{row.fraction_of_bound:.2f}",
        f"{row.half_map_shift_angstrom:+.2f}",
        {True: "yes", False: "no", None: "n/a"}[row.safe],
    ]


def format_study(report: StudyReport) -> str:
    """The study as plain text: the best safe setting per family, then every setting."""
    best = report.best_safe()
    lines = [
        f"environment {report.environment}, commit {report.commit[:8]}",
        "safe = at most 1% added noise variance, FSC(original, decoded) >= 0.99 up to the half-map "
        "resolution, half-map resolution unmoved; of R(D) = ratio / the Gaussian rate-distortion bound at "
        "that added noise",
        "",
        _lossless_text(report.lossless),
        "",
        "highest-ratio safe setting per family:",
        format_table(_COLUMNS, [_cells(row) for row in best.values()]) if best else "(none safe)",
        "",
        "every setting:",
        format_table(_COLUMNS, [_cells(row) for row in report.rows]),
    ]
    return "\n".join(lines)


def _lossless_text(lossless: LosslessBest) -> str:
    """One line: the entropy estimate, the best lossless ratio found and the best float-aware one."""
    limit = lossless.entropy_limit
    parts = [f"lossless: order-0 byte-plane entropy estimate {limit:.3f}x" if limit else "lossless:"]
    for label, found in (("best found", lossless.best), ("best float-aware", lossless.best_float_aware)):
        if found:
            codec, ratio = found
            share = f" = {ratio / limit:.3f} of the estimate" if limit else ""
            parts.append(f"{label} {codec} {ratio:.3f}x{share}")
    return "; ".join(parts)


def write_study_page(report: StudyReport, html_dir: Path) -> Path:
    """Write ``<html_dir>/study/index.html`` with its two figures, swapped in whole."""
    html_dir = Path(html_dir)
    html_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=html_dir, prefix=f".{STUDY_PAGE_DIR}-"))
    try:
        _plot(report, staging / "ratio-vs-added-noise.png", x="added_noise_pct", log=True)
        _plot(report, staging / "ratio-vs-half-map-shift.png", x="half_map_shift_angstrom", log=False)
        if report.throughput:
            _plot_throughput(report, staging / "ratio-vs-read-throughput.png")
        (staging / "index.html").write_text(_page_html(report), encoding="utf-8")
        os.chmod(staging, 0o755)
        replace_directory(staging, html_dir / STUDY_PAGE_DIR)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return html_dir / STUDY_PAGE_DIR / "index.html"


def _plot(report: StudyReport, path: Path, *, x: str, log: bool) -> None:
    """Compression ratio against ``x``, one marker series per family; safe settings filled, unsafe hollow.
    With the added noise on the x-axis, the R(D) bound for float32 is drawn in."""
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
            chosen = [row for row in rows if bool(row.safe) is safe]
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
        positive = [row.added_noise_pct for row in report.rows if row.added_noise_pct > 0]
        if positive:
            lo, hi = min(positive) / 2, min(max(positive) * 2, 99.0)
            xs = [lo * (hi / lo) ** (k / 99) for k in range(100)]
            ax.plot(xs, [rate_distortion_ratio(v / 100) for v in xs], color="black", label="R(D) bound")
        ax.axvline(1.0, color="grey", linestyle=":", label="1% added noise")
        ax.set_xlabel("added noise (% of the noise variance)")
    else:
        ax.axvline(0.0, color="grey", linestyle=":")
        ax.set_xlabel("half-map FSC 0.143 resolution shift (Å; positive = worse)")
    ax.set_ylabel("compression ratio")
    ax.set_title(f"{report.environment} (filled = safe)", fontsize=9)
    ax.legend(fontsize=7)
    figure.savefig(path, dpi=100)


def _plot_throughput(report: StudyReport, path: Path) -> None:
    """Ratio against read throughput for every codec with both recorded; the Pareto front joined and named."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.subplots()
    ax.scatter([p[2] for p in report.throughput], [p[1] for p in report.throughput], color="lightgrey")
    front = pareto_front(report.throughput)
    ax.plot([p[2] for p in front], [p[1] for p in front], marker="o", color="black", label="Pareto front")
    for name, ratio, speed in front:
        ax.annotate(name, (speed, ratio), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("read throughput (raw MB/s, Read.time_read)")
    ax.set_ylabel("compression ratio")
    ax.set_title(f"{report.environment}", fontsize=9)
    ax.legend(fontsize=7)
    figure.savefig(path, dpi=100)


def _page_html(report: StudyReport) -> str:
    def table(rows: list[StudyRow]) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _cells(row)) + "</tr>"
            for row in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    throughput = (
        '<img src="ratio-vs-read-throughput.png" alt="ratio against read throughput, Pareto front marked">'
        if report.throughput
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cryoet-zarr-bench: the codec study</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style></head><body>
<h1>The codec study</h1>
<p>Environment {html.escape(report.environment)}, commit {html.escape(report.commit[:8])}. A setting is
<em>safe</em> when it adds at most 1% to the noise variance, keeps FSC(original, decoded) &ge; 0.99 up to the
half-map resolution and leaves that resolution where it was. "of R(D)": the ratio as a fraction of the
Gaussian rate&ndash;distortion bound at the same added noise. Lossy ratios depend on the data's texture: say
which volume they were measured on.</p>
<p>{html.escape(_lossless_text(report.lossless))}</p>
<h2>Highest-ratio safe setting per family</h2>{table(list(report.best_safe().values()))}
<p><img src="ratio-vs-added-noise.png" alt="ratio against added noise, with the R(D) bound">
<img src="ratio-vs-half-map-shift.png" alt="ratio against half-map resolution shift">{throughput}</p>
<h2>Every setting</h2>{table(report.rows)}
</body></html>
"""
