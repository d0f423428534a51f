"""Tests of the asv results reader and the by-release report, on small hand-written results directories."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from support import ASV_DATE, write_asv_result

from cryoet_zarr_bench.asv_config import AsvConfigError
from cryoet_zarr_bench.cli import build_parser, main
from cryoet_zarr_bench.dashboard import DashboardError, add_nav_link
from cryoet_zarr_bench.report.asv_results import Case, ResultsError, read_results
from cryoet_zarr_bench.report.by_release import release_page
from cryoet_zarr_bench.report.model import (
    CHUNK_BYTES,
    COMPRESSION_RATIO,
    FLAG_CHUNKS,
    FLAG_HIGHER,
    FLAG_LOWER,
    FLAG_METADATA,
    METADATA_BYTES,
    STORED_BYTES,
    Release,
    ReportError,
    Step,
    build_report,
    environment_release,
)
from cryoet_zarr_bench.report.pages import write_page
from cryoet_zarr_bench.report.text import describe_fact, format_report

TIME_READ = "write_read.Read.time_read"
ZARR_RELEASE = "releases.Releases.track_zarr_release"
NUMCODECS_RELEASE = "releases.Releases.track_numcodecs_release"
NONE, LZ4, ZSTD = "none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle"
CODECS = [NONE, LZ4, ZSTD]
FORMATS = [2, 3]
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b"]
RAW_BYTES = 8_000_000

CODEC_PARAMS = {"param_names": ["codec", "zarr_format"]}
BENCHMARKS = {
    COMPRESSION_RATIO: {"type": "track", "unit": "ratio", **CODEC_PARAMS},
    CHUNK_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    METADATA_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    STORED_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    TIME_READ: {"type": "time", "unit": "seconds", **CODEC_PARAMS},
    ZARR_RELEASE: {"type": "track", "unit": "release", "param_names": []},
    NUMCODECS_RELEASE: {"type": "track", "unit": "release", "param_names": []},
}

COMMIT = "c0ffee00" + "1" * 32
OLD_COMMIT = "dec0de00" + "2" * 32

#: The fixture's matrix: Python 3.11 with zarr 2.18 to 3.1 and numcodecs 0.15/0.16, a bridge to Python
#: 3.13 (zarr 3.1.6, numcodecs 0.16.6) and zarr 3.4.2 with numcodecs 0.17.2 on 3.13 only.
MATRIX = [
    Release("3.11", "3.1.6", "0.16.6"),  # listed out of release order on purpose
    Release("3.11", "2.18.7", "0.15.1"),
    Release("3.11", "3.0.10", "0.15.1"),
    Release("3.11", "3.0.10", "0.16.6"),
    Release("3.11", "3.1.6", "0.15.1"),
    Release("3.13", "3.1.6", "0.16.6"),
    Release("3.13", "3.4.2", "0.17.2"),
]
IN_ORDER = [MATRIX[i] for i in (1, 2, 3, 4, 0, 5, 6)]


def env_name(release: Release) -> str:
    return f"virtualenv-py{release.python}-numcodecs{release.numcodecs}-zarr{release.zarr}"


def chunk_bytes(release: Release, codec: str, zarr_format: int) -> float:
    """Shuffle does nothing in Zarr format 3 before numcodecs 0.16; zarr 3.4.2 writes zstd in format 2 10 B
    smaller."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if zarr_format == 3 and release.numcodecs == "0.15.1" and codec != NONE:
        return {LZ4: 8_000_500, ZSTD: 7_400_000}[codec]
    size = {NONE: RAW_BYTES, LZ4: 7_300_000, ZSTD: 6_860_000}[codec]
    return size - 10 if (release.zarr, codec, zarr_format) == ("3.4.2", ZSTD, 2) else size


