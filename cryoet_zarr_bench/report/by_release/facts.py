"""Changes between releases, each named by the one library whose release differs: steps, changes, facts.

Each changed value is compared across a :class:`Step`, a pair of environments that differ in exactly one of
Python, zarr and numcodecs, so the change is that library's.  Changes that share the step's versions,
settings and environments are grouped into one :class:`Fact`.  The by-release model finds the chunk-bytes
alarm and the metadata changes with these.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from ...releases import version_number
from ..asv_results import Case
from ..runs import LIBRARIES, Release, is_number
from .table import ReleaseTable

__all__ = ["Change", "Fact", "Step", "find_changes", "group_facts", "release_steps"]


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


def release_steps(releases: list[Release]) -> list[Step]:
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


def find_changes(
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


def group_facts(changes: list[Change]) -> list[Fact]:
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
