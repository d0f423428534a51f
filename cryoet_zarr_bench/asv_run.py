"""``asv run`` for ``cryoet-zarr-bench bench``: one benchmark module at a time, its output summarised.

asv saves an environment's results only once every benchmark of the run has finished there, so an
interrupted run of the whole suite kept nothing.  :func:`run_by_module` runs one ``asv run`` per module of
the suite (``--bench "^compression\\."``, ...): asv adds each run's results to the environment's result file,
so the modules that finished stay saved whatever happens to the next.

asv's output is summarised by :class:`OutputSummary`: its per-benchmark result tables, its
``Setting up write_read:48`` and ``…/benchmarks/__init__.py:65 ok`` lines (the shared ``setup_cache``) are
dropped, each result becomes one line with asv's percentage and an estimate of the time left, and errors
(anything asv prints outside those) pass through unchanged.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import progress

__all__ = ["OutputSummary", "benchmark_modules", "run_by_module"]

_PROGRESS_LINE = re.compile(r"^\[\s*(?P<percent>\d+(?:\.\d+)?)%\] (?P<depth>·+) (?P<text>.*)$")
_SETUP_LINE = re.compile(r"^(?:Setting up \S+:\d+|\S*\.py:\d+)\s+ok$")
_RESULT_LINE = re.compile(r"^(?P<name>[\w.]+)\s{2,}(?P<status>\S.*)$")


def benchmark_modules(benchmark_dir: Path) -> list[str]:
    """The modules of an asv suite, by name (``compression``, ``write_read``...), sorted."""
    return sorted(path.stem for path in Path(benchmark_dir).glob("*.py") if not path.name.startswith("_"))


class OutputSummary:
    """Turns asv's output, line by line, into the lines worth showing (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._in_table = False
        self._seen: set[str] = set()

    def restart_clock(self) -> None:
        """Estimate the time left from now on (asv's percentage restarts with each run)."""
        self._start = self._clock()

    def line(self, line: str) -> str | None:
        """The summary of one line of asv's output (without its newline), or None to drop it."""
        match = _PROGRESS_LINE.match(line)
        if match is None:
            if self._in_table:
                self._in_table = bool(line.strip())
                return None
            return self._once(line) if line.startswith("· ") else line
        self._in_table = False
        text, depth, percent = match["text"].strip(), len(match["depth"]), float(match["percent"])
        if text.startswith(("=", "-")):
            self._in_table = True
            return None
        if depth == 1:
            return self._once(text)
        if depth == 2:
            return text
        if _SETUP_LINE.match(text) or text.startswith("Running ("):
            return None
        result = _RESULT_LINE.match(text)
        if result is None:
            return text
        return f"  [{percent:3.0f}%{self._time_left(percent)}] {result['name']}: {result['status']}"

    def _once(self, header: str) -> str | None:
        """A top-level line the first time it comes (each module's run repeats asv's)."""
        if header in self._seen:
            return None
        self._seen.add(header)
        return header

    def _time_left(self, percent: float) -> str:
        elapsed = self._clock() - self._start
        if not 0 < percent < 100 or elapsed < 1:
            return ""
        left = elapsed * (100 - percent) / percent
        return f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"


def run_by_module(
    asv_run: Sequence[str],
    modules: Sequence[str],
    *,
    stream: TextIO | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> list[str]:
    """Run ``asv_run --bench ^module\\.`` for each module, showing a summary of asv's output.

    Returns the modules whose run failed (asv's non-zero exit: a benchmark failed, or asv could not
    run); the other modules' results are saved whatever the failures.
    """
    stream = stream if stream is not None else sys.stdout
    failed = []
    summary = OutputSummary()
    for module in progress.steps(modules, "bench", stream=stream, bar=False):
        summary.restart_clock()
        command = [*asv_run, "--bench", f"^{re.escape(module)}\\."]
        with subprocess.Popen(
            command, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        ) as process:
            for line in process.stdout:
                shown = summary.line(line.rstrip("\n"))
                if shown is not None:
                    print(shown, file=stream, flush=True)
        if process.returncode != 0:
            failed.append(module)
    return failed