def metadata_bytes(release: Release, codec: str, zarr_format: int) -> float:
    """zarr 3.0 writes 10 B more format 2 metadata than 2.18; zarr 3.1 writes 20 B more format 3 metadata."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if zarr_format == 2:
        return 400 if release.zarr.startswith("2.") else 410
    return 900 if release.zarr == "3.0.10" else 920


def read_time(release: Release, codec: str, zarr_format: int) -> float | None:
    """Python 3.13 reads zstd 1.5x slower; zarr 3.0.10 fails to read zstd in format 3 (None)."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if (release.zarr, release.numcodecs, codec, zarr_format) == ("3.0.10", "0.15.1", ZSTD, 3):
        return None
    seconds = {NONE: 0.010, LZ4: 0.012, ZSTD: 0.020}[codec]
    if release.zarr.startswith("2."):
        seconds *= 0.8
    return seconds * 1.5 if release.python == "3.13" and codec == ZSTD else seconds


def measured(release: Release) -> dict[str, list[float | None]]:
    """Every codec benchmark's values for `release`, in asv's product order of (codec, zarr_format)."""
    cases = [(codec, zarr_format) for codec in CODECS for zarr_format in FORMATS]
    chunks = [chunk_bytes(release, *case) for case in cases]
    metadata = [metadata_bytes(release, *case) for case in cases]
    return {
        COMPRESSION_RATIO: [RAW_BYTES / size for size in chunks],
        CHUNK_BYTES: chunks,
        METADATA_BYTES: metadata,
        STORED_BYTES: [size + extra for size, extra in zip(chunks, metadata)],
        TIME_READ: [read_time(release, *case) for case in cases],
    }


def version_number(version: str) -> int:
    major, minor, patch = (int(part) for part in version.split("."))
    return major * 10000 + minor * 100 + patch


