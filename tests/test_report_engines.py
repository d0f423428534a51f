"""Tests of the engines report (engines side by side, ratios to zarr-python) on hand-written asv results."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.cli import build_parser, main
from cryoet_zarr_bench.releases import version_number
from cryoet_zarr_bench.report.asv_results import read_results
from cryoet_zarr_bench.report.by_release.model import build_report
from cryoet_zarr_bench.report.engines.figures import engine_figure
from cryoet_zarr_bench.report.engines.model import ChunkDifference, build_engine_report
from cryoet_zarr_bench.report.engines.page import engine_page
from cryoet_zarr_bench.report.engines.text import format_engine_report
from cryoet_zarr_bench.report.pages import write_page
from cryoet_zarr_bench.report.registry import ENGINE_CHUNK_BYTES, ENGINE_READ_TIME, ENGINE_WRITE_TIME
from cryoet_zarr_bench.report.runs import Release, ReportError

from support import (
    ASV_COLUMNS,
    ASV_DATE,
    ASV_NAV,
    record_sample_counts,
    write_asv_result,
    write_report_config,
)

ENGINES = ["zarr-python", "tensorstore", "zarrs"]
CODECS = ["none", "zstd-5"]
CHUNKS = ["64x64x64"]
FORMATS = [2, 3]
THREADS = ["1", "all"]
ZARR_RELEASE = "releases.Releases.track_zarr_release"
NUMCODECS_RELEASE = "releases.Releases.track_numcodecs_release"
TIMED = {
    "type": "time",
    "unit": "seconds",
    "param_names": ["engine", "codec", "chunks", "zarr_format", "threads"],
}
BENCHMARKS = {
    ENGINE_WRITE_TIME: TIMED,
    ENGINE_READ_TIME: TIMED,
    ENGINE_CHUNK_BYTES: {
        "type": "track",
        "unit": "bytes",
        "param_names": ["engine", "codec", "chunks", "zarr_format"],
    },
    ZARR_RELEASE: {"type": "track", "unit": "release", "param_names": []},
    NUMCODECS_RELEASE: {"type": "track", "unit": "release", "param_names": []},
}
COMMIT = "feed0000" + "3" * 32
ENV = "existing-py_work_venv_bin_python"


def write_time(engine: str, codec: str, zarr_format: int, threads: str) -> float:
    """zarr-python 100 ms at one thread, 50 ms at all; tensorstore 40/20 ms, zarrs 80/30 ms (skipped in format
    2); zstd-5 takes twice as long."""
    if engine == "zarrs" and zarr_format == 2:
        return math.nan
    one, every = {"zarr-python": (0.100, 0.050), "tensorstore": (0.040, 0.020), "zarrs": (0.080, 0.030)}[
        engine
    ]
    return (one if threads == "1" else every) * (2 if codec == "zstd-5" else 1)


def read_time(engine: str, codec: str, zarr_format: int, threads: str) -> float | None:
    """Half the write time; tensorstore failed to read zstd-5 in format 2 at one thread (None)."""
    if (engine, codec, zarr_format, threads) == ("tensorstore", "zstd-5", 2, "1"):
        return None
    return write_time(engine, codec, zarr_format, threads) / 2


def chunk_bytes(engine: str, codec: str, zarr_format: int) -> float:
    """Equal for every engine but tensorstore's zstd-5 in format 3 (100 bytes more)."""
    if engine == "zarrs" and zarr_format == 2:
        return math.nan
    size = {"none": 8_000_000, "zstd-5": 7_000_000}[codec]
    return size + 100 if (engine, codec, zarr_format) == ("tensorstore", "zstd-5", 3) else size


