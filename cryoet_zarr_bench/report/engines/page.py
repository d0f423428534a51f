"""The engines page: the report of :mod:`.engines` as a page next to the asv dashboard, linked from it.

``cryoet-zarr-bench versions --engines`` prints :func:`~.text.format_engine_report` and writes
``<html_dir>/engines/index.html`` (:func:`engine_page`, published through
:data:`~cryoet_zarr_bench.report.site.ENGINES`); ``publish`` and ``bench`` write it too when the results hold
the engines benchmarks.
"""

from __future__ import annotations

from ..pages import Notice, Page, Paragraph, Plot, Section, Table
from ..registry import ENGINE_READ_TIME, ENGINE_WRITE_TIME
from ..sampling import single_sample_notices
from .figures import engine_figure
from .model import BASELINE_ENGINE, EngineReport
from .text import ENGINE_HEADER, describe_chunk_difference, engine_cells, engine_summary

__all__ = ["PAGE_DIR", "engine_page"]

#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "engines"


def engine_page(report: EngineReport) -> Page:
    """A section per environment: its chunk-bytes differences, a figure of the times and the table."""
    sections = []
    for number, environment in enumerate(report.environments, start=1):
        differences = environment.chunk_differences
        if differences:
            notice = Notice(
                "note",
                f"Chunk bytes that differ from {BASELINE_ENGINE}'s ({len(differences)})",
                "Every store was checked to read back exactly; different encoders may legitimately "
                "write other bytes for the same codec (compression-level mappings, deflate "
                "implementations, headers).",
                [describe_chunk_difference(difference) for difference in differences],
                id=f"chunk-bytes-{number}",
            )
        else:
            notice = Notice(
                "ok",
                f"Chunk bytes: every engine measured writes {BASELINE_ENGINE}'s.",
                id=f"chunk-bytes-{number}",
            )
        cells = engine_cells(environment)
        sections.append(
            Section(
                heading=environment.label,
                id=f"environment-{number}",
                blocks=[
                    Paragraph(engine_summary(environment) + "."),
                    notice,
                    Plot(
                        f"engines-{number}.png",
                        f"write and read time by engine and codec in {environment.label}",
                        lambda environment=environment: engine_figure(environment),
                    ),
                    Table(
                        id=f"table-engines-{number}",
                        header=ENGINE_HEADER,
                        rows=cells,
                        row_classes=["flag-note" if numbers[-1] else "" for _, numbers in cells],
                    ),
                ],
            )
        )
    runs = [environment.run for environment in report.environments]
    return Page(
        title="Engines side by side: zarr-python, TensorStore, zarrs",
        blocks=[
            *single_sample_notices(runs, {ENGINE_WRITE_TIME, ENGINE_READ_TIME}),
            Paragraph(
                f"Machine {report.machine}, commit {report.commit}. The same volume, codec, chunks, "
                "Zarr format and thread count for every engine (benchmarks/engines.py); each ratio is the "
                f"engine's time over {BASELINE_ENGINE}'s in the same environment and setting (below 1: "
                "faster)."
            ),
        ],
        sections=sections,
    )
