"""Survey many tomograms on Dask: the same codec measurements over a list of volumes, as a Parquet table.

One crop of one tomogram is not the portal.  A survey expands its inputs into volumes (:mod:`.inputs`), runs
one independent task per volume and codec on a ``dask.distributed`` cluster (:mod:`.run`), appends each
finished row to a Parquet table that a rerun resumes from (:mod:`.table`), and summarises the ratios across
volumes with their spread, confidence intervals, outliers and the saving extrapolated to a whole dataset
(:mod:`.summary`).

Dask, pyarrow and matplotlib are needed only here (the ``survey`` extra).
"""

from .inputs import expand_inputs
from .summary import (
    CodecSummary,
    Extrapolation,
    extrapolate,
    format_summary,
    summarise,
    survey_report,
    volume_notes,
)
from .table import SurveyError, SurveyTable
from .tasks import SurveyTask, run_task

__all__ = [
    "CodecSummary",
    "Extrapolation",
    "SurveyError",
    "SurveyTable",
    "SurveyTask",
    "expand_inputs",
    "extrapolate",
    "format_summary",
    "run_task",
    "summarise",
    "survey_report",
    "volume_notes",
]
