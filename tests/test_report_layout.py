"""Tests of the layout report and page (layout x access pattern grids per codec and store) on hand-written asv
results."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.asv_results import read_results
from cryoet_zarr_bench.report.layout.figures import layout_figure
from cryoet_zarr_bench.report.layout.model import build_layout_report
from cryoet_zarr_bench.report.layout.page import layout_page
from cryoet_zarr_bench.report.pages import write_page
from cryoet_zarr_bench.report.registry import (
    ACCESS_TIME,
    BYTES_TRANSFERRED,
    LAYOUT_STORED_BYTES,
    LAYOUT_STORED_OBJECTS,
    REQUESTS,
)
from cryoet_zarr_bench.report.runs import ReportError
from cryoet_zarr_bench.report.site import LAYOUT

from support import ASV_COLUMNS, ASV_DATE, ASV_NAV, record_sample_counts, write_asv_result

CODECS = ["lz4", "zstd-5"]
LAYOUTS = ["64x64x64", "shard128x128x128-32x32x32"]
STORES = ["local", "memory", "s3", "s3+latency"]
READERS = ["s3"]
PATTERNS = ["xy", "sub64", "whole"]
COMMIT = "feed0000" + "4" * 32
ENV = "existing-py_work_venv_bin_python"
NAMES = ["codec", "layout", "store", "pattern"]
BENCHMARKS = {
    ACCESS_TIME: {"type": "time", "unit": "seconds", "param_names": NAMES},
    REQUESTS: {"type": "track", "unit": "requests", "param_names": NAMES},
    BYTES_TRANSFERRED: {"type": "track", "unit": "bytes", "param_names": NAMES},
    LAYOUT_STORED_OBJECTS: {"type": "track", "unit": "objects", "param_names": ["codec", "layout"]},
    LAYOUT_STORED_BYTES: {"type": "track", "unit": "bytes", "param_names": ["codec", "layout"]},
}


def requests(codec: str, layout: str, pattern: str) -> float:
    """64³ chunks: 4 for an XY slice, 2 for the subvolume, 8 for the whole volume; sharded: 1 shard with its
    index (2) for a slice or subvolume, 3 for the whole; the codec changes none."""
    if layout.startswith("shard"):
        return {"xy": 2, "sub64": 2, "whole": 3}[pattern]
    return {"xy": 4, "sub64": 2, "whole": 8}[pattern]


def read_time(codec: str, layout: str, store: str, pattern: str) -> float | None:
    """1 ms a request locally, 2 in memory, 5 over S3, 25 with latency; zstd-5 twice as long; the sharded
    whole read failed over S3 with latency (None), sub64 skipped in memory (NaN)."""
    if (layout, store, pattern) == (LAYOUTS[1], "s3+latency", "whole"):
        return None
    if (store, pattern) == ("memory", "sub64"):
        return math.nan
    per_request = {"local": 0.001, "memory": 0.002, "s3": 0.005, "s3+latency": 0.025}[store]
    return per_request * requests(codec, layout, pattern) * (2 if codec == "zstd-5" else 1)


def stored_objects(codec: str, layout: str) -> float:
    return 3 if layout.startswith("shard") else 9


def write_results(directory: Path, *, with_access: bool = True) -> Path:
    """An unpinned asv environment (``existing``) that ran the access benchmarks."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    date = ASV_DATE

    def column(values: list, params: list[list[str]]) -> list:
        return [values, params, "1", date, 1.0, None, None]

    quoted = [[repr(c) for c in CODECS], [repr(layout) for layout in LAYOUTS]]
    timed = list(itertools.product(CODECS, LAYOUTS, STORES, PATTERNS))
    counted = list(itertools.product(CODECS, LAYOUTS, READERS, PATTERNS))
    counted_params = quoted + [[repr(r) for r in READERS], [repr(p) for p in PATTERNS]]
    results = {
        REQUESTS: column([requests(c, layout, p) for c, layout, _, p in counted], counted_params),
        BYTES_TRANSFERRED: column(
            [1000.0 * requests(c, layout, p) for c, layout, _, p in counted], counted_params
        ),
        LAYOUT_STORED_OBJECTS: column(
            [stored_objects(*c) for c in itertools.product(CODECS, LAYOUTS)], quoted
        ),
        LAYOUT_STORED_BYTES: column([1e6 for _ in itertools.product(CODECS, LAYOUTS)], quoted),
    }
    if with_access:
        results[ACCESS_TIME] = column(
            [read_time(*case) for case in timed],
            quoted + [[repr(s) for s in STORES], [repr(p) for p in PATTERNS]],
        )
    write_asv_result(
        directory, machine="box", commit=COMMIT, env_name=ENV, results=results, columns=ASV_COLUMNS
    )
    return directory


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results")


