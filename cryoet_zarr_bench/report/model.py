"""The release matrix's results as data: which runs to show, tables by release, comparisons, changed bytes.

asv draws each matrix environment as its own line against this repository's commits, and ``asv compare``
compares commits, not environments.  This module reads what
:func:`~cryoet_zarr_bench.report.asv_results.read_results` returned and, for one machine and commit, arranges
it by *release*: the Python, zarr and numcodecs versions an environment ran (:class:`Release`).

* :class:`ReleaseTable`: for every benchmark parameterised by ``codec``, each case's value in each release.
* The chunk-bytes alarm: a lossless codec with the same settings writes the same chunks whatever the release,
  so *any* change of ``track_chunk_bytes`` between releases is flagged, with no tolerance.  A change of the
  metadata documents alone (``track_metadata_bytes``, or ``track_stored_bytes`` where the chunk bytes are
  equal) is listed apart: zarr releases write their JSON documents differently, which is no alarm.
* Attribution: each changed value is compared across a :class:`Step`, a pair of environments that differ in
  exactly one of Python, zarr and numcodecs, so the change is that library's.  Changes that share the step's
  versions, settings and environments are grouped into one :class:`Fact`.
* :class:`Comparison`: every value of one environment against another at the same commit.

Nothing here formats text or draws: :mod:`.text`, :mod:`.figures` and :mod:`.pages` do.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..releases import version_number
from .asv_results import Benchmark, Case, EnvironmentRun, Results
from .registry import CHUNK_BYTES, COMPRESSION_RATIO, METADATA_BYTES, STORED_BYTES
from .runs import (
    LIBRARIES,
    Release,
    ReportError,
    choose_commit,
    choose_machine,
    environment_release,
    is_number,
    is_skipped,
)

__all__ = [
    "CHUNK_BYTES",
    "COMPRESSION_RATIO",
    "DEFAULT_FACTOR",
    "FLAG_CHANGED",
    "FLAG_CHUNKS",
    "FLAG_HIGHER",
    "FLAG_LOWER",
    "FLAG_METADATA",
    "METADATA_BYTES",
    "STORED_BYTES",
    "Change",
    "Comparison",
    "ComparisonRow",
    "Fact",
    "ReleaseReport",
    "ReleaseTable",
    "Step",
    "build_report",
]

#: Benchmarks whose values must be equal, not merely close, for the same settings; shown in this order first.
EXACT_BENCHMARKS = (COMPRESSION_RATIO, CHUNK_BYTES, METADATA_BYTES, STORED_BYTES)
#: A value at least this many times the other environment's (or at most its inverse) is flagged.
DEFAULT_FACTOR = 1.1

FLAG_HIGHER = "higher"
FLAG_LOWER = "lower"
#: The chunks differ (a chunk-bytes or compression-ratio value, or stored bytes with changed chunks).
FLAG_CHUNKS = "CHUNK BYTES CHANGED"
#: The metadata bytes differ, or the stored bytes while the chunk bytes of the same case are equal.
FLAG_METADATA = "metadata changed"
#: Stored bytes differ and the chunk bytes that would say why were not recorded.
FLAG_CHANGED = "changed"


@dataclass(frozen=True)
class Step:
    """Two environments compared to explain a change: older release first."""

    before: Release
    after: Release

    @property
    def library(self) -> str | None:
        """The one library whose release differs; None when several differ and no single one is to blame."""
        differences = self.before.differences(self.after)
        return differences[0] if len(differences) == 1 else None

    @property
    def context(self) -> tuple[str, ...]:
        """The libraries held constant across the step."""
        return tuple(library for library in LIBRARIES if library not in self.before.differences(self.after))


@dataclass(frozen=True)
class ReleaseTable:
    """One benchmark's values, one column per release."""

    benchmark: Benchmark
    releases: list[Release]
    rows: dict[Case, list[float | None]]
    """One value per release, in the order of ``releases``; NaN where skipped, None where failed."""

    def value(self, case: Case, release: Release) -> float | None:
        """The value of `case` in `release` (None when the case or the release has none)."""
        values = self.rows.get(case)
        return None if values is None else values[self.releases.index(release)]


@dataclass(frozen=True)
class Change:
    """One case whose value differs across a step."""

    benchmark: str
    case: Case
    step: Step
    before_value: float
    after_value: float

    @property
    def relative_change(self) -> float:
        return self.after_value / self.before_value - 1 if self.before_value else math.inf


