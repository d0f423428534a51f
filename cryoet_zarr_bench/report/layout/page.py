"""The layout page: the report of :mod:`.model` next to the asv dashboard, linked from it as "Layout".

``publish`` and ``bench`` write ``<html_dir>/layout/index.html`` (:func:`layout_page`, through
:data:`~cryoet_zarr_bench.report.site.LAYOUT`) when the results hold the access benchmarks: for each
environment and codec, heat maps of layout x access pattern (read time per store, requests per S3 reader) and
the same numbers as a table.
"""

from __future__ import annotations

from ..pages import Page, Paragraph, Plot, Section, Table
from ..registry import ACCESS_TIME
from ..sampling import single_sample_notices
from .figures import layout_figure
from .model import LayoutReport
from .text import layout_cells, layout_header, stored_summary

__all__ = ["PAGE_DIR", "layout_page"]

#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "layout"


def layout_page(report: LayoutReport) -> Page:
    """A section per environment and codec: the heat maps, the grids as one table, what each layout stores."""
    sections = []
    for env_number, environment in enumerate(report.environments, start=1):
        for codec_number, codec in enumerate(environment.codecs, start=1):
            number = f"{env_number}-{codec_number}"
            sections.append(
                Section(
                    heading=f"{codec.codec} in {environment.label}",
                    id=f"layout-{number}",
                    blocks=[
                        Paragraph(stored_summary(codec)),
                        Plot(
                            f"layout-{number}.png",
                            f"read time and requests by layout and access pattern, {codec.codec}",
                            lambda codec=codec: layout_figure(codec),
                        ),
                        Table(
                            id=f"table-layout-{number}",
                            header=layout_header(codec),
                            rows=layout_cells(codec),
                        ),
                    ],
                )
            )
    runs = [environment.run for environment in report.environments]
    return Page(
        title="Layout and access: chunks, shards and the reads users do",
        blocks=[
            *single_sample_notices(runs, {ACCESS_TIME}),
            Paragraph(
                f"Machine {report.machine}, commit {report.commit}. benchmarks/access.py: each access "
                "pattern (xy, xz, yz: one slice through the middle; sub64: a seeded random 64³ subvolume; "
                "whole: the whole volume) read from an array opened beforehand, on one thread unless "
                "CRYOET_ZARR_BENCH_THREADS said otherwise. Stores: local disk (warm page cache), memory, "
                "S3 (moto on 127.0.0.1 read through s3fs) and S3 with 20 ms added to every request. "
                "Requests and bytes are counted by a proxy in front of the S3 server, per read."
            ),
        ],
        sections=sections,
    )
