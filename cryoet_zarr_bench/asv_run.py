"""``asv run`` for ``cryoet-zarr-bench bench``: the selected suite planned, run module by module, summarised.

:func:`plan_suite` finds the benchmarks the run will define, by asv's own discovery run with the run's
settings, so ``bench`` can say at once what it will run and about how long it will take
(:func:`estimate_seconds`).

asv saves an environment's results only once every benchmark of the run has finished there, so an
interrupted run of the whole suite kept nothing.  :func:`run_by_module` runs one ``asv run`` per module
(``--bench "^compression\\."``, ...): asv adds each run's results to the environment's result file, so the
modules that finished stay saved whatever happens to the next.

asv's output is summarised by :class:`OutputSummary`: one line per benchmark with how many of the run's
benchmarks are done and the time left; asv's result tables, its set-up lines and its per-run headers are
dropped; cases asv could not run in an environment (``n/a``) are counted, not listed; errors (anything asv
prints outside those) pass through unchanged.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .errors import UserError

__all__ = [
    "OutputSummary",
    "stop_orphaned_forkservers",
    "PlanError",
    "PlannedBenchmark",
    "estimate_seconds",
    "format_duration",
    "plan_suite",
    "run_by_module",
]

_PROGRESS_LINE = re.compile(r"^\[\s*(?P<percent>\d+(?:\.\d+)?)%\] (?P<depth>·+) (?P<text>.*)$")
#: ``Setting up write_read:48  ok`` and ``….py:155  ok`` for the shared setup_cache, also as asv shortens them
#: (``...ing up /…/__init__.py:155``, ``... up …/__init__.py:174``).
_SETUP_LINE = re.compile(r"^.*(?:\bup \S+:\d+|\.py:\d+)\s+ok$")
_RESULT_LINE = re.compile(r"^(?P<name>[\w.]+)\s{2,}(?P<status>\S.*)$")
#: asv's top-level lines that ``bench`` replaces with its own header.
_DROPPED_HEADERS = ("Discovering benchmarks", "Running ", "For ", "Building for ")
_NOT_RUN = "n/a"

#: Seconds per case (one sample, asv's full sampling), measured on a quiet 2-core machine with asv's
#: forkserver (asv.conf.json's launch_method), the synthetic 128³ volume and each module's default settings.
#: The codec study's cases each write the volume (and its half-volumes) and compute fidelity figures; the
#: full-size ones recompress a portal-sized tomogram.
_SECONDS_PER_CASE = {
    "compression": (0.11, 0.15),
    "write_read": (0.15, 3.4),
    "overhead": (0.15, 3.2),
    "study": (0.61, 0.78),
    "study_use": (0.20, 0.28),
    "access": (0.53, 1.76),
    "engines": (0.26, 0.55),
    "full_size": (8.2, 7.8),
    "parallel": (0.11, 0.31),
    "machine": (0.2, 0.5),
}
_DEFAULT_SECONDS_PER_CASE = (0.1, 0.2)
#: What one ``asv run`` costs besides its benchmarks (start-up, discovery, the forkserver's imports).
_SECONDS_PER_MODULE_RUN = 1.5
#: Creating and installing one virtualenv environment (a warm pip cache).
_SECONDS_PER_ENVIRONMENT = 30.0

@dataclass(frozen=True)
class PlannedBenchmark:
    """One benchmark the run will define: asv's name and its number of parameter combinations."""

    name: str
    cases: int

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[0]


class PlanError(UserError, RuntimeError):
    """asv's discovery failed on the suite with these settings; the message says why."""


