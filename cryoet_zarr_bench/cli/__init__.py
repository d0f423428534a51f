"""The ``cryoet-zarr-bench`` command: the top-level parser and ``main``; each group of commands registers its
subcommands from its own module."""

from __future__ import annotations

import argparse
import importlib.metadata
import signal
import sys
import threading

from .. import _compat
from ..errors import UserError
from . import bench, matrix, pages, survey, volumes

__all__ = ["build_parser", "main"]


def _package_version() -> str:
    """This package's version, with the zarr and numcodecs releases it would benchmark."""
    versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
    try:
        package = importlib.metadata.version("cryoet-zarr-bench")
    except importlib.metadata.PackageNotFoundError:
        package = "(not installed: run `pip install -e .`)"
    return f"{package} ({versions})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cryoet-zarr-bench",
        description="Benchmark Zarr codecs on CryoET tomograms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In the order `--help` lists them.
    volumes.add_quick(commands)
    volumes.add_fetch(commands)
    bench.add_bench(commands)
    bench.add_publish(commands)
    pages.add_report(commands)
    bench.add_preview(commands)
    pages.add_versions(commands)
    survey.add_survey(commands)
    matrix.add_matrix(commands)
    pages.add_study(commands)
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
