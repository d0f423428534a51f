"""The engines benchmarks as data: each engine beside zarr-python at the same codec, chunks, format, threads.

``benchmarks/engines.py`` times ``write`` and ``read`` for every engine (zarr-python, tensorstore, zarrs) and
records the chunk bytes each writes.  asv draws each engine as one more parameter; this module reads what
:func:`~cryoet_zarr_bench.report.asv_results.read_results` returned and, for one machine and commit and each
environment that ran those benchmarks, builds one :class:`EngineTable` per setting (codec, chunks, Zarr
format, threads): every engine's times, their ratio to zarr-python's in the same environment and setting, and
its chunk bytes against zarr-python's (any difference is listed: different encoders may legitimately write
other bytes for the same codec, see :mod:`cryoet_zarr_bench.engines.interop`).

Nothing here formats text or draws: :mod:`.text`, :mod:`.figures` and :mod:`.page` do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..asv_results import Case, EnvironmentRun, Results
from ..registry import ENGINE_CHUNK_BYTES, ENGINE_READ_TIME, ENGINE_WRITE_TIME, RUN_ENGINES_STUDY
from ..runs import ReportError, ShownEnvironment, choose_runs, is_number, release_or_none

__all__ = [
    "BASELINE_ENGINE",
    "ENGINE_BENCHMARKS",
    "ChunkDifference",
    "EngineEnvironment",
    "EngineReport",
    "EngineRow",
    "EngineSetting",
    "EngineTable",
    "build_engine_report",
]

#: What each engine's row holds: its write and read times and its chunk bytes.
ENGINE_BENCHMARKS = (ENGINE_WRITE_TIME, ENGINE_READ_TIME, ENGINE_CHUNK_BYTES)
_TIMED = (ENGINE_WRITE_TIME, ENGINE_READ_TIME)
#: The engine every other is compared with (``cryoet_zarr_bench.engines.zarr_python.NAME``).
BASELINE_ENGINE = "zarr-python"


@dataclass(frozen=True)
class EngineSetting:
    """What every engine of one table was given: the benchmarks' parameters other than ``engine``."""

    codec: str
    chunks: str
    zarr_format: str
    threads: str

    def describe(self) -> str:
        """``zstd-5, chunks=64x64x64, zarr_format=3, threads=all``."""
        return f"{self.codec}, chunks={self.chunks}, zarr_format={self.zarr_format}, threads={self.threads}"


@dataclass(frozen=True)
class EngineRow:
    """One engine at one setting.  Values: NaN where the engine skipped the case (or it was not run), None
    where the benchmark failed."""

    engine: str
    write: float | None
    read: float | None
    chunk_bytes: float | None
    """Bytes of its chunk objects at the setting's codec, chunks and format (independent of threads)."""
    write_ratio: float | None
    """``write`` over zarr-python's at the same setting; None unless both are measured."""
    read_ratio: float | None
    chunk_bytes_difference: float | None
    """``chunk_bytes`` minus zarr-python's; None unless both are measured."""

    @property
    def chunk_bytes_differ(self) -> bool:
        return self.chunk_bytes_difference is not None and self.chunk_bytes_difference != 0


@dataclass(frozen=True)
class EngineTable:
    """Every engine at one setting, zarr-python first."""

    setting: EngineSetting
    rows: list[EngineRow]


@dataclass(frozen=True)
class ChunkDifference:
    """An engine whose chunk bytes differ from zarr-python's for the same codec, chunks and format."""

    engine: str
    codec: str
    chunks: str
    zarr_format: str
    chunk_bytes: float
    baseline: float
    """zarr-python's chunk bytes."""


