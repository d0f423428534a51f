"""``matrix``: the release matrix of asv.conf.json, shown and refreshed against the package index."""

from __future__ import annotations

import argparse

from ..asv_config import AsvConfig
from ..interpreters import find_python, how_to_get
from ..matrix import format_matrix, read_environments, refresh
from .options import add_config_option

__all__ = ["add_matrix", "cmd_matrix"]


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


def add_matrix(commands: argparse._SubParsersAction) -> None:
    """The ``matrix`` command and its options."""
    matrix = commands.add_parser(
        "matrix",
        help="the release matrix: Python, zarr, numcodecs and numpy of every asv environment",
        description="Show the environments of asv.conf.json's release matrix. With --refresh, ask the "
        "package index (pip, run for each Python of the matrix, with pip's own configuration) for the latest "
        "patch of every pinned minor line, check that every environment's new pins install together, and "
        "only then rewrite the pins in the file, keeping its comments.",
    )
    add_config_option(matrix)
    matrix.add_argument(
        "--refresh", action="store_true", help="move every pin to the latest patch of its line"
    )
    matrix.add_argument("--index-url", help="passed to pip: the package index to ask")
    matrix.add_argument("--extra-index-url", action="append", default=[], help="passed to pip (repeatable)")
    matrix.add_argument("--find-links", action="append", default=[], help="passed to pip (repeatable)")
    matrix.add_argument("--no-index", action="store_true", help="passed to pip: only --find-links")
    matrix.set_defaults(run=cmd_matrix)
