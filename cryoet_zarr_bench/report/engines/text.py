"""The engines report as text: each engine's cells, its chunk-bytes differences, the terminal report.

The cell helpers return ``(text cells, number cells)`` rows, which :func:`format_engine_report` lays out for
the terminal and :mod:`.page` puts in html tables, so both show the same digits.
"""

from __future__ import annotations

import math
import textwrap

from ..tables import format_table
from .model import BASELINE_ENGINE, ChunkDifference, EngineEnvironment, EngineReport

__all__ = [
    "ENGINE_HEADER",
    "describe_chunk_difference",
    "engine_cells",
    "engine_summary",
    "format_engine_report",
]

ENGINE_HEADER = (
    "codec",
    "chunks",
    "zarr_format",
    "threads",
    "engine",
    "write ms",
    f"/ {BASELINE_ENGINE}",
    "read ms",
    f"/ {BASELINE_ENGINE}",
    "chunk bytes",
    f"- {BASELINE_ENGINE}",
)


def engine_summary(environment: EngineEnvironment) -> str:
    """What the engines table of one environment holds, in a sentence."""
    zarr = f"zarr-python {environment.release.zarr}" if environment.release else BASELINE_ENGINE
    return (
        f"{environment.label} (asv environment {environment.run.env_name}): times in ms; each ratio is the "
        f"engine's time over {zarr}'s in this environment at the same codec, chunks, format and threads; "
        f"chunk bytes are written at one thread and compared with {zarr}'s; n/a = skipped (engine missing, "
        "or it cannot write the codec or format), FAILED = no result"
    )


def engine_cells(environment: EngineEnvironment) -> list[tuple[list[str], list[str]]]:
    """Each engine at each setting as ([codec, chunks, zarr_format, threads, engine], [write ms, ratio, read
    ms, ratio, chunk bytes, difference from zarr-python's]), in the digits of the by-release tables."""
    cells = []
    for table in environment.tables:
        setting = table.setting
        for row in table.rows:
            cells.append(
                (
                    [setting.codec, setting.chunks, setting.zarr_format, setting.threads, row.engine],
                    [
                        _engine_value(row.write, 1e3, ".4g"),
                        _ratio_text(row.write_ratio),
                        _engine_value(row.read, 1e3, ".4g"),
                        _ratio_text(row.read_ratio),
                        _engine_value(row.chunk_bytes),
                        f"{row.chunk_bytes_difference:+,.0f}" if row.chunk_bytes_differ else "",
                    ],
                )
            )
    return cells


def describe_chunk_difference(difference: ChunkDifference) -> str:
    """``tensorstore gzip-5 at chunks=64x64x64, zarr_format=2: 1,000,100 bytes, zarr-python 1,000,000
    (+100, +0.01%)``."""
    change = difference.chunk_bytes - difference.baseline
    relative = f"{change / difference.baseline * 100:+.3g}%" if difference.baseline else "n/a"
    return (
        f"{difference.engine} {difference.codec} at chunks={difference.chunks}, "
        f"zarr_format={difference.zarr_format}: {difference.chunk_bytes:,.0f} bytes, {BASELINE_ENGINE} "
        f"{difference.baseline:,.0f} ({change:+,.0f}, {relative})"
    )


def format_engine_report(report: EngineReport) -> str:
    """The engines report as plain text for the terminal: a table per environment, the chunk differences."""
    lines = [f"engines: machine {report.machine}, commit {report.commit[:8]}", ""]
    for environment in report.environments:
        lines += [
            textwrap.fill(engine_summary(environment) + ":", width=110),
            format_table(
                ENGINE_HEADER,
                [texts + numbers for texts, numbers in engine_cells(environment)],
            ),
        ]
        differences = environment.chunk_differences
        if differences:
            lines.append(f"chunk bytes that differ from {BASELINE_ENGINE}'s (at equal decoded data):")
            lines += [f"  {describe_chunk_difference(difference)}" for difference in differences]
        else:
            lines.append(f"chunk bytes: every engine measured writes {BASELINE_ENGINE}'s")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _engine_value(value: float | None, scale: float = 1.0, digits: str = ",.0f") -> str:
    """`value` times `scale`; ``n/a`` where the engine skipped the case, ``FAILED`` where it failed."""
    if value is None:
        return "FAILED"
    if math.isnan(value):
        return "n/a"
    return format(value * scale, digits)


def _ratio_text(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.3f}"
