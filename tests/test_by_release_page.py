"""What the by-release page says and draws: only what was measured, the limits of one environment and of
single samples, and figures that stay readable however many settings a benchmark has."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.asv_results import Case, read_results
from cryoet_zarr_bench.report.by_release.figures import MAX_COLUMNS, release_figure, release_figure_codecs
from cryoet_zarr_bench.report.by_release.model import build_report
from cryoet_zarr_bench.report.by_release.page import release_page
from cryoet_zarr_bench.report.by_release.text import describe_skipped, format_report
from cryoet_zarr_bench.report.pages import write_page
from cryoet_zarr_bench.report.registry import CHUNK_BYTES, COMPRESSION_RATIO, READ_TIME
from cryoet_zarr_bench.report.runs import Release
from cryoet_zarr_bench.report.sampling import single_sample_note

from release_results import IN_ORDER, ZSTD, write_matrix_results
from support import write_asv_result

STUDY = "study.LossyFidelity.track_added_noise"
ACCESS = "access.Access.time_read"
CODECS = ["none", "zstd-5"]
FORMATS = ["2", "3"]
LAYOUTS = ["64", "shard128-32"]
PATTERNS = ["xy", "xz", "yz", "sub64", "whole"]
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_number", "stats_repeat"]
COMMIT = "ab" * 20
OLD = Release("3.11", "3.0.10", "0.16.6")
NEW = Release("3.13", "3.1.6", "0.16.6")

BY_FORMAT = {"param_names": ["codec", "zarr_format"], "params": [[repr(c) for c in CODECS], FORMATS]}
BY_ACCESS = {
    "param_names": ["codec", "layout", "pattern"],
    "params": [[repr(c) for c in CODECS], [repr(layout) for layout in LAYOUTS], [repr(p) for p in PATTERNS]],
}
BENCHMARKS = {
    COMPRESSION_RATIO: {"type": "track", "unit": "ratio", **BY_FORMAT},
    CHUNK_BYTES: {"type": "track", "unit": "bytes", **BY_FORMAT},
    READ_TIME: {"type": "time", "unit": "seconds", **BY_FORMAT},
    STUDY: {"type": "track", "unit": "ratio", **BY_FORMAT},
    ACCESS: {"type": "time", "unit": "seconds", **BY_ACCESS},
}


def write_results(directory: Path, releases: list[Release], *, repeat: int = 1, access: bool = False) -> Path:
    """One result file per release: ratios and chunk bytes measured, reads timed `repeat` times each, the
    study skipped in every case, zstd-5 in format 3 skipped everywhere (and the access study if asked)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    for number, release in enumerate(releases):
        cases = list(itertools.product(CODECS, FORMATS))
        skipped = [codec == "zstd-5" and zarr_format == "3" for codec, zarr_format in cases]
        ratio = [
            math.nan if skip else 1.0 + 0.08 * (codec != "none") for skip, (codec, _) in zip(skipped, cases)
        ]
        chunks = [math.nan if skip else 8e6 / value for skip, value in zip(skipped, ratio)]
        reads = [math.nan if skip else 0.010 + 0.001 * number for skip in skipped]
        counts = [None if skip else repeat for skip in skipped]
        params = BY_FORMAT["params"]
        results = {
            COMPRESSION_RATIO: [ratio, params, "1", 0, 1.0],
            CHUNK_BYTES: [chunks, params, "1", 0, 1.0],
            READ_TIME: [reads, params, "1", 0, 1.0, [1 if c else None for c in counts], counts],
            STUDY: [[math.nan] * len(cases), params, "1", 0, 1.0],
        }
        if access:
            size = len(CODECS) * len(LAYOUTS) * len(PATTERNS)
            results[ACCESS] = [[0.001 * (i + 1) for i in range(size)], BY_ACCESS["params"], "1", 0, 1.0]
        write_asv_result(
            directory,
            machine="box",
            commit=COMMIT,
            env_name=f"virtualenv-py{release.python}-zarr{release.zarr}",
            results=results,
            columns=COLUMNS,
            python=release.python,
            requirements={"zarr": release.zarr, "numcodecs": release.numcodecs},
        )
    return directory


def page_text(report, directory: Path) -> str:
    return write_page(release_page(report), directory).read_text(encoding="utf-8")


def test_nothing_is_shown_of_what_no_environment_measured(tmp_path: Path) -> None:
    report = build_report(read_results(write_results(tmp_path / "results", [OLD, NEW])))

    assert [table.benchmark.name for table in report.tables] == [COMPRESSION_RATIO, CHUNK_BYTES, READ_TIME]
    assert report.skipped == [STUDY]
    zstd_format_3 = Case(READ_TIME, (("codec", "zstd-5"), ("zarr_format", "3")))
    for table in report.tables:
        assert len(table.rows) == 3  # zstd-5 in format 3: skipped in both environments
        assert Case(table.benchmark.name, zstd_format_3.params) not in table.rows
    assert all(row.case.params != zstd_format_3.params for row in report.comparison.rows)

    text = page_text(report, tmp_path / "page")
    assert f'id="{STUDY}"' not in text and f"{STUDY}.png" not in text
    assert f"Not shown, skipped in every case by every environment: {STUDY}." in text
    assert re.findall(r'<img src="([^"]+)"', text) == [
        f"{name}.png" for name in (COMPRESSION_RATIO, CHUNK_BYTES, READ_TIME)
    ]
    assert "the same in every release" in text  # two environments: the alarm is judged
    assert f"not shown, skipped in every case by every environment: {STUDY}" in format_report(report)


