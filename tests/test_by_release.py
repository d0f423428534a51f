"""Tests of the asv results reader and the by-release report, on small hand-written results directories."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.asv_config import AsvConfigError
from cryoet_zarr_bench.cli import build_parser
from cryoet_zarr_bench.dashboard import DashboardError, add_nav_link
from cryoet_zarr_bench.report.asv_results import Case, ResultsError, read_results
from cryoet_zarr_bench.report.by_release import (
    COMPRESSION_RATIO,
    Release,
    ReportError,
    build_report,
    environment_release,
    format_report,
    write_page,
)

TIME_READ = "write_read.Read.time_read"
ZARR_RELEASE = "releases.Releases.track_zarr_release"
NUMCODECS_RELEASE = "releases.Releases.track_numcodecs_release"
CODECS = ["'none'", "'blosc-zstd-5-shuffle'"]
FORMATS = ["2", "3"]
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b"]

BENCHMARKS = {
    COMPRESSION_RATIO: {"type": "track", "unit": "ratio", "param_names": ["codec", "zarr_format"]},
    TIME_READ: {"type": "time", "unit": "seconds", "param_names": ["codec", "zarr_format"]},
    ZARR_RELEASE: {"type": "track", "unit": "release", "param_names": []},
    NUMCODECS_RELEASE: {"type": "track", "unit": "release", "param_names": []},
}

COMMIT = "c0ffee00" + "1" * 32
OLD_COMMIT = "dec0de00" + "2" * 32


def write_run(
    results_dir: Path,
    *,
    env_name: str,
    pins: dict[str, str],
    ratios: list[float | None],
    read_times: list[float | None],
    releases: tuple[int, int] | None = None,
    commit: str = COMMIT,
    machine: str = "box",
    date: int = 1_700_000_000_000,
) -> Path:
    """One asv 0.6 result file; `ratios` and `read_times` in product order: (none, 2), (none, 3), (zstd, 2)"""
    results = {
        COMPRESSION_RATIO: [ratios, [CODECS, FORMATS], "1", date, 1.0, None, None],
        TIME_READ: [read_times, [CODECS, FORMATS], "1", date, 1.0, None, None],
    }
    if releases is not None:
        results[ZARR_RELEASE] = [[releases[0]], [], "1", date, 0.5, None, None]
        results[NUMCODECS_RELEASE] = [[releases[1]], [], "1", date, 0.5, None, None]
    document = {
        "commit_hash": commit,
        "env_name": env_name,
        "date": date,
        "params": {"machine": machine, "python": "3.11", **pins},
        "python": "3.11",
        "requirements": pins,
        "env_vars": {},
        "result_columns": COLUMNS,
        "results": results,
        "durations": {},
        "version": 2,
    }
    path = results_dir / machine / f"{commit[:8]}-{env_name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")  # NaN is written as asv writes it
    (path.parent / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    return path


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    """Three environments at one commit, written in an order that is not the release order."""
    directory = tmp_path / "results"
    directory.mkdir()
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    nan = math.nan
    write_run(
        directory,
        env_name="virtualenv-py3.11-numcodecs0.16.6-zarr3.1.6",
        pins={"zarr": "3.1.6", "numcodecs": "0.16.6"},
        ratios=[0.99997, 0.99993, 1.16546, 1.16539],
        read_times=[0.010, 0.011, 0.020, 0.030],
        releases=(30106, 1606),
    )
    write_run(
        directory,
        env_name="virtualenv-py3.11-numcodecs0.15.1-zarr2.18.7",
        pins={"zarr": "2.18.7", "numcodecs": "0.15.1"},
        # format 3 skipped (NaN); the ratio differs from 3.x by metadata bytes only (1e-5)
        ratios=[0.99996, nan, 1.16545, nan],
        read_times=[0.012, nan, 0.016, nan],
        releases=(21807, 1501),
    )
    write_run(
        directory,
        env_name="virtualenv-py3.11-numcodecs0.15.1-zarr3.0.10",
        pins={"zarr": "3.0.10", "numcodecs": "0.15.1"},
        # format 3 Blosc ratio 7% below the other 3.x release: flagged; its read time failed (None)
        ratios=[0.99997, 0.99993, 1.16546, 1.07997],
        read_times=[0.011, 0.012, 0.023, None],
        releases=(30010, 1501),
    )
    return directory


def comparable(value: float | None) -> float | str | None:
    """NaN (skipped) as a string, so that lists of values compare equal."""
    return "NaN" if value is not None and math.isnan(value) else value


def case(benchmark: str, codec: str, zarr_format: int) -> Case:
    return Case(benchmark, (("codec", codec), ("zarr_format", str(zarr_format))))


# ------------------------------------------------------------------------------------------------ reader


def test_reader_unflattens_values_in_parameter_product_order(results_dir: Path) -> None:
    results = read_results(results_dir)

    assert [run.env_name for run in results.runs] == [
        "virtualenv-py3.11-numcodecs0.15.1-zarr2.18.7",
        "virtualenv-py3.11-numcodecs0.15.1-zarr3.0.10",
        "virtualenv-py3.11-numcodecs0.16.6-zarr3.1.6",
    ]
    run = results.runs[1]
    assert (run.machine, run.commit, run.requirements) == (
        "box",
        COMMIT,
        {"zarr": "3.0.10", "numcodecs": "0.15.1"},
    )
    assert run.values[case(COMPRESSION_RATIO, "none", 3)] == 0.99993
    assert run.values[case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 2)] == 1.16546
    assert run.values[case(TIME_READ, "blosc-zstd-5-shuffle", 3)] is None  # failed
    assert math.isnan(results.runs[0].values[case(TIME_READ, "none", 3)])  # skipped
    assert run.values[Case(ZARR_RELEASE, ())] == 30010
    assert results.benchmarks[TIME_READ].unit == "seconds"
    assert results.benchmarks[TIME_READ].param_names == ("codec", "zarr_format")


def test_reader_ignores_benchmarks_no_longer_in_the_suite(results_dir: Path) -> None:
    path = next(results_dir.glob("box/*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    document["results"]["old.Removed.time_it"] = [[1.0], [], "1", 0, 1.0, None, None]
    path.write_text(json.dumps(document))

    run = next(run for run in read_results(results_dir).runs if run.path == path)
    assert {case.benchmark for case in run.values} == set(BENCHMARKS)


def test_reader_errors_name_the_problem(tmp_path: Path, results_dir: Path) -> None:
    with pytest.raises(ResultsError, match="has no benchmarks.json"):
        read_results(tmp_path)

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "benchmarks.json").write_text("{}")
    with pytest.raises(ResultsError, match="holds no result files; run `asv run` first"):
        read_results(empty)

    path = next(results_dir.glob("box/*zarr3.1.6.json"))
    document = json.loads(path.read_text())
    document["results"][TIME_READ][0] = [1.0]
    path.write_text(json.dumps(document))
    with pytest.raises(
        ResultsError, match=f"{re.escape(TIME_READ)} has 1 results for 4 parameter combinations"
    ):
        read_results(results_dir)

    document["version"] = 1
    path.write_text(json.dumps(document))
    with pytest.raises(ResultsError, match=r"zarr3\.1\.6\.json is asv results format 1"):
        read_results(results_dir)


# ------------------------------------------------------------------------------------------------ releases


def test_release_comes_from_pins_or_from_the_recorded_release_numbers(results_dir: Path) -> None:
    runs = read_results(results_dir).runs
    assert environment_release(runs[0]) == Release("2.18.7", "0.15.1")

    unpinned = write_run(
        results_dir,
        env_name="existing-py_venv_bin_python",
        pins={},
        ratios=[1.0] * 4,
        read_times=[0.01] * 4,
        releases=(30106, 1606),
        commit=OLD_COMMIT,
    )
    run = next(run for run in read_results(results_dir).runs if run.path == unpinned)
    assert environment_release(run) == Release("3.1.6", "0.16.6")


def test_release_errors(results_dir: Path) -> None:
    wrong = write_run(
        results_dir,
        env_name="virtualenv-wrong",
        pins={"zarr": "3.1.6", "numcodecs": "0.16.6"},
        ratios=[1.0] * 4,
        read_times=[0.01] * 4,
        releases=(30105, 1606),
        commit=OLD_COMMIT,
    )
    unknown = write_run(
        results_dir,
        env_name="existing-unknown",
        pins={},
        ratios=[1.0] * 4,
        read_times=[0.01] * 4,
        commit=OLD_COMMIT,
    )
    runs = {run.path: run for run in read_results(results_dir).runs}
    with pytest.raises(ReportError, match="pins zarr 3.1.6 but recorded 3.1.5"):
        environment_release(runs[wrong])
    with pytest.raises(ReportError, match="neither pins zarr nor has a result for releases.Releases"):
        environment_release(runs[unknown])


# ------------------------------------------------------------------------------------------------ report


def test_tables_hold_each_release_value_from_the_results(results_dir: Path) -> None:
    results = read_results(results_dir)
    report = build_report(results)

    assert report.machine == "box" and report.commit == COMMIT
    assert [release.short_label for release in report.runs] == [
        "2.18.7/0.15.1",
        "3.0.10/0.15.1",
        "3.1.6/0.16.6",
    ]
    assert [table.benchmark.name for table in report.tables] == [
        COMPRESSION_RATIO,
        TIME_READ,
    ]  # no releases.*
    by_env = {run.env_name: run for run in results.runs}
    for table in report.tables:
        assert table.releases == list(report.runs)
        assert len(table.rows) == 4
        for row_case, values in table.rows.items():
            expected = [by_env[run.env_name].values[row_case] for run in report.runs.values()]
            assert list(map(comparable, values)) == list(map(comparable, expected))
    ratio = report.tables[0].rows
    assert ratio[case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 3)][1:] == [1.07997, 1.16539]
    assert math.isnan(ratio[case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 3)][0])
    assert list(ratio)[:2] == [
        case(COMPRESSION_RATIO, "none", 2),
        case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 2),
    ]


def test_ratio_changes_beyond_the_tolerance_are_flagged(results_dir: Path) -> None:
    report = build_report(read_results(results_dir))

    assert len(report.ratio_changes) == 1
    (change,) = report.ratio_changes
    assert change.case == case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 3)
    assert (change.before, change.after) == (Release("3.0.10", "0.15.1"), Release("3.1.6", "0.16.6"))
    assert change.relative_change == pytest.approx(1.16539 / 1.07997 - 1)
    # A tolerance below the metadata-sized differences (1e-5) flags those too.
    assert len(build_report(read_results(results_dir), ratio_tolerance=1e-6).ratio_changes) == 3

    text = format_report(report)
    assert "!!! 1 COMPRESSION RATIO(S) CHANGED BETWEEN RELEASES" in text
    assert (
        "1.079970 with zarr 3.0.10 / numcodecs 0.15.1 -> 1.165390 with zarr 3.1.6 / numcodecs 0.16.6 (+7.91%)"
        in text
    )


def test_comparison_of_the_oldest_and_newest_release_by_default(results_dir: Path) -> None:
    comparison = build_report(read_results(results_dir)).comparison

    assert comparison.baseline.env_name.endswith("zarr2.18.7")
    assert comparison.contender.env_name.endswith("zarr3.1.6")
    rows = {row.case: row for row in comparison.rows}
    zstd_read = rows[case(TIME_READ, "blosc-zstd-5-shuffle", 2)]
    assert (zstd_read.baseline, zstd_read.contender) == (0.016, 0.020)
    assert zstd_read.ratio == pytest.approx(1.25)
    assert zstd_read.flag == "higher"
    none_read = rows[case(TIME_READ, "none", 2)]
    assert none_read.ratio == pytest.approx(0.010 / 0.012) and none_read.flag == "lower"
    skipped = rows[case(TIME_READ, "none", 3)]
    assert skipped.ratio is None and skipped.flag == ""
    assert rows[case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 2)].flag == ""  # 1e-5: metadata


def test_comparison_of_chosen_environments(results_dir: Path) -> None:
    report = build_report(read_results(results_dir), baseline="zarr3.0.10", contender="zarr3.1.6", factor=1.5)
    rows = {row.case: row for row in report.comparison.rows}

    assert rows[case(COMPRESSION_RATIO, "blosc-zstd-5-shuffle", 3)].flag == "RATIO CHANGED"
    assert rows[case(TIME_READ, "blosc-zstd-5-shuffle", 2)].flag == ""  # 0.020 / 0.023, within x1.5
    failed = rows[case(TIME_READ, "blosc-zstd-5-shuffle", 3)]
    assert failed.baseline is None and failed.ratio is None

    with pytest.raises(ReportError, match="several environments match the baseline 'numcodecs0.15.1'"):
        build_report(read_results(results_dir), baseline="numcodecs0.15.1")
    with pytest.raises(ReportError, match="no environment match the contender 'zarr9'"):
        build_report(read_results(results_dir), contender="zarr9")


def test_commit_and_machine_choice(results_dir: Path) -> None:
    write_run(
        results_dir,
        env_name="virtualenv-py3.11-numcodecs0.16.6-zarr3.1.6",
        pins={"zarr": "3.1.6", "numcodecs": "0.16.6"},
        ratios=[1.0] * 4,
        read_times=[0.5] * 4,
        commit=OLD_COMMIT,
        date=1_800_000_000_000,
    )
    results = read_results(results_dir)

    assert build_report(results).commit == COMMIT  # the most environments, though not the latest
    old = build_report(results, commit="dec0")
    assert old.commit == OLD_COMMIT and len(old.runs) == 1 and old.comparison is None
    with pytest.raises(ReportError, match="no commit with results starts with 'beef'"):
        build_report(results, commit="beef")

    write_run(
        results_dir,
        env_name="other-env",
        pins={"zarr": "3.1.6", "numcodecs": "0.16.6"},
        ratios=[1.0] * 4,
        read_times=[0.5] * 4,
        machine="laptop",
    )
    with pytest.raises(ReportError, match=r"several machines \(box, laptop\); choose one with --machine"):
        build_report(read_results(results_dir))
    assert build_report(read_results(results_dir), machine="laptop").machine == "laptop"


def test_an_unpinned_environment_gives_way_to_a_pinned_one(results_dir: Path) -> None:
    write_run(
        results_dir,
        env_name="existing-py_venv_bin_python",
        pins={},
        ratios=[1.0] * 4,
        read_times=[0.5] * 4,
        releases=(30106, 1606),
    )
    report = build_report(read_results(results_dir))

    assert report.runs[Release("3.1.6", "0.16.6")].env_name.startswith("virtualenv")
    assert report.left_out == [
        "existing-py_venv_bin_python (same releases as virtualenv-py3.11-numcodecs0.16.6-zarr3.1.6)"
    ]


# ------------------------------------------------------------------------------------------------ page, CLI


def test_page_shows_figures_and_tables_and_loads_nothing_else(results_dir: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread

    html_dir = tmp_path / "html"
    report = build_report(read_results(results_dir))
    page = write_page(report, html_dir)

    assert page == html_dir / "by-release" / "index.html"
    text = page.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert sources == ["../index.html", f"{COMPRESSION_RATIO}.png", f"{TIME_READ}.png"]
    for source in sources[1:]:
        height, width, _ = imread(page.parent / source).shape
        assert width > 600 and height > 300
    assert '<div class="alarm" id="ratio-changes">' in text
    assert '<td class="number">1.079970</td><td class="number">1.165390</td>' in text
    assert re.search(
        r'<tr class="flag-higher"><td>write_read\.Read\.time_read</td>.*?<td class="number">16</td>'
        r'<td class="number">20</td><td class="number">1\.250</td>',
        text,
    )

    # Writing again replaces the page and leaves no staging directory behind.
    (page.parent / "stale.png").write_bytes(b"")
    write_page(report, html_dir)
    assert sorted(path.name for path in html_dir.iterdir()) == ["by-release"]
    assert not (page.parent / "stale.png").exists()


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


def test_versions_command_reads_the_config_and_links_the_page(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "asv.conf.json"
    config.write_text(
        '{\n  // as asv allows\n  "version": 1, "results_dir": "results", "html_dir": "site",\n}\n'
    )
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(ASV_NAV, encoding="utf-8")

    assert versions("--config", str(config), "--baseline", "zarr3.0.10") == 0

    output = capsys.readouterr().out
    assert "COMPRESSION RATIO(S) CHANGED" in output
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


def test_versions_command_without_a_dashboard_writes_the_page_unlinked(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "asv.conf.json"
    config.write_text('{"version": 1, "results_dir": "results", "html_dir": "site"}')

    assert versions("--config", str(config)) == 0

    assert "run `cryoet-zarr-bench publish` first" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "site").iterdir()) == ["by-release"]
