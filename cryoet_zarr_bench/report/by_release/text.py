"""The by-release report as text: values in display units, table cells, facts in words, the terminal report.

The cell helpers return ``(text cells, number cells)`` rows, which :func:`format_report` lays out for the
terminal and :mod:`.page` puts in html tables, so both show the same digits.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable

from ..asv_results import Benchmark
from ..registry import CHUNK_BYTES, METADATA_BYTES, STORED_BYTES
from ..runs import LIBRARIES, Release
from ..sampling import single_sample_note
from ..tables import format_table
from .comparison import Comparison
from .facts import Fact
from .model import ReleaseReport
from .table import ReleaseTable

__all__ = [
    "COMPARISON_HEADER",
    "comparison_cells",
    "comparison_summary",
    "describe_fact",
    "describe_skipped",
    "display_scale",
    "format_report",
    "format_value",
    "release_table_cells",
]

COMPARISON_HEADER = ("benchmark", "case", "baseline", "contender", "ratio", "flag")
_QUANTITIES = {CHUNK_BYTES: "chunk bytes", METADATA_BYTES: "metadata bytes", STORED_BYTES: "stored bytes"}
_LIBRARY_NAMES = {"python": "Python", "zarr": "zarr", "numcodecs": "numcodecs"}


def display_scale(benchmark: Benchmark) -> tuple[float, str]:
    """The factor to multiply values by for display, and the displayed unit: seconds as ms, memory as MB."""
    if benchmark.unit == "seconds":
        return 1e3, "ms"
    if benchmark.unit == "bytes" and benchmark.type != "track":
        return 1e-6, "MB"
    return 1.0, benchmark.unit


def format_value(value: float | None, benchmark: Benchmark) -> str:
    """A value in display units; ``FAILED`` where the benchmark failed, ``-`` where it skipped the case."""
    if value is None:
        return "FAILED"
    if math.isnan(value):
        return "-"
    factor, unit = display_scale(benchmark)
    if unit == "ratio":
        return f"{value:.6f}"
    if unit == "bytes":
        return f"{value:,.0f}"
    return f"{value * factor:.4g}"


def release_table_cells(table: ReleaseTable) -> list[tuple[list[str], list[str]]]:
    """Each row of a release table as (parameter values, formatted values)."""
    return [
        ([value for _, value in case.params], [format_value(value, table.benchmark) for value in values])
        for case, values in table.rows.items()
    ]


def comparison_cells(
    comparison: Comparison, benchmarks: dict[str, Benchmark]
) -> list[tuple[list[str], list[str]]]:
    """Each row of the comparison as ([benchmark, case], [baseline, contender, ratio, flag])."""
    return [
        (
            [row.case.benchmark, row.case.describe()],
            [
                format_value(row.baseline, benchmarks[row.case.benchmark]),
                format_value(row.contender, benchmarks[row.case.benchmark]),
                "-" if row.ratio is None else f"{row.ratio:.3f}",
                row.flag,
            ],
        )
        for row in comparison.rows
    ]


def comparison_summary(comparison: Comparison) -> str:
    """Which two environments, and whether one library's release explains their differences."""
    step = comparison.step
    if step.library is not None:
        why = f"they differ in {_LIBRARY_NAMES[step.library]} only"
    else:
        libraries = _listing(step.before.differences(step.after))
        why = f"they differ in {libraries}, so no difference is one library's alone"
    return (
        f"{step.after.label} / {step.before.label} at the same commit, flagged beyond x{comparison.factor:g} "
        f"({why})"
    )


def describe_fact(fact: Fact, *, arrow: str = "->") -> str:
    """One sentence: which library change changed which values, e.g.

    ``numcodecs 0.15.1 -> 0.16.6 changes the chunk bytes of blosc-lz4-5-shuffle, blosc-zstd-5-shuffle at
    chunks=64x64x64, zarr_format=3 (with py3.11 zarr3.0.10; py3.11 zarr3.1.6): -700,500 to -540,000 bytes
    (-8.76% to -7.3%)``
    """
    quantity = _QUANTITIES.get(fact.benchmark, fact.benchmark)
    where = ", ".join(fact.codecs)
    if fact.setting:
        where += " at " + ", ".join(f"{name}={value}" for name, value in fact.setting)
    if fact.library is not None:
        before, after = fact.versions
        contexts = "; ".join(step.before.describe(step.context) for step in fact.steps)
        sentence = (
            f"{_LIBRARY_NAMES[fact.library]} {before} {arrow} {after} changes the {quantity} of {where} "
            f"(with {contexts})"
        )
    else:
        (step,) = fact.steps
        sentence = (
            f"the {quantity} of {where} differ between {step.before.label} and {step.after.label}, which "
            f"differ in {_listing(step.before.differences(step.after))}; no pair of environments that differ "
            "in one library isolates the change"
        )
    return f"{sentence}: {_spread(fact)}"


