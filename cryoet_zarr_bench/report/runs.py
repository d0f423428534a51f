"""What every report shares: its error, what counts as a measured value, and the runs a report shows.

asv files each result under a machine, a commit and an environment.  A report shows one machine and one
commit (:func:`choose_runs`) and names each environment by the Python, zarr and numcodecs releases it ran
(:class:`Release`, :func:`environment_release`), or by asv's name where the results do not say them
(:class:`ShownEnvironment`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UserError
from ..releases import TRACKED, version_number
from .asv_results import Case, EnvironmentRun, Results
from .registry import RELEASE_BENCHMARKS

__all__ = [
    "LIBRARIES",
    "Release",
    "ReportError",
    "ShownEnvironment",
    "choose_commit",
    "choose_machine",
    "choose_runs",
    "environment_release",
    "is_number",
    "is_skipped",
    "release_or_none",
    "release_text",
]

#: What names an environment, in the order of its label.
LIBRARIES = ("python", *TRACKED)

_LABEL_PREFIX = {"python": "py", "zarr": "zarr", "numcodecs": "numcodecs"}


class ReportError(UserError, RuntimeError):
    """A report cannot be made from the given results or options; the message says why in one line."""


def is_number(value: float | None) -> bool:
    """Whether a result is a measured value: neither failed (None) nor skipped (NaN)."""
    return value is not None and not math.isnan(value)


def is_skipped(value: float | None) -> bool:
    """Whether a result says the benchmark skipped the case (NaN)."""
    return value is not None and math.isnan(value)


@dataclass(frozen=True)
class Release:
    """The Python, zarr and numcodecs versions an environment ran."""

    python: str
    zarr: str
    numcodecs: str

    def version(self, library: str) -> str:
        """The version of `library` (one of :data:`LIBRARIES`)."""
        return getattr(self, library)

    @property
    def sort_key(self) -> tuple[int, ...]:
        """zarr, then numcodecs, then Python: the oldest release sorts first."""
        return tuple(version_number(self.version(library)) for library in ("zarr", "numcodecs", "python"))

    @property
    def label(self) -> str:
        """``py3.11 zarr3.1.6 numcodecs0.16.6``."""
        return self.describe(LIBRARIES)

    def describe(self, libraries: Iterable[str]) -> str:
        """The versions of `libraries` only, e.g. ``py3.11 zarr3.1.6`` for ``("python", "zarr")``."""
        return " ".join(f"{_LABEL_PREFIX[library]}{self.version(library)}" for library in libraries)

    def differences(self, other: Release) -> tuple[str, ...]:
        """The libraries whose versions differ between the two releases, in the order of :data:`LIBRARIES`."""
        return tuple(library for library in LIBRARIES if self.version(library) != other.version(library))


@dataclass(frozen=True)
class ShownEnvironment:
    """One asv environment a report shows, and its releases where the results say them."""

    run: EnvironmentRun
    release: Release | None
    """The Python, zarr and numcodecs releases it ran; None when the results do not say (no pins and no
    ``releases`` benchmarks)."""

    @property
    def label(self) -> str:
        """``py3.11 zarr3.1.6 numcodecs0.16.6``, or the asv environment's name if its releases are unknown."""
        return self.run.env_name if self.release is None else self.release.label


def environment_release(run: EnvironmentRun) -> Release:
    """The Python, zarr and numcodecs releases an environment ran.

    zarr and numcodecs are the environment's matrix pins; an environment without pins (asv's ``existing``, or
    an unpinned matrix entry) is identified by what its ``releases.Releases`` benchmarks recorded.

    Raises
    ------
    ReportError
        If neither says which release ran, or the recorded release is not the pinned one.
    """
    versions = {"python": run.python}
    for name in TRACKED:
        recorded = run.values.get(Case(RELEASE_BENCHMARKS[name], ()))
        pinned = run.requirements.get(name)
        if pinned is not None and is_number(recorded) and recorded != version_number(pinned):
            raise ReportError(
                f"{run.path}: environment {run.env_name} pins {name} {pinned} but recorded "
                f"{release_text(int(recorded))}; its results are filed under the wrong release. "
                "Remove the environment and rerun asv."
            )
        if pinned is not None:
            versions[name] = pinned
        elif is_number(recorded):
            versions[name] = release_text(int(recorded))
        else:
            raise ReportError(
                f"{run.path}: environment {run.env_name} neither pins {name} nor has a result for "
                f"{RELEASE_BENCHMARKS[name]}, so its {name} release is unknown."
            )
    return Release(**versions)


def release_or_none(run: EnvironmentRun) -> Release | None:
    """The run's releases, or None where they cannot be told (no pins, no ``releases`` results)."""
    try:
        return environment_release(run)
    except ReportError:
        return None


def release_text(number: int) -> str:
    """The inverse of :func:`~cryoet_zarr_bench.releases.version_number`: ``30106`` -> ``"3.1.6"``."""
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def choose_runs(
    results: Results, runs: list[EnvironmentRun], machine: str | None, commit: str | None
) -> tuple[str, str, list[EnvironmentRun]]:
    """The machine and commit a report shows among ``runs`` (those of ``results`` it can use), and their runs.

    Raises :class:`ReportError` if the machine or commit is ambiguous or absent.
    """
    machine = choose_machine(Results(results.benchmarks, runs), machine)
    machine_runs = [run for run in runs if run.machine == machine]
    commit = choose_commit(machine_runs, commit)
    return machine, commit, [run for run in machine_runs if run.commit == commit]


def choose_machine(results: Results, machine: str | None) -> str:
    """`machine` if it has results, else the only machine there is; :class:`ReportError` otherwise."""
    machines = sorted({run.machine for run in results.runs})
    if machine is None:
        if len(machines) > 1:
            raise ReportError(
                f"results from several machines ({', '.join(machines)}); choose one with --machine"
            )
        return machines[0]
    if machine not in machines:
        raise ReportError(f"no results from machine {machine!r}; there are: {', '.join(machines)}")
    return machine


def choose_commit(runs: list[EnvironmentRun], commit: str | None) -> str:
    """The commit starting with `commit`, by default the one with results in the most environments (the
    latest of those, on a tie)."""
    commits = {run.commit for run in runs}
    if commit is None:
        return max(
            commits,
            key=lambda c: (
                sum(run.commit == c for run in runs),
                max(run.date_ms for run in runs if run.commit == c),
            ),
        )
    matches = sorted(c for c in commits if c.startswith(commit))
    if len(matches) != 1:
        found = "no commit" if not matches else f"{len(matches)} commits"
        raise ReportError(
            f"{found} with results starts with {commit!r}; commits with results: "
            + ", ".join(sorted(c[:8] for c in commits))
        )
    return matches[0]