@dataclass(frozen=True)
class EngineEnvironment(ShownEnvironment):
    """The engines benchmarks of one asv environment."""

    tables: list[EngineTable]

    @property
    def engines(self) -> list[str]:
        return list(dict.fromkeys(row.engine for table in self.tables for row in table.rows))

    @property
    def chunk_differences(self) -> list[ChunkDifference]:
        """Each engine, codec, chunks and format whose chunk bytes differ from zarr-python's, once."""
        differences = {}
        for table in self.tables:
            setting = table.setting
            for row in table.rows:
                if row.chunk_bytes_differ:
                    key = (row.engine, setting.codec, setting.chunks, setting.zarr_format)
                    differences[key] = ChunkDifference(
                        *key,
                        chunk_bytes=row.chunk_bytes,
                        baseline=row.chunk_bytes - row.chunk_bytes_difference,
                    )
        return list(differences.values())


@dataclass(frozen=True)
class EngineReport:
    """Everything the engines views show, for one machine and commit."""

    machine: str
    commit: str
    environments: list[EngineEnvironment]


def build_engine_report(
    results: Results, *, machine: str | None = None, commit: str | None = None
) -> EngineReport:
    """Arrange the engines benchmarks of one machine and commit by environment and setting.

    Parameters
    ----------
    results : Results
        What :func:`~cryoet_zarr_bench.report.asv_results.read_results` read.
    machine : str, optional
        Needed only when several machines ran the engines benchmarks.
    commit : str, optional
        A commit hash or a prefix of one; by default the commit at which the most environments ran the engines
        benchmarks (the latest of those, on a tie).

    Raises
    ------
    ReportError
        If no result holds the engines benchmarks, or the machine or commit is ambiguous or absent.
    """
    runs = [run for run in results.runs if any(case.benchmark in _TIMED for case in run.values)]
    if not runs:
        raise ReportError(
            f"the results hold no engines benchmarks ({ENGINE_WRITE_TIME}, {ENGINE_READ_TIME}); run the "
            f"engines study where the engines extra is installed: {RUN_ENGINES_STUDY}"
        )
    machine, commit, chosen = choose_runs(results, runs, machine, commit)
    return EngineReport(
        machine=machine,
        commit=commit,
        environments=[
            EngineEnvironment(run=run, release=release_or_none(run), tables=_tables(run)) for run in chosen
        ],
    )


def _tables(run: EnvironmentRun) -> list[EngineTable]:
    """One table per setting, in the suite's order; engines in the suite's order, zarr-python first."""
    timed = [dict(case.params) for case in run.values if case.benchmark in _TIMED]
    settings = dict.fromkeys(
        EngineSetting(params["codec"], params["chunks"], params["zarr_format"], params["threads"])
        for params in timed
    )
    engines = sorted(
        dict.fromkeys(params["engine"] for params in timed), key=lambda name: name != BASELINE_ENGINE
    )

    def value(benchmark: str, engine: str, setting: EngineSetting) -> float | None:
        params = [("engine", engine), ("codec", setting.codec), ("chunks", setting.chunks)]
        params.append(("zarr_format", setting.zarr_format))
        if benchmark != ENGINE_CHUNK_BYTES:
            params.append(("threads", setting.threads))
        return run.values.get(Case(benchmark, tuple(params)), math.nan)

    tables = []
    for setting in settings:
        baseline = {name: value(name, BASELINE_ENGINE, setting) for name in ENGINE_BENCHMARKS}
        rows = []
        for engine in engines:
            write, read, chunk_bytes = (value(name, engine, setting) for name in ENGINE_BENCHMARKS)
            rows.append(
                EngineRow(
                    engine=engine,
                    write=write,
                    read=read,
                    chunk_bytes=chunk_bytes,
                    write_ratio=_ratio(write, baseline[ENGINE_WRITE_TIME]),
                    read_ratio=_ratio(read, baseline[ENGINE_READ_TIME]),
                    chunk_bytes_difference=(
                        chunk_bytes - baseline[ENGINE_CHUNK_BYTES]
                        if is_number(chunk_bytes) and is_number(baseline[ENGINE_CHUNK_BYTES])
                        else None
                    ),
                )
            )
        tables.append(EngineTable(setting, rows))
    return tables


def _ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``; None unless both are measured and the baseline is not 0."""
    if is_number(value) and is_number(baseline) and baseline != 0:
        return value / baseline
    return None
