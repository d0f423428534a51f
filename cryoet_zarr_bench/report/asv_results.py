"""Reading the results directory that ``asv run`` writes (asv 0.6, results format 2).

The directory holds ``benchmarks.json`` (every benchmark's parameters and unit) and one sub-directory per
machine, with one JSON file per environment and commit::

    results/benchmarks.json
    results/<machine>/machine.json
    results/<machine>/<commit[:8]>-<env_name>.json

In a result file, ``results`` maps each benchmark to a row whose columns ``result_columns`` names: the
``result`` column lists one value per combination of the ``params`` column, in ``itertools.product`` order:
``NaN`` where the benchmark skipped the case (raised ``NotImplementedError`` in ``setup``), ``null`` where it
failed.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

__all__ = ["RESULTS_FORMAT", "Benchmark", "Case", "EnvironmentRun", "Results", "ResultsError", "read_results"]

#: The ``version`` of asv result files this module reads (asv 0.5 and 0.6 write it).
RESULTS_FORMAT = 2


class ResultsError(UserError, ValueError):
    """An asv results directory is missing or holds something this reader does not understand."""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark as ``benchmarks.json`` describes it."""

    name: str
    """asv's name: ``module.Class.method``, e.g. ``write_read.Read.time_read``."""
    type: str
    """``time``, ``track``, ``peakmem``, ``mem`` ..."""
    unit: str
    """``seconds``, ``bytes``, or the ``unit`` a ``track_`` benchmark declares."""
    param_names: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One benchmark at one combination of its parameters."""

    benchmark: str
    params: tuple[tuple[str, str], ...]
    """``(name, value)`` pairs in the benchmark's parameter order, values as text: ``("codec", "zstd-5")``."""

    def param(self, name: str) -> str:
        """The value of parameter `name`."""
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(f"{self.benchmark} has no parameter {name!r}")

    def describe(self, *, skip: tuple[str, ...] = ()) -> str:
        """The parameters as ``name=value`` text, e.g. ``codec=zstd-5, zarr_format=2``."""
        return ", ".join(f"{key}={value}" for key, value in self.params if key not in skip)


@dataclass(frozen=True)
class EnvironmentRun:
    """The results of one asv environment at one commit on one machine: one result file."""

    path: Path
    machine: str
    env_name: str
    commit: str
    date_ms: int
    """When the run started, in milliseconds since the epoch (asv's ``date``)."""
    python: str
    """The environment's Python version, major.minor: ``"3.11"``."""
    requirements: dict[str, str]
    """What the environment's matrix entry pinned, e.g. ``{"zarr": "3.1.6", "numcodecs": "0.16.6"}``.

    An unpinned entry (asv records ``""`` for "the latest" and ``null`` for "not installed") is left out.
    """
    values: dict[Case, float | None]
    """Every case's value: NaN where the benchmark skipped the case, None where it failed."""
    environment_params: dict[str, str | None] = field(default_factory=dict)
    """The environment's asv parameters, by which the dashboard selects environments: ``machine``, ``python``
    (a version, or an ``existing`` environment's interpreter path) and the pins (None: not pinned)."""
    raw_params: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    """Each benchmark's parameter values as asv wrote them, ``repr()`` of each (``"'zstd-5'"``, ``"3"``)."""
    sample_counts: dict[Case, int] = field(default_factory=dict)
    """How many samples asv took of each timed case (its ``stats_repeat``; 1 under ``asv run --quick``).
    Cases without statistics (``track_`` benchmarks, skipped or failed cases) are absent."""

    def asv_params(self, case: Case) -> tuple[tuple[str, str], ...]:
        """`case`'s parameters with their values as asv wrote them: ``(("codec", "'zstd-5'"), ...)``."""
        raw = self.raw_params.get(case.benchmark, ())
        pairs = []
        for index, (name, text) in enumerate(case.params):
            values = raw[index] if index < len(raw) else ()
            pairs.append((name, next((value for value in values if _param_text(value) == text), text)))
        return tuple(pairs)


@dataclass(frozen=True)
class Results:
    """Everything in an asv results directory."""

    benchmarks: dict[str, Benchmark]
    runs: list[EnvironmentRun]
    """Ordered by machine, commit date and environment name."""


