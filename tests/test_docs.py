"""The documentation: the MkDocs site builds with no broken link or anchor, and the README's links into docs/
name pages that exist and headings they have (the link check CI runs)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO_ROOT, require

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
#: A Markdown link's target: ``[text](target)``.
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.MULTILINE)
ELEMENT_ID = re.compile(r'\sid="([^"]+)"')
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lowercase, punctuation (backticks too) dropped, spaces as
    hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(markdown: str) -> list[str]:
    """The headings of a Markdown text, outside fenced code."""
    return HEADING.findall(FENCE.sub("", markdown))


def links(markdown: str) -> list[str]:
    return LINK.findall(FENCE.sub("", markdown))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with ``mkdocs build --strict``: any warning (a link to a missing page or anchor, a page
    left out of the navigation) fails the build."""
    require(
        importlib.util.find_spec("mkdocs") is not None, "mkdocs is not installed: pip install -e '.[docs]'"
    )
    site_dir = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return site_dir


def page_ids(site: Path, page: str) -> set[str]:
    """The element ids of a built page (``data.md`` is ``data/index.html``,
    ``index.md`` is ``index.html``)."""
    stem = Path(page).with_suffix("")
    html = site / "index.html" if str(stem) == "index" else site / stem / "index.html"
    return set(ELEMENT_ID.findall(html.read_text(encoding="utf-8")))


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    for page in DOCS.glob("*.md"):
        assert page_ids(site, page.name), f"{page.name} was not built"


def test_every_readme_link_into_docs_names_a_page_and_a_heading_it_has(site: Path) -> None:
    targets = [target for target in links(README.read_text(encoding="utf-8")) if target.startswith("docs/")]
    assert len(targets) >= 10  # the check found the README's links
    broken = []
    for target in targets:
        path, _, anchor = target.partition("#")
        page = REPO_ROOT / path
        if not page.is_file() or page.parent != DOCS or page.suffix != ".md":
            broken.append(f"{target}: no page {path}")
            continue
        if not anchor:
            continue
        on_github = {github_anchor(heading) for heading in headings(page.read_text(encoding="utf-8"))}
        if anchor not in on_github:
            broken.append(f"{target}: no heading of {path} has the anchor #{anchor} on GitHub")
        if anchor not in page_ids(site, page.name):
            broken.append(f"{target}: the built page {page.name} has no element #{anchor}")
    assert broken == []


def test_links_within_the_readme_name_its_own_headings() -> None:
    text = README.read_text(encoding="utf-8")
    anchors = {github_anchor(heading) for heading in headings(text)}
    assert [target for target in links(text) if target.startswith("#") and target[1:] not in anchors] == []


def test_headings_in_docs_give_the_same_anchor_on_github_and_in_mkdocs(site: Path) -> None:
    """So that a link to a heading works on GitHub and on the site alike."""
    differing = []
    for page in sorted(DOCS.glob("*.md")):
        ids = page_ids(site, page.name)
        differing += [
            f"{page.name}: {heading!r}"
            for heading in headings(page.read_text(encoding="utf-8"))
            if github_anchor(heading) not in ids
        ]
    assert differing == []


def test_the_anchor_rule_is_githubs() -> None:
    assert github_anchor("Without asv: `quick`") == "without-asv-quick"
    assert github_anchor("By release: the version on the x-axis") == "by-release-the-version-on-the-x-axis"
    assert github_anchor("Tiers: the core and the studies") == "tiers-the-core-and-the-studies"


def test_the_readme_stays_short() -> None:
    """The README is the front page; the detail belongs in docs/."""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250
