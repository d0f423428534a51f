"""What the command modules share: the one-line error they raise, the argument types, and the options several
commands take."""

from __future__ import annotations

import argparse

from ..codecs import CODEC_SETS
from ..errors import UserError
from ..report.answer.rules import Rules
from ..runtime import parse_threads
from ..stores import parse_chunks

__all__ = [
    "CommandError",
    "add_answer_options",
    "add_array_options",
    "add_config_option",
    "add_no_cache_option",
    "answer_rules",
    "print_notes",
]


class CommandError(UserError):
    """A problem the user can fix, reported as one line."""


# The argument types: each turns a value it cannot read into one line saying what it accepts (argparse would
# otherwise name the function: "invalid _positive value").
def _chunk_shape(text: str) -> tuple[int, int, int]:
    try:
        return parse_chunks(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(text: str, kind: type, accepts: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{accepts}, got {text!r}") from None


def _positive(text: str) -> int:
    value = _number(text, int, "a whole number of at least 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_number(text: str) -> float:
    value = _number(text, float, "a number greater than 0")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _at_least_one(text: str) -> float:
    value = _number(text, float, "a number of at least 1")
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _threads(text: str) -> int:
    try:
        return parse_threads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    port = _number(text, int, "a port is 0 (any free one) to 65535")
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 (any free one) to 65535, got {port}")
    return port


def _terabytes(text: str) -> float:
    value = _number(text, float, "a size in TB is a positive number")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"a size in TB must be a positive number, got {text!r}")
    return value


def print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"note: {note}")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default="asv.conf.json", help="asv configuration (default: asv.conf.json)"
    )


def add_no_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read the source itself, neither reading nor writing the volume cache (e.g. a read-only cache)",
    )


def add_array_options(parser: argparse.ArgumentParser) -> None:
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


def add_answer_options(parser: argparse.ArgumentParser) -> None:
    """The answer's stated rules and the sizes it is extrapolated to (report, publish)."""
    defaults = Rules()
    parser.add_argument(
        "--read-factor",
        type=_at_least_one,
        default=defaults.read_factor,
        help="archive: a setting qualifies when its full read takes at most this many times the fastest "
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


def answer_rules(args: argparse.Namespace) -> Rules:
    """The answer's rules and sizes, as the options state them."""
    return Rules(
        read_factor=args.read_factor,
        slice_budget_bytes=args.slice_budget_mb * 1e6,
        portal_bytes=args.portal_tb * 1e12,
        dataset_bytes=None if args.dataset_tb is None else args.dataset_tb * 1e12,
    )
