"""``bench``, ``publish`` and ``preview``: the asv suite run, and the offline dashboard it publishes with
every page of the site beside it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .. import _compat, asv_run, dashboard
from ..asv_config import AsvConfig
from ..interpreters import interpreters_on_path
from ..matrix import read_environments
from ..report.answer.rules import Rules
from ..report.publishing import read_config_results
from ..report.runs import ReportError
from ..report.site import SiteInputs, publish_site
from ..suite import STUDIES, STUDIES_ENV, SuiteSettings, SuiteSettingsError
from .options import CommandError, _port, add_answer_options, add_config_option, answer_rules
from .survey import survey_rows

__all__ = ["add_bench", "add_preview", "add_publish", "cmd_bench", "cmd_preview", "cmd_publish"]


def _run_quietly(command: list[str], environ: dict[str, str] | None = None) -> None:
    """Run `command`, showing its output only if it fails."""
    result = subprocess.run(command, env=environ, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CommandError(
            f"`{' '.join(command)}` failed with exit status {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
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
        raise CommandError(
            f"{settings.repo} is not a git checkout with a commit; asv records results per commit"
        )
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
    studies = (
        ", ".join(suite.studies) or f"none (add with --studies {','.join(s.name for s in STUDIES)} or all)"
    )
    print(f"bench: {len(benchmarks)} benchmarks ({cases} cases): the core; studies: {studies}", flush=True)
    if environments:
        where = f"{len(environments)} environment(s) of the release matrix (created if missing)"
    else:
        versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
        where = f"this Python environment ({versions})"
    sampling = "one sample per case (--quick)" if quick else "asv's full sampling"
    print(f"bench: {where}, {sampling}; about {asv_run.format_duration(estimate)}", flush=True)


def _publish(config: Path, survey_table: str | None = None, rules: Rules | None = None) -> int:
    """The dashboard, made to work offline, with every page of the site written and linked from it, or a line
    saying why a page was not."""
    rows = survey_rows(survey_table)
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
    print(
        f"dashboard: {html_dir / 'index.html'} (open it as a file, offline; or `cryoet-zarr-bench preview`)"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    return _publish(Path(args.config), args.survey, answer_rules(args))


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


def add_bench(commands: argparse._SubParsersAction) -> None:
    """The ``bench`` command and its options."""
    bench = commands.add_parser(
        "bench",
        help="run the asv suite and publish the offline dashboard",
        description="Run the asv benchmarks for the current commit and publish a dashboard that needs no "
        "network. By default the suite runs once in the current Python environment; --matrix runs it in "
        "every zarr/numcodecs environment of asv.conf.json.",
    )
    bench.add_argument("--matrix", action="store_true", help="run every environment of the release matrix")
    bench.add_argument("--quick", action="store_true", help="one sample per benchmark (a smoke run)")
    bench.add_argument(
        "--studies",
        metavar="NAMES",
        help="opt-in studies to run beside the core, comma-separated: "
        f"{', '.join(study.name for study in STUDIES)}, or all (sets CRYOET_ZARR_BENCH_STUDIES; default: "
        "that variable, else none)",
    )
    add_config_option(bench)
    bench.set_defaults(run=cmd_bench)


def add_publish(commands: argparse._SubParsersAction) -> None:
    """The ``publish`` command and its options."""
    publish = commands.add_parser(
        "publish",
        help="publish the asv results as a dashboard that works offline",
        description="Run `asv publish`, rewrite the pages to use vendored copies of their JavaScript "
        "libraries, and write the pages beside it, each linked from its navigation bar: the answer (first), "
        "by release, engines, layout, the codec study and, with --survey, the survey. A page whose results "
        "are missing is left out with one line saying what to run.",
    )
    add_config_option(publish)
    add_answer_options(publish)
    publish.set_defaults(run=cmd_publish)


def add_preview(commands: argparse._SubParsersAction) -> None:
    """The ``preview`` command and its options."""
    preview = commands.add_parser(
        "preview",
        help="serve the published dashboard on 127.0.0.1 (opening index.html as a file works too)",
        description="Serve the html directory of the published dashboard on 127.0.0.1 and print its address, "
        "like `asv preview`.",
    )
    add_config_option(preview)
    preview.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default 8080)"
    )
    preview.set_defaults(run=cmd_preview)
