"""The release matrix end to end: a real ``asv run`` of the default suite (the core; no study selected) in the
oldest environment of asv.conf.json's matrix (zarr 2.18), the bridge (the same zarr 3.1 / numcodecs 0.16 on
Python 3.11 and 3.13) and the newest (zarr 3.4 / numcodecs 0.17 on Python 3.13), the by-release report on its
results, and the published dashboard in headless Chromium.

asv builds this checkout's HEAD commit into four virtualenvs (pip's cache is the user's, so installs are
warm) and runs the suite once per case (``--quick``); everything else lives in a temporary directory.
Python 3.13 is found as ``cryoet-zarr-bench bench --matrix`` finds it. About 5-7 minutes on two cores.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.dashboard import publish
from cryoet_zarr_bench.interpreters import find_python, how_to_get, interpreters_on_path
from cryoet_zarr_bench.matrix import read_environments
from cryoet_zarr_bench.releases import version_number
from cryoet_zarr_bench.report.asv_results import read_results
from cryoet_zarr_bench.report.by_release.model import build_report
from cryoet_zarr_bench.report.registry import COMPRESSION_RATIO
from cryoet_zarr_bench.suite import CORE_MODULES

from browser import chromium_executable, load_page
from support import REPO_ROOT, asv_environment, require, save_artifact, write_asv_config

pytestmark = pytest.mark.slow

#: (python, zarr, numcodecs) environments of asv.conf.json's matrix that the test runs: the oldest, the bridge
#: (one pair on both Pythons) and the newest.
MATRIX = [
    ("3.11", "2.18.7", "0.15.2"),
    ("3.11", "3.1.6", "0.16.6"),
    ("3.13", "3.1.6", "0.16.6"),
    ("3.13", "3.4.2", "0.17.1"),
]
MACHINE = "ci-test"
TIME_READ = "write_read.Read.time_read"


@dataclass(frozen=True)
class MatrixRun:
    config: Path
    results_dir: Path
    html_dir: Path
    commit: str


def matrix_subset() -> list[dict]:
    """asv ``include`` entries for MATRIX's environments,
    with the pins (numpy too) of asv.conf.json's matrix."""
    chosen = [
        env
        for env in read_environments(REPO_ROOT / "asv.conf.json")
        if (env.python, env.pin("zarr"), env.pin("numcodecs")) in MATRIX
    ]
    assert len(chosen) == len(MATRIX), f"asv.conf.json's matrix no longer holds {MATRIX}"
    return [{"python": env.python, "req": dict(env.requirements)} for env in chosen]


def run(command: list[str], env: dict[str, str], log: Path) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, cwd=log.parent, env=env, capture_output=True, text=True, check=False)
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"$ {' '.join(command)}\n{completed.stdout}{completed.stderr}\n")
    return completed


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> MatrixRun:
    require(importlib.util.find_spec("asv") is not None, "asv is not installed (pip install asv)")
    require(importlib.util.find_spec("virtualenv") is not None, "virtualenv is not installed")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    require(head.returncode == 0, f"{REPO_ROOT} is not a git checkout with a commit; asv builds a commit")
    commit = head.stdout.strip()
    pythons = sorted({python for python, _, _ in MATRIX})
    for python in pythons:
        require(find_python(python) is not None, how_to_get(python))

    workdir = tmp_path_factory.mktemp("matrix")
    config = write_asv_config(workdir, pythons=[], matrix={}, exclude=[], include=matrix_subset())
    with interpreters_on_path(pythons, asv_environment(workdir)) as env:
        return _run_matrix(workdir, config, env, commit)


def _run_matrix(workdir: Path, config: Path, env: dict[str, str], commit: str) -> MatrixRun:
    log = workdir / "asv-run.log"
    asv = [sys.executable, "-m", "asv"]
    machine = run([*asv, "machine", "--yes", "--machine", MACHINE, "--config", str(config)], env, log)
    assert machine.returncode == 0, log.read_text()

    asv_run = [
        *asv, "run", "--config", str(config), "--machine", MACHINE, "--quick", "--show-stderr",
    ]  # fmt: skip
    start = time.monotonic()
    completed = run([*asv_run, f"{commit}^!"], env, log)
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"asv run took {time.monotonic() - start:.0f} s\n")
    save_artifact(log)
    # asv exits non-zero when any benchmark failed.
    assert completed.returncode == 0, (
        f"asv run failed (exit {completed.returncode}):\n{completed.stdout[-20000:]}"
    )
    return MatrixRun(config, workdir / "results", workdir / "html", commit)


