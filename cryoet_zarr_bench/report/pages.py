"""Self-contained html report pages: a title, sections of paragraphs, notices, tables and figures.

A report describes its page with the blocks below and :func:`write_page` writes it as a directory holding
``index.html`` and one PNG per figure.  The page loads nothing but its own figures, so it works offline and
opened as a file; all text is escaped.  Paragraphs, notice items and table cells are plain text or a sequence
of text, :class:`Link` and :class:`Strong` parts.
"""

from __future__ import annotations

import html
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._atomic import replace_directory

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Inline",
    "Link",
    "Notice",
    "Page",
    "Paragraph",
    "Plot",
    "Section",
    "Strong",
    "Table",
    "page_html",
    "write_page",
]


@dataclass(frozen=True)
class Link:
    """A link in running text or a table cell: ``text`` pointing at ``href``."""

    text: str
    href: str


@dataclass(frozen=True)
class Strong:
    """Text set in bold."""

    text: str


#: Text: plain, or a sequence of plain, linked and bold parts.
Inline = str | Link | Strong | Sequence[str | Link | Strong]


@dataclass(frozen=True)
class Paragraph:
    text: Inline


@dataclass(frozen=True)
class Notice:
    """A boxed message: ``alarm`` (red), ``ok`` (green) or ``note`` (grey), with an optional list."""

    kind: str
    heading: str
    text: Inline = ""
    items: Sequence[Inline] = ()
    id: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of (text cells, number cells); numbers are right-aligned in monospace."""

    id: str
    header: Sequence[str]
    rows: Sequence[tuple[Sequence[Inline], Sequence[Inline]]]
    row_classes: Sequence[str] = ()
    """A css class per row (``flag-higher``, ``flag-lower``, ``flag-alarm``, ``flag-note``) or ``""``."""


@dataclass(frozen=True)
class Plot:
    """A figure, drawn when the page is written, saved as ``file_name`` (a PNG) beside the page."""

    file_name: str
    alt: str
    draw: Callable[[], Figure]


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: Sequence[Paragraph | Notice | Table | Plot]
    id: str = ""


@dataclass(frozen=True)
class Page:
    title: str
    blocks: Sequence[Paragraph | Notice | Table | Plot]
    """Shown under the title, before the sections."""
    sections: Sequence[Section] = ()
    back_link: tuple[str, str] | None = ("../index.html", "asv dashboard")
    """(href, text) of a link above the title, or None."""


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td.number { text-align: right; font-family: monospace; }
.alarm { border: 3px solid #c00; background: #fee; padding: 0.5em 1em; margin: 1em 0; }
.alarm h3 { color: #c00; margin-top: 0.2em; }
.ok { border: 1px solid #3a3; background: #efe; padding: 0.5em 1em; margin: 1em 0; }
.note { border: 1px solid #999; background: #f6f6f6; padding: 0.5em 1em; margin: 1em 0; }
tr.flag-higher td { background: #fdd; }
tr.flag-lower td { background: #ddf; }
tr.flag-alarm td { background: #f99; font-weight: bold; }
tr.flag-note td { background: #eee; }
img { max-width: 100%; }
"""


def write_page(page: Page, directory: Path) -> Path:
    """Write `page` as ``directory/index.html`` with its figures, replacing whatever `directory` held.

    The directory is built beside its final place and then swapped in, so a reader never sees a half-written
    page, and a failure leaves the previous page in place.

    Returns
    -------
    Path
        The page's ``index.html``.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
    try:
        for plot in _plots(page):
            plot.draw().savefig(staging / plot.file_name, format="png", dpi=100)
        (staging / "index.html").write_text(page_html(page), encoding="utf-8")
        os.chmod(staging, 0o755)
        replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory / "index.html"


def page_html(page: Page) -> str:
    """The page's html; figures are referenced by their file names."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(page.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
    ]
    if page.back_link is not None:
        href, text = page.back_link
        parts.append(f'<p><a href="{esc(href)}">&larr; {esc(text)}</a></p>')
    parts.append(f"<h1>{esc(page.title)}</h1>")
    parts += [_block_html(block) for block in page.blocks]
    for section in page.sections:
        section_id = f' id="{esc(section.id)}"' if section.id else ""
        parts.append(f"<h2{section_id}>{esc(section.heading)}</h2>")
        parts += [_block_html(block) for block in section.blocks]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _plots(page: Page) -> list[Plot]:
    blocks = [*page.blocks, *(block for section in page.sections for block in section.blocks)]
    return [block for block in blocks if isinstance(block, Plot)]


def _inline_html(text: Inline) -> str:
    """Escaped text; links and bold parts as such."""
    if isinstance(text, str):
        return html.escape(text)
    if isinstance(text, Link):
        return f'<a href="{html.escape(text.href)}">{html.escape(text.text)}</a>'
    if isinstance(text, Strong):
        return f"<strong>{html.escape(text.text)}</strong>"
    return "".join(_inline_html(part) for part in text)


def _block_html(block: Paragraph | Notice | Table | Plot) -> str:
    esc = html.escape
    if isinstance(block, Paragraph):
        return f"<p>{_inline_html(block.text)}</p>"
    if isinstance(block, Plot):
        return f'<img src="{esc(block.file_name)}" alt="{esc(block.alt)}">'
    if isinstance(block, Notice):
        block_id = f' id="{esc(block.id)}"' if block.id else ""
        lines = [f'<div class="{esc(block.kind)}"{block_id}>', f"<h3>{esc(block.heading)}</h3>"]
        if block.text:
            lines.append(f"<p>{_inline_html(block.text)}</p>")
        if block.items:
            lines += ["<ul>", *(f"<li>{_inline_html(item)}</li>" for item in block.items), "</ul>"]
        lines.append("</div>")
        return "\n".join(lines)
    return _table_html(block)


def _table_html(table: Table) -> str:
    esc = html.escape
    lines = [
        f'<table id="{esc(table.id)}">',
        "<tr>" + "".join(f"<th>{esc(cell)}</th>" for cell in table.header) + "</tr>",
    ]
    for (texts, numbers), css_class in itertools.zip_longest(table.rows, table.row_classes, fillvalue=""):
        cells = [f"<td>{_inline_html(cell)}</td>" for cell in texts] + [
            f'<td class="number">{_inline_html(cell)}</td>' for cell in numbers
        ]
        row_class = f' class="{esc(css_class)}"' if css_class else ""
        lines.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)
