"""The codec study as text: its table's columns and cells, what "safe" means, the noise and the lossless
limit in one line each, and the terminal report (:func:`format_study`).  :mod:`.page` says the same on the
page."""

from __future__ import annotations

import math

from ..tables import format_table
from .model import LosslessBest, StudyReport, StudyRow

__all__ = [
    "SAFE_DEFINITION",
    "USE",
    "USE_DEFINITION",
    "best_heading",
    "format_study",
    "lossless_line",
    "noise_line",
    "study_columns",
    "study_cells",
    "use_heading",
]


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


def study_columns(report: StudyReport) -> tuple[str, ...]:
    """The table's header: the setting and its figures, a column per verdict criterion, the verdict."""
    return (*_COLUMNS, *(name.replace("_", " ") for name in report.criterion_names), "safe")


def _judged(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "n/a"}[value]


def study_cells(report: StudyReport, row: StudyRow) -> list[str]:
    """One setting's row under :func:`study_columns`."""
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


SAFE_DEFINITION = (
    "safe = every criterion passed: at most 1% added noise variance; the half-map FSC unchanged within its "
    "uncertainty 1/sqrt(n) shell by shell and its 0.143 crossing unmoved beyond its own; FSC(original, "
    "decoded) >= 0.99 up to the half-map resolution. of Gaussian ref. = the ratio / that of a Gaussian "
    "source of the volume's measured spectrum at the same distortion (reverse water-filling; a reference, "
    "not a bound: real data may beat it). worst shell % = the error's power / the data's in the worst "
    "Fourier shell"
)


#: The criterion ``study_use.UseFidelity`` records (``track_criterion_use``), judged apart from "safe".
USE = "use"
USE_DEFINITION = (
    "use = picking the synthetic volume's known particles by template matching and averaging them give the "
    "same recall, precision and half-set FSC resolution as on the original, within the original's 95% "
    "intervals (a test of what users do with a tomogram; with about 200 particles it sees changes of some 7 "
    "points of recall or 4 Å, no smaller)"
)


def noise_line(report: StudyReport) -> str:
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
    columns = study_columns(report)
    lines = [
        f"environment {report.environment}, commit {report.commit[:8]}",
        *([report.volume_note] if report.volume_note else []),
        *([noise_line(report)] if noise_line(report) else []),
        SAFE_DEFINITION,
        "",
        lossless_line(report.lossless),
        "",
        best_heading(report) + ":",
        format_table(columns, [study_cells(report, row) for row in best.values()]) if best else "(none safe)",
        "",
        *_use_lines(report, columns),
        "every setting:",
        format_table(columns, [study_cells(report, row) for row in report.rows]),
    ]
    return "\n".join(lines)


def _use_lines(report: StudyReport, columns: tuple[str, ...]) -> list[str]:
    """The highest-ratio setting per family safe for use, when the study judged use at all."""
    if USE not in report.criterion_names:
        return []
    best = report.best_passing(USE)
    table = format_table(columns, [study_cells(report, row) for row in best.values()]) if best else "(none)"
    return [use_heading() + ":", USE_DEFINITION, table, ""]


def use_heading() -> str:
    return "highest-ratio setting per family safe for use (picking and averaging unchanged)"


def best_heading(report: StudyReport) -> str:
    """What the table of the best setting per family holds, and how it was judged."""
    if report.judged_by_noise_only:
        return (
            "highest-ratio setting per family at <= 1% added noise (judged by the added noise only: the "
            "volume has no half-volumes; give ?halves=odd.mrc,even.mrc for the half-map criteria)"
        )
    return "highest-ratio safe setting per family"


def lossless_line(lossless: LosslessBest) -> str:
    """One line: the entropy estimate, the best lossless ratio found and the best float-aware one."""
    limit = lossless.entropy_limit
    parts = [f"lossless: order-0 byte-plane entropy estimate {limit:.3f}x" if limit else "lossless:"]
    for label, found in (("best found", lossless.best), ("best float-aware", lossless.best_float_aware)):
        if found:
            codec, ratio = found
            share = f" = {ratio / limit:.3f} of the estimate" if limit else ""
            parts.append(f"{label} {codec} {ratio:.3f}x{share}")
    return "; ".join(parts)
