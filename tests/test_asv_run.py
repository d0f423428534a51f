"""Tests of `cryoet-zarr-bench bench`'s asv runs: the suite planned, one run per module, output summarised."""

from __future__ import annotations

import pytest

from cryoet_zarr_bench.asv_run import (
    OutputSummary,
    PlanError,
    estimate_seconds,
    format_duration,
    plan_suite,
    stop_orphaned_forkservers,
)
from cryoet_zarr_bench.suite import CORE_MODULES, STUDIES, STUDIES_ENV

from support import REPO_ROOT, SUITE_VARIABLES

pytest.importorskip("asv")

BENCHMARKS = REPO_ROOT / "benchmarks"

# asv 0.6.6's output (`asv run --show-stderr`, forkserver): a result with its table, a benchmark skipped
# whole, one with skipped cases, a failure with its traceback.
ASV_OUTPUT = """\
· Discovering benchmarks
· Running 10 total benchmarks (1 commits * 1 environments * 10 benchmarks)
[ 0.00%] · For cryoet-zarr-bench commit 13db472a <main>:
[ 0.00%] ·· Building for existing-py_work_venv_bin_python
[ 0.00%] ·· Benchmarking existing-py_work_venv_bin_python
[ 5.00%] ··· ...ing up /work/main/benchmarks/__init__.py:155                 ok
[ 5.00%] ··· ... up …/benchmarks/__init__.py:174                             ok
[ 5.00%] ··· Setting up write_read:48                                        ok
[ 5.00%] ··· compression.Compression.track_compression_ratio                 ok
[ 5.00%] ··· ======== ========== ============= =====================
              codec     chunks    zarr_format
             -------- ---------- ------------- ---------------------
               none    64x64x64        2        0.12497223040610826
             ======== ========== ============= =====================

[12.50%] ··· engines.Read.time_read                                            n/a
[12.50%] ···· asv: skipped: NotImplementedError('tensorstore is not installed')
[25.00%] ··· write_read.Read.time_read                                   ok
[25.00%] ··· ======= ========== =====
             --        zarr_format
             ------- ----------------
              codec      2        3
             ======= ========== =====
               none   852±0ns    n/a
              zstd-5  1.61±0μs   n/a
             ======= ========== =====

[25.00%] ···· For parameters: 'none', 3
              asv: skipped: NotImplementedError('zarr 2.18.7 cannot write format 3')

              For parameters: 'zstd-5', 3
              asv: skipped: NotImplementedError('zarr 2.18.7 cannot write format 3')

[35.00%] ··· releases.Releases.track_numcodecs_release                     1606
[50.00%] ··· write_read.Write.time_write                                   failed
[50.00%] ···· Traceback (most recent call last):
                File "/work/main/benchmarks/write_read.py", line 19, in time_write
              ValueError: boom
              asv: benchmark failed (exit status 1)
· Discovering benchmarks
"""


def test_the_summary_keeps_one_line_per_result_counts_skips_and_passes_errors_through() -> None:
    clock = iter([0.0, 10.0, 30.0, 40.0, 50.0])  # at the estimate's pace: 10 s per result
    summary = OutputSummary(total=5, estimate=50.0, clock=lambda: next(clock))
    shown = [line for line in map(summary.line, ASV_OUTPUT.splitlines()) if line is not None]

    assert shown == [
        "Benchmarking existing-py_work_venv_bin_python",
        "  compression.Compression.track_compression_ratio: ok  [1/5, about 40 s left]",
        "  write_read.Read.time_read: ok  [3/5, about 20 s left]",
        "  releases.Releases.track_numcodecs_release: 1606  [4/5, about 10 s left]",
        "  write_read.Write.time_write: failed  [5/5]",
        "Traceback (most recent call last):",
        '                File "/work/main/benchmarks/write_read.py", line 19, in time_write',
        "              ValueError: boom",
        "              asv: benchmark failed (exit status 1)",
    ]
    assert summary.not_run == 3
    assert summary.reasons == {
        "NotImplementedError('tensorstore is not installed')": 1,
        "NotImplementedError('zarr 2.18.7 cannot write format 3')": 2,
    }
    line = summary.summary()
    assert line.startswith(
        "bench: 5 results in 50 s (estimated 50 s); 1 failed: write_read.Write.time_write; "
    )
    assert "3 case(s) not run in their environment (asv's n/a): NotImplementedError('zarr 2.18.7" in line
    assert "\n" not in line


