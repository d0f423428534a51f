"""Tests of `cryoet-zarr-bench bench`'s asv runs: one per module, output summarised, finished modules kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryoet_zarr_bench.asv_run import OutputSummary, benchmark_modules

pytest.importorskip("asv")

# asv 0.6.6's output for part of the suite (`asv run --show-stderr`), with a failure added.
ASV_OUTPUT = """\
· Discovering benchmarks
· Running 10 total benchmarks (1 commits * 1 environments * 10 benchmarks)
[ 0.00%] · For cryoet-zarr-bench commit 13db472a <dashboard>:
[ 0.00%] ·· Benchmarking existing-py_work_venv_bin_python
[ 5.00%] ··· .../work/benchmarks/__init__.py:65                 ok
[ 5.00%] ··· compression.Compression.track_compression_ratio                 ok
[ 5.00%] ··· ======== ========== ============= =====================
              codec     chunks    zarr_format
             -------- ---------- ------------- ---------------------
               none    64x64x64        2        0.12497223040610826
             ======== ========== ============= =====================

[35.00%] ··· releases.Releases.track_numcodecs_release                     1606
[45.00%] ··· Setting up write_read:48                                        ok
[50.00%] ··· write_read.Read.time_read                                       failed
Traceback (most recent call last):
ValueError: boom
· Discovering benchmarks
"""


def test_output_summary_keeps_one_line_per_result_and_every_error() -> None:
    clock = iter([0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    summary = OutputSummary(clock=lambda: next(clock))
    shown = [summary.line(line) for line in ASV_OUTPUT.splitlines()]

    assert [line for line in shown if line is not None] == [
        "· Discovering benchmarks",
        "· Running 10 total benchmarks (1 commits * 1 environments * 10 benchmarks)",
        "For cryoet-zarr-bench commit 13db472a <dashboard>:",
        "Benchmarking existing-py_work_venv_bin_python",
        "  [  5%, about 3 min left] compression.Compression.track_compression_ratio: ok",
        "  [ 35%, about 19 s left] releases.Releases.track_numcodecs_release: 1606",
        "  [ 50%, about 10 s left] write_read.Read.time_read: failed",
        "Traceback (most recent call last):",
        "ValueError: boom",
    ]


def test_benchmark_modules_are_the_suites_python_files() -> None:
    assert benchmark_modules(Path(__file__).parent.parent / "benchmarks") == [
        "compression",
        "engines",
        "overhead",
        "releases",
        "write_read",
    ]


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def test_bench_keeps_the_modules_that_finished(tmp_path: Path) -> None:
    """A module whose benchmark fails does not cost the others their results; the dashboard shows them."""
    project = tmp_path / "project"
    (project / "benchmarks").mkdir(parents=True)
    (project / "benchmarks" / "__init__.py").write_text("")
    (project / "benchmarks" / "good.py").write_text("def track_answer():\n    return 42\n")
    (project / "benchmarks" / "bad.py").write_text("def track_failure():\n    raise ValueError('boom')\n")
    (project / "asv.conf.json").write_text(
        json.dumps(
            {
                "version": 1,
                "project": "tiny",
                "repo": ".",
                "branches": ["main"],
                "environment_type": "existing",
                "results_dir": "results",
                "html_dir": "html",
            }
        )
    )
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message=benchmarks")
    (tmp_path / "home").mkdir()
    env = {**os.environ, "HOME": str(tmp_path / "home")}

    completed = subprocess.run(
        [sys.executable, "-m", "cryoet_zarr_bench.cli", "bench", "--quick"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert (
        "benchmarks failed in bad (see above); the other results are saved and published" in completed.stderr
    )
    out = completed.stdout
    assert "bench: 1/2 bad" in out and "bench: 2/2 good" in out
    assert "good.track_answer: 42" in out and "bad.track_failure: failed" in out
    assert "ValueError: boom" in out
    assert "I will now ask you some questions" not in out  # asv machine's questionnaire
    (result_file,) = [path for path in (project / "results").glob("*/*.json") if path.name != "machine.json"]
    results = json.loads(result_file.read_text())["results"]
    assert results["good.track_answer"][0] == [42]
    assert (project / "html" / "index.html").is_file()
