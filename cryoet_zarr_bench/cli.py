"""The ``cryoet-zarr-bench`` command."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from . import _compat, dashboard, fidelity
from .asv_config import AsvConfig, AsvConfigError
from .codecs import CODEC_SETS, CodecCannotExpress, CodecSpecError, CodecUnavailable, codec_set, parse_codec
from .measure import measure_codec
from .report import by_release, study
from .report.asv_results import ResultsError, read_results
from .report.tables import seed_table
from .sources import SourceError, SourceSpec, acquire, describe_cache_entry, parse_source
from .sources.spec import CentreCrop
from .stores import format_chunks, parse_chunks

__all__ = ["main"]


class CommandError(Exception):
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
    volume = acquire(_sized_source(args.source, args.size), progress=not args.json)
    lossy = not all(parse_codec(codec).lossless for codec in codecs)
    noise = fidelity.noise_reference(volume) if lossy else None
    measurements = [
        measure_codec(
            volume,
            codec,
            chunks=args.chunks,
            zarr_format=args.zarr_format,
            repeats=args.repeats,
            in_memory=args.memory,
            blosc_threads=args.blosc_threads,
            noise=noise,
        )
        for codec in codecs
    ]
    context = {
        "source": volume.source,
        "shape": list(volume.shape),
        "dtype": str(volume.dtype),
        "chunks": list(args.chunks),
        "zarr_format": args.zarr_format,
        "store": "memory" if args.memory else "directory",
        "repeats": args.repeats,
        "blosc_threads": args.blosc_threads,
        **_compat.library_versions(),
    }
    if args.json:
        print(json.dumps([{**m.as_row(), **context} for m in measurements], indent=2))
        return 0
    chunks = format_chunks(args.chunks)
    versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
    print(f"source: {volume.describe()}")
    print(
        f"chunks {chunks}, Zarr format {args.zarr_format}, {context['store']} store, "
        f"Blosc threads {args.blosc_threads}; {versions}"
    )
    if volume.dtype != "float32":
        print(f"data benchmarked as stored, in {volume.dtype} (add ?dtype=float32 to the source to convert)")
    if any(c > n for c, n in zip(args.chunks, volume.shape)):
        print(f"note: chunks {chunks} exceed the volume in some axis; zarr pads such chunks to full size")
    if noise is not None:
        print(
            f"lossy codecs: PSNR peak = the volume's max - min; added noise = error variance / noise variance, "
            f"noise σ {noise.sigma:.3g} from {noise.method}"
        )
    print(f"times are the median of {args.repeats} timed run(s) each\n")
    print(seed_table(measurements))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    volume = acquire(args.source, progress=True)
    print(volume.describe())
    print(describe_cache_entry(volume.source) or "read in place; nothing to cache for this kind of source")
    return 0


def _run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise CommandError(f"`{' '.join(command)}` failed with exit status {result.returncode} (see above)")


def cmd_bench(args: argparse.Namespace) -> int:
    settings = AsvConfig.read(args.config)
    config = settings.path
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=settings.repo, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not commit:
        raise CommandError(f"{settings.repo} is not a git checkout with a commit; asv records results per commit")
    asv = [sys.executable, "-m", "asv"]
    _run([*asv, "machine", "--yes", "--config", str(config)])
    run = [*asv, "run", "--config", str(config), "--show-stderr"]
    if args.matrix:
        run.append(f"{commit}^!")
    else:
        run += ["--environment", "existing:same", "--set-commit-hash", commit]
    if args.quick:
        run.append("--quick")
    _run(run)
    return _publish(config)


def _publish(config: Path) -> int:
    """The dashboard, made to work offline, with the by-release page linked from it."""
    html_dir = dashboard.publish(config)
    try:
        _, page, _ = by_release.publish_by_release(config)
        print(f"by-release page: {page}")
    except by_release.ReportError as exc:
        print(f"no by-release page: {exc}", file=sys.stderr)
    print(f"dashboard: {html_dir / 'index.html'} (works offline; or serve it with `asv preview`)")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    return _publish(Path(args.config))


def cmd_versions(args: argparse.Namespace) -> int:
    report, page, linked = by_release.publish_by_release(
        Path(args.config),
        machine=args.machine,
        commit=args.commit,
        baseline=args.baseline,
        contender=args.contender,
        factor=args.factor,
        ratio_tolerance=args.ratio_tolerance,
    )
    print(by_release.format_report(report))
    print(f"by-release page: {page}")
    if not linked:
        print(f"no dashboard in {page.parent.parent} to link it from: run `cryoet-zarr-bench publish` first")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    settings = AsvConfig.read(Path(args.config))
    try:
        results = read_results(settings.results_dir)
    except ResultsError as error:
        raise by_release.ReportError(str(error)) from None
    report = study.build_study(results, environment=args.environment)
    print(study.format_study(report))
    print(f"study page: {study.write_study_page(report, settings.html_dir)}")
    return 0


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="asv.conf.json", help="asv configuration (default: asv.conf.json)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryoet-zarr-bench",
        description="Benchmark Zarr codecs on CryoET tomograms.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    quick = commands.add_parser(
        "quick",
        help="the seed report's table: write/read times and ratios for a few codecs",
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
    quick.add_argument("--chunks", type=_chunk_shape, default=(64, 64, 64), help="chunk shape: 64 or 32x128x128")
    quick.add_argument(
        "--codecs",
        default="seed",
        help=f"a codec set ({', '.join(CODEC_SETS)}) or comma-separated codec names such as "
        "blosc-zstd-5-shuffle,zstd-5 (default: seed)",
    )
    quick.add_argument("--repeats", type=_positive, default=5, help="timed repeats; the median is shown (default 5)")
    quick.add_argument("--zarr-format", type=int, choices=(2, 3), default=3, help="Zarr format (default 3)")
    quick.add_argument("--memory", action="store_true", help="use an in-memory store instead of a temporary directory")
    quick.add_argument("--blosc-threads", type=_positive, default=1, help="Blosc threads (default 1)")
    quick.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    quick.set_defaults(run=cmd_quick)

    fetch = commands.add_parser(
        "fetch",
        help="acquire a volume into the cache and say what was stored",
        description="Read a source once (the portal, a URL, an MRC file) into the on-disk cache, so that asv "
        "environments read it with numpy alone. The cache is under $CRYOET_ZARR_BENCH_CACHE, else "
        "$XDG_CACHE_HOME/cryoet-zarr-bench or ~/.cache/cryoet-zarr-bench.",
    )
    fetch.add_argument("source", help="e.g. portal:10445/TS_100_3 or path/to/tomo.mrc (see the README)")
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
    _add_config_option(bench)
    bench.set_defaults(run=cmd_bench)

    publish = commands.add_parser(
        "publish",
        help="publish the asv results as a dashboard that works offline",
        description="Run `asv publish`, rewrite the pages to use vendored copies of their JavaScript libraries, "
        "and add the by-release page (see the versions command).",
    )
    _add_config_option(publish)
    publish.set_defaults(run=cmd_publish)

    versions = commands.add_parser(
        "versions",
        help="the asv results by zarr/numcodecs release, and one environment against another",
        description="Read asv's results directory and show, for one machine and commit, each benchmark by "
        "zarr/numcodecs release, flag compression ratios that changed between releases, and compare two "
        "environments. Writes <html_dir>/by-release/index.html, linked from the published dashboard.",
    )
    _add_config_option(versions)
    versions.add_argument("--machine", help="whose results to show (needed when there are several machines)")
    versions.add_argument(
        "--commit", help="commit hash or prefix (default: the one with results in the most environments)"
    )
    versions.add_argument(
        "--baseline",
        help="environment to compare against: a unique part of its name, e.g. zarr2.18.7 "
        "(default: the oldest release)",
    )
    versions.add_argument("--contender", help="environment compared with the baseline (default: the newest release)")
    versions.add_argument(
        "--factor",
        type=float,
        default=by_release.DEFAULT_FACTOR,
        help="flag values at least this many times the baseline's or at most its inverse "
        f"(default {by_release.DEFAULT_FACTOR})",
    )
    versions.add_argument(
        "--ratio-tolerance",
        type=float,
        default=by_release.DEFAULT_RATIO_TOLERANCE,
        help="flag compression ratios whose relative change between releases exceeds this "
        f"(default {by_release.DEFAULT_RATIO_TOLERANCE:g})",
    )
    versions.set_defaults(run=cmd_versions)

    study_command = commands.add_parser(
        "study",
        help="the codec study from recorded asv results: lossy settings against the noise and R(D)",
        description="Read the asv results of benchmarks/study.py (run with CRYOET_ZARR_BENCH_CODECS=study), "
        "print each lossy family's highest-ratio safe setting and every setting, and write "
        "<html_dir>/study/index.html.",
    )
    _add_config_option(study_command)
    study_command.add_argument(
        "--environment", help="an environment name or part of one (default: the newest run)"
    )
    study_command.set_defaults(run=cmd_study)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (
        CommandError,
        AsvConfigError,
        CodecSpecError,
        CodecUnavailable,
        CodecCannotExpress,
        SourceError,
        _compat.UnsupportedFormatError,
        dashboard.DashboardError,
        by_release.ReportError,
    ) as exc:
        print(f"cryoet-zarr-bench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
