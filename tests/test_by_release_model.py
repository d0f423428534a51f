"""The by-release report's model: each environment's release, the tables by release, the chunk-bytes alarm
(each change named by the one library whose release differs) and the choice of machine, commit and
environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.asv_results import read_results
from cryoet_zarr_bench.report.by_release.facts import Step
from cryoet_zarr_bench.report.by_release.model import build_report
from cryoet_zarr_bench.report.by_release.text import describe_fact, format_report
from cryoet_zarr_bench.report.runs import Release, ReportError, environment_release

from release_results import (
    CHUNK_BYTES,
    CODECS,
    COMMIT,
    COMPRESSION_RATIO,
    IN_ORDER,
    LZ4,
    MATRIX,
    METADATA_BYTES,
    OLD_COMMIT,
    READ_TIME,
    STORED_BYTES,
    ZARR_RELEASE,
    ZSTD,
    case,
    comparable,
    env_name,
    measured,
    new_results_dir,
    write_matrix_results,
    write_run,
)


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_matrix_results(tmp_path / "results")


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
        READ_TIME,
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
        "zarr 2.18.7 -> 3.0.10 changes the stored bytes of none, blosc-lz4-5-shuffle, blosc-zstd-5-shuffle "
        "at zarr_format=2 (with py3.11 numcodecs0.15.1): +10 bytes (+0.000125% to +0.000146%)"
    )


def test_without_chunk_bytes_the_alarm_says_it_cannot_judge(tmp_path: Path) -> None:
    directory = new_results_dir(tmp_path / "results")
    for release in MATRIX[:2]:
        write_run(directory, release, values={READ_TIME: measured(release)[READ_TIME]})
    report = build_report(read_results(directory))

    assert not report.chunk_bytes_recorded and report.chunk_facts == []
    assert f"chunk bytes not judged: the results have no {CHUNK_BYTES}" in format_report(report)


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
