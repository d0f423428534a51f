"""Report pages next to the asv dashboard: reading an asv configuration's results, writing a page into its
html directory and linking it from the dashboard's navigation bar."""

from __future__ import annotations

from pathlib import Path

from .. import dashboard
from ..asv_config import AsvConfig
from .asv_results import Results, ResultsError, read_results
from .pages import Page, write_page
from .runs import ReportError

__all__ = ["publish_page", "read_config_results"]


def read_config_results(config: Path) -> tuple[Path, Results]:
    """The ``html_dir`` of an asv configuration and the results in its ``results_dir``.

    Raises
    ------
    AsvConfigError
        If the configuration is missing or unreadable.
    ReportError
        If the results are missing or unreadable.
    """
    settings = AsvConfig.read(config)
    try:
        return settings.html_dir, read_results(settings.results_dir)
    except ResultsError as error:
        raise ReportError(str(error)) from None


def publish_page(
    page: Page, html_dir: Path, page_dir: str, label: str, *, first: bool = False
) -> tuple[Path, bool]:
    """Write `page` as ``<html_dir>/<page_dir>/index.html`` and link it from the dashboard as `label`
    (`first`: before asv's own entries in the navigation bar, else after them).

    Returns
    -------
    page : Path
        The page's ``index.html``.
    linked : bool
        Whether the dashboard's navigation bar links the page (False when no dashboard is published).
    """
    path = write_page(page, html_dir / page_dir)
    linked = (html_dir / "index.html").is_file()
    if linked:
        dashboard.add_nav_link(html_dir, f"{page_dir}/index.html", label, first=first)
    return path, linked
