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

import pytest

from cryoet_zarr_bench.asv_config import AsvConfigError
from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.dashboard import DashboardError, add_nav_link, make_offline, publish

from browser import chromium_executable, load_page
from support import ASV_NAV, require, save_artifact

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