def test_grids_hold_every_layout_and_pattern_per_store_and_reader(results_dir: Path) -> None:
    report = build_layout_report(read_results(results_dir))

    assert (report.machine, report.commit) == ("box", COMMIT)
    (environment,) = report.environments
    assert environment.label == ENV
    assert [codec.codec for codec in environment.codecs] == CODECS
    zstd = environment.codecs[1]
    assert list(zstd.times) == STORES
    assert list(zstd.requests) == list(zstd.bytes_transferred) == READERS
    latency = zstd.times["s3+latency"]
    assert (latency.layouts, latency.patterns) == (tuple(LAYOUTS), tuple(PATTERNS))
    assert latency.values[0] == pytest.approx((0.2, 0.1, 0.4))
    assert latency.values[1][:2] == pytest.approx((0.1, 0.1)) and latency.values[1][2] is None
    assert math.isnan(zstd.times["memory"].value(LAYOUTS[0], "sub64"))
    assert zstd.requests["s3"].values == ((4, 2, 8), (2, 2, 3))
    assert zstd.bytes_transferred["s3"].value(LAYOUTS[1], "whole") == 3000
    assert zstd.stored_objects == {LAYOUTS[0]: 9, LAYOUTS[1]: 3}


def test_best_layouts_skip_failed_and_skipped_cases(results_dir: Path) -> None:
    (environment,) = build_layout_report(read_results(results_dir)).environments
    lz4 = environment.codecs[0]

    assert lz4.times["s3+latency"].best_layout("xy") == LAYOUTS[1]
    assert lz4.times["s3+latency"].best_layout("sub64") == LAYOUTS[0]  # a tie: the first
    assert lz4.times["s3+latency"].best_layout("whole") == LAYOUTS[0]  # the sharded read failed
    assert lz4.times["memory"].best_layout("sub64") is None
    assert lz4.fewest_objects == LAYOUTS[1]


def test_results_without_access_times_are_an_error(tmp_path: Path) -> None:
    directory = write_results(tmp_path / "results", with_access=False)

    with pytest.raises(
        ReportError, match=r"no measured access\.Access\.time_read; .*CRYOET_ZARR_BENCH_STUDIES=layout cryoet"
    ):
        build_layout_report(read_results(directory))


@pytest.mark.filterwarnings("error")  # e.g. constrained layout giving up
def test_heat_maps_annotate_every_cell(results_dir: Path) -> None:
    (environment,) = build_layout_report(read_results(results_dir)).environments
    zstd = environment.codecs[1]

    figure = layout_figure(zstd)

    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles == [f"read time (ms), {store}" for store in STORES] + ["requests per read, s3"]
    latency = figure.axes[3]
    assert [text.get_text() for text in latency.texts] == ["200", "100", "400", "100", "100", "n/a"]
    assert [label.get_text() for label in latency.get_yticklabels()] == LAYOUTS
    assert [label.get_text() for label in latency.get_xticklabels()] == PATTERNS
    assert [text.get_text() for text in figure.axes[4].texts] == ["4", "2", "8", "2", "2", "3"]


def test_page_holds_a_table_and_figure_per_codec(results_dir: Path, tmp_path: Path) -> None:
    page = write_page(layout_page(build_layout_report(read_results(results_dir))), tmp_path / "layout")

    text = page.read_text(encoding="utf-8")
    links = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert links == ["../index.html", "layout-1-1.png", "layout-1-2.png"]
    assert (page.parent / "layout-1-2.png").is_file()
    assert (
        "<tr><th>layout</th><th>pattern</th><th>local (ms)</th><th>memory (ms)</th><th>s3 (ms)</th>"
        "<th>s3+latency (ms)</th><th>s3 requests</th><th>s3 bytes</th></tr>"
    ) in text
    assert (
        '<tr><td>shard128x128x128-32x32x32</td><td>whole</td><td class="number">6</td>'
        '<td class="number">12</td><td class="number">30</td><td class="number">failed</td>'
        '<td class="number">3</td><td class="number">3,000</td></tr>'
    ) in text
    assert '<td>64x64x64</td><td>sub64</td><td class="number">4</td><td class="number">n/a</td>' in text
    assert (
        "Stored (local disk): 64x64x64: 9 objects, 1,000,000 bytes; shard128x128x128-32x32x32: 3 objects, "
        "1,000,000 bytes; fewest objects: shard128x128x128-32x32x32."
    ) in text


def test_page_says_when_its_timings_are_single_samples(results_dir: Path, tmp_path: Path) -> None:
    record_sample_counts(results_dir, 1)
    text = write_page(
        layout_page(build_layout_report(read_results(results_dir))), tmp_path / "quick"
    ).read_text()
    assert '<div class="note" id="single-samples">' in text
    assert text.index('id="single-samples"') < text.index("<h2")

    record_sample_counts(results_dir, 7)
    text = write_page(
        layout_page(build_layout_report(read_results(results_dir))), tmp_path / "full"
    ).read_text()
    assert 'id="single-samples"' not in text


def test_the_site_writes_the_layout_page_and_links_it(results_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(ASV_NAV, encoding="utf-8")

    report = build_layout_report(read_results(results_dir))
    page, linked = LAYOUT.publish(layout_page(report), tmp_path / "site")

    assert page == tmp_path / "site" / "layout" / "index.html" and linked
    assert '<a href="layout/index.html">Layout</a>' in (tmp_path / "site" / "index.html").read_text()
