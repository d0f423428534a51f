"""The ``cryoet-zarr-bench`` command."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

from . import _compat, asv_run, dashboard, progress
from .asv_config import AsvConfig
from .codecs import (
    CODEC_SETS,
    codec_set,
    is_noise_tied,
    parse_codec,
    resolve_noise_tied,
)
from .errors import UserError
from .information import GaussianReference
from .interpreters import find_python, how_to_get, interpreters_on_path
from .matrix import format_matrix, read_environments, refresh
from .measure import check_memory, measure_codec
from .report.answer import page as answer_page
from .report.answer.model import build_answer
from .report.answer.rules import Rules
from .report.answer.text import format_answer
from .report.by_release import model, text
from .report.by_release import page as by_release
from .report.engines import page as engines_page
from .report.engines.model import build_engine_report
from .report.engines.text import format_engine_report
from .report.publishing import read_config_results
from .report.runs import ReportError
from .report.site import ANSWER, BY_RELEASE, ENGINES, STUDY, SURVEY, SiteInputs, publish_site
from .report.study.model import build_study
from .report.study.page import study_page
from .report.study.slices import central_slices, slices_setting
from .report.study.text import format_study
from .report.tables import measurement_table
from .runtime import Runtime, parse_threads
from .sources import SourceSpec, acquire, describe_cache_entry, parse_source
from .sources.halves import is_image_stack, noise_estimate
from .sources.local import MRC_IMAGE_2D
from .sources.spec import CentreCrop
from .stores import format_chunks, parse_chunks
from .suite import SOURCE_ENV, STUDIES, STUDIES_ENV, SuiteSettings, SuiteSettingsError

__all__ = ["main"]


class CommandError(UserError):
    """A problem the user can fix, reported as one line."""


def _chunk_shape(text: str) -> tuple[int, int, int]:
    try:
        return parse_chunks(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_number(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _at_least_one(text: str) -> float:
    value = float(text)
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _threads(text: str) -> int:
    try:
        return parse_threads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 (any free one) to 65535, got {port}")
    return port


def _terabytes(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"a size in TB must be a positive number, got {text!r}")
    return value


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"note: {note}")


def _sized_source(source: str, size: int | None) -> SourceSpec:
    """The source with ``--size`` applied: the synthetic volume's edge, or a centred cube of any other source."""
    spec = parse_source(source)
    if size is None:
        return spec
    if spec.kind == "synthetic":
        return replace(spec, shape=(size, size, size))
    return replace(spec, crop=CentreCrop((size, size, size)))


def cmd_quick(args: argparse.Namespace) -> int:
    codecs = codec_set(args.codecs)
    volume = acquire(_sized_source(args.source, args.size), cache=not args.no_cache, progress=not args.json)
    check_memory(volume, args.chunks, in_memory=args.memory)
    lossy = any(is_noise_tied(codec) or not parse_codec(codec).lossless for codec in codecs)
    noise = noise_estimate(volume, cache=not args.no_cache) if lossy else None
    reference = GaussianReference.of(volume.data) if lossy else None
    for codec in codecs:  # refuse, before any work, a codec that cannot store this volume here
        name = resolve_noise_tied(codec, volume.data, noise.sigma) if is_noise_tied(codec) else codec
        concrete = parse_codec(name)
        concrete.check(volume.dtype)
        concrete.check_values(volume.data)
    measurements = [
        measure_codec(
            volume,
            codec,
            chunks=args.chunks,
            zarr_format=args.zarr_format,
            repeats=args.repeats,
            in_memory=args.memory,
            runtime=Runtime(args.threads),
            noise=noise,
            reference=reference,
            images=is_image_stack(volume),
        )
        for codec in progress.steps(codecs, "quick")
    ]
    context = {
        "source": volume.source,
        "shape": list(volume.shape),
        "dtype": str(volume.dtype),
        "chunks": list(args.chunks),
        "zarr_format": args.zarr_format,
        "store": "memory" if args.memory else "directory",
        "repeats": args.repeats,
        "threads": args.threads,
        "notes": volume.provenance.get("notes", []),
        **_compat.library_versions(),
    }
    if noise is not None:
        context["noise"] = {
            "sigma": noise.sigma,
            "method": noise.method,
            "estimates": noise.estimates,
            "data_std": noise.data_std,
            "warnings": list(noise.warnings),
        }
    if args.json:
        print(json.dumps([{**m.as_row(), **context} for m in measurements], indent=2))
        return 0
    chunks = format_chunks(args.chunks)
    versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
    print(f"source: {volume.describe()}")
    if volume.provenance.get("mrc_layout") == MRC_IMAGE_2D:
        print(f"note: the source is a {MRC_IMAGE_2D}")
    _print_notes(context["notes"])
    print(
        f"chunks {chunks}, Zarr format {args.zarr_format}, {context['store']} store; {versions}"
    )
    runtime = ", ".join(f"{name} {value}" for name, value in measurements[0].runtime.items())
    print(f"concurrency: {runtime}")
    if volume.dtype != "float32":
        print(f"data benchmarked as stored, in {volume.dtype} (add ?dtype=float32 to the source to convert)")
    if any(c > n for c, n in zip(args.chunks, volume.shape)):
        print(f"note: chunks {chunks} exceed the volume in some axis; zarr pads such chunks to full size")
    if noise is not None:
        print(
            "lossy codecs: PSNR peak = the volume's max - min; added noise = error variance / noise variance; "
            f"{noise.describe()}"
        )
        for warning in noise.warnings:
            print(f"note: {warning}")
    print(f"times are the median of {args.repeats} timed run(s) each; ratio = raw bytes / chunk bytes\n")
    print(measurement_table(measurements))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    volume = acquire(args.source, cache=not args.no_cache, progress=True)
    print(volume.describe())
    _print_notes(volume.provenance.get("notes", []))
    if args.no_cache:
        print("read without the cache (--no-cache); nothing was stored")
    else:
        print(describe_cache_entry(volume.source) or "read in place; nothing to cache for this kind of source")
    return 0


