"""The by-release page: the report of :mod:`.model` as a page next to the asv dashboard, linked from it.

``cryoet-zarr-bench versions`` prints :func:`~.text.format_report` and writes
``<html_dir>/by-release/index.html`` with one figure per benchmark (:func:`release_page`, published through
:data:`~cryoet_zarr_bench.report.site.BY_RELEASE`); ``publish`` and ``bench`` write it too.
"""

from __future__ import annotations

from ..pages import Notice, Page, Paragraph, Plot, Section, Table
from ..registry import CHUNK_BYTES
from ..sampling import single_sample_notices
from .comparison import FLAG_CHANGED, FLAG_CHUNKS, FLAG_HIGHER, FLAG_LOWER, FLAG_METADATA
from .figures import release_figure, release_figure_codecs
from .model import ReleaseReport
from .table import ReleaseTable
from .text import (
    COMPARISON_HEADER,
    comparison_cells,
    comparison_summary,
    describe_fact,
    describe_skipped,
    display_scale,
    release_table_cells,
)

__all__ = ["PAGE_DIR", "release_page"]

#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "by-release"

_FLAG_CLASSES = {
    FLAG_HIGHER: "flag-higher",
    FLAG_LOWER: "flag-lower",
    FLAG_CHUNKS: "flag-alarm",
    FLAG_METADATA: "flag-note",
    FLAG_CHANGED: "flag-note",
}


def release_page(report: ReleaseReport) -> Page:
    """The report as a page: what it cannot say (one environment, single samples), the environments, the
    chunk-bytes alarm, figures and a table per benchmark with values, and the environment-versus-environment
    table."""
    blocks = [
        *_caveats(report),
        Paragraph(f"Machine {report.machine}, commit {report.commit}."),
        Table(
            id="environments",
            header=("Python", "zarr", "numcodecs", "asv environment"),
            rows=[
                ([release.python, release.zarr, release.numcodecs, run.env_name], [])
                for release, run in report.runs.items()
            ],
        ),
        *(Paragraph(f"Left out: {reason}") for reason in report.left_out),
        *([] if report.single_environment else _alarm(report)),
    ]
    if report.skipped:
        blocks.append(
            Paragraph(
                f"Not shown, skipped in every case by every environment: {describe_skipped(report.skipped)}."
            )
        )
    sections = [
        Section(
            heading=f"{table.benchmark.name} ({display_scale(table.benchmark)[1]})",
            id=table.benchmark.name,
            blocks=[
                *_figures(table, report),
                Table(
                    id=f"table-{table.benchmark.name}",
                    header=[*table.benchmark.param_names, *(release.label for release in table.releases)],
                    rows=release_table_cells(table),
                ),
            ],
        )
        for table in report.tables
    ]
    if report.comparison is not None:
        benchmarks = {table.benchmark.name: table.benchmark for table in report.tables}
        sections.append(
            Section(
                heading="Environment against environment",
                id="comparison",
                blocks=[
                    Paragraph(comparison_summary(report.comparison) + "."),
                    Table(
                        id="table-comparison",
                        header=COMPARISON_HEADER,
                        rows=comparison_cells(report.comparison, benchmarks),
                        row_classes=[_FLAG_CLASSES.get(row.flag, "") for row in report.comparison.rows],
                    ),
                ],
            )
        )
    return Page(title="Results by Python / zarr / numcodecs release", blocks=blocks, sections=sections)


def _caveats(report: ReleaseReport) -> list[Notice]:
    """What the page cannot say, at its top: a comparison (one environment), a ranking (single samples)."""
    notices = []
    if report.single_environment:
        (release,) = report.runs
        notices.append(
            Notice(
                "note",
                "One environment only: no comparison was made",
                f"These results come from one environment ({release.label}), so nothing on this page "
                "compares releases: no chunk-bytes alarm, no figures along the releases, no environment "
                "against environment. Run the release matrix (cryoet-zarr-bench bench --matrix) to compare "
                "them.",
                id="one-environment",
            )
        )
    shown = {table.benchmark.name for table in report.tables}
    return notices + single_sample_notices(report.runs.values(), shown)


def _figures(table: ReleaseTable, report: ReleaseReport) -> list[Plot]:
    """The benchmark's figures: none with a single release (nothing runs along the x-axis), else one, or one
    per codec when its settings would make one too wide."""
    if len(table.releases) < 2:
        return []
    name = table.benchmark.name
    return [
        Plot(
            f"{name}.png" if codec is None else f"{name}-{codec}.png",
            f"{name} by release" + ("" if codec is None else f", codec {codec}"),
            lambda codec=codec: release_figure(table, report.changed_cells, codec),
        )
        for codec in release_figure_codecs(table)
    ]


def _alarm(report: ReleaseReport) -> list[Notice]:
    if not report.chunk_bytes_recorded:
        return [
            Notice("note", "Chunk bytes not judged", f"The results have no {CHUNK_BYTES}.", id="chunk-bytes")
        ]
    notices = []
    if report.chunk_facts:
        notices.append(
            Notice(
                "alarm",
                f"Chunk bytes changed between releases ({len(report.chunk_facts)} fact(s))",
                "A lossless codec with the same settings should write the same chunks in every release. Each "
                "change is named by the one library whose release differs between two environments.",
                [describe_fact(fact, arrow="→") for fact in report.chunk_facts],
                id="chunk-bytes",
            )
        )
    else:
        notices.append(
            Notice("ok", "Chunk bytes: the same in every release for every codec setting.", id="chunk-bytes")
        )
    if report.metadata_facts:
        notices.append(
            Notice(
                "note",
                "Metadata only (chunk bytes equal; listed, not an alarm)",
                items=[describe_fact(fact, arrow="→") for fact in report.metadata_facts],
                id="metadata",
            )
        )
    return notices
