"""The codec study from recorded asv results: every lossy setting against the noise and a Gaussian reference.

Reads one environment's results of ``benchmarks/study.py`` (``LossyFidelity`` and ``NoiseTiedFidelity``) and
arranges them by lossy family, one row per setting and chunk shape (the newest Zarr format's): the ratio
(raw / chunk bytes), the added noise (% of the noise variance), the worst Fourier shell's error, the ratio as
a fraction of the Gaussian reference at the same distortion, the half-map resolution shift, one column per
verdict criterion (any ``track_criterion_<name>``) and the verdict; for every family, the highest-ratio safe
setting (without half-volumes: the highest-ratio setting at ≤ 1% added noise); beside the volume's lossless
limit (the order-0 byte-plane entropy estimate), the best lossless ratio found and the best float-aware one;
and, where the full read (:data:`~cryoet_zarr_bench.report.registry.READ_TIME`) ran, each codec's ratio
against its read throughput.

Nothing here formats text or draws: :mod:`.text`, :mod:`.figures` and :mod:`.page` do; :mod:`.slices` takes
the central slices of one setting from the volume itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...codecs import is_noise_tied, parse_codec
from ..asv_results import EnvironmentRun, Results
from ..registry import (
    COMPRESSION_RATIO,
    ENTROPY_RATIO_LIMIT,
    LIMIT_FIGURES,
    READ_TIME,
    RUN_CODEC_STUDY,
    STORED_BYTES,
    STUDY_CLASSES,
    STUDY_FIGURES,
    study_limit,
)
from ..runs import ReportError, is_number

__all__ = [
    "LosslessBest",
    "StudyReport",
    "StudyRow",
    "build_study",
    "family",
    "float_aware",
    "pareto_front",
]

_REQUIRED = ("compression_ratio", "added_noise", "fraction_of_gaussian_reference")
#: Half-map figures exist only for volumes with half-volumes; ``criterion_<name>`` tracks (of any class with a
#: codec parameter, e.g. a use-based test beside the noise verdict) each make a column.
_CRITERION = "criterion_"


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

    def best_passing(self, criterion: str) -> dict[str, StudyRow]:
        """The highest-ratio setting of every family that passed ``criterion`` (e.g. ``use``: picking and
        averaging unchanged)."""
        best: dict[str, StudyRow] = {}
        for row in self.rows:
            if row.criteria.get(criterion) and (row.family not in best or row.ratio > best[row.family].ratio):
                best[row.family] = row
        return best

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
            for name in LIMIT_FIGURES
            if case.benchmark == study_limit(name) and is_number(value)
        },
    )


def _throughput(run: EnvironmentRun) -> list[tuple[str, float, float]]:
    """Ratio and read throughput (raw MB per second of the full read) of every case with both."""
    by_name: dict[str, dict] = {}
    for case, value in run.values.items():
        if is_number(value):
            by_name.setdefault(case.benchmark, {})[case.params] = value
    ratios = by_name.get(COMPRESSION_RATIO, {})
    stored = by_name.get(STORED_BYTES, {})
    reads = by_name.get(READ_TIME, {})
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
        if not (cls in STUDY_CLASSES and track in STUDY_FIGURES) and not track.startswith(_CRITERION):
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
