"""One loop publishes every page beside the dashboard: the answer first, each page written and linked or one
line saying why not; the answer's links open graphs the published dashboard has."""

from __future__ import annotations

import contextlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.report.site import PAGES

from answer_results import Recorded, write_project

pytest.importorskip("asv")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def nav_labels(index: Path) -> list[str]:
    """The navigation bar's entries, in order."""
    nav = index.read_text(encoding="utf-8").split('<nav id="nav"', 1)[1].split("</nav>", 1)[0]
    return [label.strip() for label in re.findall(r"<li[^>]*>\s*<a [^>]*>([^<]+)</a>", nav)]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """``cryoet-zarr-bench publish`` over the core, layout and codec-study results (no engines, no survey)."""
    config = write_project(tmp_path_factory.mktemp("site") / "project", Recorded())
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["publish", "--config", str(config)])
    assert status == 0, err.getvalue()
    return config.parent / "html", out.getvalue(), err.getvalue()


def test_the_pages_are_listed_answer_first() -> None:
    assert [page.name for page in PAGES] == ["answer", "by-release", "engines", "layout", "study", "survey"]
    assert [page.first for page in PAGES] == [True, False, False, False, False, False]


def test_publish_writes_and_links_every_page_it_can_and_says_why_not_for_the_others(published) -> None:
    html_dir, out, err = published
    for name in ("answer", "by-release", "layout", "study"):
        assert f"{name} page: {html_dir / name / 'index.html'}" in out.splitlines()
        assert (html_dir / name / "index.html").is_file()
    assert err.count("no engines page: ") == 1 and "CRYOET_ZARR_BENCH_STUDIES=engines" in err
    assert "no survey page: no survey table given (publish --survey TABLE)" in err.splitlines()
    assert not (html_dir / "engines").exists() and not (html_dir / "survey").exists()
    labels = nav_labels(html_dir / "index.html")
    assert labels == [
        "Answer", "Benchmark grid", "Benchmark list", "Regressions", "By release", "Layout", "Codec study",
    ]  # fmt: skip
    study = (html_dir / "study" / "index.html").read_text(encoding="utf-8")
    assert "zfp-accuracy-1e-5" in study and "`cryoet-zarr-bench study` adds them" in study


def test_the_answers_links_open_graphs_the_dashboard_has(published) -> None:
    html_dir, _, _ = published
    index = json.loads((html_dir / "index.json").read_text(encoding="utf-8"))
    hrefs = [href for href in links(html_dir / "answer" / "index.html") if href.startswith("../index.html#")]
    assert len(hrefs) > 40
    for href in hrefs:
        name, _, query = href.removeprefix("../index.html#").partition("?")
        assert name in index["benchmarks"], href
        benchmark = index["benchmarks"][name]
        for pair in query.split("&"):
            key, value = (unquote(part) for part in pair.split("="))
            if key.startswith("p-"):
                position = benchmark["param_names"].index(key.removeprefix("p-"))
                assert value in benchmark["params"][position], href
            else:
                assert (None if value == "[none]" else value) in index["params"][key], href


def test_the_answer_page_says_what_the_markdown_says(published, capsys: pytest.CaptureFixture) -> None:
    html_dir, _, _ = published
    assert main(["report", "--config", str(html_dir.parent / "asv.conf.json"), "--link-base", "X"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# The answer: which codec for which use, from the recorded results\n")
    assert (
        "**blosc-zstd-5-shuffle (chunks 64x64x64, Zarr format 2)**: ratio [1.166](X#compression."
        in captured.out
    )
    assert captured.err == f"answer page: {html_dir / 'answer' / 'index.html'}\n"
    assert nav_labels(html_dir / "index.html").count("Answer") == 1  # written again, linked once
    page = (html_dir / "answer" / "index.html").read_text(encoding="utf-8")
    assert "<strong>blosc-zstd-5-shuffle (chunks 64x64x64, Zarr format 2)</strong>: ratio <a href=" in page
    assert "One environment only (py3.11 zarr3.1.6 numcodecs0.16.6)" in page


def test_study_writes_its_page_where_publish_links_it(published, capsys: pytest.CaptureFixture) -> None:
    html_dir, _, _ = published
    assert main(["study", "--config", str(html_dir.parent / "asv.conf.json"), "--slices", "none"]) == 0
    assert f"study page: {html_dir / 'study' / 'index.html'}\n" in capsys.readouterr().out
    assert nav_labels(html_dir / "index.html").count("Codec study") == 1


def test_study_without_study_results_says_nothing_was_measured(tmp_path: Path, capsys) -> None:
    config = write_project(tmp_path / "project", Recorded(with_codec_study=False))
    assert main(["study", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "cryoet-zarr-bench: error: no codec-study setting was measured, so none can be judged safe; run the "
        "codec study: CRYOET_ZARR_BENCH_STUDIES=codec cryoet-zarr-bench bench"
    )


def test_report_options_are_checked(tmp_path: Path, capsys) -> None:
    config = write_project(tmp_path / "project", Recorded())
    with pytest.raises(SystemExit) as stopped:
        main(["report", "--config", str(config), "--read-factor", "0.5"])
    assert stopped.value.code == 2
    assert "--read-factor: must be at least 1, got 0.5" in capsys.readouterr().err