def write_run(
    results_dir: Path,
    release: Release,
    *,
    values: dict[str, list[float | None]] | None = None,
    name: str | None = None,
    pins: dict[str, str | None] | None = None,
    recorded: bool = True,
    commit: str = COMMIT,
    machine: str = "box",
    date: int = ASV_DATE,
) -> Path:
    """One asv 0.6 result file for `release`: pinned to it and recording it, unless told otherwise."""
    values = measured(release) if values is None else values
    params = [[repr(codec) for codec in CODECS], [str(zarr_format) for zarr_format in FORMATS]]
    results = {name: [result, params, "1", date, 1.0, None, None] for name, result in values.items()}
    if recorded:
        results[ZARR_RELEASE] = [[version_number(release.zarr)], [], "1", date, 0.5, None, None]
        results[NUMCODECS_RELEASE] = [[version_number(release.numcodecs)], [], "1", date, 0.5, None, None]
    pins = {"zarr": release.zarr, "numcodecs": release.numcodecs} if pins is None else pins
    name = env_name(release) if name is None else name
    path = write_asv_result(
        results_dir,
        machine=machine,
        commit=commit,
        env_name=name,
        results=results,
        columns=COLUMNS,
        python=release.python,
        requirements=pins,
        date=date,
    )
    (path.parent / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    return path


def new_results_dir(directory: Path) -> Path:
    directory.mkdir()
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    return directory


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """The seven environments of MATRIX at one commit, written in an order that is not the release order."""
    directory = new_results_dir(tmp_path / "results")
    for release in MATRIX:
        write_run(directory, release)
    return directory


def comparable(value: float | None) -> float | str | None:
    """NaN (skipped) as a string, so that lists of values compare equal."""
    return "NaN" if value is not None and math.isnan(value) else value


def case(benchmark: str, codec: str, zarr_format: int) -> Case:
    return Case(benchmark, (("codec", codec), ("zarr_format", str(zarr_format))))


# ------------------------------------------------------------------------------------------------ reader


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
    assert run.values[case(TIME_READ, ZSTD, 3)] is None  # failed
    assert math.isnan(results.runs[0].values[case(TIME_READ, NONE, 3)])  # skipped (zarr 2.18.7)
    assert run.values[Case(ZARR_RELEASE, ())] == 30010
    assert results.benchmarks[TIME_READ].unit == "seconds"
    assert results.benchmarks[TIME_READ].param_names == ("codec", "zarr_format")


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
    row = dict(zip(columns, document["results"][TIME_READ]))
    row["result"] = None  # what asv 0.6 records when the benchmark's setup_cache raised
    document["results"][TIME_READ] = [row.get(column) for column in columns]
    path.write_text(json.dumps(document))

    run = next(run for run in read_results(results_dir).runs if run.path == path)
    cases = [value for case, value in run.values.items() if case.benchmark == TIME_READ]
    assert cases and all(value is None for value in cases)


def test_reader_errors_name_the_problem(tmp_path: Path, results_dir: Path) -> None:
    with pytest.raises(ResultsError, match="has no benchmarks.json"):
        read_results(tmp_path)

    empty = new_results_dir(tmp_path / "empty")
    with pytest.raises(ResultsError, match="holds no result files; run `asv run` first"):
        read_results(empty)

    path = next(results_dir.glob("box/*py3.11*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    document["results"][TIME_READ][0] = [1.0]
    path.write_text(json.dumps(document))
    with pytest.raises(
        ResultsError, match=f"{re.escape(TIME_READ)} has 1 results for 6 parameter combinations"
    ):
        read_results(results_dir)

    document["version"] = 1
    path.write_text(json.dumps(document))
    with pytest.raises(ResultsError, match=r"zarr3\.1\.6\.json is asv results format 1"):
        read_results(results_dir)


# ------------------------------------------------------------------------------------------------ releases


def test_release_comes_from_pins_or_from_the_recorded_release_numbers(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    pinned = write_run(directory, Release("3.11", "2.18.7", "0.15.1"))
    existing = write_run(
        directory, Release("3.13", "3.4.2", "0.17.2"), name="existing-py_venv_bin_python", pins={}
    )
    # An unpinned matrix entry ("" = the latest) once crashed the report with version_number("").
    latest = write_run(
        directory,
        Release("3.13", "3.1.6", "0.16.6"),
        name="virtualenv-py3.13-numcodecs-zarr3.1.6",
        pins={"zarr": "3.1.6", "numcodecs": ""},
    )
    runs = {run.path: run for run in read_results(directory).runs}

    assert environment_release(runs[pinned]) == Release("3.11", "2.18.7", "0.15.1")
    assert environment_release(runs[existing]) == Release("3.13", "3.4.2", "0.17.2")
    assert environment_release(runs[latest]) == Release("3.13", "3.1.6", "0.16.6")
    assert environment_release(runs[latest]).label == "py3.13 zarr3.1.6 numcodecs0.16.6"


def test_versions_command_reads_an_unpinned_matrix_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_results_dir(tmp_path / "results")
    write_run(tmp_path / "results", Release("3.11", "3.0.10", "0.16.6"))
    write_run(
        tmp_path / "results",
        Release("3.11", "3.1.6", "0.16.6"),
        name="virtualenv-py3.11-numcodecs-zarr",
        pins={"zarr": "", "numcodecs": ""},
    )
    config = write_config(tmp_path)

    assert main(["versions", "--config", str(config)]) == 0

    output = capsys.readouterr().out
    assert re.search(
        r"\n  py3\.11 zarr3\.1\.6 numcodecs0\.16\.6 +virtualenv-py3\.11-numcodecs-zarr\n", output
    )


def test_release_errors(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    release = Release("3.11", "3.1.6", "0.16.6")
    wrong = write_run(
        directory, release, name="virtualenv-wrong", values=measured(Release("3.11", "3.1.5", "0.16.6"))
    )
    document = json.loads(wrong.read_text())
    document["results"][ZARR_RELEASE][0] = [30105]
    wrong.write_text(json.dumps(document))
    unknown = write_run(directory, release, name="existing-unknown", pins={}, recorded=False)
    runs = {run.path: run for run in read_results(directory).runs}

    with pytest.raises(ReportError, match="pins zarr 3.1.6 but recorded 3.1.5"):
        environment_release(runs[wrong])
    with pytest.raises(ReportError, match="neither pins zarr nor has a result for releases.Releases"):
        environment_release(runs[unknown])


# ------------------------------------------------------------------------------------------------ tables


def test_tables_hold_each_release_value_from_the_results(results_dir: Path) -> None:
    results = read_results(results_dir)
    report = build_report(results)

    assert report.machine == "box" and report.commit == COMMIT
    assert list(report.runs) == IN_ORDER
    assert [table.benchmark.name for table in report.tables] == [
        COMPRESSION_RATIO,
        CHUNK_BYTES,
        METADATA_BYTES,
        STORED_BYTES,
        TIME_READ,
    ]  # no releases.*
    by_env = {run.env_name: run for run in results.runs}
    for table in report.tables:
        assert table.releases == IN_ORDER
        assert len(table.rows) == 6
        for row_case, values in table.rows.items():
            expected = [by_env[run.env_name].values[row_case] for run in report.runs.values()]
            assert list(map(comparable, values)) == list(map(comparable, expected))
    chunks = report.tables[1].rows
    assert list(map(comparable, chunks[case(CHUNK_BYTES, LZ4, 3)])) == [
        "NaN",
        8_000_500,
        7_300_000,
        8_000_500,
        7_300_000,
        7_300_000,
        7_300_000,
    ]
    assert list(chunks)[:3] == [case(CHUNK_BYTES, codec, 2) for codec in CODECS]


# ------------------------------------------------------------------------------------------------ the alarm


def test_a_numcodecs_change_seen_with_two_zarr_releases_is_one_fact(results_dir: Path) -> None:
    report = build_report(read_results(results_dir))

    shuffle, _ = report.chunk_facts
    assert shuffle.benchmark == CHUNK_BYTES
    assert (shuffle.library, shuffle.versions) == ("numcodecs", ("0.15.1", "0.16.6"))
    assert shuffle.codecs == (LZ4, ZSTD)
    assert shuffle.setting == (("zarr_format", "3"),)
    assert shuffle.steps == (
        Step(Release("3.11", "3.0.10", "0.15.1"), Release("3.11", "3.0.10", "0.16.6")),
        Step(Release("3.11", "3.1.6", "0.15.1"), Release("3.11", "3.1.6", "0.16.6")),
    )
    assert sorted((change.before_value, change.after_value) for change in shuffle.changes) == [
        (7_400_000, 6_860_000),
        (7_400_000, 6_860_000),
        (8_000_500, 7_300_000),
        (8_000_500, 7_300_000),
    ]
    assert describe_fact(shuffle, arrow="→") == (
        "numcodecs 0.15.1 → 0.16.6 changes the chunk bytes of blosc-lz4-5-shuffle, blosc-zstd-5-shuffle at "
        "zarr_format=3 (with py3.11 zarr3.0.10; py3.11 zarr3.1.6): -700,500 to -540,000 bytes "
        "(-8.76% to -7.3%)"
    )


def test_a_change_no_single_library_explains_is_reported_between_neighbours(results_dir: Path) -> None:
    # zarr 3.4.2 exists only with numcodecs 0.17.2, so no pair of environments isolates either library.
    _, unattributed = build_report(read_results(results_dir)).chunk_facts

    assert unattributed.library is None and unattributed.versions is None
    assert unattributed.steps == (
        Step(Release("3.13", "3.1.6", "0.16.6"), Release("3.13", "3.4.2", "0.17.2")),
    )
    ((change),) = unattributed.changes
    assert (change.case, change.before_value, change.after_value) == (
        case(CHUNK_BYTES, ZSTD, 2),
        6_860_000,
        6_859_990,
    )
    assert describe_fact(unattributed) == (
        "the chunk bytes of blosc-zstd-5-shuffle at zarr_format=2 differ between py3.13 zarr3.1.6 "
        "numcodecs0.16.6 and py3.13 zarr3.4.2 numcodecs0.17.2, which differ in zarr and numcodecs; "
        "no pair of environments that differ in one library isolates the change: -10 bytes (-0.000146%)"
    )


def test_an_environment_that_failed_a_case_does_not_hide_a_change_around_it(tmp_path: Path) -> None:
    # zarr 3.0.10 -> 3.1.6 -> Python 3.13: the middle one failed zstd in format 2, the ends differ.
    directory = new_results_dir(tmp_path / "results")
    first, failed, last = (
        Release("3.11", "3.0.10", "0.16.6"),
        Release("3.11", "3.1.6", "0.16.6"),
        Release("3.13", "3.1.6", "0.16.6"),
    )
    zstd_2 = CODECS.index(ZSTD) * 2
    write_run(directory, first)
    values = measured(failed)
    values[CHUNK_BYTES][zstd_2] = None
    write_run(directory, failed, values=values)
    values = measured(last)
    values[CHUNK_BYTES][zstd_2] += 7
    write_run(directory, last, values=values)

    (fact,) = build_report(read_results(directory)).chunk_facts
    assert (fact.library, fact.steps, fact.codecs) == (None, (Step(first, last),), (ZSTD,))
    assert "which differ in Python and zarr" in describe_fact(fact)


def test_metadata_changes_are_listed_apart_and_never_alarmed(results_dir: Path) -> None:
    report = build_report(read_results(results_dir))

    assert all(fact.benchmark == CHUNK_BYTES for fact in report.chunk_facts)
    assert [
        (fact.library, fact.versions, fact.codecs, fact.setting, [step.before.label for step in fact.steps])
        for fact in report.metadata_facts
    ] == [
        (
            "zarr",
            ("2.18.7", "3.0.10"),
            tuple(CODECS),
            (("zarr_format", "2"),),
            ["py3.11 zarr2.18.7 numcodecs0.15.1"],
        ),
        (
            "zarr",
            ("3.0.10", "3.1.6"),
            tuple(CODECS),
            (("zarr_format", "3"),),
            ["py3.11 zarr3.0.10 numcodecs0.15.1", "py3.11 zarr3.0.10 numcodecs0.16.6"],
        ),
    ]


def two_environment_report(tmp_path: Path, *, chunk_byte_change: int) -> object:
    """zarr 3.0.10 and 3.1.6 with numcodecs 0.16.6: format 3 metadata grows by 20 B, zstd's format 2 chunks
    by `chunk_byte_change` bytes."""
    directory = new_results_dir(tmp_path / f"results-{chunk_byte_change}")
    old, new = Release("3.11", "3.0.10", "0.16.6"), Release("3.11", "3.1.6", "0.16.6")
    write_run(directory, old)
    values = measured(new)
    values[CHUNK_BYTES][CODECS.index(ZSTD) * 2] += chunk_byte_change
    write_run(directory, new, values=values)
    return build_report(read_results(directory))


def test_one_changed_chunk_byte_trips_the_alarm_and_a_metadata_change_does_not(tmp_path: Path) -> None:
    metadata_only = two_environment_report(tmp_path, chunk_byte_change=0)
    assert metadata_only.chunk_facts == []
    (metadata,) = metadata_only.metadata_facts
    assert (metadata.library, metadata.codecs, metadata.setting) == (
        "zarr",
        tuple(CODECS),
        (("zarr_format", "3"),),
    )
    assert "chunk bytes: the same in every release for every codec setting" in format_report(metadata_only)
    assert "!!!" not in format_report(metadata_only)

    one_byte = two_environment_report(tmp_path, chunk_byte_change=1)
    (fact,) = one_byte.chunk_facts
    assert (fact.library, fact.versions, fact.codecs) == ("zarr", ("3.0.10", "3.1.6"), (ZSTD,))
    ((change),) = fact.changes
    assert (change.before_value, change.after_value) == (6_860_000, 6_860_001)
    text = format_report(one_byte)
    assert "!!! CHUNK BYTES CHANGED BETWEEN RELEASES (1 fact(s))" in text
    assert (
        "!!!   zarr 3.0.10 -> 3.1.6 changes the chunk bytes of blosc-zstd-5-shuffle at zarr_format=2 "
        "(with py3.11 numcodecs0.16.6): +1 bytes (+1.46e-05%)"
    ) in text
    # The format 3 metadata change is still listed, apart.
    assert "metadata only (chunk bytes equal; listed, not an alarm):" in text


def test_without_metadata_bytes_a_stored_bytes_change_with_equal_chunks_is_listed_apart(
    tmp_path: Path,
) -> None:
    directory = new_results_dir(tmp_path / "results")
    for release in (Release("3.11", "2.18.7", "0.15.1"), Release("3.11", "3.0.10", "0.15.1")):
        values = measured(release)
        del values[METADATA_BYTES]
        write_run(directory, release, values=values)
    report = build_report(read_results(directory))

    assert report.chunk_facts == []
    (fact,) = report.metadata_facts
    assert (fact.benchmark, fact.library, fact.setting) == (STORED_BYTES, "zarr", (("zarr_format", "2"),))
    assert describe_fact(fact) == (
        "zarr 2.18.7 -> 3.0.10 changes the stored bytes of none, blosc-lz4-5-shuffle, blosc-zstd-5-shuffle at "
        "zarr_format=2 (with py3.11 numcodecs0.15.1): +10 bytes (+0.000125% to +0.000146%)"
    )


def test_without_chunk_bytes_the_alarm_says_it_cannot_judge(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    for release in MATRIX[:2]:
        write_run(directory, release, values={TIME_READ: measured(release)[TIME_READ]})
    report = build_report(read_results(directory))

    assert not report.chunk_bytes_recorded and report.chunk_facts == []
    assert f"chunk bytes not judged: the results have no {CHUNK_BYTES}" in format_report(report)


# ------------------------------------------------------------------------------------------------ comparison


def test_comparison_of_the_oldest_and_newest_release_by_default(results_dir: Path) -> None:
    comparison = build_report(read_results(results_dir)).comparison

    assert comparison.step == Step(IN_ORDER[0], IN_ORDER[-1])
    assert comparison.step.library is None
    rows = {row.case: row for row in comparison.rows}
    zstd_read = rows[case(TIME_READ, ZSTD, 2)]
    assert (zstd_read.baseline, zstd_read.contender) == (0.016, 0.030)
    assert zstd_read.ratio == pytest.approx(1.875) and zstd_read.flag == FLAG_HIGHER
    none_read = rows[case(TIME_READ, NONE, 2)]
    assert none_read.ratio == pytest.approx(1.25) and none_read.flag == FLAG_HIGHER
    skipped = rows[case(TIME_READ, NONE, 3)]
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
    assert rows[case(TIME_READ, ZSTD, 3)].flag == FLAG_HIGHER  # 1.5x
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
    assert rows[case(TIME_READ, ZSTD, 2)].ratio == pytest.approx(0.8)
    assert rows[case(TIME_READ, ZSTD, 2)].flag == FLAG_LOWER
    within = build_report(results, baseline="zarr3.0.10 numcodecs0.15.1", contender="zarr2.18.7", factor=1.3)
    assert {row.flag for row in within.comparison.rows if row.case.benchmark == TIME_READ} == {""}
    failed = rows[case(TIME_READ, ZSTD, 3)]
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


def test_commit_and_machine_choice(results_dir: Path) -> None:
    write_run(results_dir, MATRIX[0], commit=OLD_COMMIT, date=1_800_000_000_000)
    results = read_results(results_dir)

    assert build_report(results).commit == COMMIT  # the most environments, though not the latest
    old = build_report(results, commit="dec0")
    assert old.commit == OLD_COMMIT and len(old.runs) == 1 and old.comparison is None
    with pytest.raises(ReportError, match="no commit with results starts with 'beef'"):
        build_report(results, commit="beef")

    write_run(results_dir, MATRIX[0], name="other-env", machine="laptop")
    with pytest.raises(ReportError, match=r"several machines \(box, laptop\); choose one with --machine"):
        build_report(read_results(results_dir))
    assert build_report(read_results(results_dir), machine="laptop").machine == "laptop"


def test_an_unpinned_environment_gives_way_to_a_pinned_one(results_dir: Path) -> None:
    write_run(results_dir, MATRIX[0], name="existing-py_venv_bin_python", pins={})
    report = build_report(read_results(results_dir))

    assert report.runs[MATRIX[0]].env_name == env_name(MATRIX[0])
    assert report.left_out == [f"existing-py_venv_bin_python (same releases as {env_name(MATRIX[0])})"]


def test_two_pinned_environments_of_one_release_are_refused(results_dir: Path) -> None:
    write_run(results_dir, MATRIX[0], name="virtualenv-copy")

    with pytest.raises(ReportError, match="both pin py3.11 zarr3.1.6 numcodecs0.16.6"):
        build_report(read_results(results_dir))


# ---------------------------------------------------------------------------------------- text, page, CLI


def test_text_report_names_environments_by_python_zarr_and_numcodecs(results_dir: Path) -> None:
    text = format_report(build_report(read_results(results_dir)))

    assert "  py3.11 zarr2.18.7 numcodecs0.15.1  virtualenv-py3.11-numcodecs0.15.1-zarr2.18.7" in text
    assert "!!! CHUNK BYTES CHANGED BETWEEN RELEASES (2 fact(s))" in text
    header = next(line for line in text.splitlines() if line.startswith("codec "))
    assert header.split() == [
        "codec",
        "zarr_format",
        *(f"{r.python}/{r.zarr}/{r.numcodecs}" for r in IN_ORDER),
    ]
    zstd_format_2 = next(
        line for line in text.splitlines() if line.startswith(f"{ZSTD}  ") and "6,860,000" in line
    )
    assert zstd_format_2.split()[1:] == ["2", *["6,860,000"] * 6, "6,859,990"]


def test_page_shows_figures_tables_and_facts_and_loads_nothing_else(
    results_dir: Path, tmp_path: Path
) -> None:
    from matplotlib.image import imread

    report = build_report(read_results(results_dir))
    page = write_page(release_page(report), tmp_path / "html" / "by-release")

    assert page == tmp_path / "html" / "by-release" / "index.html"
    text = page.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert sources == ["../index.html", *(f"{table.benchmark.name}.png" for table in report.tables)]
    for source in sources[1:]:
        height, width, _ = imread(page.parent / source).shape
        assert width > 600 and height > 300
    assert '<div class="alarm" id="chunk-bytes">' in text
    assert (
        "<li>numcodecs 0.15.1 → 0.16.6 changes the chunk bytes of blosc-lz4-5-shuffle, blosc-zstd-5-shuffle"
        in text
    )
    assert '<div class="note" id="metadata">' in text
    assert "<li>zarr 2.18.7 → 3.0.10 changes the metadata bytes of none" in text
    assert "<th>py3.11 zarr2.18.7 numcodecs0.15.1</th>" in text
    assert (
        "<tr><td>3.13</td><td>3.4.2</td><td>0.17.2</td>"
        "<td>virtualenv-py3.13-numcodecs0.17.2-zarr3.4.2</td></tr>" in text
    )
    assert re.search(
        r'<tr class="flag-higher"><td>write_read\.Read\.time_read</td><td>codec=blosc-zstd-5-shuffle, '
        r'zarr_format=2</td><td class="number">16</td><td class="number">30</td>'
        r'<td class="number">1\.875</td>',
        text,
    )
    assert re.search(
        r'<tr class="flag-alarm"><td>compression\.Compression\.track_chunk_bytes</td>'
        r"<td>codec=blosc-zstd-5-shuffle,"
        r' zarr_format=2</td><td class="number">6,860,000</td><td class="number">6,859,990</td>',
        text,
    )


ASV_NAV = """<nav id="nav"><ul class="nav navbar-nav navbar-left">
	<li id="nav-li-regressions"><a href="#/regressions">Regressions</a></li>
        <li id="nav-li-graphdisplay">
          <span class="navbar-brand" id="title">benchmark</span>
        </li>
</ul></nav>"""


def test_nav_link_is_added_once(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(ASV_NAV, encoding="utf-8")

    assert add_nav_link(tmp_path, "by-release/index.html", "By release") is True
    assert add_nav_link(tmp_path, "by-release/index.html", "By release") is False
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert text.count("by-release") == 1
    assert re.search(
        r'Regressions</a></li>\s*<li><a href="by-release/index.html">By release</a></li>\s*'
        r'<li id="nav-li-graphdisplay">',
        text,
    )


def test_nav_link_errors(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match="index.html does not exist; publish the dashboard"):
        add_nav_link(tmp_path, "x.html", "X")
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(DashboardError, match="has asv's page layout changed"):
        add_nav_link(tmp_path, "x.html", "X")


def versions(*argv: str) -> int:
    """`cryoet-zarr-bench versions ARGV...`; errors propagate instead of becoming an exit status."""
    args = build_parser().parse_args(["versions", *argv])
    return args.run(args)


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "asv.conf.json"
    config.write_text(
        '{\n  // as asv allows\n  "version": 1, "results_dir": "results", "html_dir": "site",\n}\n'
    )
    return config


def test_versions_command_reads_the_config_and_links_the_page(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(ASV_NAV, encoding="utf-8")

    assert versions("--config", str(config), "--baseline", "zarr3.0.10 numcodecs0.16.6") == 0

    output = capsys.readouterr().out
    assert "CHUNK BYTES CHANGED BETWEEN RELEASES" in output
    assert "py3.13 zarr3.4.2 numcodecs0.17.2 / py3.11 zarr3.0.10 numcodecs0.16.6 at the same commit" in output
    assert f"by-release page: {tmp_path / 'site' / 'by-release' / 'index.html'}" in output
    assert (tmp_path / "site" / "by-release" / f"{TIME_READ}.png").is_file()
    assert '<a href="by-release/index.html">By release</a>' in (tmp_path / "site" / "index.html").read_text()


def test_versions_command_errors(tmp_path: Path) -> None:
    with pytest.raises(AsvConfigError, match="no asv configuration at"):
        versions("--config", str(tmp_path / "missing.json"))

    config = tmp_path / "asv.conf.json"
    config.write_text('{"version": 1}')
    with pytest.raises(ReportError, match=f"{re.escape(str(tmp_path / 'results'))} has no benchmarks.json"):
        versions("--config", str(config))


@pytest.mark.parametrize("environments", [1, len(MATRIX)])
def test_versions_with_a_baseline_that_names_nothing_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environments: int
) -> None:
    directory = new_results_dir(tmp_path / "results")
    for release in MATRIX[:environments]:
        write_run(directory, release)
    config = write_config(tmp_path)

    assert main(["versions", "--config", str(config), "--baseline", "nonsense"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("cryoet-zarr-bench: error: ") and "'nonsense'" in line
    assert "py3.11 zarr3.1.6 numcodecs0.16.6" in line
    assert not (tmp_path / "site").exists()


def test_versions_command_without_a_dashboard_writes_the_page_unlinked(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)

    assert versions("--config", str(config)) == 0

    assert "run `cryoet-zarr-bench publish` first" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "site").iterdir()) == ["by-release"]