def result_files(matrix_run: MatrixRun) -> dict[tuple[str, str, str], dict]:
    """The raw result documents by (python, zarr, numcodecs)."""
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (matrix_run.results_dir / MACHINE).glob("*.json")
        if path.name != "machine.json"
    ]
    return {
        (doc["python"], doc["requirements"]["zarr"], doc["requirements"]["numcodecs"]): doc
        for doc in documents
    }


def raw_values(document: dict) -> dict[tuple[str, tuple[str, ...]], float | None]:
    """(benchmark, asv's parameter strings) -> value, straight from a result file."""
    values = {}
    for name, row in document["results"].items():
        entry = dict(zip(document["result_columns"], row))
        for params, value in zip(itertools.product(*entry["params"]), entry["result"], strict=True):
            values[name, params] = value
    return values


def test_every_release_benchmark_has_a_result_in_every_environment(matrix_run: MatrixRun) -> None:
    documents = result_files(matrix_run)
    assert sorted(documents) == sorted(MATRIX)
    suite = json.loads((matrix_run.results_dir / "benchmarks.json").read_text(encoding="utf-8"))
    benchmarks = {name: entry for name, entry in suite.items() if name != "version"}
    assert {name.split(".")[0] for name in benchmarks} == set(CORE_MODULES)
    assert {COMPRESSION_RATIO, TIME_READ, "releases.Releases.track_zarr_release"} <= set(benchmarks)

    for (_, zarr_release, numcodecs_release), document in documents.items():
        assert document["commit_hash"] == matrix_run.commit
        assert set(document["results"]) == set(benchmarks), document["env_name"]
        for (name, params), value in raw_values(document).items():
            where = f"{name}{params} in {document['env_name']}"
            assert value is not None, f"{where} failed"
            param_names = benchmarks[name]["param_names"]
            format_3 = "zarr_format" in param_names and params[param_names.index("zarr_format")] == "3"
            zarr_3_knob = (
                name == "recorded.Concurrency.track_setting" and params[0].strip("'").startswith("zarr_")
            )
            if zarr_release.startswith("2.") and (format_3 or zarr_3_knob):
                assert math.isnan(value), (
                    f"{where}: zarr 2 has no format 3 nor zarr 3's knobs, yet it has a value"
                )
            else:
                assert not math.isnan(value), f"{where} was skipped"
        # The environment imported the releases it pins (verify_pins also stops the suite otherwise).
        values = raw_values(document)
        assert values["releases.Releases.track_zarr_release", ()] == version_number(zarr_release)
        assert values["releases.Releases.track_numcodecs_release", ()] == version_number(numcodecs_release)


