"""The answer page: :mod:`.model` as the front page beside the asv dashboard, linked first from it.

``publish`` and ``bench`` write ``<html_dir>/answer/index.html`` (:func:`answer_page`); ``cryoet-zarr-bench
report`` prints the same as Markdown (:func:`~.text.format_answer`) and writes the page too.
"""

from __future__ import annotations

from ..pages import Notice, Page, Paragraph, Section, Table
from .model import Answer
from .text import TITLE, extrapolation_table, heading, introduction, notes, summary_lines

__all__ = ["DASHBOARD_FROM_PAGE", "PAGE_DIR", "answer_page"]

#: Sub-directory of the dashboard's html directory that receives the page.
PAGE_DIR = "answer"
#: The dashboard's address as seen from the page, to which each value's graph fragment is added.
DASHBOARD_FROM_PAGE = "../index.html"


def answer_page(answer: Answer, dashboard: str = DASHBOARD_FROM_PAGE) -> Page:
    """The notes first, then a section per use case: its rule, its answer, storage and egress, assumptions."""
    sections = []
    for number, use_case in enumerate(answer.use_cases, start=1):
        blocks: list = [Paragraph(line) for line in summary_lines(use_case, answer.rules, dashboard)]
        header, rows = extrapolation_table(use_case, answer.rules, dashboard)
        if rows:
            blocks.append(Table(id=f"extrapolation-{number}", header=header, rows=rows))
        if use_case.assumptions:
            blocks.append(Notice("note", "Assuming", items=use_case.assumptions))
        sections.append(Section(heading(use_case.use_case, answer.rules), blocks, id=f"use-case-{number}"))
    first = [
        Notice("note", *note.split(": ", 1), id=f"note-{number}")
        for number, note in enumerate(notes(answer), start=1)
    ]
    return Page(title=TITLE, blocks=[*first, Paragraph(introduction(answer))], sections=sections)
