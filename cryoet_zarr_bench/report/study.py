"""The codec study from recorded asv results: every lossy setting against the noise and the R(D) bound.

Reads one environment's results of ``benchmarks/study.py`` (``LossyFidelity`` and ``NoiseTiedFidelity``) and
arranges them by lossy family: the compression ratio, the added noise (% of the noise variance), the ratio
as a fraction of the rate–distortion bound at the same added noise, the half-map resolution shift and the
safety verdict; for every family, the highest-ratio safe setting; and, beside the volume's lossless limit
(the order-0 byte-plane entropy estimate), the best lossless ratio found and the best float-aware one.
``cryoet-zarr-bench study`` prints the tables (:func:`format_study`) and writes
``<html_dir>/study/index.html`` (:func:`write_study_page`, a :mod:`.pages` page) with its figures: ratio
against added noise with the R(D) bound drawn in, ratio against the half-map resolution shift, where
the warm read (:data:`~.registry.READ_WARM`) ran ratio against read throughput with the Pareto front marked
and, for one lossy setting, the central slices of original, decoded and difference (:func:`central_slices`,
from the volume itself: the only figure not drawn from recorded results).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..codecs import NOISE_TIED, check_error_bound, parse_codec, resolve_noise_tied
from ..fidelity import noise_reference
from ..information import rate_distortion_ratio
from ..stores import MemoryStore, parse_chunks
from ..volume import Volume
from .asv_results import EnvironmentRun, Results
from .pages import Page, Paragraph, Plot, Section, Table, write_page
from .registry import (
    COMPRESSION_RATIO,
    ENTROPY_RATIO_LIMIT,
    READ_WARM,
    RUN_CODEC_STUDY,
    STORED_BYTES,
    STUDY_CLASSES,
    STUDY_FIGURES,
)
from .runs import ReportError, is_number
from .tables import format_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STUDY_PAGE_DIR",
    "CentralSlices",
    "LosslessBest",
    "StudyReport",
    "StudyRow",
    "build_study",
    "central_slices",
    "family",
    "float_aware",
    "format_study",
    "pareto_front",
    "slices_setting",
    "study_page",
    "write_study_page",
]

STUDY_PAGE_DIR = "study"
_REQUIRED = ("compression_ratio", "added_noise", "ratio_of_rate_distortion_bound")
#: Half-map figures exist only for volumes with half-volumes (the synthetic source).
_FIGURES = STUDY_FIGURES


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
    runs = [
        run
        for run in results.runs
        if any(case.benchmark.startswith(STUDY_CLASSES) and is_number(v) for case, v in run.values.items())
    ]
    if environment is not None:
        runs = [run for run in runs if environment in run.env_name]
    if not runs:
        raise ReportError(
            "no codec-study setting was measured"
            + (f" in environment {environment!r}" if environment else "")
            + f", so none can be judged safe; run the codec study: {RUN_CODEC_STUDY}"
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
    """Ratio and read throughput (raw MB per second of the warm read) of every case with both."""
    by_name: dict[str, dict] = {}
    for case, value in run.values.items():
        if is_number(value):
            by_name.setdefault(case.benchmark, {})[case.params] = value
    ratios = by_name.get(COMPRESSION_RATIO, {})
    stored = by_name.get(STORED_BYTES, {})
    reads = by_name.get(READ_WARM, {})
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
    limits = [v for case, v in run.values.items() if case.benchmark == ENTROPY_RATIO_LIMIT and is_number(v)]
    ratios = [
        (case.param("codec"), value)
        for case, value in run.values.items()
        if case.benchmark == COMPRESSION_RATIO
        and is_number(value)
        and parse_codec(case.param("codec")).lossless
    ]
    floats = [(codec, ratio) for codec, ratio in ratios if float_aware(codec)]
    return LosslessBest(
        entropy_limit=limits[0] if limits else None,
        best=max(ratios, key=lambda item: item[1], default=None),
        best_float_aware=max(floats, key=lambda item: item[1], default=None),
    )


def _rows(run: EnvironmentRun) -> list[StudyRow]:
    values: dict[tuple[str, tuple], dict[str, float]] = {}
    for case, value in run.values.items():
        cls, _, track = case.benchmark.rpartition(".track_")
        if cls in STUDY_CLASSES and track in _FIGURES and is_number(value):
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
        "n/a" if math.isnan(row.half_map_shift_angstrom) else f"{row.half_map_shift_angstrom:+.2f}",
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
        format_table(_COLUMNS, [_cells(row) for row in best.values()]) if best else _no_safe_setting(report),
        "",
        "every setting:",
        format_table(_COLUMNS, [_cells(row) for row in report.rows]),
    ]
    return "\n".join(lines)


def _no_safe_setting(report: StudyReport) -> str:
    """Why no family has a safe setting: none passed, or none could be judged (no half-volumes)."""
    if report.rows and all(row.safe is None for row in report.rows):
        return (
            "(none judged: the volume has no half-volumes, so the half-map test cannot run and no setting is "
            "called safe; compare the added noise instead)"
        )
    return "(none safe)"


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


@dataclass(frozen=True)
class CentralSlices:
    """The central XY slice (z = depth // 2) of a volume, of its copy decoded from ``codec`` and their
    difference (decoded - original), in data units."""

    codec: str
    chunks: str
    zarr_format: int
    z: int
    original: np.ndarray
    decoded: np.ndarray

    @property
    def difference(self) -> np.ndarray:
        return self.decoded.astype(np.float64) - self.original.astype(np.float64)


def slices_setting(report: StudyReport, codec: str | None = None) -> StudyRow | None:
    """The recorded setting the slices show: ``codec``'s (its first recorded chunks and format), by default
    the highest-ratio safe setting of all; None when ``codec`` is unrecorded or nothing was judged safe."""
    if codec is not None:
        return next((row for row in report.rows if row.codec == codec), None)
    return max(report.best_safe().values(), key=lambda row: row.ratio, default=None)


def central_slices(volume: Volume, codec: str, chunks: str, zarr_format: int) -> CentralSlices:
    """Write ``volume`` with ``codec`` into a memory store, read it back (the codec's error bound checked, as
    in the benchmarks) and keep the central XY slices.  A noise-tied setting (``step-1%+pcodec-8``) is
    resolved against the volume's noise first, as ``study.NoiseTiedFidelity`` does."""
    concrete = codec
    if codec in NOISE_TIED:
        concrete = resolve_noise_tied(codec, volume.data, noise_reference(volume).sigma)
    store = MemoryStore()
    store.write(volume.data, codec=concrete, chunks=parse_chunks(chunks), zarr_format=zarr_format)
    decoded = store.read()
    check_error_bound(concrete, volume.data, decoded)
    z = volume.shape[0] // 2
    return CentralSlices(concrete, chunks, zarr_format, z, volume.data[z].copy(), np.asarray(decoded[z]))


def study_page(report: StudyReport, slices: CentralSlices | None = None) -> Page:
    """The study as a page: the lossless limit, the best safe setting per family, the rate–distortion
    figures, the central slices of one lossy setting (if given) and every setting."""

    def table(table_id: str, rows: list[StudyRow]) -> Table:
        cells = [_cells(row) for row in rows]
        return Table(id=table_id, header=_COLUMNS, rows=[(cell[:4], cell[4:]) for cell in cells])

    figures = [
        Plot(
            "ratio-vs-added-noise.png",
            "ratio against added noise, with the R(D) bound",
            lambda: _plot(report, x="added_noise_pct", log=True),
        ),
        Plot(
            "ratio-vs-half-map-shift.png",
            "ratio against half-map resolution shift",
            lambda: _plot(report, x="half_map_shift_angstrom", log=False),
        ),
    ]
    if report.throughput:
        figures.append(
            Plot(
                "ratio-vs-read-throughput.png",
                "ratio against read throughput, Pareto front marked",
                lambda: _plot_throughput(report),
            )
        )
    best = report.best_safe()
    sections = [
        Section(
            "Highest-ratio safe setting per family",
            [table("best-safe", list(best.values()))] if best else [Paragraph(_no_safe_setting(report))],
            id="best-safe",
        ),
        Section("Rate and distortion", figures, id="figures"),
    ]
    if slices is not None:
        sections.append(
            Section(
                f"Central slices: {slices.codec}",
                [
                    Paragraph(
                        f"XY slice z = {slices.z} of the original volume, of its copy decoded from "
                        f"{slices.codec} (chunks {slices.chunks}, Zarr format {slices.zarr_format}) and of "
                        "their difference, each on its own grey scale (drawn from the volume when the page "
                        "was written, not from the recorded results)."
                    ),
                    Plot(
                        "central-slices.png",
                        f"central slices: original, decoded from {slices.codec}, difference",
                        lambda: _plot_slices(slices),
                    ),
                ],
                id="slices",
            )
        )
    sections.append(Section("Every setting", [table("every-setting", report.rows)], id="every-setting"))
    return Page(
        title="The codec study",
        blocks=[
            Paragraph(
                f"Environment {report.environment}, commit {report.commit[:8]}. A setting is safe when it "
                "adds at most 1% to the noise variance, keeps FSC(original, decoded) >= 0.99 up to the "
                "half-map resolution and leaves that resolution where it was; without half-volumes (any "
                "volume but the synthetic one) no setting can be judged safe. \"of R(D)\": the ratio as a "
                "fraction of the Gaussian rate\u2013distortion bound at the same added noise. Lossy ratios "
                "depend on the data's texture: say which volume they were measured on."
            ),
            Paragraph(_lossless_text(report.lossless)),
        ],
        sections=sections,
    )


def write_study_page(report: StudyReport, html_dir: Path, slices: CentralSlices | None = None) -> Path:
    """Write ``<html_dir>/study/index.html`` and its figures, swapped in whole."""
    return write_page(study_page(report, slices), Path(html_dir) / STUDY_PAGE_DIR)


def _plot(report: StudyReport, *, x: str, log: bool) -> Figure:
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
    return figure


def _plot_throughput(report: StudyReport) -> Figure:
    """Ratio against read throughput for every codec with both recorded; the Pareto front joined and named."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.subplots()
    ax.scatter([p[2] for p in report.throughput], [p[1] for p in report.throughput], color="lightgrey")
    front = pareto_front(report.throughput)
    ax.plot([p[2] for p in front], [p[1] for p in front], marker="o", color="black", label="Pareto front")
    for name, ratio, speed in front:
        ax.annotate(name, (speed, ratio), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"read throughput (raw MB/s, {READ_WARM})")
    ax.set_ylabel("compression ratio")
    ax.set_title(f"{report.environment}", fontsize=9)
    ax.legend(fontsize=7)
    return figure


def _plot_slices(slices: CentralSlices) -> Figure:
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