class _Tables(HTMLParser):
    """The cells of every <table id=...> of a page: {id: [[cell text, ...] per row]}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(page: Path) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tables


def versions_command(config: Path) -> None:
    """`cryoet-zarr-bench versions --config CONFIG`."""
    assert main(["versions", "--config", str(config)]) == 0


def test_by_release_report_shows_the_numbers_of_the_results_files(
    matrix_run: MatrixRun, tmp_path: Path
) -> None:
    documents = result_files(matrix_run)
    releases = sorted(MATRIX, key=lambda env: (version_number(env[1]), version_number(env[2]), env[0]))
    report = build_report(read_results(matrix_run.results_dir))
    assert report.commit == matrix_run.commit
    assert [(release.python, release.zarr, release.numcodecs) for release in report.runs] == releases

    html_dir = tmp_path / "html"
    config = tmp_path / "asv.conf.json"
    config.write_text(
        json.dumps({"version": 1, "results_dir": str(matrix_run.results_dir), "html_dir": str(html_dir)})
    )
    versions_command(config)
    tables = html_tables(html_dir / "by-release" / "index.html")

    def expected_rows(benchmark: str, formatted) -> list[list[str]]:
        per_release = [raw_values(documents[release]) for release in releases]
        keys = [params for name, params in per_release[-1] if name == benchmark]
        return [
            [
                *(param.strip("'") for param in params),
                *(formatted(values[benchmark, params]) for values in per_release),
            ]
            for params in keys
        ]

    def ratio_text(value: float) -> str:
        return "-" if math.isnan(value) else f"{value:.6f}"

    def milliseconds_text(value: float) -> str:
        return "-" if math.isnan(value) else f"{value * 1e3:.4g}"

    for benchmark, formatted in ((COMPRESSION_RATIO, ratio_text), (TIME_READ, milliseconds_text)):
        header, *rows = tables[f"table-{benchmark}"]
        assert header == [
            "codec",
            "chunks",
            "zarr_format",
            *(release.label for release in report.runs),  # py3.11 zarr2.18.7 numcodecs0.15.1 ...
        ]
        assert sorted(rows) == sorted(expected_rows(benchmark, formatted))
        assert len(rows) == 8  # the baseline codecs x Zarr formats 2 and 3

    # Environment against environment: newest release over oldest, at the same commit.
    baseline, contender = raw_values(documents[releases[0]]), raw_values(documents[releases[-1]])
    header, *rows = tables["table-comparison"]
    assert header == ["benchmark", "case", "baseline", "contender", "ratio", "flag"]
    time_read_rows = {row[1]: row for row in rows if row[0] == TIME_READ}
    for (name, params), before in baseline.items():
        if name != TIME_READ:
            continue
        codec, chunks, zarr_format = (param.strip("'") for param in params)
        row = time_read_rows[f"codec={codec}, chunks={chunks}, zarr_format={zarr_format}"]
        after = contender[name, params]
        if math.isnan(before):
            assert row[2:] == ["-", milliseconds_text(after), "-", ""]
        else:
            flag = "higher" if after >= before * 1.1 else "lower" if after <= before / 1.1 else ""
            assert row[2:] == [
                milliseconds_text(before),
                milliseconds_text(after),
                f"{after / before:.3f}",
                flag,
            ]
    assert len(time_read_rows) == 8


def test_dashboard_and_by_release_page_in_a_browser(matrix_run: MatrixRun, tmp_path: Path) -> None:
    require(chromium_executable() is not None, "Chromium is not installed (apt-get install -y chromium)")
    html_dir = publish(matrix_run.config)
    versions_command(matrix_run.config)
    assert '<a href="by-release/index.html">By release</a>' in (html_dir / "index.html").read_text("utf-8")

    graphs = {
        TIME_READ: "p-codec='blosc-zstd-5-shuffle'&p-chunks='64x64x64'&p-zarr_format=2",
        COMPRESSION_RATIO: "p-codec='blosc-zstd-5-shuffle'&p-chunks='64x64x64'&p-zarr_format=2",
    }
    for benchmark, selection in graphs.items():
        screenshot = tmp_path / f"dashboard-{benchmark}.png"
        graph = load_page(html_dir, f"index.html#{benchmark}?{selection}", screenshot=screenshot)
        save_artifact(screenshot)
        assert graph.external_requests == []
        assert [request for request in graph.served_requests if request.status != 200] == []
        assert "continental origin of swallow" not in graph.dom  # asv's error page
        assert '<canvas class="flot-base"' in graph.dom
        assert '<a href="by-release/index.html">By release</a>' in graph.dom
        # flot's legend: one line per environment (and parameter combination), each named by its releases.
        labels = re.findall(r'class="legendLabel"[^>]*>(.*?)</td>', graph.dom)
        legend = [re.fullmatch(r"py([\d.]+) zarr(\S+) numcodecs(\S+)(?: · .*)?", label) for label in labels]
        assert all(legend), labels
        assert sorted({line.groups() for line in legend}) == sorted(MATRIX), labels

    screenshot = tmp_path / "by-release.png"
    page = load_page(html_dir, "by-release/index.html", screenshot=screenshot, window_size=(1400, 2400))
    save_artifact(screenshot)
    assert page.external_requests == []
    figures = re.findall(r'<img src="([^"]+\.png)"', page.dom)
    assert f"{COMPRESSION_RATIO}.png" in figures and f"{TIME_READ}.png" in figures
    served = {request.target: request.status for request in page.served_requests}
    assert {figure: served.get(f"/by-release/{figure}") for figure in figures} == dict.fromkeys(figures, 200)
    # The figures are drawn: the screenshot is not a blank page.
    from matplotlib.image import imread

    pixels = imread(screenshot)
    assert len({tuple(pixel) for pixel in pixels[::7, ::7].reshape(-1, pixels.shape[-1])}) > 50