@dataclass(frozen=True)
class Fact:
    """Changes of one benchmark with one explanation: the same step versions, settings and environments.

    For example "numcodecs 0.15.1 -> 0.16.6 changes the chunk bytes of blosc-lz4-5-shuffle and
    blosc-zstd-5-shuffle at zarr_format=3, with zarr 3.0.10 and with zarr 3.1.6" is one fact of four changes.
    """

    benchmark: str
    library: str | None
    """The one library whose release differs across every step; None when the steps differ in several."""
    steps: tuple[Step, ...]
    """The environment pairs in which every codec of the fact changed."""
    codecs: tuple[str, ...]
    setting: tuple[tuple[str, str], ...]
    """The cases' parameters other than ``codec``."""
    changes: tuple[Change, ...]

    @property
    def versions(self) -> tuple[str, str] | None:
        """The library's release before and after the step; None for an unattributed fact."""
        if self.library is None:
            return None
        step = self.steps[0]
        return step.before.version(self.library), step.after.version(self.library)


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


@dataclass(frozen=True)
class ReleaseReport:
    """Everything the by-release views show, for one machine and commit."""

    machine: str
    commit: str
    runs: dict[Release, EnvironmentRun]
    """The environments shown, by release, oldest release first."""
    left_out: list[str]
    """Environments at the commit that are not shown, each with the reason."""
    tables: list[ReleaseTable]
    """The codec benchmarks with a value (or a failure) in some environment, each without the cases that
    every environment skipped."""
    skipped: list[str]
    """Codec benchmarks that every environment skipped in every case: no table, no figure."""
    chunk_bytes_recorded: bool
    """Whether the results hold :data:`CHUNK_BYTES`, without which the alarm cannot be judged."""
    chunk_facts: list[Fact]
    """The alarm: chunk bytes that changed between releases for the same codec settings."""
    metadata_facts: list[Fact]
    """Metadata documents that changed while the chunk bytes stayed equal: listed, not alarmed."""
    comparison: Comparison | None
    """None when there is a single environment."""

    @property
    def single_environment(self) -> bool:
        """Whether one environment is shown: nothing is compared across releases."""
        return len(self.runs) == 1

    @property
    def changed_cells(self) -> set[tuple[tuple[tuple[str, str], ...], Release]]:
        """(case parameters, release) of every value after a chunk-bytes change: for marking figures."""
        return {
            (change.case.params, change.step.after) for fact in self.chunk_facts for change in fact.changes
        }


def build_report(
    results: Results,
    *,
    machine: str | None = None,
    commit: str | None = None,
    baseline: str | None = None,
    contender: str | None = None,
    factor: float = DEFAULT_FACTOR,
) -> ReleaseReport:
    """Arrange asv results by release.

    Parameters
    ----------
    results : Results
        What :func:`~cryoet_zarr_bench.report.asv_results.read_results` read.
    machine : str, optional
        The machine whose results to show; needed only when there are several.
    commit : str, optional
        A commit hash or a prefix of one; by default the commit with results in the most environments
        (the latest of those, on a tie).
    baseline, contender : str, optional
        The environments to compare, each chosen by words that all appear in its asv name or its release label
        and in no other environment's: ``zarr2.18.7``, ``py3.13 zarr3.1.6``.  By default the oldest and the
        newest release.
    factor : float
        Flag a value that is at least `factor` times the baseline's, or at most its inverse.

    Raises
    ------
    ReportError
        If the machine, commit or an environment is ambiguous or absent, an environment is named for a
        comparison that needs two, or two pinned environments ran the same releases.
    """
    if factor <= 1:
        raise ReportError(f"the comparison factor must be greater than 1, got {factor}")
    machine = choose_machine(results, machine)
    machine_runs = [run for run in results.runs if run.machine == machine]
    commit = choose_commit(machine_runs, commit)
    runs, left_out = _runs_by_release(run for run in machine_runs if run.commit == commit)

    names = _codec_benchmarks(results, runs.values())
    benchmarks = [results.benchmarks[name] for name in names if _has_result(name, runs.values())]
    tables = {benchmark.name: _release_table(benchmark, runs) for benchmark in benchmarks}
    steps = _steps(list(runs))
    chunk_facts = metadata_facts = []
    if CHUNK_BYTES in tables:
        chunks = tables[CHUNK_BYTES]
        chunk_facts = _facts(_changes(chunks, steps))
        metadata = tables.get(METADATA_BYTES) or tables.get(STORED_BYTES)
        if metadata is not None:

            def same_chunks(step: Step, case: Case) -> bool:
                chunk_case = Case(CHUNK_BYTES, case.params)
                return _equal_numbers(
                    chunks.value(chunk_case, step.before), chunks.value(chunk_case, step.after)
                )

            metadata_facts = _facts(_changes(metadata, steps, keep=same_chunks))
    return ReleaseReport(
        machine=machine,
        commit=commit,
        runs=runs,
        left_out=left_out,
        tables=list(tables.values()),
        skipped=[name for name in names if name not in tables],
        chunk_bytes_recorded=CHUNK_BYTES in tables,
        chunk_facts=chunk_facts,
        metadata_facts=metadata_facts,
        comparison=_comparison(runs, benchmarks, baseline, contender, factor),
    )


