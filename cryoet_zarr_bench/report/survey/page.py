"""The survey's page beside the asv dashboard: the summary, the outliers, the extrapolations and the figure.

``cryoet-zarr-bench survey --publish`` and ``publish --survey TABLE`` write ``<html_dir>/survey/index.html``
(:func:`survey_page`, published through :data:`~cryoet_zarr_bench.report.site.SURVEY`).  Its model is the
survey's own summary (:mod:`cryoet_zarr_bench.survey.summary`), which also writes its terminal text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ...survey.summary import CodecSummary, Extrapolation
from ..pages import Notice, Page, Paragraph, Plot, Section, Table
from .figures import ratio_figure

__all__ = ["PAGE_DIR", "survey_page"]

#: Sub-directory of the dashboard's html directory that receives the page.
PAGE_DIR = "survey"


def _interval(summary: CodecSummary) -> str:
    return "n/a" if math.isnan(summary.ci_low) else f"{summary.ci_low:.4f} – {summary.ci_high:.4f}"


def survey_page(
    rows: Sequence[dict[str, Any]], summaries: Sequence[CodecSummary], extrapolations: Sequence[Extrapolation]
) -> Page:
    """The page for a survey's rows and what the survey's summary made of them
    (:func:`~cryoet_zarr_bench.survey.summary.survey_report`)."""
    volumes = sorted({row["source"] for row in rows})
    summary_table = Table(
        id="survey-summary",
        header=("codec", "chunks", "Zarr format", "threads", "volumes", "mean ratio", "95% CI", "std", "min",
                "max", "pooled ratio", "write MB/s", "read MB/s"),  # fmt: skip
        rows=[
            (
                (s.codec, s.chunks, str(s.zarr_format), str(s.threads)),
                (str(s.volumes), f"{s.mean_ratio:.4f}", _interval(s),
                 "n/a" if math.isnan(s.std_ratio) else f"{s.std_ratio:.4f}", f"{s.min_ratio:.4f}",
                 f"{s.max_ratio:.4f}", f"{s.pooled_ratio:.4f}", f"{s.mean_write_mb_s:.1f}",
                 f"{s.mean_read_mb_s:.1f}"),  # fmt: skip
            )
            for s in summaries
        ],
    )
    outliers = [f"{s.codec}: {source} (ratio {ratio:.4f})" for s in summaries for source, ratio in s.outliers]
    sections = [
        Section(
            "Ratio across volumes",
            [
                summary_table,
                Plot(
                    "ratios.png",
                    "compression ratio per codec across the surveyed volumes",
                    lambda: ratio_figure(rows),
                ),
                Notice("note", "Outliers (outside Tukey's fences)", items=outliers)
                if outliers
                else Notice("ok", "No outliers", "every volume's ratio lies within Tukey's fences"),
            ],
        )
    ]
    for scope in dict.fromkeys(e.scope for e in extrapolations):
        group = [e for e in extrapolations if e.scope == scope]
        sections.append(
            Section(
                f"Extrapolated to {scope}",
                [
                    Table(
                        id=f"extrapolation-{len(sections)}",
                        header=("codec", "stored GB", f"saved vs {group[0].baseline} GB", "saved %"),
                        rows=[
                            ((e.codec,), (f"{e.stored_bytes / 1e9:.3f}", f"{e.saved_bytes / 1e9:.3f}",
                                          f"{100 * e.saved_bytes / e.baseline_bytes:+.1f}"))  # fmt: skip
                            for e in group
                        ],
                    ),
                    Notice("note", "Assuming", items=group[0].assumptions),
                ],
            )
        )
    sections.append(Section("Volumes", [Paragraph(source) for source in volumes]))
    blocks = [
        Paragraph(
            f"{len(rows)} rows: {len(volumes)} volumes × {len(summaries)} codec settings, measured on Dask "
            "workers with the project's runtime policy (threads per row in the table; releases and worker in "
            "each row)."
        )
    ]
    return Page(title="Survey: codecs across many tomograms", blocks=blocks, sections=sections)
