"""Tests of the generic report page writer: escaped html, figures beside the page, all-or-nothing writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.report.pages import (
    Notice,
    Page,
    Paragraph,
    Plot,
    Section,
    Table,
    page_html,
    write_page,
)
from cryoet_zarr_bench.report.panels import Panel, Series, line_panels


def small_figure():
    panel = Panel("panel", [Series("a", [1.0, 2.0])])
    return line_panels(
        [[panel]], x_labels=["x1", "x2"], x_title="x", y_title="y", title="t", legend_title="l"
    )


def study_page(draw=small_figure) -> Page:
    """A page such as a codec study would make: none of it is about releases."""
    return Page(
        title="Codec study <draft>",
        blocks=[
            Paragraph("Ratios & times"),
            Notice("alarm", "2 codecs lost data", items=["zfp <lossy>", "sz3"]),
        ],
        sections=[
            Section(
                "Ratios",
                [
                    Plot("ratios.png", "ratios by codec", draw),
                    Table(
                        id="table-ratios",
                        header=["codec", "ratio"],
                        rows=[(["zstd-5"], ["1.08"]), (["pcodec"], ["1.21"])],
                        row_classes=["", "flag-higher"],
                    ),
                ],
                id="ratios",
            )
        ],
        back_link=None,
    )


def test_page_html_escapes_text_and_lays_out_blocks_in_order() -> None:
    text = page_html(study_page())

    assert "<title>Codec study &lt;draft&gt;</title>" in text and "<h1>Codec study &lt;draft&gt;</h1>" in text
    assert "<p>Ratios &amp; times</p>" in text
    assert (
        '<div class="alarm">\n<h3>2 codecs lost data</h3>\n<ul>\n<li>zfp &lt;lossy&gt;</li>\n<li>sz3</li>'
        in text
    )
    assert (
        '<table id="table-ratios">\n<tr><th>codec</th><th>ratio</th></tr>\n'
        '<tr><td>zstd-5</td><td class="number">1.08</td></tr>\n'
        '<tr class="flag-higher"><td>pcodec</td><td class="number">1.21</td></tr>\n</table>' in text
    )
    order = [
        text.index(marker)
        for marker in ("<h1>", "<p>Ratios", 'class="alarm"', '<h2 id="ratios">', "<img", "<table")
    ]
    assert order == sorted(order)
    assert re.findall(r'(?:src|href)="([^"]*)"', text) == ["ratios.png"]  # no back link, nothing external


def test_write_page_puts_figures_beside_the_page_and_replaces_the_old_one(tmp_path: Path) -> None:
    from matplotlib.image import imread

    target = tmp_path / "html" / "study"
    page = write_page(study_page(), target)

    assert page == target / "index.html"
    assert sorted(path.name for path in target.iterdir()) == ["index.html", "ratios.png"]
    height, width, _ = imread(target / "ratios.png").shape
    assert width > 300 and height > 200
    (target / "stale.png").write_bytes(b"")
    write_page(study_page(), target)
    assert sorted(path.name for path in (tmp_path / "html").iterdir()) == ["study"]
    assert not (target / "stale.png").exists()


def test_a_failed_figure_leaves_the_previous_page_and_no_staging_directory(tmp_path: Path) -> None:
    target = tmp_path / "html" / "study"
    write_page(study_page(), target)
    before = (target / "index.html").read_text(encoding="utf-8")

    def broken():
        raise RuntimeError("no data to draw")

    with pytest.raises(RuntimeError, match="no data to draw"):
        write_page(study_page(draw=broken), target)

    assert (target / "index.html").read_text(encoding="utf-8") == before
    assert sorted(path.name for path in (tmp_path / "html").iterdir()) == ["study"]
