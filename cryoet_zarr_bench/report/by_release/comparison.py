"""One environment against another at the same commit: every case's two values, their ratio and a flag.

A timing (or any inexact value) is flagged when it moved by more than a factor; the exact benchmarks
(:data:`EXACT_BENCHMARKS`) are flagged on any change, as chunks or as metadata changed.  Which two
environments: by default the oldest and the newest release, otherwise the ones named by words of their
release label or asv name.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..asv_results import Benchmark, Case, EnvironmentRun
from ..registry import CHUNK_BYTES, COMPRESSION_RATIO, METADATA_BYTES, STORED_BYTES
from ..runs import Release, ReportError, is_number
from .facts import Step
from .table import case_has_result, ordered_cases

__all__ = [
    "EXACT_BENCHMARKS",
    "FLAG_CHANGED",
    "FLAG_CHUNKS",
    "FLAG_HIGHER",
    "FLAG_LOWER",
    "FLAG_METADATA",
    "Comparison",
    "ComparisonRow",
    "compare",
]

#: Benchmarks whose values must be equal, not merely close, for the same settings; shown in this order first.
EXACT_BENCHMARKS = (COMPRESSION_RATIO, CHUNK_BYTES, METADATA_BYTES, STORED_BYTES)

FLAG_HIGHER = "higher"
FLAG_LOWER = "lower"
#: The chunks differ (a chunk-bytes or compression-ratio value, or stored bytes with changed chunks).
FLAG_CHUNKS = "CHUNK BYTES CHANGED"
#: The metadata bytes differ, or the stored bytes while the chunk bytes of the same case are equal.
FLAG_METADATA = "metadata changed"
#: Stored bytes differ and the chunk bytes that would say why were not recorded.
FLAG_CHANGED = "changed"


@dataclass(frozen=True)
class ComparisonRow:
    """One case in two environments."""

    case: Case
    baseline: float | None
    contender: float | None
    flag: str
    """``""`` or one of the ``FLAG_*`` values."""

    @property
    def ratio(self) -> float | None:
        """Contender over baseline; None unless both are finite numbers (and the baseline is not 0)."""
        if is_number(self.baseline) and is_number(self.contender) and self.baseline != 0:
            return self.contender / self.baseline
        return None


@dataclass(frozen=True)
class Comparison:
    """Every case's value in two environments at the same commit."""

    baseline: EnvironmentRun
    contender: EnvironmentRun
    step: Step
    """The two environments' releases; its ``library`` says whether one library explains the differences."""
    factor: float
    rows: list[ComparisonRow]


def compare(
    runs: dict[Release, EnvironmentRun],
    benchmarks: list[Benchmark],
    baseline: str | None,
    contender: str | None,
    factor: float,
) -> Comparison | None:
    """The `contender` environment against the `baseline` (the newest and the oldest release by default) on
    `benchmarks`; None when there is a single environment.

    Raises :class:`ReportError` if an environment is named but there is only one, a name matches no
    environment or several, or both names choose the same one.
    """
    if len(runs) < 2:
        named = [
            f"--{role} {query!r}"
            for role, query in (("baseline", baseline), ("contender", contender))
            if query
        ]
        if named:
            raise ReportError(
                f"{' and '.join(named)} needs two environments to compare, but this commit has results from "
                f"only {', '.join(release.label for release in runs)}; run the matrix (bench --matrix) "
                "or choose another --commit"
            )
        return None
    ordered = list(runs)
    before = ordered[0] if baseline is None else _choose_environment(runs, baseline, "baseline")
    after = ordered[-1] if contender is None else _choose_environment(runs, contender, "contender")
    if before == after:
        raise ReportError(
            f"the baseline and the contender are the same environment ({before.label}); choose two of: "
            + ", ".join(release.label for release in runs)
        )
    base_run, contender_run = runs[before], runs[after]
    names = [benchmark.name for benchmark in benchmarks]
    cases = sorted(
        (
            case
            for case in ordered_cases([base_run.values, contender_run.values])
            if case.benchmark in names and case_has_result(case, (base_run, contender_run))
        ),
        key=lambda case: names.index(case.benchmark),
    )
    rows = []
    for case in cases:
        old, new = base_run.values.get(case), contender_run.values.get(case)
        rows.append(
            ComparisonRow(
                case=case,
                baseline=old,
                contender=new,
                flag=_flag(case, old, new, base_run, contender_run, factor),
            )
        )
    return Comparison(
        baseline=base_run, contender=contender_run, step=Step(before, after), factor=factor, rows=rows
    )


def _choose_environment(runs: dict[Release, EnvironmentRun], query: str, role: str) -> Release:
    """The one release whose label or asv environment name holds every word of `query`."""
    words = query.split()
    matches = [
        release
        for release, run in runs.items()
        if words and all(word in release.label or word in run.env_name for word in words)
    ]
    if len(matches) != 1:
        found = "no environment matches" if not matches else f"{len(matches)} environments match"
        raise ReportError(
            f"{found} the {role} {query!r}; choose one of: {', '.join(release.label for release in runs)}"
        )
    return matches[0]


def _flag(
    case: Case,
    before: float | None,
    after: float | None,
    baseline: EnvironmentRun,
    contender: EnvironmentRun,
    factor: float,
) -> str:
    if not (is_number(before) and is_number(after)):
        return ""
    if case.benchmark in EXACT_BENCHMARKS:
        if before == after:
            return ""
        if case.benchmark in (CHUNK_BYTES, COMPRESSION_RATIO):
            return FLAG_CHUNKS
        if case.benchmark == METADATA_BYTES:
            return FLAG_METADATA
        chunk_case = Case(CHUNK_BYTES, case.params)
        old_chunks, new_chunks = baseline.values.get(chunk_case), contender.values.get(chunk_case)
        if not (is_number(old_chunks) and is_number(new_chunks)):
            return FLAG_CHANGED
        return FLAG_METADATA if old_chunks == new_chunks else FLAG_CHUNKS
    if before > 0 and after >= before * factor:
        return FLAG_HIGHER
    if before > 0 and after <= before / factor:
        return FLAG_LOWER
    return ""