def test_skipped_benchmarks_are_named_by_class_when_a_class_has_several() -> None:
    names = [f"study.LossyFidelity.track_{name}" for name in ("mse", "psnr", "ssim")]
    assert describe_skipped([*names, "study.Limits.track_noise_sigma"]) == (
        "study.LossyFidelity (3 benchmarks), study.Limits.track_noise_sigma"
    )


def test_a_failure_is_shown_though_nothing_was_measured(tmp_path: Path) -> None:
    directory = write_results(tmp_path / "results", [OLD, NEW])
    for path in directory.glob("box/*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        document["results"][STUDY][0][0] = None  # the first case failed
        path.write_text(json.dumps(document), encoding="utf-8")

    report = build_report(read_results(directory))

    (study,) = [table for table in report.tables if table.benchmark.name == STUDY]
    assert list(study.rows.values()) == [[None, None]] and report.skipped == []
    assert release_figure_codecs(study) == []  # nothing to draw: no figure
    assert f"{STUDY}.png" not in page_text(report, tmp_path / "page")


def test_one_environment_says_no_comparison_was_made(tmp_path: Path) -> None:
    report = build_report(read_results(write_results(tmp_path / "results", [NEW], repeat=10)))

    text = page_text(report, tmp_path / "page")
    notice = re.search(r'<div class="note" id="one-environment">.*?</div>', text, re.S).group(0)
    assert "One environment only: no comparison was made" in notice
    assert "(py3.13 zarr3.1.6 numcodecs0.16.6)" in notice
    assert text.index('id="one-environment"') < text.index("<h2")  # at the top
    assert "the same in every release" not in text and 'id="chunk-bytes"' not in text
    assert "<img" not in text  # one release: nothing along the x-axis
    assert 'id="single-samples"' not in text  # ten samples each
    terminal = format_report(report)
    assert "one environment only: no comparison was made" in terminal
    assert "the same in every release" not in terminal


def test_single_samples_are_said_at_the_top(tmp_path: Path) -> None:
    directory = write_results(tmp_path / "results", [OLD, NEW], repeat=1)
    results = read_results(directory)

    run = results.runs[0]
    assert run.sample_counts == {
        Case(READ_TIME, (("codec", codec), ("zarr_format", zarr_format))): 1
        for codec, zarr_format in [("none", "2"), ("none", "3"), ("zstd-5", "2")]
    }  # timed cases only: no track benchmark, no skipped case
    text = page_text(build_report(results), tmp_path / "page")
    notice = re.search(r'<div class="note" id="single-samples">.*?</div>', text, re.S).group(0)
    assert "Every timing here is a single sample (asv --quick" in notice
    assert text.index('id="single-samples"') < text.index("<h2")
    assert "Every timing here is a single sample" in format_report(build_report(results))


def test_the_single_sample_note_counts_the_timings_asked_about(tmp_path: Path) -> None:
    quick = read_results(write_results(tmp_path / "quick", [OLD], repeat=1)).runs
    full = read_results(write_results(tmp_path / "full", [NEW], repeat=20)).runs

    assert single_sample_note(full) is None
    assert single_sample_note(quick).startswith("Every timing here is a single sample")
    assert single_sample_note([*quick, *full]).startswith("3 of the 6 timings here are single samples")
    assert single_sample_note(quick, {COMPRESSION_RATIO}) is None  # no timings among them
    results = read_results(write_results(tmp_path / "quick", [OLD], repeat=1))
    assert single_sample_note(results) == single_sample_note(quick)


@pytest.mark.filterwarnings("error")  # e.g. constrained layout giving up
def test_a_benchmark_of_many_settings_is_drawn_per_codec_and_wrapped(tmp_path: Path) -> None:
    """The access study: 2 layouts x 5 patterns a codec would be a row of 10 panels; it is a figure per codec
    of at most MAX_COLUMNS panels a row."""
    from matplotlib.image import imread

    report = build_report(read_results(write_results(tmp_path / "results", [OLD, NEW], access=True)))
    (access,) = [table for table in report.tables if table.benchmark.name == ACCESS]

    assert release_figure_codecs(access) == CODECS
    figure = release_figure(access, codec="zstd-5")
    assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == [
        f"layout={layout}, pattern={pattern}" for layout in LAYOUTS for pattern in PATTERNS
    ]
    columns = {round(ax.get_position().x0, 3) for ax in figure.axes}
    assert len(columns) == MAX_COLUMNS and len(figure.axes) == 12  # 10 panels in 3 rows of 4, 2 left empty
    assert figure.get_suptitle() == f"{ACCESS}, codec zstd-5"

    text = page_text(report, tmp_path / "page")
    images = re.findall(r'<img src="([^"]+)"', text)
    assert [image for image in images if image.startswith(ACCESS)] == [
        f"{ACCESS}-{codec}.png" for codec in CODECS
    ]
    for image in images:
        height, width, _ = imread(tmp_path / "page" / image).shape
        assert width <= 1_700, (image, width)
    # The benchmarks of few settings keep one figure, a row per codec and a column per setting.
    ratio = next(table for table in report.tables if table.benchmark.name == COMPRESSION_RATIO)
    assert release_figure_codecs(ratio) == [None]
    titles = [ax.get_title() for ax in release_figure(ratio).axes if ax.get_visible()]
    assert titles == ["none\nzarr_format=2", "none\nzarr_format=3", "zstd-5\nzarr_format=2"]


def test_text_report_names_environments_by_python_zarr_and_numcodecs(tmp_path: Path) -> None:
    text = format_report(build_report(read_results(write_matrix_results(tmp_path / "results"))))

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
    tmp_path: Path
) -> None:
    from matplotlib.image import imread

    report = build_report(read_results(write_matrix_results(tmp_path / "results")))
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