def read_results(results_dir: Path) -> Results:
    """Read an asv results directory.

    Parameters
    ----------
    results_dir : Path
        The ``results_dir`` of an asv configuration, after ``asv run``.

    Returns
    -------
    Results

    Raises
    ------
    ResultsError
        If the directory has no ``benchmarks.json`` or no result file, or a file is not asv results format 2.
    """
    results_dir = Path(results_dir)
    benchmarks_file = results_dir / "benchmarks.json"
    if not benchmarks_file.is_file():
        raise ResultsError(f"{results_dir} has no benchmarks.json; is it the results_dir of an `asv run`?")
    benchmarks = _read_benchmarks(benchmarks_file)
    runs = [
        _read_run(path, benchmarks)
        for path in sorted(results_dir.glob("*/*.json"))
        if path.name != "machine.json"
    ]
    if not runs:
        raise ResultsError(f"{results_dir} holds no result files; run `asv run` first.")
    runs.sort(key=lambda run: (run.machine, run.date_ms, run.env_name))
    return Results(benchmarks=benchmarks, runs=runs)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ResultsError(f"cannot read {path}: {error}") from None


def _read_benchmarks(path: Path) -> dict[str, Benchmark]:
    document = _read_json(path)
    return {
        name: Benchmark(
            name=name,
            type=entry["type"],
            unit=entry.get("unit", ""),
            param_names=tuple(entry.get("param_names", ())),
        )
        for name, entry in document.items()
        if isinstance(entry, dict)  # skips the file's "version" entry
    }


def _read_run(path: Path, benchmarks: dict[str, Benchmark]) -> EnvironmentRun:
    document = _read_json(path)
    if document.get("version") != RESULTS_FORMAT:
        raise ResultsError(
            f"{path} is asv results format {document.get('version')!r}; this reader knows format "
            f"{RESULTS_FORMAT} (asv 0.5-0.6). Re-run the benchmarks with asv 0.6."
        )
    try:
        columns = document["result_columns"]
        values: dict[Case, float | None] = {}
        raw_params: dict[str, tuple[tuple[str, ...], ...]] = {}
        sample_counts: dict[Case, int] = {}
        for name, row in document["results"].items():
            if name not in benchmarks:
                continue  # a benchmark since removed from the suite, as asv publish does
            entry = dict(zip(columns, row))
            param_names = benchmarks[name].param_names
            combinations = list(itertools.product(*entry["params"]))
            # A benchmark whose setup_cache failed has no results at all: every case failed.
            results = [None] * len(combinations) if entry["result"] is None else entry["result"]
            if len(combinations) != len(results):
                raise ResultsError(
                    f"{path}: {name} has {len(results)} results "
                    f"for {len(combinations)} parameter combinations"
                )
            raw_params[name] = tuple(tuple(choices) for choices in entry["params"])
            # asv leaves out trailing columns that hold nothing and writes null for a case without statistics.
            repeats = entry.get("stats_repeat")
            if not isinstance(repeats, list) or len(repeats) != len(combinations):
                repeats = [None] * len(combinations)
            for combination, value, repeat in zip(combinations, results, repeats):
                params = tuple(zip(param_names, map(_param_text, combination), strict=True))
                case = Case(name, params)
                values[case] = None if value is None else float(value)
                if repeat is not None:
                    sample_counts[case] = int(repeat)
        return EnvironmentRun(
            path=path,
            machine=path.parent.name,
            env_name=document["env_name"],
            commit=document["commit_hash"],
            date_ms=int(document["date"]),
            python=_python_version(path, document["python"]),
            requirements={
                key: str(value) for key, value in (document.get("requirements") or {}).items() if value
            },
            values=values,
            environment_params={
                key: None if value is None else str(value) for key, value in document["params"].items()
            },
            raw_params=raw_params,
            sample_counts=sample_counts,
        )
    except ResultsError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ResultsError(
            f"{path} is not a valid asv result file ({type(error).__name__}: {error})"
        ) from None


def _python_version(path: Path, value: object) -> str:
    """``"3.11"``: asv records the version, but an interpreter's path such as ``.../bin/python3.11`` is read
    too, and a venv's ``.../bin/python`` (``-E existing:same`` records it) through its link to the
    interpreter."""
    match = re.search(r"(\d+\.\d+)", str(value))
    if match is None and Path(str(value)).is_file():
        match = re.search(r"(\d+\.\d+)", Path(str(value)).resolve().name)
    if match is None:
        raise ResultsError(f"{path}: cannot tell the Python version from its python entry {value!r}")
    return match.group(1)


def _param_text(value: str) -> str:
    """A parameter as text: asv stores ``repr()`` of each value, so ``"'zstd-5'"`` becomes ``zstd-5``."""
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value
    return literal if isinstance(literal, str) else value
