"""The release matrix's results as data: which runs to show, tables by release, changed bytes, a comparison.

asv draws each matrix environment as its own line against this repository's commits, and ``asv compare``
compares commits, not environments.  This module reads what
:func:`~cryoet_zarr_bench.report.asv_results.read_results` returned and, for one machine and commit, arranges
it by *release*: the Python, zarr and numcodecs versions an environment ran
(:class:`~cryoet_zarr_bench.report.runs.Release`).

* :class:`~.table.ReleaseTable`: for every benchmark parameterised by ``codec``, each case's value in each
  release.
* The chunk-bytes alarm: a lossless codec with the same settings writes the same chunks whatever the release,
  so *any* change of ``track_chunk_bytes`` between releases is flagged, with no tolerance
  (:class:`~.facts.Fact`, each named by the one library whose release differs).  A change of the metadata
  documents alone (``track_metadata_bytes``, or ``track_stored_bytes`` where the chunk bytes are equal) is
  listed apart: zarr releases write their JSON documents differently, which is no alarm.
* :class:`~.comparison.Comparison`: every value of one environment against another at the same commit.

Nothing here formats text or draws: :mod:`.text`, :mod:`.figures` and :mod:`.page` do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..asv_results import Case, EnvironmentRun, Results
from ..registry import CHUNK_BYTES, METADATA_BYTES, STORED_BYTES
from ..runs import (
    Release,
    ReportError,
    choose_commit,
    choose_machine,
    environment_release,
    is_number,
    is_skipped,
)
from .comparison import EXACT_BENCHMARKS, Comparison, compare
from .facts import Fact, Step, find_changes, group_facts, release_steps
from .table import ReleaseTable, release_table

__all__ = ["DEFAULT_FACTOR", "ReleaseReport", "build_report"]

#: A value at least this many times the other environment's (or at most its inverse) is flagged.
DEFAULT_FACTOR = 1.1


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
    """Whether the results hold :data:`~..registry.CHUNK_BYTES`, without which the alarm cannot be judged."""
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
    tables = {benchmark.name: release_table(benchmark, runs) for benchmark in benchmarks}
    steps = release_steps(list(runs))
    chunk_facts = metadata_facts = []
    if CHUNK_BYTES in tables:
        chunks = tables[CHUNK_BYTES]
        chunk_facts = group_facts(find_changes(chunks, steps))
        metadata = tables.get(METADATA_BYTES) or tables.get(STORED_BYTES)
        if metadata is not None:

            def same_chunks(step: Step, case: Case) -> bool:
                chunk_case = Case(CHUNK_BYTES, case.params)
                return _equal_numbers(
                    chunks.value(chunk_case, step.before), chunks.value(chunk_case, step.after)
                )

            metadata_facts = group_facts(find_changes(metadata, steps, keep=same_chunks))
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
        comparison=compare(runs, benchmarks, baseline, contender, factor),
    )


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


def _codec_benchmarks(results: Results, runs: Iterable[EnvironmentRun]) -> list[str]:
    """Benchmarks parameterised by codec that have results: the exact ones first, in their order.

    Benchmarks parameterised by engine are left to the engines report (:mod:`..engines.model`), which sets
    each engine beside zarr-python instead of across releases.
    """
    with_results = {case.benchmark for run in runs for case in run.values}
    names = [
        name
        for name, benchmark in results.benchmarks.items()
        if "codec" in benchmark.param_names and "engine" not in benchmark.param_names and name in with_results
    ]
    order = {name: i for i, name in enumerate(EXACT_BENCHMARKS)}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def _has_result(benchmark: str, runs: Iterable[EnvironmentRun]) -> bool:
    """Whether some run measured (or failed) some case of the benchmark."""
    return any(
        case.benchmark == benchmark and not is_skipped(value)
        for run in runs
        for case, value in run.values.items()
    )


def _equal_numbers(a: float | None, b: float | None) -> bool:
    return is_number(a) and is_number(b) and a == b
