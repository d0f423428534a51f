"""The codec study from recorded asv results: every lossy setting against the noise and a Gaussian reference.

Reads one environment's results of ``benchmarks/study.py`` (``LossyFidelity`` and ``NoiseTiedFidelity``) and
arranges them by lossy family, one row per setting and chunk shape (the newest Zarr format's): the ratio
(raw / chunk bytes), the added noise (% of the noise variance), the worst Fourier shell's error, the ratio as
a fraction of the Gaussian reference at the same distortion, the half-map resolution shift, one column per
verdict criterion (any ``track_criterion_<name>``) and the verdict; for every family, the highest-ratio safe
setting (without half-volumes: the highest-ratio setting at ≤ 1% added noise); and, beside the volume's
lossless limit (the order-0 byte-plane entropy estimate), the best lossless ratio found and the best
float-aware one.  ``cryoet-zarr-bench study`` prints the tables (:func:`format_study`) and writes
``<html_dir>/study/index.html`` (:func:`write_study_page`, a :mod:`.pages` page) with its figures: ratio
against added noise with the Gaussian reference drawn in, ratio against the half-map FSC's change, where
the warm read (:data:`~.registry.READ_WARM`) ran ratio against read throughput with the Pareto front marked
and, for one lossy setting, the central slices of original, decoded and difference (:func:`central_slices`,
from the volume itself: the only figure not drawn from recorded results).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..codecs import check_error_bound, is_noise_tied, parse_codec, resolve_noise_tied
from ..sources.halves import noise_estimate
from ..stores import MemoryStore, parse_chunks
from ..volume import Volume
from .asv_results import EnvironmentRun, Results
from .pages import Page, Paragraph, Plot, Section, Table, write_page
from .registry import (
    COMPRESSION_RATIO,
    ENTROPY_RATIO_LIMIT,
    LIMIT_FIGURES,
    READ_WARM,
    RUN_CODEC_STUDY,
    STORED_BYTES,
    STUDY_CLASSES,
    STUDY_FIGURES,
    study_limit,
)
from .runs import ReportError, is_number
from .study_figures import plot_ratio, plot_slices, plot_throughput
from .tables import format_table

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
_REQUIRED = ("compression_ratio", "added_noise", "fraction_of_gaussian_reference")
#: Half-map figures exist only for volumes with half-volumes; ``criterion_<name>`` tracks (of any class with a
#: codec parameter, e.g. a use-based test beside the noise verdict) each make a column.
_FIGURES = STUDY_FIGURES
_CRITERION = "criterion_"
#: ``study.Limits`` figures the page names beside the source.
_LIMITS = LIMIT_FIGURES


@dataclass(frozen=True)
class StudyRow:
    """One lossy setting at one chunk shape (fidelity does not depend on the Zarr format: one row).

    ``criteria`` maps each criterion (``added_noise``, ``half_map``, ``signal_kept``, and any other recorded
    as ``track_criterion_<name>``) to whether it passed, None where it could not be judged.
    """

    codec: str
    family: str
    chunks: str
    zarr_format: str
    ratio: float
    added_noise_pct: float
    fraction_of_reference: float
    half_map_shift_angstrom: float
    half_map_deviation: float
    worst_shell_pct: float
    safe: bool | None
    criteria: dict[str, bool | None]

    @property
    def passes(self) -> bool:
        """Passed every criterion that could be judged (at least the added noise)."""
        judged = [passed for passed in self.criteria.values() if passed is not None]
        if not judged:
            return bool(self.safe) if self.safe is not None else self.added_noise_pct <= 1.0
        return all(judged)


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
    limits: dict[str, float]
    """``study.Limits`` figures recorded (noise estimates, data std, half-map resolution, reference)."""
    volume_note: str = ""
    """One line naming the source, shape, σ and its estimates, when the page was given the volume."""

    @property
    def judged_by_noise_only(self) -> bool:
        """No setting could be judged on the half-map criteria (no half-volumes)."""
        return bool(self.rows) and all(row.safe is None for row in self.rows)

    @property
    def criterion_names(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            names.extend(name for name in row.criteria if name not in names)
        return names

    def best_safe(self) -> dict[str, StudyRow]:
        """The highest-ratio safe setting of every family that has one; without half-volumes, the
        highest-ratio setting at ≤ 1% added noise (the one criterion that can be judged)."""
        best: dict[str, StudyRow] = {}
        for row in self.rows:
            good = row.passes if self.judged_by_noise_only else row.safe
            if good and (row.family not in best or row.ratio > best[row.family].ratio):
                best[row.family] = row
        return best


def family(codec: str) -> str:
    """The lossy family of a study codec: its first stage (``zfp-accuracy``, ``step``, ``bitinfo``)."""
    if is_noise_tied(codec):
        first = codec.split("+")[0]
        return "zfp-accuracy" if first.startswith("zfp-accuracy") else first.split("-")[0]
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
        limits={
            name: value
            for case, value in run.values.items()
            for name in _LIMITS
            if case.benchmark == study_limit(name) and is_number(value)
        },
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
        and not is_noise_tied(case.param("codec"))
        and parse_codec(case.param("codec")).lossless
    ]
    floats = [(codec, ratio) for codec, ratio in ratios if float_aware(codec)]
    return LosslessBest(
        entropy_limit=limits[0] if limits else None,
        best=max(ratios, key=lambda item: item[1], default=None),
        best_float_aware=max(floats, key=lambda item: item[1], default=None),
    )


def _rows(run: EnvironmentRun) -> list[StudyRow]:
    values: dict[tuple[str, str], dict[str, float]] = {}
    formats: dict[tuple[str, str], str] = {}
    for case, value in run.values.items():
        cls, _, track = case.benchmark.rpartition(".track_")
        if not is_number(value) or "codec" not in dict(case.params):
            continue
        if not (cls in STUDY_CLASSES and track in _FIGURES) and not track.startswith(_CRITERION):
            continue
        named = dict(case.params)
        key = (named["codec"], named.get("chunks", ""))
        fmt = named.get("zarr_format", "")
        if fmt < formats.get(key, ""):  # one row per setting: the newest format's figures
            continue
        if fmt > formats.get(key, ""):
            values.pop(key, None)
        formats[key] = fmt
        values.setdefault(key, {})[track] = value
    rows = []
    for (codec, chunks), figures in values.items():
        if not set(_REQUIRED) <= set(figures):
            continue
        criteria = {
            track[len(_CRITERION) :]: bool(value)
            for track, value in figures.items()
            if track.startswith(_CRITERION)
        }
        rows.append(
            StudyRow(
                codec=codec,
                family=family(codec),
                chunks=chunks,
                zarr_format=formats[(codec, chunks)],
                ratio=figures["compression_ratio"],
                added_noise_pct=figures["added_noise"],
                fraction_of_reference=figures["fraction_of_gaussian_reference"],
                half_map_shift_angstrom=figures.get("half_map_shift", math.nan),
                half_map_deviation=figures.get("half_map_deviation", math.nan),
                worst_shell_pct=figures.get("worst_shell_added_power", math.nan),
                safe=bool(figures["safe"]) if "safe" in figures else None,
                criteria=criteria,
            )
        )
    return sorted(rows, key=lambda row: (row.family, row.chunks, -row.ratio))


_COLUMNS = (
    "family",
    "codec",
    "chunks",
    "ratio",
    "added noise %",
    "worst shell %",
    "of Gaussian ref.",
    "half-map shift Å",
)


def _columns(report: StudyReport) -> tuple[str, ...]:
    return (*_COLUMNS, *(name.replace("_", " ") for name in report.criterion_names), "safe")


def _judged(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "n/a"}[value]


def _cells(report: StudyReport, row: StudyRow) -> list[str]:
    return [
        row.family,
        row.codec,
        row.chunks,
        f"{row.ratio:.2f}",
        f"{row.added_noise_pct:.3f}",
        "n/a" if math.isnan(row.worst_shell_pct) else f"{row.worst_shell_pct:.3g}",
        f"{row.fraction_of_reference:.2f}",
        "n/a" if math.isnan(row.half_map_shift_angstrom) else f"{row.half_map_shift_angstrom:+.2f}",
        *(_judged(row.criteria.get(name)) for name in report.criterion_names),
        _judged(row.safe),
    ]


_DEFINITION = (
    "safe = every criterion passed: at most 1% added noise variance; the half-map FSC unchanged within its "
    "uncertainty 1/sqrt(n) shell by shell and its 0.143 crossing unmoved beyond its own; FSC(original, "
    "decoded) >= 0.99 up to the half-map resolution. of Gaussian ref. = the ratio / that of a Gaussian "
    "source of the volume's measured spectrum at the same distortion (reverse water-filling; a reference, "
    "not a bound: real data may beat it). worst shell % = the error's power / the data's in the worst "
    "Fourier shell"
)


def _noise_text(report: StudyReport) -> str:
    """One line: the σ used and every estimate recorded, the data's std and the half-map resolution."""
    limits = report.limits
    if "noise_sigma" not in limits:
        return ""
    parts = [f"noise σ {limits['noise_sigma']:.3g}"]
    for name, label in (
        ("noise_sigma_half_volumes", "half-volumes"),
        ("noise_sigma_spectral", "spectral"),
        ("noise_sigma_mad", "MAD"),
        ("data_std", "data std"),
    ):
        if name in limits:
            parts.append(f"{label} {limits[name]:.3g}")
    if "half_map_resolution" in limits:
        parts.append(
            f"half-map resolution {limits['half_map_resolution']:.1f} ± "
            f"{limits.get('half_map_resolution_uncertainty', math.nan):.1f} Å"
        )
    if "gaussian_reference_at_1pct" in limits:
        parts.append(f"Gaussian reference at 1% added noise {limits['gaussian_reference_at_1pct']:.2f}x")
    return "; ".join(parts)


