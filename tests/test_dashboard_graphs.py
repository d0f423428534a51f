"""The published dashboard of a twelve-environment release matrix, drawn in a real headless browser: its
graphs, its legend and the parameter-on-the-x-axis view (cryoet_zarr_bench.dashboard)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from cryoet_zarr_bench.dashboard import publish

from asv_matrix import write_matrix_project
from browser import chromium_executable, load_page
from support import require, save_artifact

pytest.importorskip("asv")

RATIO_GRAPH = "index.html#compression.Compression.track_compression_ratio"


@pytest.fixture(scope="module")
def matrix_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published dashboard of hand-written results: 12 matrix environments and an existing one."""
    require(chromium_executable() is not None, "Chromium is not installed (apt-get install -y chromium)")
    config = write_matrix_project(tmp_path_factory.mktemp("matrix") / "project")
    return publish(config)


def screenshot_pixels(path: Path) -> np.ndarray:
    """The screenshot as an (height, width, 3) array of floats in [0, 1]."""
    return matplotlib.image.imread(path)[..., :3]


def coloured(pixels: np.ndarray) -> np.ndarray:
    """Where a pixel is clearly coloured (graph lines and dots), not white, grey or black (text, axes)."""
    return pixels.max(axis=-1) - pixels.min(axis=-1) > 0.3


def plot_area(dom: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) in page pixels of the main graph's plot canvas, read from the DOM."""
    container = re.search(r'left: (\d+)px; top: (\d+)px;[^"]*">\s*<div id="graph">', dom)
    # The plot's box: asv's "top: 48px; ...", serialised as "inset: 48px 330px 100px 0px" once styled.
    box_top = re.search(
        r'<div style="position: absolute; (?:top|inset): (\d+)px[^"]*">\s*<div id="main-graph"', dom
    )
    canvas = re.search(r'<canvas class="flot-base"[^>]*style="[^"]*width: (\d+)px; height: (\d+)px;', dom)
    assert container and box_top and canvas, "the graph page's layout is not asv 0.6's"
    left, top = int(container.group(1)), int(container.group(2)) + int(box_top.group(1))
    return left, top, left + int(canvas.group(1)), top + int(canvas.group(2))


@pytest.mark.slow
def test_dashboard_opened_as_a_file_draws_its_graphs(matrix_dashboard: Path, tmp_path: Path) -> None:
    grid = load_page(matrix_dashboard, "index.html", screenshot=tmp_path / "file-grid.png", as_file=True)
    save_artifact(tmp_path / "file-grid.png")
    assert grid.url.startswith("file://")
    assert grid.external_requests == [] and grid.served_requests == []
    assert "Error fetching content" not in grid.dom and "continental origin of swallow" not in grid.dom
    # Four thumbnails, each a dot of one commit: coloured pixels below the navigation bar.
    assert grid.dom.count('<canvas class="flot-base"') == 4
    assert coloured(screenshot_pixels(tmp_path / "file-grid.png")[60:]).sum() >= 4 * 20

    graph = load_page(matrix_dashboard, RATIO_GRAPH, screenshot=tmp_path / "file-graph.png", as_file=True)
    save_artifact(tmp_path / "file-graph.png")
    assert graph.external_requests == []
    left, top, right, bottom = plot_area(graph.dom)
    assert coloured(screenshot_pixels(tmp_path / "file-graph.png")[top:bottom, left:right]).sum() >= 50
    # Environments named by their releases, in the legend and the selectors.
    assert "py3.13 zarr3.4.2 numcodecs0.17.2 · codec=blosc-zstd-5-shuffle · zarr_format=3" in graph.dom
    assert "py3.11 zarr3.1.6 numcodecs0.16.6 (existing) · codec=none · zarr_format=2" in graph.dom
    assert ">3.11 (existing)</a>" in graph.dom and "/.venv/bin/python3.11</a>" not in graph.dom


@pytest.mark.slow
def test_dashboard_served_over_http_draws_its_graphs(matrix_dashboard: Path, tmp_path: Path) -> None:
    graph = load_page(matrix_dashboard, RATIO_GRAPH, screenshot=tmp_path / "http-graph.png")
    save_artifact(tmp_path / "http-graph.png")
    assert graph.external_requests == []
    assert [request for request in graph.served_requests if request.status != 200] == []
    assert any("/json-scripts/graphs/" in request.target for request in graph.served_requests)
    left, top, right, bottom = plot_area(graph.dom)
    assert coloured(screenshot_pixels(tmp_path / "http-graph.png")[top:bottom, left:right]).sum() >= 50

    # With one Python selected, asv's labels leave out the Python; the names keep it.
    selected = load_page(matrix_dashboard, f"{RATIO_GRAPH}?python=3.13")
    labels = re.findall(r'class="legendLabel"[^>]*>(.*?)</td>', selected.dom)
    assert len(labels) == 5 * 4 * 2
    assert all(label.startswith("py3.13 zarr") for label in labels), labels