# ----------------------------------------------------------------------------------------------------------
# Choosing what to show


def _runs_by_release(runs: Iterable[EnvironmentRun]) -> tuple[dict[Release, EnvironmentRun], list[str]]:
    """The runs by release, oldest first; a run without pins gives way to a pinned one of the same release."""
    chosen: dict[Release, EnvironmentRun] = {}
    left_out = []
    for run in sorted(runs, key=lambda run: (not run.requirements, run.env_name)):
        release = environment_release(run)
        if release not in chosen:
            chosen[release] = run
        elif run.requirements:
            raise ReportError(
                f"environments {chosen[release].env_name} and {run.env_name} both pin {release.label}; "
                "the by-release view needs one environment per release"
            )
        else:
            left_out.append(f"{run.env_name} (same releases as {chosen[release].env_name})")
    return dict(sorted(chosen.items(), key=lambda item: item[0].sort_key)), left_out


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


def _codec_benchmarks(results: Results, runs: Iterable[EnvironmentRun]) -> list[str]:
    """Benchmarks parameterised by codec that have results: the exact ones first, in their order.

    Benchmarks parameterised by engine are left to the engines report (:mod:`.engines`), which sets each
    engine beside zarr-python instead of across releases.
    """
    with_results = {case.benchmark for run in runs for case in run.values}
    names = [
        name
        for name, benchmark in results.benchmarks.items()
        if "codec" in benchmark.param_names and "engine" not in benchmark.param_names and name in with_results
    ]
    order = {name: i for i, name in enumerate(EXACT_BENCHMARKS)}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


# ----------------------------------------------------------------------------------------------------------
# Tables, changes and facts


def _release_table(benchmark: Benchmark, runs: dict[Release, EnvironmentRun]) -> ReleaseTable:
    """The benchmark's cases that some environment measured (or failed), a value per release."""
    cases = _ordered_cases(run.values for run in runs.values())
    return ReleaseTable(
        benchmark=benchmark,
        releases=list(runs),
        rows={
            case: [run.values.get(case) for run in runs.values()]
            for case in cases
            if case.benchmark == benchmark.name and _case_has_result(case, runs.values())
        },
    )


def _case_has_result(case: Case, runs: Iterable[EnvironmentRun]) -> bool:
    """Whether some run measured the case or failed it, rather than skipping it or not running it."""
    return any(case in run.values and not is_skipped(run.values[case]) for run in runs)


def _has_result(benchmark: str, runs: Iterable[EnvironmentRun]) -> bool:
    """Whether some run measured (or failed) some case of the benchmark."""
    return any(
        case.benchmark == benchmark and not is_skipped(value)
        for run in runs
        for case, value in run.values.items()
    )


def _ordered_cases(case_lists: Iterable[Iterable[Case]]) -> list[Case]:
    """Every case once, grouped by the parameters other than codec; groups and codecs in the suite's order."""
    cases = dict.fromkeys(case for cases in case_lists for case in cases)
    groups: dict[tuple, int] = {}
    for case in cases:
        groups.setdefault(_setting(case), len(groups))
    return sorted(cases, key=lambda case: groups[_setting(case)])


def _setting(case: Case) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The case's benchmark and parameters other than codec: what the codecs of one group share."""
    return case.benchmark, tuple((name, value) for name, value in case.params if name != "codec")


