"""Tests of the report figures: what is drawn where, and tick labels that stay readable."""

from __future__ import annotations

import itertools

import pytest

from cryoet_zarr_bench.report.asv_results import Benchmark, Case
from cryoet_zarr_bench.report.by_release.figures import release_figure
from cryoet_zarr_bench.report.by_release.table import ReleaseTable
from cryoet_zarr_bench.report.panels import Panel, Series, line_panels
from cryoet_zarr_bench.report.registry import CHUNK_BYTES
from cryoet_zarr_bench.report.runs import Release

pytestmark = pytest.mark.filterwarnings("error")  # e.g. constrained layout giving up

ZARR_RELEASES = ["2.18.7", "3.0.8", "3.0.9", "3.0.10", "3.1.0", "3.1.5", "3.1.6", "3.2.1", "3.3.0", "3.4.2"]
CHUNKS = Benchmark(CHUNK_BYTES, "track", "bytes", ("codec", "zarr_format"))


def chunk_table(zarr_releases: list[str]) -> ReleaseTable:
    """zarr releases (out of order) with numcodecs 0.15.1 on Python 3.11 and 0.16.6 on 3.11 and 3.13."""
    releases = [
        Release(python, zarr, numcodecs)
        for zarr in reversed(zarr_releases)
        for python, numcodecs in (("3.11", "0.15.1"), ("3.11", "0.16.6"), ("3.13", "0.16.6"))
    ]
    cases = [Case(CHUNK_BYTES, (("codec", codec), ("zarr_format", "3"))) for codec in ("none", "zstd-5")]
    return ReleaseTable(
        benchmark=CHUNKS,
        releases=releases,
        rows={case: [1000.0 + i for i, _ in enumerate(releases)] for case in cases},
    )


def overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2) if a.overlaps(b)]


def drawn(figure):
    """Lay the figure out and draw it, so that text has its final place."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def test_zarr_releases_in_order_on_the_x_axis_one_line_per_python_and_numcodecs() -> None:
    table = chunk_table(["3.1.6", "2.18.7", "3.0.10"])
    zstd = Case(CHUNK_BYTES, (("codec", "zstd-5"), ("zarr_format", "3")))
    marked = {(zstd.params, Release("3.11", "3.1.6", "0.16.6"))}
    figure = release_figure(table, marked)

    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["none\nzarr_format=3", "zstd-5\nzarr_format=3"]
    assert [label.get_text() for label in axes[-1].get_xticklabels()] == ["2.18.7", "3.0.10", "3.1.6"]
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == [
        "py3.11 numcodecs0.15.1",
        "py3.11 numcodecs0.16.6",
        "py3.13 numcodecs0.16.6",
    ]
    # Each series' values in zarr order; the table's columns are 3.0.10, 2.18.7, 3.1.6 (value 1000 + column).
    lines = {line.get_label(): line for line in axes[1].get_lines() if not line.get_label().startswith("_")}
    assert list(lines["py3.11 numcodecs0.16.6"].get_ydata()) == [1004.0, 1001.0, 1007.0]
    assert [round(x) for x in lines["py3.11 numcodecs0.16.6"].get_xdata()] == [0, 1, 2]
    (ring,) = [
        line for line in axes[1].get_lines() if line.get_markeredgecolor() == "red" and len(line.get_xdata())
    ]
    assert list(ring.get_ydata()) == [1007.0] and round(ring.get_xdata()[0]) == 2
    assert figure.get_suptitle() == f"{CHUNK_BYTES}: chunk bytes changed between releases (red rings)"


@pytest.mark.parametrize("count", [3, 5, len(ZARR_RELEASES)])
def test_tick_labels_never_overlap(count: int) -> None:
    figure = release_figure(chunk_table(ZARR_RELEASES[:count]))
    renderer = drawn(figure)

    for ax in figure.axes:
        boxes = [label.get_window_extent(renderer) for label in ax.get_xticklabels() if label.get_visible()]
        assert overlapping(boxes) == []
    bottom_labels = [
        label.get_window_extent(renderer)
        for ax in figure.axes
        for label in ax.get_xticklabels()
        if label.get_text()
    ]
    legend = figure.legends[0].get_window_extent(renderer)
    assert not any(box.overlaps(legend) for box in bottom_labels)
    # The legend fits the figure: nothing is cut off at its edges.
    page = figure.bbox
    assert page.x0 <= legend.x0 and legend.x1 <= page.x1 and page.y0 <= legend.y0


def test_line_panels_turns_long_labels_upright() -> None:
    labels = [f"numcodecs 0.{minor}.1" for minor in range(10, 18)]
    panel = Panel("p", [Series("s", [float(i) for i in range(len(labels))], frozenset({3}))])
    figure = line_panels(
        [[panel, panel]], x_labels=labels, x_title="x", y_title="y", title="t", legend_title="series"
    )
    renderer = drawn(figure)

    ticks = figure.axes[0].get_xticklabels()
    assert [tick.get_text() for tick in ticks] == labels and {tick.get_rotation() for tick in ticks} == {90}
    assert overlapping([tick.get_window_extent(renderer) for tick in ticks]) == []
    assert list(figure.axes[0].get_lines()[0].get_ydata()) == list(range(len(labels)))
