"""The codec study's page: the report of :mod:`.model` beside the asv dashboard, linked as "Codec study".

``cryoet-zarr-bench study`` prints :func:`~.text.format_study` and writes ``<html_dir>/study/index.html``
(:func:`study_page`, published through :data:`~cryoet_zarr_bench.report.site.STUDY`) with its figures: ratio
against added noise with the Gaussian reference drawn in, ratio against the half-map FSC's change, ratio
against read throughput with the Pareto front marked and, given the volume, the central slices of one lossy
setting (:mod:`.slices`); ``publish`` and ``bench`` write it too, without the slices.
"""

from __future__ import annotations

import math

from ..pages import Page, Paragraph, Plot, Section, Table
from .figures import plot_ratio, plot_slices, plot_throughput
from .model import StudyReport, StudyRow
from .slices import CentralSlices
from .text import (
    SAFE_DEFINITION,
    USE,
    USE_DEFINITION,
    best_heading,
    lossless_line,
    noise_line,
    study_cells,
    study_columns,
    use_heading,
)

__all__ = ["PAGE_DIR", "study_page"]

#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "study"


def study_page(report: StudyReport, slices: CentralSlices | None = None) -> Page:
    """The study as a page: the source and its noise, the lossless limit, the best setting per family, the
    rate–distortion figures, the central slices of one lossy setting (if given) and every setting."""
    columns = study_columns(report)

    def table(table_id: str, rows: list[StudyRow]) -> Table:
        cells = [study_cells(report, row) for row in rows]
        return Table(id=table_id, header=columns, rows=[(cell[:3], cell[3:]) for cell in cells])

    figures: list[Plot | Paragraph] = [
        Plot(
            "ratio-vs-added-noise.png",
            "ratio against added noise, with the Gaussian reference",
            lambda: plot_ratio(report, x="added_noise_pct", log=True),
        )
    ]
    if any(not math.isnan(row.half_map_deviation) for row in report.rows):
        figures.append(
            Plot(
                "ratio-vs-half-map-change.png",
                "ratio against the half-map FSC's change, in units of its uncertainty",
                lambda: plot_ratio(report, x="half_map_deviation", log=False),
            )
        )
    else:
        figures.append(Paragraph("No half-map figure: the volume has no half-volumes (?halves=A,B)."))
    if report.throughput:
        figures.append(
            Plot(
                "ratio-vs-read-throughput.png",
                "ratio against read throughput, Pareto front marked",
                lambda: plot_throughput(report),
            )
        )
    best = report.best_safe()
    sections = [
        Section(
            best_heading(report)[:1].upper() + best_heading(report)[1:],
            [table("best-safe", list(best.values()))] if best else [Paragraph("(none safe)")],
            id="best-safe",
        ),
    ]
    if USE in report.criterion_names:
        by_use = report.best_passing(USE)
        sections.append(
            Section(
                use_heading()[:1].upper() + use_heading()[1:],
                [Paragraph(USE_DEFINITION + ".")]
                + ([table("best-for-use", list(by_use.values()))] if by_use else [Paragraph("(none)")]),
                id="best-for-use",
            )
        )
    sections.append(Section("Rate and distortion", figures, id="figures"))
    if slices is not None:
        sections.append(
            Section(
                f"Central slices: {slices.codec}",
                [
                    Paragraph(
                        f"XY slice z = {slices.z} of the original volume, of its copy decoded from "
                        f"{slices.codec} (chunks {slices.chunks}, Zarr format {slices.zarr_format}) and of "
                        "their difference, each on its own grey scale (drawn from the volume when the page "
                        "was written, not from the recorded results)."
                    ),
                    Plot(
                        "central-slices.png",
                        f"central slices: original, decoded from {slices.codec}, difference",
                        lambda: plot_slices(slices),
                    ),
                ],
                id="slices",
            )
        )
    sections.append(Section("Every setting", [table("every-setting", report.rows)], id="every-setting"))
    source = [Paragraph(text) for text in (report.volume_note, noise_line(report)) if text]
    return Page(
        title="The codec study",
        blocks=[
            Paragraph(f"Environment {report.environment}, commit {report.commit[:8]}."),
            *source,
            Paragraph(SAFE_DEFINITION + ". Lossy ratios depend on the data's texture."),
            Paragraph(lossless_line(report.lossless)),
        ],
        sections=sections,
    )