def write_results(
    directory: Path, *, machine: str = "box", recorded: bool = True, commit: str = COMMIT
) -> Path:
    """An unpinned asv environment (``existing``) that ran the engines benchmarks."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    timed_params = [[repr(e) for e in ENGINES], [repr(c) for c in CODECS], [repr(c) for c in CHUNKS]]
    timed_params += [[str(f) for f in FORMATS], [repr(t) for t in THREADS]]
    timed_cases = list(itertools.product(ENGINES, CODECS, FORMATS, THREADS))
    byte_cases = list(itertools.product(ENGINES, CODECS, FORMATS))
    date = ASV_DATE
    results = {
        ENGINE_WRITE_TIME: [
            [write_time(*case) for case in timed_cases],
            timed_params,
            "1",
            date,
            1.0,
            None,
            None,
        ],
        ENGINE_READ_TIME: [
            [read_time(*case) for case in timed_cases],
            timed_params,
            "1",
            date,
            1.0,
            None,
            None,
        ],
        ENGINE_CHUNK_BYTES: [
            [chunk_bytes(*case) for case in byte_cases],
            timed_params[:-1],
            "1",
            date,
            1.0,
            None,
            None,
        ],
    }
    if recorded:
        results[ZARR_RELEASE] = [[version_number("3.1.6")], [], "1", date, 0.5, None, None]
        results[NUMCODECS_RELEASE] = [[version_number("0.16.6")], [], "1", date, 0.5, None, None]
    write_asv_result(
        directory, machine=machine, commit=commit, env_name=ENV, results=results, columns=ASV_COLUMNS
    )
    return directory


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results")


def rows_at(report, codec: str, zarr_format: int, threads: str) -> dict:
    (environment,) = report.environments
    (table,) = [
        table
        for table in environment.tables
        if (table.setting.codec, table.setting.zarr_format, table.setting.threads)
        == (codec, str(zarr_format), threads)
    ]
    return {row.engine: row for row in table.rows}


def test_ratios_are_each_engine_over_zarr_python_at_the_same_setting(results_dir: Path) -> None:
    report = build_engine_report(read_results(results_dir))

    assert (report.machine, report.commit) == ("box", COMMIT)
    (environment,) = report.environments
    assert environment.label == "py3.11 zarr3.1.6 numcodecs0.16.6"
    assert environment.engines == ENGINES
    assert len(environment.tables) == len(CODECS) * len(FORMATS) * len(THREADS)
    rows = rows_at(report, "zstd-5", 3, "all")
    assert [rows[engine].write for engine in ENGINES] == [0.1, 0.04, 0.06]
    assert rows["zarr-python"].write_ratio == 1
    assert rows["tensorstore"].write_ratio == pytest.approx(0.4)  # 40 ms / 100 ms
    assert rows["zarrs"].write_ratio == pytest.approx(0.6)  # 60 ms / 100 ms
    assert rows["zarrs"].read_ratio == pytest.approx(0.6)  # 30 ms / 50 ms
    # At one thread, against zarr-python's one-thread time: 160 ms / 200 ms.
    assert rows_at(report, "zstd-5", 3, "1")["zarrs"].write_ratio == pytest.approx(0.8)


def test_skipped_and_failed_engines_have_no_ratio(results_dir: Path) -> None:
    report = build_engine_report(read_results(results_dir))

    rows = rows_at(report, "zstd-5", 2, "1")
    assert math.isnan(rows["zarrs"].write) and rows["zarrs"].write_ratio is None
    assert math.isnan(rows["zarrs"].chunk_bytes) and rows["zarrs"].chunk_bytes_difference is None
    assert rows["tensorstore"].read is None and rows["tensorstore"].read_ratio is None
    assert rows["tensorstore"].write_ratio == pytest.approx(0.4)


def test_chunk_bytes_are_compared_with_zarr_pythons_and_differences_listed_once(results_dir: Path) -> None:
    report = build_engine_report(read_results(results_dir))

    assert rows_at(report, "zstd-5", 3, "1")["tensorstore"].chunk_bytes_difference == 100
    assert rows_at(report, "zstd-5", 3, "all")["tensorstore"].chunk_bytes_differ
    assert not rows_at(report, "zstd-5", 2, "1")["tensorstore"].chunk_bytes_differ
    assert rows_at(report, "none", 3, "1")["zarrs"].chunk_bytes_difference == 0
    (environment,) = report.environments
    assert environment.chunk_differences == [
        ChunkDifference("tensorstore", "zstd-5", "64x64x64", "3", chunk_bytes=7_000_100, baseline=7_000_000)
    ]


def test_text_shows_times_in_ms_ratios_and_na(results_dir: Path) -> None:
    text = format_engine_report(build_engine_report(read_results(results_dir)))

    lines = text.splitlines()
    assert lines[0] == "engines: machine box, commit feed0000"
    assert any(
        line.startswith("py3.11 zarr3.1.6 numcodecs0.16.6 (asv environment existing-") for line in lines
    )

    def row(*start: str) -> list[str]:
        (line,) = [line for line in lines if line.split()[: len(start)] == list(start)]
        return line.split()

    assert row("zstd-5", "64x64x64", "3", "all", "tensorstore")[5:] == [
        "40",
        "0.400",
        "20",
        "0.400",
        "7,000,100",
        "+100",
    ]
    assert row("zstd-5", "64x64x64", "2", "1", "tensorstore")[5:] == ["80", "0.400", "FAILED", "7,000,000"]
    assert row("zstd-5", "64x64x64", "2", "1", "zarrs")[5:] == ["n/a", "n/a", "n/a"]
    assert row("none", "64x64x64", "2", "1", "zarr-python")[5:] == [
        "100",
        "1.000",
        "50",
        "1.000",
        "8,000,000",
    ]
    assert (
        "  tensorstore zstd-5 at chunks=64x64x64, zarr_format=3: 7,000,100 bytes, zarr-python 7,000,000 "
        "(+100, +0.00143%)" in lines
    )


def test_the_by_release_report_leaves_the_engines_to_their_page(results_dir: Path) -> None:
    report = build_report(read_results(results_dir))

    assert list(report.runs) == [Release("3.11", "3.1.6", "0.16.6")]
    assert report.tables == []


def test_an_environment_without_release_benchmarks_is_named_by_asv(tmp_path: Path) -> None:
    report = build_engine_report(read_results(write_results(tmp_path / "results", recorded=False)))

    assert report.environments[0].label == ENV


def test_no_engines_results_and_a_wrong_commit_are_errors(tmp_path: Path, results_dir: Path) -> None:
    directory = tmp_path / "other"
    directory.mkdir()
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    write_results(directory)
    document = json.loads(next((directory / "box").glob("*.json")).read_text())
    for name in (ENGINE_WRITE_TIME, ENGINE_READ_TIME):
        del document["results"][name]
    next((directory / "box").glob("*.json")).write_text(json.dumps(document))
    with pytest.raises(ReportError, match="no engines benchmarks .*CRYOET_ZARR_BENCH_STUDIES=engines cryoet"):
        build_engine_report(read_results(directory))

    with pytest.raises(
        ReportError, match="no commit with results starts with 'abc'; commits with results: feed0000"
    ):
        build_engine_report(read_results(results_dir), commit="abc")


@pytest.mark.filterwarnings("error")  # e.g. constrained layout giving up
def test_figure_has_a_bar_per_engine_and_codec_a_panel_per_timing_format_and_threads(
    results_dir: Path,
) -> None:
    (environment,) = build_engine_report(read_results(results_dir)).environments
    figure = engine_figure(environment)

    titles = [ax.get_title() for ax in figure.axes]
    assert titles == [
        f"{timing}, chunks=64x64x64, zarr_format={zarr_format}, threads={threads}"
        for timing in ("write", "read")
        for zarr_format in FORMATS
        for threads in THREADS
    ]
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == ENGINES
    assert [label.get_text() for label in figure.axes[-1].get_xticklabels()] == CODECS
    write_3_all = figure.axes[titles.index("write, chunks=64x64x64, zarr_format=3, threads=all")]
    heights = [[bar.get_height() for bar in container] for container in write_3_all.containers]
    assert heights == [pytest.approx([50, 100]), pytest.approx([20, 40]), pytest.approx([30, 60])]
    read_2_one = figure.axes[titles.index("read, chunks=64x64x64, zarr_format=2, threads=1")]
    assert [text.get_text() for text in read_2_one.texts] == ["FAILED", "n/a", "n/a"]  # tensorstore, zarrs


def test_page_holds_the_table_the_figure_and_the_differences(results_dir: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread

    page = write_page(engine_page(build_engine_report(read_results(results_dir))), tmp_path / "engines")

    text = page.read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="([^"]*)"', text) == ["../index.html", "engines-1.png"]
    height, width, _ = imread(page.parent / "engines-1.png").shape
    assert width > 600 and height > 600
    assert "<th>/ zarr-python</th>" in text
    assert (
        '<tr class="flag-note"><td>zstd-5</td><td>64x64x64</td><td>3</td><td>all</td><td>tensorstore</td>'
        '<td class="number">40</td><td class="number">0.400</td><td class="number">20</td>'
        '<td class="number">0.400</td><td class="number">7,000,100</td><td class="number">+100</td></tr>'
    ) in text
    assert (
        '<tr><td>zstd-5</td><td>64x64x64</td><td>2</td><td>1</td><td>zarrs</td><td class="number">n/a</td>'
        '<td class="number"></td><td class="number">n/a</td>'
    ) in text
    assert '<div class="note" id="chunk-bytes-1">' in text
    assert "<li>tensorstore zstd-5 at chunks=64x64x64, zarr_format=3: 7,000,100 bytes" in text


def test_page_says_when_its_timings_are_single_samples(results_dir: Path, tmp_path: Path) -> None:
    record_sample_counts(results_dir, 1)
    text = write_page(
        engine_page(build_engine_report(read_results(results_dir))), tmp_path / "quick"
    ).read_text()
    assert '<div class="note" id="single-samples">' in text
    assert text.index('id="single-samples"') < text.index("<h2")
    assert "Every timing here is a single sample (asv --quick" in text

    record_sample_counts(results_dir, 10)
    text = write_page(
        engine_page(build_engine_report(read_results(results_dir))), tmp_path / "full"
    ).read_text()
    assert 'id="single-samples"' not in text


def versions(*argv: str) -> int:
    args = build_parser().parse_args(["versions", *argv])
    return args.run(args)


def test_versions_engines_prints_the_tables_and_links_the_page(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_report_config(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(ASV_NAV, encoding="utf-8")

    assert versions("--config", str(config), "--engines") == 0

    output = capsys.readouterr().out
    assert output.startswith("engines: machine box, commit feed0000\n")
    assert f"engines page: {tmp_path / 'site' / 'engines' / 'index.html'}" in output
    assert (tmp_path / "site" / "engines" / "engines-1.png").is_file()
    assert '<a href="engines/index.html">Engines</a>' in (tmp_path / "site" / "index.html").read_text()
    assert not (tmp_path / "site" / "by-release").exists()


def test_versions_engines_refuses_a_comparison_in_one_line(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_report_config(tmp_path)

    assert main(["versions", "--config", str(config), "--engines", "--baseline", "zarr3.1.6"]) == 2

    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "cryoet-zarr-bench: error: --engines shows engines within each environment; "
        "--baseline and --contender compare environments: give one or the other"
    )
