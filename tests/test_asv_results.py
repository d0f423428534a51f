"""Tests of the asv results reader (report.asv_results) on hand-written results directories."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.asv_results import Case, ResultsError, read_results
from cryoet_zarr_bench.report.runs import Release

from release_results import (
    BENCHMARKS,
    CHUNK_BYTES,
    COMMIT,
    COMPRESSION_RATIO,
    LZ4,
    MATRIX,
    METADATA_BYTES,
    NONE,
    RAW_BYTES,
    READ_TIME,
    ZARR_RELEASE,
    ZSTD,
    case,
    env_name,
    new_results_dir,
    write_matrix_results,
    write_run,
)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_matrix_results(tmp_path / "results")


def test_reader_unflattens_values_in_parameter_product_order(results_dir: Path) -> None:
    results = read_results(results_dir)

    assert [run.env_name for run in results.runs] == sorted(map(env_name, MATRIX))
    run = next(run for run in results.runs if run.env_name == env_name(Release("3.11", "3.0.10", "0.15.1")))
    assert (run.machine, run.commit, run.python, run.requirements) == (
        "box",
        COMMIT,
        "3.11",
        {"zarr": "3.0.10", "numcodecs": "0.15.1"},
    )
    assert run.values[case(CHUNK_BYTES, LZ4, 3)] == 8_000_500
    assert run.values[case(METADATA_BYTES, ZSTD, 2)] == 410
    assert run.values[case(COMPRESSION_RATIO, ZSTD, 2)] == RAW_BYTES / 6_860_000
    assert run.values[case(READ_TIME, ZSTD, 3)] is None  # failed
    assert math.isnan(results.runs[0].values[case(READ_TIME, NONE, 3)])  # skipped (zarr 2.18.7)
    assert run.values[Case(ZARR_RELEASE, ())] == 30010
    assert results.benchmarks[READ_TIME].unit == "seconds"
    assert results.benchmarks[READ_TIME].param_names == ("codec", "zarr_format")


def test_reader_leaves_unpinned_matrix_entries_out_of_the_requirements(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    # asv records "" for an entry that installs the latest release, null for one that installs nothing.
    write_run(
        directory, Release("3.11", "3.1.6", "0.16.6"), pins={"zarr": "", "numcodecs": "0.16.6", "s3fs": None}
    )

    (run,) = read_results(directory).runs
    assert run.requirements == {"numcodecs": "0.16.6"}


def test_reader_takes_the_python_version_from_an_interpreter_path_too(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    path = write_run(directory, Release("3.11", "3.1.6", "0.16.6"), pins={})
    document = json.loads(path.read_text())
    document["python"] = "/home/user/.venv/bin/python3.11"
    path.write_text(json.dumps(document))

    assert read_results(directory).runs[0].python == "3.11"

    interpreter = tmp_path / "pyenv" / "python3.12"  # `-E existing:same` records a venv's bin/python, a link
    interpreter.parent.mkdir()
    interpreter.write_text("")
    (tmp_path / "python").symlink_to(interpreter)
    document["python"] = str(tmp_path / "python")
    path.write_text(json.dumps(document))
    assert read_results(directory).runs[0].python == "3.12"

    document["python"] = "python"
    path.write_text(json.dumps(document))
    with pytest.raises(ResultsError, match="cannot tell the Python version from its python entry 'python'"):
        read_results(directory)


def test_reader_ignores_benchmarks_no_longer_in_the_suite(results_dir: Path) -> None:
    path = next(results_dir.glob("box/*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    document["results"]["old.Removed.time_it"] = [[1.0], [], "1", 0, 1.0, None, None]
    path.write_text(json.dumps(document))

    run = next(run for run in read_results(results_dir).runs if run.path == path)
    assert {case.benchmark for case in run.values} == set(BENCHMARKS)


def test_a_benchmark_whose_setup_cache_failed_reads_as_every_case_failed(results_dir: Path) -> None:
    path = next(results_dir.glob("box/*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    columns = document["result_columns"]
    row = dict(zip(columns, document["results"][READ_TIME]))
    row["result"] = None  # what asv 0.6 records when the benchmark's setup_cache raised
    document["results"][READ_TIME] = [row.get(column) for column in columns]
    path.write_text(json.dumps(document))

    run = next(run for run in read_results(results_dir).runs if run.path == path)
    cases = [value for case, value in run.values.items() if case.benchmark == READ_TIME]
    assert cases and all(value is None for value in cases)


def test_reader_errors_name_the_problem(tmp_path: Path, results_dir: Path) -> None:
    with pytest.raises(ResultsError, match="has no benchmarks.json"):
        read_results(tmp_path)

    empty = new_results_dir(tmp_path / "empty")
    with pytest.raises(ResultsError, match="holds no result files; run `asv run` first"):
        read_results(empty)

    path = next(results_dir.glob("box/*py3.11*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    document["results"][READ_TIME][0] = [1.0]
    path.write_text(json.dumps(document))
    with pytest.raises(
        ResultsError, match=f"{re.escape(READ_TIME)} has 1 results for 6 parameter combinations"
    ):
        read_results(results_dir)

    document["version"] = 1
    path.write_text(json.dumps(document))
    with pytest.raises(ResultsError, match=r"zarr3\.1\.6\.json is asv results format 1"):
        read_results(results_dir)
