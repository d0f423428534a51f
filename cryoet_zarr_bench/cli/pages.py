"""``report``, ``versions`` and ``study``: pages from the recorded asv results, printed as text and written
beside the dashboard."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from ..report.answer import page as answer_page
from ..report.answer.model import build_answer
from ..report.answer.text import format_answer
from ..report.by_release import model, text
from ..report.by_release import page as by_release
from ..report.engines import page as engines_page
from ..report.engines.model import build_engine_report
from ..report.engines.text import format_engine_report
from ..report.publishing import read_config_results
from ..report.site import ANSWER, BY_RELEASE, ENGINES, STUDY
from ..report.study.model import build_study
from ..report.study.page import study_page
from ..report.study.slices import central_slices, slices_setting
from ..report.study.text import format_study
from ..sources import acquire
from ..sources.halves import noise_estimate
from ..suite import SOURCE_ENV
from .options import CommandError, add_answer_options, add_config_option, answer_rules
from .survey import survey_rows

__all__ = ["add_report", "add_study", "add_versions", "cmd_report", "cmd_study", "cmd_versions"]


def cmd_report(args: argparse.Namespace) -> int:
    html_dir, results = read_config_results(Path(args.config))
    answer = build_answer(
        results, answer_rules(args), survey_rows=survey_rows(args.survey), machine=args.machine
    )
    print(format_answer(answer, args.link_base or (html_dir / "index.html").as_uri()), end="")
    page, linked = ANSWER.publish(answer_page.answer_page(answer), html_dir)
    unlinked = "" if linked else " (no dashboard there yet: `cryoet-zarr-bench publish` links it)"
    print(f"answer page: {page}{unlinked}", file=sys.stderr)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    if args.engines:
        return _engines(args)
    html_dir, results = read_config_results(Path(args.config))
    report = model.build_report(
        results,
        machine=args.machine,
        commit=args.commit,
        baseline=args.baseline,
        contender=args.contender,
        factor=args.factor,
    )
    page, linked = BY_RELEASE.publish(by_release.release_page(report), html_dir)
    print(text.format_report(report))
    print(f"by-release page: {page}")
    if not linked:
        print(f"no dashboard in {page.parent.parent} to link it from: run `cryoet-zarr-bench publish` first")
    return 0


def _engines(args: argparse.Namespace) -> int:
    """``versions --engines``: the engines side by side, in the terminal and on their page."""
    if args.baseline or args.contender:
        raise CommandError(
            "--engines shows engines within each environment; --baseline and --contender compare "
            "environments: give one or the other"
        )
    html_dir, results = read_config_results(Path(args.config))
    report = build_engine_report(results, machine=args.machine, commit=args.commit)
    page, linked = ENGINES.publish(engines_page.engine_page(report), html_dir)
    print(format_engine_report(report))
    print(f"engines page: {page}")
    if not linked:
        print(f"no dashboard in {page.parent.parent} to link it from: run `cryoet-zarr-bench publish` first")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    html_dir, results = read_config_results(Path(args.config))
    report = build_study(results, environment=args.environment)
    volume = acquire(args.source, progress=True)
    noise = noise_estimate(volume)
    note = f"volume: {volume.describe()} (--source: the results must be of this volume); {noise.describe()}"
    report = replace(report, volume_note="; ".join([note, *noise.warnings]))
    print(format_study(report))
    slices = None
    if args.slices != "none":
        row = slices_setting(report, None if args.slices == "best" else args.slices)
        if row is not None:
            slices = central_slices(volume, row.codec, row.chunks, int(row.zarr_format))
        elif args.slices == "best":
            print("no central slices: no setting was judged safe; name one with --slices CODEC")
        else:
            raise CommandError(
                f"--slices {args.slices}: not a recorded study setting; pick a codec of the table"
            )
    page, linked = STUDY.publish(study_page(report, slices), html_dir)
    unlinked = "" if linked else " (no dashboard there yet: `cryoet-zarr-bench publish` links it)"
    print(f"study page: {page}{unlinked}")
    return 0


def add_report(commands: argparse._SubParsersAction) -> None:
    """The ``report`` command and its options."""
    report = commands.add_parser(
        "report",
        help="the answer per use case (archive, viewing over S3, processing, lossy archive) as Markdown",
        description="Apply each use case's stated rule to the recorded asv results and print the answer as "
        "Markdown: the winner and runner-up with their numbers (each a link to its dashboard graph), the "
        "releases measured, the spread across tomograms (--survey) and storage and egress extrapolated, with "
        "every assumption. Also writes <html_dir>/answer/index.html, the dashboard's front page.",
    )
    add_config_option(report)
    add_answer_options(report)
    report.add_argument("--machine", help="whose results to use (needed when there are several machines)")
    report.add_argument(
        "--link-base",
        metavar="URL",
        help="the dashboard's index.html the links point into (default: the local html directory's, as a "
        "file:// address), e.g. https://example.org/cryoet-zarr-bench/index.html",
    )
    report.set_defaults(run=cmd_report)


def add_versions(commands: argparse._SubParsersAction) -> None:
    """The ``versions`` command and its options."""
    versions = commands.add_parser(
        "versions",
        help="the asv results by Python/zarr/numcodecs release, and one environment against another",
        description="Read asv's results directory and show, for one machine and commit, each benchmark by "
        "Python/zarr/numcodecs release, flag chunk bytes that changed between releases (each change named "
        "by the one library whose release differs), and compare two environments. Writes "
        "<html_dir>/by-release/index.html, linked from the published dashboard.",
    )
    add_config_option(versions)
    versions.add_argument("--machine", help="whose results to show (needed when there are several machines)")
    versions.add_argument(
        "--commit", help="commit hash or prefix (default: the one with results in the most environments)"
    )
    versions.add_argument(
        "--baseline",
        help="environment to compare against: words found in its name or release label and no other's, "
        "e.g. zarr2.18.7 or 'py3.13 zarr3.1.6' (default: the oldest release)",
    )
    versions.add_argument(
        "--contender", help="environment compared with the baseline (default: the newest release)"
    )
    versions.add_argument(
        "--factor",
        type=float,
        default=model.DEFAULT_FACTOR,
        help="flag values at least this many times the baseline's or at most its inverse "
        f"(default {model.DEFAULT_FACTOR})",
    )
    versions.add_argument(
        "--engines",
        action="store_true",
        help="show the engines benchmarks instead: zarr-python, tensorstore and zarrs side by side per "
        "environment, as ratios to zarr-python (writes <html_dir>/engines/index.html; default commit: the "
        "one with engines results in the most environments)",
    )
    versions.set_defaults(run=cmd_versions)


def add_study(commands: argparse._SubParsersAction) -> None:
    """The ``study`` command and its options."""
    study_command = commands.add_parser(
        "study",
        help="the codec study from recorded asv results: lossy settings against the noise and R(D)",
        description="Read the asv results of the codec study (CRYOET_ZARR_BENCH_STUDIES=codec "
        "cryoet-zarr-bench bench), print each lossy family's highest-ratio safe setting and every setting, "
        "and write <html_dir>/study/index.html, linked from the dashboard.",
    )
    add_config_option(study_command)
    study_command.add_argument(
        "--environment", help="an environment name or part of one (default: the newest run)"
    )
    study_command.add_argument(
        "--slices",
        default="best",
        metavar="CODEC",
        help="the lossy setting whose central slices (original, decoded, difference) the page shows: a "
        "recorded study codec, 'best' (default: the highest-ratio safe setting) or 'none'",
    )
    study_command.add_argument(
        "--source",
        default=os.environ.get(SOURCE_ENV, "synthetic"),
        help="the volume the results were measured on, for the slices (default: $CRYOET_ZARR_BENCH_SOURCE "
        "or the synthetic volume, as for the suite)",
    )
    study_command.set_defaults(run=cmd_study)