def plan_suite(benchmark_dir: Path, environ: Mapping[str, str] | None = None) -> list[PlannedBenchmark]:
    """The benchmarks asv will find in ``benchmark_dir`` under ``environ``'s suite settings, by name."""
    benchmark_dir = Path(benchmark_dir).resolve()
    script = (
        "import json, sys\n"
        "from asv_runner.discovery import disc_benchmarks\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for benchmark in disc_benchmarks(sys.argv[2]):\n"
        "    print(json.dumps([benchmark.name, [len(values) for values in benchmark.params]]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, str(benchmark_dir.parent), str(benchmark_dir)],
        env=None if environ is None else dict(environ),
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        lines = (found.stderr.strip() or found.stdout.strip() or "no output").splitlines()
        raise PlanError(f"cannot list the suite's benchmarks: {lines[-1]}")
    planned = []
    for line in found.stdout.splitlines():
        name, sizes = json.loads(line)
        planned.append(PlannedBenchmark(name, math.prod(sizes)))
    return sorted(planned, key=lambda benchmark: benchmark.name)


def estimate_seconds(
    benchmarks: Sequence[PlannedBenchmark], *, quick: bool, environments: int = 1, new_environments: int = 0
) -> float:
    """About how long ``bench`` takes to run ``benchmarks`` in ``environments`` environments (creating
    ``new_environments`` of them first), from the seconds per case measured on a 2-core machine."""
    sampling = 0 if quick else 1
    per_environment = sum(
        benchmark.cases * _SECONDS_PER_CASE.get(benchmark.module, _DEFAULT_SECONDS_PER_CASE)[sampling]
        for benchmark in benchmarks
    )
    modules = len({benchmark.module for benchmark in benchmarks})
    return (
        environments * (per_environment + modules * _SECONDS_PER_MODULE_RUN)
        + new_environments * _SECONDS_PER_ENVIRONMENT
    )


def format_duration(seconds: float) -> str:
    """``40 s``, ``3 min``, ``1 h 20 min``."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:.0f} min"


class OutputSummary:
    """Turns asv's output, line by line, into the lines worth showing (see the module docstring).

    ``total`` is the number of benchmark results the whole run expects (benchmarks × environments) and
    ``estimate`` its expected duration in seconds: each result line says how many are done and about how long
    is left, at the pace measured so far against the estimate.
    """

    def __init__(self, total: int, estimate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._total = max(total, 1)
        self._estimate = estimate
        self._done = 0
        self._block: str | None = None  # "table", "skips" or None: what asv's unmarked lines continue
        self._seen: set[str] = set()
        #: Cases asv did not run in an environment (its ``n/a``), and the reasons it gave.
        self.not_run = 0
        self.reasons: dict[str, int] = {}
        self.failed: list[str] = []

    def line(self, line: str) -> str | None:
        """The summary of one line of asv's output (without its newline), or None to drop it."""
        match = _PROGRESS_LINE.match(line)
        if match is None:
            return self._continued(line)
        self._block = None
        text, depth = match["text"].strip(), len(match["depth"])
        if depth <= 2:
            return self._once(text)
        if depth >= 4:  # the cases of the last benchmark that asv skipped, or its error
            if text.startswith(("For parameters", "asv: skipped")):
                self._block = "skips"
                return self._continued(text)
            return text
        if text.startswith(("=", "-")):
            self._block = "table"
            return None
        if _SETUP_LINE.match(text) or text.startswith("Running ("):
            return None
        result = _RESULT_LINE.match(text)
        if result is None:
            return text
        return self._result(result["name"], result["status"].strip())

    def _continued(self, line: str) -> str | None:
        """A line without asv's progress mark: part of a table, of a list of skipped cases, or of an error."""
        if self._block == "table":
            self.not_run += _table_cells(line).count(_NOT_RUN)
            return None
        if self._block == "skips":
            reason = line.strip().removeprefix("asv: skipped: ")
            if reason != line.strip():
                self.reasons[reason] = self.reasons.get(reason, 0) + 1
            return None
        if line.startswith("· "):
            return self._once(line.removeprefix("· "))
        return line

    def _result(self, name: str, status: str) -> str | None:
        self._done += 1
        if status == _NOT_RUN:
            self.not_run += 1
            self._block = "skips"
            return None
        if "failed" in status:  # "failed", or "2/4 failed" for some cases
            self.failed.append(name)
        return f"  {name}: {status}  [{self._done}/{self._total}{self._time_left()}]"

    def _once(self, header: str) -> str | None:
        """An environment line the first time it comes (each module's run repeats asv's); asv's run headers
        never (``bench`` prints its own)."""
        if header.startswith(_DROPPED_HEADERS) or header in self._seen:
            return None
        self._seen.add(header)
        return header

    def _time_left(self) -> str:
        if self._done >= self._total:
            return ""
        elapsed = self._clock() - self._start
        expected_so_far = self._estimate * self._done / self._total
        pace = elapsed / expected_so_far if expected_so_far > 0 and elapsed > 0 else 1.0
        left = self._estimate * (self._total - self._done) / self._total * pace
        return f", about {format_duration(left)} left"

    def summary(self) -> str:
        """One line for the end of the run: results, failures, cases not run and why, the time taken."""
        elapsed = format_duration(self._clock() - self._start)
        parts = [f"{self._done} results in {elapsed} (estimated {format_duration(self._estimate)})"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed: {', '.join(self.failed)}")
        if self.not_run:
            common = sorted(self.reasons, key=self.reasons.get, reverse=True)[:3]
            why = f": {'; '.join(common)}" if common else ""
            parts.append(f"{self.not_run} case(s) not run in their environment (asv's n/a){why}")
        return "bench: " + "; ".join(parts)


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"\s{2,}", line.strip())]


