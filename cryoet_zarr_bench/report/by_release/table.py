"""One benchmark's values by release: a row per case, a column per release, and the cases a table shows.

A table shows the cases some environment measured or failed; a case every environment skipped (or none ran)
is left out.  Cases are grouped by their parameters other than ``codec``, groups and codecs in the suite's
order, so that the codecs of one setting stand together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..asv_results import Benchmark, Case, EnvironmentRun
from ..runs import Release, is_skipped

__all__ = ["ReleaseTable", "case_has_result", "ordered_cases", "release_table"]


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


def release_table(benchmark: Benchmark, runs: dict[Release, EnvironmentRun]) -> ReleaseTable:
    """The benchmark's cases that some environment measured (or failed), a value per release."""
    cases = ordered_cases(run.values for run in runs.values())
    return ReleaseTable(
        benchmark=benchmark,
        releases=list(runs),
        rows={
            case: [run.values.get(case) for run in runs.values()]
            for case in cases
            if case.benchmark == benchmark.name and case_has_result(case, runs.values())
        },
    )


def case_has_result(case: Case, runs: Iterable[EnvironmentRun]) -> bool:
    """Whether some run measured the case or failed it, rather than skipping it or not running it."""
    return any(case in run.values and not is_skipped(run.values[case]) for run in runs)


def ordered_cases(case_lists: Iterable[Iterable[Case]]) -> list[Case]:
    """Every case once, grouped by the parameters other than codec; groups and codecs in the suite's order."""
    cases = dict.fromkeys(case for cases in case_lists for case in cases)
    groups: dict[tuple, int] = {}
    for case in cases:
        groups.setdefault(_setting(case), len(groups))
    return sorted(cases, key=lambda case: groups[_setting(case)])


def _setting(case: Case) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The case's benchmark and parameters other than codec: what the codecs of one group share."""
    return case.benchmark, tuple((name, value) for name, value in case.params if name != "codec")
