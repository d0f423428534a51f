"""Tests of the offline asv dashboard (cryoet_zarr_bench.dashboard)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from asv_matrix import write_matrix_project
from browser import chromium_executable, load_page
from support import ASV_NAV, require, save_artifact

from cryoet_zarr_bench.asv_config import AsvConfigError
from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.dashboard import DashboardError, add_nav_link, make_offline, publish

asv = pytest.importorskip("asv")

ASV_WWW = Path(asv.__file__).parent / "www"
VENDOR_MANIFEST = Path(__file__).parent.parent / "cryoet_zarr_bench" / "_vendor" / "asv_www" / "MANIFEST.json"


class _LoadedResources(HTMLParser):
    """Collects, with their attributes, the elements of a page whose src/href the browser loads."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (tag == "script" and "src" in attributes) or (tag == "link" and "href" in attributes):
            self.elements.append((tag, attributes))


def loaded_resources(page: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = _LoadedResources()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.elements


def resource_url(attributes: dict[str, str | None]) -> str:
    return attributes.get("src") or attributes.get("href") or ""


def is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


@pytest.fixture
def html_dir(tmp_path: Path) -> Path:
    """A copy of asv's dashboard template, as `asv publish` copies it to its html_dir."""
    return Path(shutil.copytree(ASV_WWW, tmp_path / "html"))


def test_make_offline_rewrites_every_cdn_reference(html_dir: Path) -> None:
    original = [resource_url(attrs) for _, attrs in loaded_resources(html_dir / "index.html")]
    external = [url for url in original if is_external(url)]
    assert len(external) == 10  # jQuery, 4 flot files, orderBars, stupidtable, md5, bootstrap js + css

    rewritten = make_offline(html_dir)

    assert rewritten == external
    resources = loaded_resources(html_dir / "index.html")
    urls = [resource_url(attrs) for _, attrs in resources]
    assert [url for url in urls if is_external(url)] == []
    # ... and the project's own script, after asv's.
    assert urls[-1] == "cryoet-dashboard.js" and (html_dir / "cryoet-dashboard.js").is_file()
    assert len(urls) == len(original) + 1
    vendored = [(tag, attrs) for tag, attrs in resources if resource_url(attrs).startswith("vendor/")]
    assert len(vendored) == len(external)
    for _, attrs in vendored:
        assert (html_dir / resource_url(attrs)).is_file()
        assert "integrity" not in attrs and "crossorigin" not in attrs
    # A plain link is not a loaded resource and stays as it was.
    assert 'href="https://github.com/airspeed-velocity/asv/"' in (html_dir / "index.html").read_text()


def test_copied_files_match_manifest(html_dir: Path) -> None:
    make_offline(html_dir)

    manifest = json.loads(VENDOR_MANIFEST.read_text(encoding="utf-8"))["files"]
    for entry in manifest:
        copied = html_dir / "vendor" / f"{entry['package']}-{entry['version']}" / entry["file"]
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == entry["sha256"], copied
        assert entry["license"] == "MIT"


def test_stylesheet_references_resolve(html_dir: Path) -> None:
    """bootstrap.min.css loads the glyphicons fonts by relative url(); they must be there too."""
    make_offline(html_dir)

    stylesheet = html_dir / "vendor" / "bootstrap-3.1.1" / "dist" / "css" / "bootstrap.min.css"
    references = set(re.findall(r"url\(([^)#?]+)", stylesheet.read_text(encoding="utf-8")))
    assert references == {
        f"../fonts/glyphicons-halflings-regular.{ext}" for ext in ("eot", "svg", "ttf", "woff")
    }
    for reference in references:
        assert (stylesheet.parent / reference).resolve().is_file(), reference


def test_make_offline_is_idempotent(html_dir: Path) -> None:
    make_offline(html_dir)
    pages = {page: page.read_bytes() for page in html_dir.glob("*.html")}

    assert make_offline(html_dir) == []
    assert {page: page.read_bytes() for page in html_dir.glob("*.html")} == pages


def test_unvendored_url_fails_naming_it(html_dir: Path) -> None:
    index = html_dir / "index.html"
    unknown = "https://cdn.example.org/new-library/2.0/new-library.min.js"
    index.write_text(
        index.read_text(encoding="utf-8").replace("</head>", f'<script src="{unknown}"></script>\n</head>'),
        encoding="utf-8",
    )
    before = index.read_bytes()

    with pytest.raises(DashboardError, match=re.escape(f"index.html loads {unknown}")):
        make_offline(html_dir)

    assert index.read_bytes() == before
    assert not (html_dir / "vendor").exists()


def test_make_offline_needs_html_pages(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match="holds no .html page"):
        make_offline(tmp_path)


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


def test_publish_without_results_fails_clearly(tmp_path: Path) -> None:
    config = tmp_path / "asv.conf.json"
    config.write_text(
        '{\n  // comments and trailing commas, as asv allows\n  "version": 1,\n  "repo": ".",\n'
        '  "results_dir": "custom-results",\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(
        DashboardError, match=re.escape(f"No benchmark results in {tmp_path / 'custom-results'}")
    ):
        publish(config)


def test_publish_with_missing_config_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(AsvConfigError, match=f"no asv configuration at {re.escape(str(tmp_path))}"):
        publish(tmp_path / "asv.conf.json")


TINY_BENCHMARKS = """
def time_sum():
    sum(range(1000))


def track_square(n):
    return n * n


track_square.params = [1, 2, 3]
track_square.param_names = ["n"]
"""


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"


@pytest.fixture
def tiny_asv_project(tmp_path: Path) -> Path:
    """A one-commit asv project with results for one time_ and one parameterised track_ benchmark.

    HOME points into tmp_path so that asv's machine file (~/.asv-machine.json)
    and git's configuration of the user are not touched.
    """
    project = tmp_path / "project"
    (project / "benchmarks").mkdir(parents=True)
    (project / "benchmarks" / "__init__.py").write_text("")
    (project / "benchmarks" / "bench.py").write_text(textwrap.dedent(TINY_BENCHMARKS).lstrip())
    (project / "asv.conf.json").write_text(
        textwrap.dedent(
            """\
            {
                // A tiny project benchmarked in the running Python.
                "version": 1,
                "project": "tiny",
                "repo": ".",
                "branches": ["main"],
                "environment_type": "existing",
                "benchmark_dir": "benchmarks",
                "results_dir": "results",
                "html_dir": "html",
            }
            """
        )
    )
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    run(["git", "init", "--quiet", "--initial-branch=main"], project, env)
    run([*git, "add", "--all"], project, env)
    run([*git, "commit", "--quiet", "--message=benchmarks"], project, env)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    asv_command = [sys.executable, "-m", "asv"]
    run([*asv_command, "machine", "--yes", "--machine", "testbox"], project, env)
    run(
        [
            *asv_command,
            "run",
            "--machine",
            "testbox",
            "-E",
            "existing:same",
            "--quick",
            "--set-commit-hash",
            commit,
        ],
        project,
        env,
    )
    assert (tmp_path / "home" / ".asv-machine.json").is_file()
    return project


@pytest.mark.slow
def test_published_dashboard_renders_offline(tiny_asv_project: Path, tmp_path: Path) -> None:
    require(chromium_executable() is not None, "Chromium is not installed (apt-get install -y chromium)")

    html_dir = publish(tiny_asv_project / "asv.conf.json")
    assert html_dir == tiny_asv_project / "html"

    # The parameterised benchmark against its parameter: one line through (1, 1), (2, 4), (3, 9).
    graph = load_page(
        html_dir,
        "index.html#bench.track_square?x-axis=n",
        screenshot=tmp_path / "dashboard-graph.png",
    )
    save_artifact(tmp_path / "dashboard-graph.png")
    assert graph.external_requests == []
    assert [request for request in graph.served_requests if request.status != 200] == []
    assert "continental origin of swallow" not in graph.dom  # asv's error page
    assert '<canvas class="flot-base"' in graph.dom
    tick_labels = re.findall(r'class="flot-tick-label tickLabel"[^>]*>([^<]*)<', graph.dom)
    # x-axis: the parameter values 1 to 3; y-axis: the tracked values 1 to 9 (flot picks the tick format).
    assert {1.0, 3.0, 9.0} <= {float(label) for label in tick_labels}
    assert re.search(r'id="title"[^>]*>\s*bench\.track_square\s*<', graph.dom)

    # The benchmark list, sorted by value through the vendored stupidtable plugin.
    listing = load_page(
        html_dir,
        "index.html#/summarylist?sort=1&dir=desc",
        screenshot=tmp_path / "dashboard-list.png",
    )
    save_artifact(tmp_path / "dashboard-list.png")
    assert listing.external_requests == []
    rows = re.findall(r'<a href="#bench\.track_square\?p-n=(\d)"', listing.dom)
    assert rows == ["3", "2", "1"]
    assert 'class="sorting-desc desc"' in listing.dom
    assert "bench.time_sum" in listing.dom


# ------------------------------------------------------------------ a 12-environment matrix, in Chromium

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


def test_preview_serves_the_dashboard_on_loopback(tmp_path: Path) -> None:
    """`cryoet-zarr-bench preview` prints an address on 127.0.0.1 that serves the pages and their data."""
    html_dir = tmp_path / "html"
    (html_dir / "json-scripts").mkdir(parents=True)
    (html_dir / "index.html").write_text("<html>dashboard</html>")
    (html_dir / "json-scripts" / "index.json.js").write_text("register(1);")
    (tmp_path / "asv.conf.json").write_text('{"version": 1, "html_dir": "html"}')
    command = [sys.executable, "-m", "cryoet_zarr_bench.cli", "preview", "--port", "0"]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        address = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert address, line
        with urllib.request.urlopen(address.group(0) + "index.html", timeout=10) as response:
            assert response.read() == b"<html>dashboard</html>"
        with urllib.request.urlopen(address.group(0) + "json-scripts/index.json.js", timeout=10) as response:
            assert response.read() == b"register(1);"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_preview_without_a_dashboard_says_to_publish(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "asv.conf.json").write_text('{"version": 1}')
    assert main(["preview", "--config", str(tmp_path / "asv.conf.json")]) == 2
    assert f"no dashboard in {tmp_path / 'html'}; publish it first" in capsys.readouterr().err
