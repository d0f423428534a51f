"""The by-release report's comparison of one environment with another at the same commit: the flags (higher,
lower, chunk bytes or metadata changed), which environments by default, and choosing them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.asv_results import read_results
from cryoet_zarr_bench.report.by_release.comparison import FLAG_CHUNKS, FLAG_HIGHER, FLAG_LOWER, FLAG_METADATA
from cryoet_zarr_bench.report.by_release.facts import Step
from cryoet_zarr_bench.report.by_release.model import build_report
from cryoet_zarr_bench.report.by_release.text import format_report
from cryoet_zarr_bench.report.runs import Release, ReportError

from release_results import (
    CHUNK_BYTES,
    COMPRESSION_RATIO,
    IN_ORDER,
    LZ4,
    METADATA_BYTES,
    NONE,
    READ_TIME,
    STORED_BYTES,
    ZSTD,
    case,
    new_results_dir,
    write_matrix_results,
    write_run,
)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_matrix_results(tmp_path / "results")


def test_comparison_of_the_oldest_and_newest_release_by_default(results_dir: Path) -> None:
    comparison = build_report(read_results(results_dir)).comparison

    assert comparison.step == Step(IN_ORDER[0], IN_ORDER[-1])
    assert comparison.step.library is None
    rows = {row.case: row for row in comparison.rows}
    zstd_read = rows[case(READ_TIME, ZSTD, 2)]
    assert (zstd_read.baseline, zstd_read.contender) == (0.016, 0.030)
    assert zstd_read.ratio == pytest.approx(1.875) and zstd_read.flag == FLAG_HIGHER
    none_read = rows[case(READ_TIME, NONE, 2)]
    assert none_read.ratio == pytest.approx(1.25) and none_read.flag == FLAG_HIGHER
    skipped = rows[case(READ_TIME, NONE, 3)]
    assert skipped.ratio is None and skipped.flag == ""
    assert rows[case(CHUNK_BYTES, ZSTD, 2)].flag == FLAG_CHUNKS
    assert rows[case(COMPRESSION_RATIO, ZSTD, 2)].flag == FLAG_CHUNKS
    # 10 chunk bytes fewer and 10 metadata bytes more: the totals agree and would have hidden the change.
    assert rows[case(STORED_BYTES, ZSTD, 2)].flag == ""
    assert rows[case(CHUNK_BYTES, LZ4, 2)].flag == ""
    assert rows[case(METADATA_BYTES, LZ4, 2)].flag == FLAG_METADATA  # 400 -> 410
    assert rows[case(METADATA_BYTES, ZSTD, 2)].flag == FLAG_METADATA
    assert rows[case(STORED_BYTES, LZ4, 2)].flag == FLAG_METADATA


def test_comparison_across_pythons_names_python_as_the_difference(results_dir: Path) -> None:
    report = build_report(
        read_results(results_dir), baseline="py3.11 zarr3.1.6 numcodecs0.16.6", contender="py3.13 zarr3.1.6"
    )
    comparison = report.comparison
    rows = {row.case: row for row in comparison.rows}

    assert comparison.baseline.env_name == "virtualenv-py3.11-numcodecs0.16.6-zarr3.1.6"
    assert comparison.contender.env_name == "virtualenv-py3.13-numcodecs0.16.6-zarr3.1.6"
    assert comparison.step.library == "python"
    assert rows[case(READ_TIME, ZSTD, 3)].flag == FLAG_HIGHER  # 1.5x
    assert rows[case(CHUNK_BYTES, ZSTD, 3)].flag == ""
    assert (
        "py3.13 zarr3.1.6 numcodecs0.16.6 / py3.11 zarr3.1.6 numcodecs0.16.6 at the same commit, flagged "
        "beyond "
        "x1.1 (they differ in Python only):"
    ) in format_report(report)


def test_comparison_of_chosen_environments_and_their_errors(results_dir: Path) -> None:
    results = read_results(results_dir)
    report = build_report(results, baseline="zarr3.0.10 numcodecs0.15.1", contender="zarr2.18.7", factor=1.2)
    rows = {row.case: row for row in report.comparison.rows}
    assert report.comparison.step.library == "zarr"
    assert rows[case(READ_TIME, ZSTD, 2)].ratio == pytest.approx(0.8)
    assert rows[case(READ_TIME, ZSTD, 2)].flag == FLAG_LOWER
    within = build_report(results, baseline="zarr3.0.10 numcodecs0.15.1", contender="zarr2.18.7", factor=1.3)
    assert {row.flag for row in within.comparison.rows if row.case.benchmark == READ_TIME} == {""}
    failed = rows[case(READ_TIME, ZSTD, 3)]
    assert failed.baseline is None and failed.ratio is None

    choices = ", ".join(release.label for release in IN_ORDER)
    with pytest.raises(
        ReportError,
        match=re.escape(f"3 environments match the baseline 'zarr3.1.6'; choose one of: {choices}"),
    ):
        build_report(results, baseline="zarr3.1.6")
    with pytest.raises(
        ReportError,
        match=re.escape(f"no environment matches the contender 'zarr9'; choose one of: {choices}"),
    ):
        build_report(results, contender="zarr9")
    with pytest.raises(ReportError, match="the baseline and the contender are the same environment"):
        build_report(results, baseline="zarr3.4.2")


def test_naming_an_environment_with_a_single_environment_is_an_error(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    write_run(directory, Release("3.11", "3.1.6", "0.16.6"))
    results = read_results(directory)

    assert build_report(results).comparison is None
    with pytest.raises(
        ReportError,
        match=r"--baseline 'zarr3\.1\.6' needs two environments to compare, but this "
        r"commit has results from only py3\.11 zarr3\.1\.6 numcodecs0\.16\.6",
    ):
        build_report(results, baseline="zarr3.1.6")
