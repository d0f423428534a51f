"""Every page beside the asv dashboard, in the order its navigation bar links them, and the loop writing them.

``asv publish`` rebuilds the dashboard's html directory from scratch, so after it :func:`publish_site` writes
each page of :data:`PAGES` again from the results (and a survey table, if given) and links it: the answer
first (before asv's own entries), then by release, engines, layout, the codec study and the survey.  A page
whose results are missing is skipped with the one-line reason its report gave (:class:`~.runs.ReportError`).
Commands that show one report (``versions``, ``study``, ``report``) write its page through the same entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..survey.summary import survey_report
from .answer import page as answer_page
from .answer.model import build_answer
from .answer.rules import Rules
from .asv_results import Results
from .by_release import page as by_release_page
from .by_release.model import build_report
from .engines import page as engines_page
from .engines.model import build_engine_report
from .layout import page as layout_page
from .layout.model import build_layout_report
from .pages import Page, Paragraph
from .publishing import publish_page
from .runs import ReportError
from .study import page as study_page
from .study.model import build_study
from .survey import page as survey_page

__all__ = [
    "ANSWER",
    "BY_RELEASE",
    "ENGINES",
    "LAYOUT",
    "PAGES",
    "STUDY",
    "SURVEY",
    "Published",
    "SiteInputs",
    "SitePage",
    "publish_site",
]


@dataclass(frozen=True)
class SiteInputs:
    """What the pages are made from."""

    results: Results | None
    """None when the results could not be read (``results_error`` says why)."""
    results_error: str = ""
    survey_rows: Sequence[dict[str, Any]] = ()
    rules: Rules = field(default_factory=Rules)


@dataclass(frozen=True)
class SitePage:
    """One page beside the dashboard: its directory, its link's text and how it is made from the inputs."""

    name: str
    """Its directory under the html directory, and its name in messages (``layout page: …``)."""
    label: str
    build: Callable[[SiteInputs], Page] = field(repr=False)
    """Makes the page; raises :class:`~.runs.ReportError` with the reason when the inputs cannot."""
    first: bool = False
    """Linked before asv's own entries of the navigation bar."""

    def publish(self, page: Page, html_dir: Path) -> tuple[Path, bool]:
        """Write `page` as ``<html_dir>/<name>/index.html``; return it and whether the dashboard links it."""
        return publish_page(page, Path(html_dir), self.name, self.label, first=self.first)


@dataclass(frozen=True)
class Published:
    """What became of one page: written (and linked, if a dashboard is there), or why not."""

    page: SitePage
    path: Path | None
    linked: bool = False
    reason: str = ""


def _results(inputs: SiteInputs) -> Results:
    if inputs.results is None:
        raise ReportError(inputs.results_error)
    return inputs.results


def _study(inputs: SiteInputs) -> Page:
    page = study_page.study_page(build_study(_results(inputs)))
    note = Paragraph(
        "The central slices of a lossy setting are drawn from the volume, not from the results: "
        "`cryoet-zarr-bench study` adds them to this page."
    )
    return replace(page, blocks=[*page.blocks, note])


def _survey(inputs: SiteInputs) -> Page:
    if not inputs.survey_rows:
        raise ReportError("no survey table given (publish --survey TABLE)")
    return survey_page.survey_page(inputs.survey_rows, *survey_report(inputs.survey_rows))


ANSWER = SitePage(
    answer_page.PAGE_DIR,
    "Answer",
    lambda inputs: answer_page.answer_page(
        build_answer(_results(inputs), inputs.rules, survey_rows=inputs.survey_rows)
    ),
    first=True,
)
BY_RELEASE = SitePage(
    by_release_page.PAGE_DIR,
    "By release",
    lambda inputs: by_release_page.release_page(build_report(_results(inputs))),
)
ENGINES = SitePage(
    engines_page.PAGE_DIR,
    "Engines",
    lambda inputs: engines_page.engine_page(build_engine_report(_results(inputs))),
)
LAYOUT = SitePage(
    layout_page.PAGE_DIR,
    "Layout",
    lambda inputs: layout_page.layout_page(build_layout_report(_results(inputs))),
)
STUDY = SitePage(study_page.PAGE_DIR, "Codec study", _study)
SURVEY = SitePage(survey_page.PAGE_DIR, "Survey", _survey)
#: Every page, in the order the navigation bar links them.
PAGES = (ANSWER, BY_RELEASE, ENGINES, LAYOUT, STUDY, SURVEY)


def publish_site(html_dir: Path, inputs: SiteInputs) -> list[Published]:
    """Write and link every page of :data:`PAGES` that the inputs can make; say why for the others."""
    published = []
    for site_page in PAGES:
        try:
            page = site_page.build(inputs)
        except ReportError as error:
            published.append(Published(site_page, None, reason=str(error)))
            continue
        path, linked = site_page.publish(page, html_dir)
        published.append(Published(site_page, path, linked))
    return published