def run_by_module(
    asv_run: Sequence[str],
    modules: Sequence[str],
    summary: OutputSummary,
    *,
    stream: TextIO | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> list[str]:
    """Run ``asv_run --bench ^module\\.`` for each module, showing ``summary``'s lines for asv's output.

    Returns the modules whose run failed (asv's non-zero exit: a benchmark failed, or asv could not
    run); the other modules' results are saved whatever the failures.
    """
    stream = stream if stream is not None else sys.stdout
    failed = []
    for number, module in enumerate(modules, start=1):
        print(f"{module} ({number}/{len(modules)})", file=stream, flush=True)
        command = [*asv_run, "--bench", f"^{re.escape(module)}\\."]
        with subprocess.Popen(
            command,
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as process:
            for line in process.stdout:
                shown = summary.line(line.rstrip("\n"))
                if shown is not None:
                    print(shown, file=stream, flush=True)
        if process.returncode != 0:
            failed.append(module)
    print(summary.summary(), file=stream, flush=True)
    return failed


def stop_orphaned_forkservers(benchmark_dir: Path, proc: Path = Path("/proc")) -> list[int]:
    """End the asv forkservers of this suite whose ``asv run`` is gone (a ``bench`` killed outright leaves
    them: asv starts each in a process group of its own), and remove their socket folders; returns their PIDs.

    A forkserver is ``python …/asv/benchmark.py run_server BENCHMARK_DIR SOCKET``; it is orphaned when its
    parent is no asv process.  Linux only (``/proc``); elsewhere nothing is found.
    """
    benchmark_dir = str(Path(benchmark_dir).resolve())
    stopped = []
    for entry in proc.glob("[0-9]*"):
        argv = _cmdline(entry)
        where = argv.index("run_server") if "run_server" in argv else len(argv)
        if argv[where + 1 : where + 3][:1] != [benchmark_dir] or len(argv) < where + 3:
            continue
        parent = _parent(entry)
        if parent is not None and any("asv" in part for part in _cmdline(proc / str(parent))):
            continue  # its run is alive
        try:
            os.kill(int(entry.name), signal.SIGTERM)
        except ProcessLookupError:
            continue
        socket_folder = Path(argv[where + 2]).parent
        if socket_folder.name.startswith("asv-forkserver-"):
            shutil.rmtree(socket_folder, ignore_errors=True)
        stopped.append(int(entry.name))
    return stopped


def _cmdline(entry: Path) -> list[str]:
    try:
        return entry.joinpath("cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def _parent(entry: Path) -> int | None:
    try:
        stat = entry.joinpath("stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])