def _steps(releases: list[Release]) -> list[Step]:
    """Pairs of releases that differ in one library only, each next to the other in that library's order.

    With numcodecs 0.15, 0.16 and 0.17 under the same Python and zarr, the steps are 0.15 -> 0.16 and
    0.16 -> 0.17, not 0.15 -> 0.17.
    """
    steps = []
    for library in LIBRARIES:
        context = [other for other in LIBRARIES if other != library]

        def line(release: Release, context: list[str] = context) -> tuple[str, ...]:
            return tuple(release.version(other) for other in context)

        for _, group in itertools.groupby(sorted(releases, key=lambda r: (line(r), r.sort_key)), key=line):
            ordered = sorted(group, key=lambda release: version_number(release.version(library)))
            steps += [Step(before, after) for before, after in itertools.pairwise(ordered)]
    return sorted(steps, key=lambda step: (step.before.sort_key, step.after.sort_key))


def _changes(
    table: ReleaseTable,
    steps: list[Step],
    *,
    keep: Callable[[Step, Case], bool] = lambda step, case: True,
) -> list[Change]:
    """Every case whose value differs across a step, or across releases that no chain of steps links.

    Within a group of releases linked by steps with values on both sides, any difference shows on some step.
    Between groups, it shows between neighbours in release order that lie in different groups; those become
    unattributed steps.  So a release that skipped or failed a case cannot hide a change it sat between.
    """
    ordered = sorted(table.releases, key=lambda release: release.sort_key)
    changes = []
    for case in table.rows:
        measured = [release for release in ordered if is_number(table.value(case, release))]
        linked = [step for step in steps if step.before in measured and step.after in measured]
        group = _linked_groups(measured, linked)
        unlinked = [
            Step(before, after)
            for before, after in itertools.pairwise(measured)
            if group[before] != group[after]
        ]
        for step in [*linked, *unlinked]:
            before, after = table.value(case, step.before), table.value(case, step.after)
            if before != after and keep(step, case):
                changes.append(Change(table.benchmark.name, case, step, before, after))
    return changes


def _linked_groups(releases: list[Release], steps: list[Step]) -> dict[Release, int]:
    """Each release's group: releases linked by a chain of steps share one."""
    group = {release: i for i, release in enumerate(releases)}
    for step in steps:
        merged, into = group[step.after], group[step.before]
        group = {release: into if number == merged else number for release, number in group.items()}
    return group


def _facts(changes: list[Change]) -> list[Fact]:
    """Changes grouped: one fact per step versions, setting and set of steps, listing its codecs."""
    steps_by_case: dict[tuple, list[Change]] = {}
    for change in changes:
        steps_by_case.setdefault((_step_key(change.step), change.case), []).append(change)
    grouped: dict[tuple, list[Change]] = {}
    for (step_key, case), case_changes in steps_by_case.items():
        steps = tuple(change.step for change in case_changes)
        grouped.setdefault((step_key, case.describe(skip=("codec",)), steps), []).extend(case_changes)
    facts = []
    for (_, _, steps), fact_changes in grouped.items():
        first = fact_changes[0]
        facts.append(
            Fact(
                benchmark=first.benchmark,
                library=first.step.library,
                steps=steps,
                codecs=tuple(dict.fromkeys(change.case.param("codec") for change in fact_changes)),
                setting=tuple((name, value) for name, value in first.case.params if name != "codec"),
                changes=tuple(fact_changes),
            )
        )
    return sorted(facts, key=_fact_order)


def _step_key(step: Step) -> tuple:
    """What one fact's steps share: the library and its two versions, or the two releases if unattributed."""
    if step.library is None:
        return (None, step.before, step.after)
    return (step.library, step.before.version(step.library), step.after.version(step.library))


def _fact_order(fact: Fact) -> tuple:
    library = LIBRARIES.index(fact.library) if fact.library else len(LIBRARIES)
    return (library, fact.steps[0].before.sort_key, fact.steps[0].after.sort_key, fact.setting)


# ----------------------------------------------------------------------------------------------------------
# One environment against another


def _comparison(
    runs: dict[Release, EnvironmentRun],
    benchmarks: list[Benchmark],
    baseline: str | None,
    contender: str | None,
    factor: float,
) -> Comparison | None:
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
            for case in _ordered_cases([base_run.values, contender_run.values])
            if case.benchmark in names and _case_has_result(case, (base_run, contender_run))
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


def _equal_numbers(a: float | None, b: float | None) -> bool:
    return is_number(a) and is_number(b) and a == b