def describe_skipped(names: Iterable[str]) -> str:
    """Benchmarks by their class: ``study.LossyFidelity (13 benchmarks), write_read.Read.time_read``."""
    classes: dict[str, list[str]] = {}
    for name in names:
        classes.setdefault(name.rsplit(".", 1)[0], []).append(name)
    return ", ".join(
        members[0] if len(members) == 1 else f"{group} ({len(members)} benchmarks)"
        for group, members in classes.items()
    )


def _spread(fact: Fact) -> str:
    """How much the values changed: ``-700,500 to -540,000 bytes (-8.76% to -7.3%)`` (facts count bytes)."""
    differences = _range(
        [change.after_value - change.before_value for change in fact.changes], lambda value: f"{value:+,.0f}"
    )
    relative = _range(
        [change.relative_change * 100 for change in fact.changes], lambda value: f"{value:+.3g}%"
    )
    return f"{differences} bytes ({relative})"


def _range(values: list[float], formatted: Callable[[float], str]) -> str:
    """``low to high``, or one value when both read the same."""
    low, high = formatted(min(values)), formatted(max(values))
    return low if low == high else f"{low} to {high}"


def _listing(libraries: Iterable[str]) -> str:
    """``Python, zarr and numcodecs``."""
    *rest, last = (_LIBRARY_NAMES[name] for name in libraries)
    return f"{', '.join(rest)} and {last}" if rest else last


def format_report(report: ReleaseReport) -> str:
    """The report as plain text for the terminal."""
    lines = [f"machine {report.machine}, commit {report.commit[:8]}; environments by release:"]
    width = max(len(release.label) for release in report.runs)
    lines += [f"  {release.label:<{width}}  {run.env_name}" for release, run in report.runs.items()]
    lines += [f"  left out: {reason}" for reason in report.left_out]
    if report.single_environment:
        lines += ["", "one environment only: no comparison was made (run the release matrix to compare)"]
    note = single_sample_note(report.runs.values(), {table.benchmark.name for table in report.tables})
    if note:
        lines += ["", textwrap.fill(note, width=110)]
    if not report.single_environment:
        lines += ["", *_alarm_lines(report)]
    if report.skipped:
        skipped = f"not shown, skipped in every case by every environment: {describe_skipped(report.skipped)}"
        lines += ["", textwrap.fill(skipped, width=110, subsequent_indent="  ")]
    lines += ["", "columns are python/zarr/numcodecs releases; - = skipped, FAILED = no result", ""]
    for table in report.tables:
        header = [*table.benchmark.param_names, *map(_column_label, table.releases)]
        rows = [texts + numbers for texts, numbers in release_table_cells(table)]
        lines += [
            f"{table.benchmark.name} ({display_scale(table.benchmark)[1]})",
            format_table(header, rows),
            "",
        ]
    if report.comparison is not None:
        benchmarks = {table.benchmark.name: table.benchmark for table in report.tables}
        lines += [
            comparison_summary(report.comparison) + ":",
            format_table(
                COMPARISON_HEADER,
                [texts + numbers for texts, numbers in comparison_cells(report.comparison, benchmarks)],
            ),
        ]
    return "\n".join(lines).rstrip() + "\n"


def _alarm_lines(report: ReleaseReport) -> list[str]:
    if not report.chunk_bytes_recorded:
        return [f"chunk bytes not judged: the results have no {CHUNK_BYTES}"]
    if report.chunk_facts:
        lines = [
            (
                f"!!! CHUNK BYTES CHANGED BETWEEN RELEASES ({len(report.chunk_facts)} fact(s)); a lossless "
                "codec with the same settings should write the same chunks in every release:"
            ),
            *(f"!!!   {describe_fact(fact)}" for fact in report.chunk_facts),
        ]
    else:
        lines = ["chunk bytes: the same in every release for every codec setting"]
    if report.metadata_facts:
        lines += [
            "metadata only (chunk bytes equal; listed, not an alarm):",
            *(f"  {describe_fact(fact)}" for fact in report.metadata_facts),
        ]
    return lines


def _column_label(release: Release) -> str:
    """``3.11/3.1.6/0.16.6``: Python, zarr, numcodecs."""
    return "/".join(release.version(library) for library in LIBRARIES)