def test_the_time_left_follows_the_pace_measured_against_the_estimate() -> None:
    times = iter([0.0, 40.0])
    summary = OutputSummary(total=4, estimate=40.0, clock=lambda: next(times))
    shown = summary.line("[25.00%] ··· releases.Releases.track_zarr_release                 30106")
    assert shown.endswith("[1/4, about 2 min left]")  # a quarter took 40 s, four times the estimate's pace


def _suite_environment(**settings: str) -> dict[str, str]:
    import os

    return {**{k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES}, **settings}


def test_the_default_suite_is_the_core_and_each_study_adds_its_module() -> None:
    core = plan_suite(BENCHMARKS, _suite_environment())
    assert {benchmark.module for benchmark in core} == set(CORE_MODULES)
    ratio = next(b for b in core if b.name == "compression.Compression.track_compression_ratio")
    assert ratio.cases == 8  # the baseline's four codecs x one chunk shape x two Zarr formats

    everything = plan_suite(BENCHMARKS, _suite_environment(**{STUDIES_ENV: "all"}))
    study_modules = {module for study in STUDIES for module in study.modules}
    assert {benchmark.module for benchmark in everything} == set(CORE_MODULES) | study_modules
    assert {b.name for b in core} < {b.name for b in everything}


def test_the_codec_study_defines_only_the_classes_its_codecs_apply_to() -> None:
    lossless = plan_suite(
        BENCHMARKS, _suite_environment(**{STUDIES_ENV: "codec", "CRYOET_ZARR_BENCH_CODECS": "baseline"})
    )
    study = {b.name.split(".")[1] for b in lossless if b.module == "study"}
    assert study == {"Limits", "LosslessLimit"}  # no lossy codec: no fidelity classes, no skipped cases

    lossy = plan_suite(
        BENCHMARKS,
        _suite_environment(**{STUDIES_ENV: "codec", "CRYOET_ZARR_BENCH_CODECS": "bitround-8+zstd-5"}),
    )
    assert {b.name.split(".")[1] for b in lossy if b.module == "study"} >= {"LossyFidelity", "Limits"}
    assert "LosslessLimit" not in {b.name.split(".")[1] for b in lossy}


def test_a_suite_that_cannot_be_imported_is_one_error_line() -> None:
    with pytest.raises(PlanError, match="CRYOET_ZARR_BENCH_CHUNKS='bogus'"):
        plan_suite(BENCHMARKS, _suite_environment(CRYOET_ZARR_BENCH_CHUNKS="bogus"))


def test_the_estimate_grows_with_sampling_environments_and_studies() -> None:
    core = plan_suite(BENCHMARKS, _suite_environment())
    everything = plan_suite(BENCHMARKS, _suite_environment(**{STUDIES_ENV: "all"}))
    quick = estimate_seconds(core, quick=True)
    assert 0 < quick < estimate_seconds(core, quick=False)
    assert estimate_seconds(core, quick=True, environments=12, new_environments=12) > 12 * quick
    assert estimate_seconds(everything, quick=True) > 5 * quick


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.2, "1 s"), (42, "42 s"), (600, "10 min"), (7260, "2 h 1 min")]
)
def test_durations_read_naturally(seconds, text) -> None:
    assert format_duration(seconds) == text


def test_a_forkserver_left_by_a_killed_run_is_stopped_and_its_folder_removed(tmp_path) -> None:
    """asv starts its forkserver in a process group of its own, so a bench killed outright leaves it running;
    the next bench ends it (its parent is no asv process) and removes its socket folder, and leaves another
    suite's alone."""
    import subprocess
    import sys
    import time

    sockets = tmp_path / "asv-forkserver-abc"
    sockets.mkdir()
    other = tmp_path / "elsewhere"
    sleeper = "import time; time.sleep(60)"

    def orphan(benchmark_dir):
        # The shell starts the server and exits at once: the server's parent is then no asv process.
        server = f"{sys.executable} -c '{sleeper}' run_server {benchmark_dir} {sockets / 'socket'}"
        command = f"{server} >/dev/null 2>&1 & echo $!"
        return int(subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout)

    ours, theirs = orphan(BENCHMARKS.resolve()), orphan(other)
    try:
        time.sleep(0.3)
        assert stop_orphaned_forkservers(BENCHMARKS) == [ours]
        assert not sockets.exists()
        for _ in range(50):
            if subprocess.run(["kill", "-0", str(ours)], capture_output=True).returncode != 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the orphaned forkserver is still running")
        assert subprocess.run(["kill", "-0", str(theirs)], capture_output=True).returncode == 0
    finally:
        subprocess.run(["kill", str(ours), str(theirs)], capture_output=True)
