"""Tests of `cryoet-zarr-bench bench`'s asv runs: one per module, output summarised, finished modules kept."""

from __future__ import annotations

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


def test_benchmark_modules_are_the_suites_python_files(tmp_path) -> None:
    (tmp_path / "__init__.py").write_text("")
    for name in ("write_read", "compression", "_helpers"):
        (tmp_path / f"{name}.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert benchmark_modules(tmp_path) == ["compression", "write_read"]
    assert {"compression", "write_read", "releases"} <= set(
        benchmark_modules(Path(__file__).parent.parent / "benchmarks")
    )