def format_study(report: StudyReport) -> str:
    """The study as plain text: the source and noise, the best setting per family, then every setting."""
    best = report.best_safe()
    columns = _columns(report)
    lines = [
        f"environment {report.environment}, commit {report.commit[:8]}",
        *([report.volume_note] if report.volume_note else []),
        *([_noise_text(report)] if _noise_text(report) else []),
        _DEFINITION,
        "",
        _lossless_text(report.lossless),
        "",
        _best_heading(report) + ":",
        format_table(columns, [_cells(report, row) for row in best.values()]) if best else "(none safe)",
        "",
        "every setting:",
        format_table(columns, [_cells(report, row) for row in report.rows]),
    ]
    return "\n".join(lines)


def _best_heading(report: StudyReport) -> str:
    if report.judged_by_noise_only:
        return (
            "highest-ratio setting per family at <= 1% added noise (judged by the added noise only: the "
            "volume has no half-volumes; give ?halves=odd.mrc,even.mrc for the half-map criteria)"
        )
    return "highest-ratio safe setting per family"


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
    if is_noise_tied(codec):
        concrete = resolve_noise_tied(codec, volume.data, noise_estimate(volume).sigma)
    store = MemoryStore()
    store.write(volume.data, codec=concrete, chunks=parse_chunks(chunks), zarr_format=zarr_format)
    decoded = store.read()
    check_error_bound(concrete, volume.data, decoded)
    z = volume.shape[0] // 2
    return CentralSlices(concrete, chunks, zarr_format, z, volume.data[z].copy(), np.asarray(decoded[z]))