def _run_quietly(command: list[str], environ: dict[str, str] | None = None) -> None:
    """Run `command`, showing its output only if it fails."""
    result = subprocess.run(command, env=environ, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CommandError(
            f"`{' '.join(command)}` failed with exit status {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def cmd_bench(args: argparse.Namespace) -> int:
    settings = AsvConfig.read(args.config)
    config = settings.path
    environ = dict(os.environ)
    if args.studies is not None:
        environ[STUDIES_ENV] = args.studies
    try:  # once, up front: asv would stop every module's run with the same line
        suite = SuiteSettings.from_env(environ)
    except SuiteSettingsError as exc:
        raise CommandError(str(exc)) from None
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=settings.repo, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not commit:
        raise CommandError(f"{settings.repo} is not a git checkout with a commit; asv records results per commit")
    asv_run.stop_orphaned_forkservers(settings.benchmark_dir)  # left by a bench killed outright
    benchmarks = asv_run.plan_suite(settings.benchmark_dir, environ)
    modules = [module for module in suite.modules() if any(b.module == module for b in benchmarks)]
    environments = read_environments(config) if args.matrix else []
    estimate = asv_run.estimate_seconds(
        benchmarks,
        quick=args.quick,
        environments=len(environments) or 1,
        new_environments=len(environments),
    )
    asv = [sys.executable, "-m", "asv"]
    run = [*asv, "run", "--config", str(config), "--show-stderr"]
    if args.matrix:
        run.append(f"{commit}^!")
    else:
        run += ["--environment", "existing:same", "--set-commit-hash", commit]
    if args.quick:
        run.append("--quick")
    # asv finds each environment's interpreter by its name (python3.13) on PATH.
    pythons = sorted({env.python for env in environments})
    summary = asv_run.OutputSummary(len(benchmarks) * (len(environments) or 1), estimate)
    try:
        with interpreters_on_path(pythons, environ) as run_environ:
            _print_bench_plan(suite, benchmarks, environments, args.quick, estimate)
            # --yes takes this machine's details without asking; its questionnaire is shown only on failure.
            _run_quietly([*asv, "machine", "--yes", "--config", str(config)], run_environ)
            failed = asv_run.run_by_module(run, modules, summary, environ=run_environ)
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: the modules that finished are saved in {settings.results_dir}; "
            "`cryoet-zarr-bench publish` shows them",
            file=sys.stderr,
        )
        return 130
    if len(failed) == len(modules):
        raise CommandError(f"asv failed in every module ({', '.join(failed)}): see its output above")
    _publish(config)
    if failed:
        raise CommandError(
            f"benchmarks failed in {', '.join(failed)} (see above); the other results are saved and published"
        )
    return 0


def _print_bench_plan(suite, benchmarks, environments, quick: bool, estimate: float) -> None:
    """What ``bench`` is about to run, and about how long it will take: its first lines."""
    cases = sum(benchmark.cases for benchmark in benchmarks)
    studies = ", ".join(suite.studies) or f"none (add with --studies {','.join(s.name for s in STUDIES)} or all)"
    print(f"bench: {len(benchmarks)} benchmarks ({cases} cases): the core; studies: {studies}", flush=True)
    if environments:
        where = f"{len(environments)} environment(s) of the release matrix (created if missing)"
    else:
        versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
        where = f"this Python environment ({versions})"
    sampling = "one sample per case (--quick)" if quick else "asv's full sampling"
    print(f"bench: {where}, {sampling}; about {asv_run.format_duration(estimate)}", flush=True)


def _survey_rows(table: str | None) -> list[dict]:
    """The rows of a survey table (none without one); an empty or unreadable table is the user's to fix."""
    if table is None:
        return []
    from .survey import SurveyTable

    try:
        rows = SurveyTable(table).rows()
    except ImportError as error:
        raise CommandError(
            f"reading a survey table needs {error.name}: pip install 'cryoet-zarr-bench[survey]'"
        ) from None
    if not rows:
        raise CommandError(f"{table} holds no survey rows; run `cryoet-zarr-bench survey` first")
    return rows


def _rules(args: argparse.Namespace) -> Rules:
    """The answer's rules and sizes, as the options state them."""
    return Rules(
        read_factor=args.read_factor,
        slice_budget_bytes=args.slice_budget_mb * 1e6,
        portal_bytes=args.portal_tb * 1e12,
        dataset_bytes=None if args.dataset_tb is None else args.dataset_tb * 1e12,
    )


def _publish(config: Path, survey_table: str | None = None, rules: Rules | None = None) -> int:
    """The dashboard, made to work offline, with every page of the site written and linked from it, or a line
    saying why a page was not."""
    rows = _survey_rows(survey_table)
    print("publishing the dashboard (asv publish)…", file=sys.stderr, flush=True)
    html_dir = dashboard.publish(config)
    try:
        inputs = SiteInputs(read_config_results(config)[1], survey_rows=rows, rules=rules or Rules())
    except ReportError as error:
        inputs = SiteInputs(None, results_error=str(error))
    for published in publish_site(html_dir, inputs):
        if published.path is None:
            print(f"no {published.page.name} page: {published.reason}", file=sys.stderr)
        else:
            print(f"{published.page.name} page: {published.path}")
    print(f"dashboard: {html_dir / 'index.html'} (open it as a file, offline; or `cryoet-zarr-bench preview`)")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    return _publish(Path(args.config), args.survey, _rules(args))


def cmd_report(args: argparse.Namespace) -> int:
    html_dir, results = read_config_results(Path(args.config))
    answer = build_answer(results, _rules(args), survey_rows=_survey_rows(args.survey), machine=args.machine)
    print(format_answer(answer, args.link_base or (html_dir / "index.html").as_uri()), end="")
    page, linked = ANSWER.publish(answer_page.answer_page(answer), html_dir)
    unlinked = "" if linked else " (no dashboard there yet: `cryoet-zarr-bench publish` links it)"
    print(f"answer page: {page}{unlinked}", file=sys.stderr)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    server = dashboard.preview_server(AsvConfig.read(args.config).html_dir, args.port)
    host, port = server.server_address[:2]
    print(f"serving the dashboard at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
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


def _survey_modules():
    try:
        from . import survey
        from .report.survey import page
        from .survey import run
    except ImportError as error:
        raise CommandError(f"the survey needs {error.name}: pip install 'cryoet-zarr-bench[survey]'") from None
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
        where = f"on {args.scheduler}" if args.scheduler else f"on a local cluster of {args.workers} worker(s)"
        print(
            f"survey: {len(tasks)} rows ({len(sources)} volumes x {len(codecs)} codecs) into {table.path}, {where}",
            file=sys.stderr,
        )
        with client_context as client:
            outcome = run.run_survey(tasks, table, client, on_row=run.print_progress())
        print(f"{outcome.written} row(s) written, {outcome.already_done} already in the table", file=sys.stderr)
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
        note = "" if linked else " (no dashboard there yet: `cryoet-zarr-bench publish --survey TABLE` links it)"
        print(f"survey page: {index}{note}")
    if failed:
        raise CommandError(
            f"{len(failed)} task(s) failed (listed above); the table keeps the other rows: run the same "
            "survey again to retry the failed ones"
        )
    return 0


def cmd_matrix(args: argparse.Namespace) -> int:
    config = AsvConfig.read(args.config).path
    pip_options = [
        *(["--index-url", args.index_url] if args.index_url else []),
        *(option for url in args.extra_index_url for option in ("--extra-index-url", url)),
        *(option for place in args.find_links for option in ("--find-links", place)),
        *(["--no-index"] if args.no_index else []),
    ]
    if not args.refresh:
        matrix = read_environments(config)
    else:
        result = refresh(config, pip_options)
        matrix = result.environments
        for change in result.changes:
            print(f"{change.library} {change.old} -> {change.new} ({change.environments} environment(s))")
        if result.changes:
            print(f"rewrote the pins in {config}")
        else:
            print("every pin is at the latest patch of its minor line; nothing to change")
        for line in result.new_lines:
            print(
                f"note: {line.library} {line.latest} starts a minor line newer than any in the matrix; "
                f"add environments for it to {config.name} by hand"
            )
    print(format_matrix(matrix))
    for python in sorted({env.python for env in matrix}):
        print(f"python{python}: {find_python(python) or how_to_get(python)}")
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


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="asv.conf.json", help="asv configuration (default: asv.conf.json)")


def _add_array_options(parser: argparse.ArgumentParser) -> None:
    """The codecs, chunk shape and Zarr format every written array takes (quick, survey)."""
    parser.add_argument(
        "--codecs",
        default="baseline",
        help=f"a codec set ({', '.join(CODEC_SETS)}) or comma-separated codec names such as "
        "blosc-zstd-5-shuffle,zstd-5 (default: baseline)",
    )
    parser.add_argument(
        "--chunks", type=_chunk_shape, default=(64, 64, 64), help="chunk shape: 64 or 32x128x128 (default 64)"
    )
    parser.add_argument("--zarr-format", type=int, choices=(2, 3), default=3, help="Zarr format (default 3)")


def _add_answer_options(parser: argparse.ArgumentParser) -> None:
    """The answer's stated rules and the sizes it is extrapolated to (report, publish)."""
    defaults = Rules()
    parser.add_argument(
        "--read-factor",
        type=_at_least_one,
        default=defaults.read_factor,
        help="archive: a setting qualifies when its warm read takes at most this many times the fastest "
        f"(default {defaults.read_factor:g})",
    )
    parser.add_argument(
        "--slice-budget-mb",
        type=_positive_number,
        default=defaults.slice_budget_bytes / 1e6,
        help="viewing: a codec and layout qualify when an XY slice over S3 transfers at most this many MB "
        f"(default {defaults.slice_budget_bytes / 1e6:g})",
    )
    parser.add_argument(
        "--portal-tb",
        type=_positive_number,
        default=defaults.portal_bytes / 1e12,
        help="the portal's raw size in TB to extrapolate to "
        f"(default: an assumed {defaults.portal_bytes / 1e12:g})",
    )
    parser.add_argument(
        "--dataset-tb",
        type=_positive_number,
        help="the dataset's raw size in TB (default: the survey's whole tomograms)",
    )
    parser.add_argument("--survey", metavar="TABLE", help="a survey table: the spread across tomograms")


def _package_version() -> str:
    """This package's version, with the zarr and numcodecs releases it would benchmark."""
    versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
    try:
        package = importlib.metadata.version("cryoet-zarr-bench")
    except importlib.metadata.PackageNotFoundError:
        package = "(not installed: run `pip install -e .`)"
    return f"{package} ({versions})"


def _add_no_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read the source itself, neither reading nor writing the volume cache (e.g. a read-only cache)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryoet-zarr-bench",
        description="Benchmark Zarr codecs on CryoET tomograms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    quick = commands.add_parser(
        "quick",
        help="write/read times, ratios and fidelity for a few codecs, without asv",
        description="Write a volume with each codec, read it back, and print times, sizes and the round-trip check.",
    )
    quick.add_argument(
        "--source",
        default="synthetic",
        help="volume to benchmark (default: the synthetic 128^3 volume; see the README for the source syntax)",
    )
    quick.add_argument(
        "--size",
        type=_positive,
        help="edge N of an N^3 volume: the synthetic volume's size, or a centred crop of any other source",
    )
    _add_array_options(quick)
    quick.add_argument("--repeats", type=_positive, default=5, help="timed repeats; the median is shown (default 5)")
    quick.add_argument("--memory", action="store_true", help="use an in-memory store instead of a temporary directory")
    quick.add_argument(
        "--threads",
        type=_threads,
        default=1,
        help="threads a read or write may use, N or 'all' (every core), given to Blosc and to zarr 3's chunk "
        "concurrency alike (default 1)",
    )
    quick.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    _add_no_cache_option(quick)
    quick.set_defaults(run=cmd_quick)

    fetch = commands.add_parser(
        "fetch",
        help="acquire a volume into the cache and say what was stored",
        description="Read a source once (the portal, a URL, an MRC file) into the on-disk cache, so that asv "
        "environments read it with numpy alone. The cache is under $CRYOET_ZARR_BENCH_CACHE, else "
        "$XDG_CACHE_HOME/cryoet-zarr-bench or ~/.cache/cryoet-zarr-bench.",
    )
    fetch.add_argument("source", help="e.g. portal:10445/TS_100_3 or path/to/tomo.mrc (see the README)")
    _add_no_cache_option(fetch)
    fetch.set_defaults(run=cmd_fetch)

    bench = commands.add_parser(
        "bench",
        help="run the asv suite and publish the offline dashboard",
        description="Run the asv benchmarks for the current commit and publish a dashboard that needs no network. "
        "By default the suite runs once in the current Python environment; --matrix runs it in every "
        "zarr/numcodecs environment of asv.conf.json.",
    )
    bench.add_argument("--matrix", action="store_true", help="run every environment of the release matrix")
    bench.add_argument("--quick", action="store_true", help="one sample per benchmark (a smoke run)")
    bench.add_argument(
        "--studies",
        metavar="NAMES",
        help="opt-in studies to run beside the core, comma-separated: "
        f"{', '.join(study.name for study in STUDIES)}, or all (sets CRYOET_ZARR_BENCH_STUDIES; default: that "
        "variable, else none)",
    )
    _add_config_option(bench)
    bench.set_defaults(run=cmd_bench)

    publish = commands.add_parser(
        "publish",
        help="publish the asv results as a dashboard that works offline",
        description="Run `asv publish`, rewrite the pages to use vendored copies of their JavaScript libraries, "
        "and write the pages beside it, each linked from its navigation bar: the answer (first), by release, "
        "engines, layout, the codec study and, with --survey, the survey. A page whose results are missing "
        "is left out with one line saying what to run.",
    )
    _add_config_option(publish)
    _add_answer_options(publish)
    publish.set_defaults(run=cmd_publish)

    report = commands.add_parser(
        "report",
        help="the answer per use case (archive, viewing over S3, processing, lossy archive) as Markdown",
        description="Apply each use case's stated rule to the recorded asv results and print the answer as "
        "Markdown: the winner and runner-up with their numbers (each a link to its dashboard graph), the "
        "releases measured, the spread across tomograms (--survey) and storage and egress extrapolated, with "
        "every assumption. Also writes <html_dir>/answer/index.html, the dashboard's front page.",
    )
    _add_config_option(report)
    _add_answer_options(report)
    report.add_argument("--machine", help="whose results to use (needed when there are several machines)")
    report.add_argument(
        "--link-base",
        metavar="URL",
        help="the dashboard's index.html the links point into (default: the local html directory's, as a "
        "file:// address), e.g. https://example.org/cryoet-zarr-bench/index.html",
    )
    report.set_defaults(run=cmd_report)

    preview = commands.add_parser(
        "preview",
        help="serve the published dashboard on 127.0.0.1 (opening index.html as a file works too)",
        description="Serve the html directory of the published dashboard on 127.0.0.1 and print its address, "
        "like `asv preview`.",
    )
    _add_config_option(preview)
    preview.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default 8080)"
    )
    preview.set_defaults(run=cmd_preview)

    versions = commands.add_parser(
        "versions",
        help="the asv results by Python/zarr/numcodecs release, and one environment against another",
        description="Read asv's results directory and show, for one machine and commit, each benchmark by "
        "Python/zarr/numcodecs release, flag chunk bytes that changed between releases (each change named "
        "by the one library whose release differs), and compare two environments. Writes "
        "<html_dir>/by-release/index.html, linked from the published dashboard.",
    )
    _add_config_option(versions)
    versions.add_argument("--machine", help="whose results to show (needed when there are several machines)")
    versions.add_argument(
        "--commit", help="commit hash or prefix (default: the one with results in the most environments)"
    )
    versions.add_argument(
        "--baseline",
        help="environment to compare against: words found in its name or release label and no other's, "
        "e.g. zarr2.18.7 or 'py3.13 zarr3.1.6' (default: the oldest release)",
    )
    versions.add_argument("--contender", help="environment compared with the baseline (default: the newest release)")
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
    survey = commands.add_parser(
        "survey",
        help="measure codecs over many tomograms on Dask; results in a Parquet table",
        description="Run one task per volume and codec on a dask.distributed cluster (a local one by default), "
        "append each row to a Parquet table as it finishes (a rerun resumes: finished rows are skipped), and "
        "summarise each codec's ratio across the volumes: mean, spread, 95%% confidence interval, outliers, "
        "and the saving against the portal's blosc-lz4-5-shuffle extrapolated to the surveyed tomograms.",
    )
    survey.add_argument(
        "inputs",
        nargs="*",
        help="sources (synthetic?seed=3, portal:10445/TS_100_3, tomo.mrc), portal:DATASET (every run; add "
        "?processing=raw&crop=centre:128 to apply to each) or a folder of .mrc/.npy/.zarr tomograms",
    )
    _add_array_options(survey)
    survey.add_argument("--threads", type=_threads, default=1, help="threads per task (N or all; default 1)")
    survey.add_argument("--repeats", type=_positive, default=3, help="timed repeats per row; median (default 3)")
    survey.add_argument("--table", default="survey.parquet", help="the Parquet table directory (default survey.parquet)")
    where = survey.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=2, help="workers of the local cluster (default 2)")
    where.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    survey.add_argument("--summary-only", action="store_true", help="summarise the table; run nothing")
    survey.add_argument(
        "--portal-tb", type=_terabytes, help="the portal's raw size in TB, to extrapolate the saving to it"
    )
    survey.add_argument(
        "--publish", action="store_true", help="write the survey page beside the dashboard (<html_dir>/survey/)"
    )
    _add_config_option(survey)
    survey.set_defaults(run=cmd_survey)


    matrix = commands.add_parser(
        "matrix",
        help="the release matrix: Python, zarr, numcodecs and numpy of every asv environment",
        description="Show the environments of asv.conf.json's release matrix. With --refresh, ask the package "
        "index (pip, run for each Python of the matrix, with pip's own configuration) for the latest patch of "
        "every pinned minor line, check that every environment's new pins install together, and only then "
        "rewrite the pins in the file, keeping its comments.",
    )
    _add_config_option(matrix)
    matrix.add_argument("--refresh", action="store_true", help="move every pin to the latest patch of its line")
    matrix.add_argument("--index-url", help="passed to pip: the package index to ask")
    matrix.add_argument("--extra-index-url", action="append", default=[], help="passed to pip (repeatable)")
    matrix.add_argument("--find-links", action="append", default=[], help="passed to pip (repeatable)")
    matrix.add_argument("--no-index", action="store_true", help="passed to pip: only --find-links")
    matrix.set_defaults(run=cmd_matrix)

    study_command = commands.add_parser(
        "study",
        help="the codec study from recorded asv results: lossy settings against the noise and R(D)",
        description="Read the asv results of the codec study (CRYOET_ZARR_BENCH_STUDIES=codec "
        "cryoet-zarr-bench bench), print each lossy family's highest-ratio safe setting and every setting, "
        "and write <html_dir>/study/index.html, linked from the dashboard.",
    )
    _add_config_option(study_command)
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
    return parser


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, a job scheduler) stops a run as Ctrl-C does, so its temporary files are removed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous_handler = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    try:
        return args.run(args)
    except UserError as exc:
        print(f"cryoet-zarr-bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cryoet-zarr-bench: interrupted; temporary files removed", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)


if __name__ == "__main__":
    sys.exit(main())