@pytest.mark.slow
def test_legend_of_twelve_environments_leaves_the_plot_uncovered(
    matrix_dashboard: Path, tmp_path: Path
) -> None:
    """Showing the legend changes no pixel of the plot: it sits beside it."""
    shown = load_page(matrix_dashboard, RATIO_GRAPH, screenshot=tmp_path / "legend-shown.png", as_file=True)
    hidden = load_page(
        matrix_dashboard,
        f"{RATIO_GRAPH}?show-legend=false",
        screenshot=tmp_path / "legend-hidden.png",
        as_file=True,
    )
    save_artifact(tmp_path / "legend-shown.png")
    # 13 environments x 4 codecs x 2 formats: every line has its legend entry.
    assert shown.dom.count('class="legendLabel"') == 13 * 4 * 2
    assert hidden.dom.count('class="legendLabel"') == 0
    assert plot_area(shown.dom) == plot_area(hidden.dom)
    left, top, right, bottom = plot_area(shown.dom)
    with_legend = screenshot_pixels(tmp_path / "legend-shown.png")
    without_legend = screenshot_pixels(tmp_path / "legend-hidden.png")
    changed = np.abs(with_legend - without_legend).max(axis=-1) > 0.02
    assert not changed[top:bottom, left:right].any()
    # The legend is there, to the right of the plot: its colour swatches.
    assert (
        coloured(with_legend[top:bottom, right:]).sum()
        > coloured(without_legend[top:bottom, right:]).sum() + 500
    )


def inside_frame(pixels: np.ndarray) -> np.ndarray:
    """The part of a plot's screenshot inside the frame flot draws around it (the lines dark in most rows
    and columns), so that no tick label or axis title is in it."""
    dark = pixels.min(axis=-1) < 0.6
    columns = np.nonzero(dark.mean(axis=0) > 0.5)[0]
    rows = np.nonzero(dark[:, columns[0] : columns[-1]].mean(axis=1) > 0.5)[0]
    margin = 3
    return pixels[rows[0] + margin : rows[-1] - margin, columns[0] + margin : columns[-1] - margin]


def column_groups(columns: np.ndarray, gap: int) -> list[np.ndarray]:
    """The indices of the True entries of `columns`, in runs separated by more than `gap` False ones."""
    (indices,) = np.nonzero(columns)
    return np.split(indices, np.nonzero(np.diff(indices) > gap)[0] + 1) if indices.size else []


@pytest.mark.slow
def test_a_parameter_on_the_x_axis_draws_each_line_at_each_category(
    matrix_dashboard: Path, tmp_path: Path
) -> None:
    """Codecs on the x-axis: a dot per environment in each codec's band, the best ratio visibly highest."""
    screenshot = tmp_path / "x-axis-codec.png"
    graph = load_page(
        matrix_dashboard,
        f"{RATIO_GRAPH}?x-axis=codec&python=3.13&p-zarr_format=3",
        screenshot=screenshot,
        as_file=True,
    )
    save_artifact(screenshot)
    assert graph.external_requests == []
    ticks = re.findall(r'class="flot-tick-label tickLabel"[^>]*top: (\d+)px[^>]*>([^<]*)<', graph.dom)
    bottom = max(int(top) for top, _ in ticks)
    assert [label for top, label in ticks if int(top) == bottom] == [
        "none",
        "blosc-lz4-5-shuffle",
        "blosc-zstd-5-shuffle",
        "zstd-5",
    ]
    # Python 3.13 in format 3: five environments in the legend, four with values (zarr 2.18.7 skips format 3).
    assert graph.dom.count('class="legendLabel"') == 5
    left, top, right, _ = plot_area(graph.dom)
    # The dots: whatever is darker than the white and light grey of the plot's bands and grid lines.
    dots = inside_frame(screenshot_pixels(screenshot)[top:, left:right]).min(axis=-1) < 0.6
    groups = column_groups(dots.any(axis=0), gap=30)
    assert len(groups) == 4, [(group[0], group[-1]) for group in groups]
    highest = [int(np.nonzero(dots[:, group].any(axis=1))[0][0]) for group in groups]
    # Screen rows count downwards: blosc-zstd-5-shuffle (1.165) above zstd-5 (1.080) above none (1.000).
    assert highest[2] < highest[3] < highest[0]
    assert all(dots[:, group].sum() >= 4 * 20 for group in groups)