def study_page(report: StudyReport, slices: CentralSlices | None = None) -> Page:
    """The study as a page: the source and its noise, the lossless limit, the best setting per family, the
    rate–distortion figures, the central slices of one lossy setting (if given) and every setting."""
    columns = _columns(report)

    def table(table_id: str, rows: list[StudyRow]) -> Table:
        cells = [_cells(report, row) for row in rows]
        return Table(id=table_id, header=columns, rows=[(cell[:3], cell[3:]) for cell in cells])

    figures: list[Plot | Paragraph] = [
        Plot(
            "ratio-vs-added-noise.png",
            "ratio against added noise, with the Gaussian reference",
            lambda: plot_ratio(report, x="added_noise_pct", log=True),
        )
    ]
    if any(not math.isnan(row.half_map_deviation) for row in report.rows):
        figures.append(
            Plot(
                "ratio-vs-half-map-change.png",
                "ratio against the half-map FSC's change, in units of its uncertainty",
                lambda: plot_ratio(report, x="half_map_deviation", log=False),
            )
        )
    else:
        figures.append(Paragraph("No half-map figure: the volume has no half-volumes (?halves=A,B)."))
    if report.throughput:
        figures.append(
            Plot(
                "ratio-vs-read-throughput.png",
                "ratio against read throughput, Pareto front marked",
                lambda: plot_throughput(report),
            )
        )
    best = report.best_safe()
    sections = [
        Section(
            _best_heading(report)[:1].upper() + _best_heading(report)[1:],
            [table("best-safe", list(best.values()))] if best else [Paragraph("(none safe)")],
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
                        lambda: plot_slices(slices),
                    ),
                ],
                id="slices",
            )
        )
    sections.append(Section("Every setting", [table("every-setting", report.rows)], id="every-setting"))
    source = [Paragraph(text) for text in (report.volume_note, _noise_text(report)) if text]
    return Page(
        title="The codec study",
        blocks=[
            Paragraph(f"Environment {report.environment}, commit {report.commit[:8]}."),
            *source,
            Paragraph(_DEFINITION + ". Lossy ratios depend on the data's texture."),
            Paragraph(_lossless_text(report.lossless)),
        ],
        sections=sections,
    )


def write_study_page(report: StudyReport, html_dir: Path, slices: CentralSlices | None = None) -> Path:
    """Write ``<html_dir>/study/index.html`` and its figures, swapped in whole."""
    return write_page(study_page(report, slices), Path(html_dir) / STUDY_PAGE_DIR)
