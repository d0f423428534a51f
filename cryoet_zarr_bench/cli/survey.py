"""``survey``: codecs measured over many tomograms on Dask, and the survey table other commands read."""

from __future__ import annotations

import argparse
import sys

from ..asv_config import AsvConfig
from ..codecs import codec_set
from ..report.site import SURVEY
from .options import CommandError, _positive, _terabytes, _threads, add_array_options, add_config_option

__all__ = ["add_survey", "cmd_survey", "survey_rows"]


def survey_rows(table: str | None) -> list[dict]:
    """The rows of a survey table (none without one); an empty or unreadable table is the user's to fix."""
    if table is None:
        return []
    from ..survey import SurveyTable

    try:
        rows = SurveyTable(table).rows()
    except ImportError as error:
        raise CommandError(
            f"reading a survey table needs {error.name}: pip install 'cryoet-zarr-bench[survey]'"
        ) from None
    if not rows:
        raise CommandError(f"{table} holds no survey rows; run `cryoet-zarr-bench survey` first")
    return rows


def _survey_modules():
    try:
        from .. import survey
        from ..report.survey import page
        from ..survey import run
    except ImportError as error:
        raise CommandError(
            f"the survey needs {error.name}: pip install 'cryoet-zarr-bench[survey]'"
        ) from None
    return survey, page, run


def cmd_survey(args: argparse.Namespace) -> int:
    survey, page, run = _survey_modules()
    table = survey.SurveyTable(args.table)
    failed = []
    if not args.summary_only:
        if not args.inputs:
            raise CommandError("give the volumes to survey: sources, portal:DATASET or folders (see --help)")
        codecs = codec_set(args.codecs)
        sources = survey.expand_inputs(args.inputs)
        table.check_writable()
        tasks = run.survey_tasks(
            sources, codecs, chunks=args.chunks, zarr_format=args.zarr_format, threads=args.threads,
            repeats=args.repeats,
        )  # fmt: skip
        # An existing cluster answers (or is refused) now; a local one starts when entered.
        client_context = run.connect(args.scheduler) if args.scheduler else run.local_client(args.workers)
        where = (
            f"on {args.scheduler}" if args.scheduler else f"on a local cluster of {args.workers} worker(s)"
        )
        print(
            f"survey: {len(tasks)} rows ({len(sources)} volumes x {len(codecs)} codecs) "
            f"into {table.path}, {where}",
            file=sys.stderr,
        )
        with client_context as client:
            outcome = run.run_survey(tasks, table, client, on_row=run.print_progress())
        print(
            f"{outcome.written} row(s) written, {outcome.already_done} already in the table", file=sys.stderr
        )
        for task, message in outcome.failed:
            print(f"failed: {task.source} {task.codec}: {message}", file=sys.stderr)
        failed = outcome.failed
    rows = table.rows()
    for note in survey.volume_notes(rows):
        print(f"note: {note}", file=sys.stderr)
    if not rows:
        reason = " (every task failed)" if failed else ""
        raise CommandError(f"{table.path} holds no survey rows yet{reason}")
    portal_bytes = None if args.portal_tb is None else int(args.portal_tb * 1e12)
    summaries, extrapolations = survey.survey_report(rows, portal_bytes=portal_bytes)
    print(survey.format_summary(summaries, extrapolations))
    if args.publish:
        index, linked = SURVEY.publish(
            page.survey_page(rows, summaries, extrapolations), AsvConfig.read(args.config).html_dir
        )
        note = (
            "" if linked else " (no dashboard there yet: `cryoet-zarr-bench publish --survey TABLE` links it)"
        )
        print(f"survey page: {index}{note}")
    if failed:
        raise CommandError(
            f"{len(failed)} task(s) failed (listed above); the table keeps the other rows: run the same "
            "survey again to retry the failed ones"
        )
    return 0


def add_survey(commands: argparse._SubParsersAction) -> None:
    """The ``survey`` command and its options."""
    survey = commands.add_parser(
        "survey",
        help="measure codecs over many tomograms on Dask; results in a Parquet table",
        description="Run one task per volume and codec on a dask.distributed cluster (a local one by "
        "default), append each row to a Parquet table as it finishes (a rerun resumes: finished rows are "
        "skipped), and summarise each codec's ratio across the volumes: mean, spread, 95%% confidence "
        "interval, outliers, and the saving against the portal's blosc-lz4-5-shuffle extrapolated to the "
        "surveyed tomograms.",
    )
    survey.add_argument(
        "inputs",
        nargs="*",
        help="sources (synthetic?seed=3, portal:10445/TS_100_3, tomo.mrc), portal:DATASET (every run; add "
        "?processing=raw&crop=centre:128 to apply to each) or a folder of .mrc/.npy/.zarr tomograms",
    )
    add_array_options(survey)
    survey.add_argument("--threads", type=_threads, default=1, help="threads per task (N or all; default 1)")
    survey.add_argument(
        "--repeats", type=_positive, default=3, help="timed repeats per row; median (default 3)"
    )
    survey.add_argument(
        "--table", default="survey.parquet", help="the Parquet table directory (default survey.parquet)"
    )
    where = survey.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=_positive, default=2, help="workers of the local cluster (default 2)"
    )
    where.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    survey.add_argument("--summary-only", action="store_true", help="summarise the table; run nothing")
    survey.add_argument(
        "--portal-tb", type=_terabytes, help="the portal's raw size in TB, to extrapolate the saving to it"
    )
    survey.add_argument(
        "--publish",
        action="store_true",
        help="write the survey page beside the dashboard (<html_dir>/survey/)",
    )
    add_config_option(survey)
    survey.set_defaults(run=cmd_survey)
