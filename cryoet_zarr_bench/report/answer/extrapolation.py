"""The answer beyond the benchmarked volume: storage and egress of the winner for a dataset and the portal.

A winner was measured on one volume.  Its storage is scaled to a scope's raw size (the fraction the winner
stores: one over its ratio, or its layout's stored bytes over the raw bytes); the egress of one full
download is that storage, and for viewing, the egress of one XY slice of every tomogram in the scope, each
taken to be the benchmarked volume's size.  The portal's codec, measured at the same other settings, is
scaled the same way for the saving.  Every assumption is listed with the figures (:func:`assumptions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...survey.summary import CodecSummary, full_tomogram_bytes
from .rules import VIEWING, Candidate, Choice, Rules, Value

__all__ = ["Extrapolation", "Scaled", "Scope", "assumptions", "extrapolate", "scopes"]


@dataclass(frozen=True)
class Scope:
    """What the answer is scaled to: a name, its raw bytes and where that size comes from."""

    name: str
    raw_bytes: float
    how: str


@dataclass(frozen=True)
class Scaled:
    """Bytes scaled from one measured value (None where that value was not measured)."""

    bytes: float | None
    source: Value | None


@dataclass(frozen=True)
class Extrapolation:
    """The winner and the portal's codec scaled to one scope."""

    scope: Scope
    stored: Scaled
    """Scaled from the ratio, or from the layout's stored bytes (viewing)."""
    baseline_stored: Scaled
    egress: Scaled
    """One full download of the scope (the stored bytes); for viewing, one XY slice of every tomogram of the
    scope, scaled from the bytes one slice transferred."""
    baseline_egress: Scaled


def scopes(rules: Rules, survey_rows: Sequence[dict[str, Any]]) -> list[Scope]:
    """The dataset (given, or the survey's whole tomograms; left out when neither) and the portal."""
    found = []
    if rules.dataset_bytes is not None:
        found.append(Scope("the dataset", rules.dataset_bytes, "given (--dataset-tb)"))
    elif survey_rows:
        whole = {row["source"]: full_tomogram_bytes(row) for row in survey_rows}
        found.append(
            Scope(f"the {len(whole)} surveyed tomograms", sum(whole.values()), "the whole tomograms surveyed")
        )
    found.append(Scope("the portal", rules.portal_bytes, "assumed (--portal-tb)"))
    return found


def _stored_fraction(use_case: str, candidate: Candidate | None, raw_bytes: float | None) -> float | None:
    """The bytes `candidate` stores per raw byte: its layout's stored bytes (viewing), else 1 / its ratio."""
    if candidate is None:
        return None
    if use_case == VIEWING:
        stored = candidate.figure("stored_bytes")
        return None if stored is None or not raw_bytes else stored / raw_bytes
    ratio = candidate.figure("ratio")
    return None if not ratio else 1 / ratio


def _times(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a * b


def extrapolate(use_case: str, choice: Choice, to: Sequence[Scope]) -> tuple[Extrapolation, ...]:
    """The winner and the baseline of `choice` scaled to every scope; empty when there is nothing to scale."""
    winner = choice.winner
    stored_from = "stored_bytes" if use_case == VIEWING else "ratio"
    if winner is None or stored_from not in winner.figures or (use_case == VIEWING and not choice.raw_bytes):
        return ()
    egress_from = "slice_bytes" if use_case == VIEWING else stored_from
    found = []
    for scope in to:
        tomograms = scope.raw_bytes / choice.raw_bytes if use_case == VIEWING else 1.0
        scaled = []
        for candidate in (winner, choice.baseline):
            figures = {} if candidate is None else candidate.figures
            fraction = _stored_fraction(use_case, candidate, choice.raw_bytes)
            stored = Scaled(_times(scope.raw_bytes, fraction), figures.get(stored_from))
            if use_case == VIEWING:
                sent = figures.get(egress_from)
                egress = Scaled(_times(tomograms, None if sent is None else sent.value), sent)
            else:
                egress = stored
            scaled.append((stored, egress))
        (stored, egress), (baseline_stored, baseline_egress) = scaled
        found.append(Extrapolation(scope, stored, baseline_stored, egress, baseline_egress))
    return tuple(found)


def assumptions(
    use_case: str,
    choice: Choice,
    to: Sequence[Scope],
    spread: CodecSummary | None,
    rules: Rules,
    *,
    survey: bool,
) -> tuple[str, ...]:
    """Every assumption behind :func:`extrapolate`'s figures, one line each."""
    winner = choice.winner
    if winner is None:
        return ()
    measured = "its layout's stored bytes" if use_case == VIEWING else "its compression ratio"
    lines = [f"every tomogram of a scope compresses as the benchmarked volume did ({measured})"]
    if spread is not None:
        lines.append(
            f"across the {spread.volumes} surveyed tomograms {spread.codec}'s ratio ranged "
            f"{spread.min_ratio:.4g}-{spread.max_ratio:.4g} (mean {spread.mean_ratio:.4g})"
        )
    elif survey:
        lines.append(f"the survey did not measure {winner.codec}, so the spread across tomograms is unknown")
    if len(to) == 1:
        lines.append("no dataset size: give --survey TABLE (its whole tomograms) or --dataset-tb")
    lines += [f"raw size of {scope.name}: {scope.raw_bytes / 1e12:.4g} TB, {scope.how}" for scope in to]
    lines.append("metadata documents are not counted (a few hundred bytes per array)")
    if use_case == VIEWING:
        if not choice.raw_bytes or "stored_bytes" not in winner.figures:
            lines.append(
                "nothing extrapolated: the results hold no raw size or no stored bytes of the layout"
            )
        lines.append(
            "egress: one XY slice of every tomogram of the scope, each tomogram the benchmarked volume's "
            "size, each slice costing what it cost here"
        )
    else:
        lines.append("egress: one full download of every tomogram of the scope sends its stored bytes")
    if choice.baseline is None:
        lines.append(
            f"no saving shown: {rules.baseline_codec} was not measured at the winner's other settings"
        )
    else:
        lines.append(f"saving: against {rules.baseline_codec} at the winner's other settings")
    return tuple(lines)
