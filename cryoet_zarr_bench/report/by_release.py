"""The release matrix by zarr/numcodecs release: tables, figures and a page next to the asv dashboard.

asv draws each matrix environment as its own line against this repository's commits, and ``asv compare``
compares commits, not environments.  This module reads asv's results directory and, for one machine and
commit, puts the releases on the x-axis instead:

* for every benchmark parameterised by ``codec``, a table (one row per codec, chunk shape and Zarr format,
  one column per release) and a figure;
* the compression ratios that differ between releases, which a lossless codec with the same settings should
  never do (the stored bytes include metadata documents, whose size differs by some tens of bytes between
  zarr releases; hence a small tolerance);
* an environment-versus-environment table: each value's ratio between two environments at the same commit,
  flagged beyond a factor.

``cryoet-zarr-bench versions`` prints the tables (:func:`format_report`) and writes
``<html_dir>/by-release/index.html`` with one PNG per benchmark (:func:`publish_by_release`), linked from the
dashboard's navigation bar.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import dashboard
from .._atomic import replace_directory
from ..asv_config import AsvConfig
from ..releases import TRACKED, version_number
from .asv_results import Benchmark, Case, EnvironmentRun, Results, ResultsError, read_results
from .tables import format_table

__all__ = [
    "COMPRESSION_RATIO",
    "PAGE_DIR",
    "Comparison",
    "ComparisonRow",
    "RatioChange",
    "Release",
    "ReleaseReport",
    "ReleaseTable",
    "ReportError",
    "build_report",
    "environment_release",
    "format_report",
    "publish_by_release",
    "write_page",
]

#: The benchmark whose changes between releases are flagged as impossible for a lossless codec.
COMPRESSION_RATIO = "compression.Compression.track_compression_ratio"
#: Benchmarks recording the imported releases (``releases.Releases``), as ``version_number`` integers.
RELEASE_BENCHMARKS = {name: f"releases.Releases.track_{name}_release" for name in TRACKED}
#: Sub-directory of the dashboard's html directory that receives the page and its figures.
PAGE_DIR = "by-release"
#: A value at least this many times the other environment's (or at most its inverse) is flagged.
DEFAULT_FACTOR = 1.1
#: Relative change of a compression ratio beyond which it is flagged (metadata sizes differ by ~1e-5).
DEFAULT_RATIO_TOLERANCE = 1e-4

_COMPARISON_HEADER = ("benchmark", "case", "baseline", "contender", "ratio", "flag")
_FLAG_CLASSES = {"higher": "flag-higher", "lower": "flag-lower", "RATIO CHANGED": "flag-ratio"}


class ReportError(RuntimeError):
    """The by-release report cannot be made from the given results or options."""


@dataclass(frozen=True)
class Release:
    """The zarr and numcodecs releases an environment ran."""

    zarr: str
    numcodecs: str

    @property
    def sort_key(self) -> tuple[int, int]:
        return version_number(self.zarr), version_number(self.numcodecs)

    @property
    def label(self) -> str:
        """``zarr 3.1.6 / numcodecs 0.16.6``."""
        return f"zarr {self.zarr} / numcodecs {self.numcodecs}"

    @property
    def short_label(self) -> str:
        """``3.1.6/0.16.6``: zarr, then numcodecs."""
        return f"{self.zarr}/{self.numcodecs}"


@dataclass(frozen=True)
class ReleaseTable:
    """One benchmark's values, one column per release."""

    benchmark: Benchmark
    releases: list[Release]
    rows: dict[Case, list[float | None]]
    """One value per release, in the order of ``releases``; NaN where skipped, None where failed."""


@dataclass(frozen=True)
class RatioChange:
    """A compression ratio that differs between two consecutive releases."""

    case: Case
    before: Release
    after: Release
    before_value: float
    after_value: float

    @property
    def relative_change(self) -> float:
        return self.after_value / self.before_value - 1


@dataclass(frozen=True)
class ComparisonRow:
    """One case in two environments."""

    case: Case
    baseline: float | None
    contender: float | None
    flag: str
    """``""``, ``"higher"``, ``"lower"`` or, for a compression ratio, ``"RATIO CHANGED"``."""

    @property
    def ratio(self) -> float | None:
        """Contender over baseline; None unless both are finite numbers (and the baseline is not 0)."""
        if _is_number(self.baseline) and _is_number(self.contender) and self.baseline != 0:
            return self.contender / self.baseline
        return None


@dataclass(frozen=True)
class Comparison:
    """Every case's value in two environments at the same commit."""

    baseline: EnvironmentRun
    contender: EnvironmentRun
    factor: float
    rows: list[ComparisonRow]


@dataclass(frozen=True)
class ReleaseReport:
    """Everything the by-release views show, for one machine and commit."""

    machine: str
    commit: str
    runs: dict[Release, EnvironmentRun]
    """The environments shown, by release, oldest release first."""
    left_out: list[str]
    """Environments at the commit that are not shown, each with the reason."""
    tables: list[ReleaseTable]
    ratio_tolerance: float
    ratio_changes: list[RatioChange]
    comparison: Comparison | None
    """None when there is a single environment."""


def environment_release(run: EnvironmentRun) -> Release:
    """The zarr and numcodecs releases an environment ran.

    They are the environment's matrix pins; an environment without pins (asv's ``existing``) is identified by
    what its ``releases.Releases`` benchmarks recorded.

    Raises
    ------
    ReportError
        If neither says which release ran, or the recorded release is not the pinned one.
    """
    versions = {}
    for name in TRACKED:
        recorded = run.values.get(Case(RELEASE_BENCHMARKS[name], ()))
        pinned = run.requirements.get(name)
        if pinned is not None and _is_number(recorded) and recorded != version_number(pinned):
            raise ReportError(
                f"{run.path}: environment {run.env_name} pins {name} {pinned} but recorded "
                f"{_release_text(int(recorded))}; its results are filed under the wrong release. "
                "Remove the environment and rerun asv."
            )
        if pinned is not None:
            versions[name] = pinned
        elif _is_number(recorded):
            versions[name] = _release_text(int(recorded))
        else:
            raise ReportError(
                f"{run.path}: environment {run.env_name} neither pins {name} nor has a result for "
                f"{RELEASE_BENCHMARKS[name]}, so its {name} release is unknown."
            )
    return Release(**versions)


def build_report(
    results: Results,
    *,
    machine: str | None = None,
    commit: str | None = None,
    baseline: str | None = None,
    contender: str | None = None,
    factor: float = DEFAULT_FACTOR,
    ratio_tolerance: float = DEFAULT_RATIO_TOLERANCE,
) -> ReleaseReport:
    """Arrange asv results by release.

    Parameters
    ----------
    results : Results
        What :func:`~cryoet_zarr_bench.report.asv_results.read_results` read.
    machine : str, optional
        The machine whose results to show; needed only when there are several.
    commit : str, optional
        A commit hash or a prefix of one; by default the commit with results in the most environments
        (the latest of those, on a tie).
    baseline, contender : str, optional
        The environments to compare: a name or a part of one that matches a single environment, such as
        ``zarr2.18.7``.  By default the oldest and the newest release.
    factor : float
        Flag a value that is at least `factor` times the baseline's, or at most its inverse.
    ratio_tolerance : float
        Flag a compression ratio whose relative change exceeds this.

    Raises
    ------
    ReportError
        If the machine, commit or an environment is ambiguous or absent, or two pinned environments ran the
        same releases.
    """
    if factor <= 1:
        raise ReportError(f"the comparison factor must be greater than 1, got {factor}")
    if ratio_tolerance < 0:
        raise ReportError(f"the ratio tolerance must not be negative, got {ratio_tolerance}")
    machine = _choose_machine(results, machine)
    machine_runs = [run for run in results.runs if run.machine == machine]
    commit = _choose_commit(machine_runs, commit)
    runs, left_out = _runs_by_release(run for run in machine_runs if run.commit == commit)

    benchmarks = [results.benchmarks[name] for name in _codec_benchmarks(results, runs.values())]
    tables = [_release_table(benchmark, runs) for benchmark in benchmarks]
    ratio_changes = [
        change
        for table in tables
        if table.benchmark.name == COMPRESSION_RATIO
        for change in _ratio_changes(table, ratio_tolerance)
    ]
    comparison = None
    if len(runs) > 1:
        ordered = list(runs.values())
        comparison = _compare(
            _choose_environment(ordered, baseline, default=ordered[0], role="baseline"),
            _choose_environment(ordered, contender, default=ordered[-1], role="contender"),
            benchmarks,
            factor=factor,
            ratio_tolerance=ratio_tolerance,
        )
    return ReleaseReport(
        machine=machine,
        commit=commit,
        runs=runs,
        left_out=left_out,
        tables=tables,
        ratio_tolerance=ratio_tolerance,
        ratio_changes=ratio_changes,
        comparison=comparison,
    )


def format_report(report: ReleaseReport) -> str:
    """The report as plain text for the terminal."""
    lines = [f"machine {report.machine}, commit {report.commit[:8]}; environments by release:"]
    lines += [f"  {release.short_label:<16} {run.env_name}" for release, run in report.runs.items()]
    lines += [f"  left out: {reason}" for reason in report.left_out]
    lines += ["", "columns are zarr/numcodecs releases; - = skipped, FAILED = no result", ""]
    if report.ratio_changes:
        lines += [
            (f"!!! {len(report.ratio_changes)} COMPRESSION RATIO(S) CHANGED BETWEEN RELEASES "
            f"(relative change > {report.ratio_tolerance:g}); a lossless codec with the same settings "
            "should write the same bytes:"),
            *(f"!!!   {_describe_change(change)}" for change in report.ratio_changes),
            "",
        ]
    for table in report.tables:
        header = [*table.benchmark.param_names, *(release.short_label for release in table.releases)]
        rows = [texts + numbers for texts, numbers in _release_table_cells(table)]
        lines += [
            f"{table.benchmark.name} ({_display_unit(table.benchmark)})",
            format_table(header, rows),
            "",
        ]
    if report.comparison is not None:
        comparison = report.comparison
        lines += [
            (f"{comparison.contender.env_name} / {comparison.baseline.env_name} at the same commit "
            f"(flagged beyond x{comparison.factor:g}):"),
            format_table(
                _COMPARISON_HEADER,
                [texts + numbers for texts, numbers in _comparison_cells(report)],
            ),
        ]
    return "\n".join(lines).rstrip() + "\n"


def write_page(report: ReleaseReport, html_dir: Path) -> Path:
    """Write the report as ``<html_dir>/by-release/index.html`` with one PNG per benchmark.

    The directory is built next to its final place and then swapped in, so a reader never sees a half-written
    report.  The page loads nothing but its own figures.

    Returns
    -------
    Path
        The page.
    """
    html_dir = Path(html_dir)
    html_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=html_dir, prefix=f".{PAGE_DIR}-"))
    try:
        figures = {}
        for table in report.tables:
            figures[table.benchmark.name] = f"{table.benchmark.name}.png"
            _plot(table, report, staging / figures[table.benchmark.name])
        (staging / "index.html").write_text(_page_html(report, figures), encoding="utf-8")
        os.chmod(staging, 0o755)
        replace_directory(staging, html_dir / PAGE_DIR)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return html_dir / PAGE_DIR / "index.html"


def publish_by_release(config: Path, **options) -> tuple[ReleaseReport, Path, bool]:
    """Build the report from the results of an asv configuration and write its page next to the dashboard.

    Parameters
    ----------
    config : Path
        The asv configuration; its ``results_dir`` is read and the page goes to its ``html_dir``.
    **options
        Passed to :func:`build_report` (``machine``, ``commit``, ``baseline`` ...).

    Returns
    -------
    report : ReleaseReport
    page : Path
        ``<html_dir>/by-release/index.html``.
    linked : bool
        Whether the dashboard's navigation bar links the page (False when no dashboard is published).

    Raises
    ------
    ReportError
        If the configuration or the results are missing or unreadable, or :func:`build_report` refuses.
    """
    settings = AsvConfig.read(config)
    html_dir = settings.html_dir
    try:
        results = read_results(settings.results_dir)
    except ResultsError as error:
        raise ReportError(str(error)) from None
    report = build_report(results, **options)
    page = write_page(report, html_dir)
    linked = (html_dir / "index.html").is_file()
    if linked:
        dashboard.add_nav_link(html_dir, f"{PAGE_DIR}/index.html", "By release")
    return report, page, linked


# ----------------------------------------------------------------------------------------------------------
# Choosing what to show


def _choose_machine(results: Results, machine: str | None) -> str:
    machines = sorted({run.machine for run in results.runs})
    if machine is None:
        if len(machines) > 1:
            raise ReportError(
                f"results from several machines ({', '.join(machines)}); choose one with --machine"
            )
        return machines[0]
    if machine not in machines:
        raise ReportError(f"no results from machine {machine!r}; there are: {', '.join(machines)}")
    return machine


def _choose_commit(runs: list[EnvironmentRun], commit: str | None) -> str:
    commits = {run.commit for run in runs}
    if commit is None:
        # Most environments first, then the latest run.
        return max(
            commits,
            key=lambda c: (
                sum(run.commit == c for run in runs),
                max(run.date_ms for run in runs if run.commit == c),
            ),
        )
    matches = sorted(c for c in commits if c.startswith(commit))
    if len(matches) != 1:
        found = "no commit" if not matches else f"{len(matches)} commits"
        raise ReportError(
            f"{found} with results starts with {commit!r}; commits with results: "
            + ", ".join(sorted(c[:8] for c in commits))
        )
    return matches[0]


def _runs_by_release(runs: Iterable[EnvironmentRun]) -> tuple[dict[Release, EnvironmentRun], list[str]]:
    """The runs by release, oldest first; a run without pins gives way to a pinned one of the same release."""
    chosen: dict[Release, EnvironmentRun] = {}
    left_out = []
    for run in sorted(runs, key=lambda run: (not run.requirements, run.env_name)):
        release = environment_release(run)
        if release not in chosen:
            chosen[release] = run
        elif run.requirements:
            raise ReportError(
                f"environments {chosen[release].env_name} and {run.env_name} both pin {release.label}; "
                "the by-release view needs one environment per release"
            )
        else:
            left_out.append(f"{run.env_name} (same releases as {chosen[release].env_name})")
    return dict(sorted(chosen.items(), key=lambda item: item[0].sort_key)), left_out


def _choose_environment(
    runs: list[EnvironmentRun], name: str | None, *, default: EnvironmentRun, role: str
) -> EnvironmentRun:
    if name is None:
        return default
    exact = [run for run in runs if run.env_name == name]
    matches = exact or [run for run in runs if name in run.env_name]
    if len(matches) != 1:
        found = "no environment" if not matches else "several environments"
        raise ReportError(
            f"{found} match the {role} {name!r}; environments: {', '.join(run.env_name for run in runs)}"
        )
    return matches[0]


def _codec_benchmarks(results: Results, runs: Iterable[EnvironmentRun]) -> list[str]:
    """Benchmarks parameterised by codec that have results, the compression ratio first."""
    with_results = {case.benchmark for run in runs for case in run.values}
    names = [
        name
        for name, benchmark in results.benchmarks.items()
        if "codec" in benchmark.param_names and name in with_results
    ]
    return sorted(names, key=lambda name: (name != COMPRESSION_RATIO, name))


# ----------------------------------------------------------------------------------------------------------
# Tables and comparisons


def _release_table(benchmark: Benchmark, runs: dict[Release, EnvironmentRun]) -> ReleaseTable:
    cases = _ordered_cases(run.values for run in runs.values())
    return ReleaseTable(
        benchmark=benchmark,
        releases=list(runs),
        rows={
            case: [run.values.get(case) for run in runs.values()]
            for case in cases
            if case.benchmark == benchmark.name
        },
    )


def _ordered_cases(case_lists: Iterable[Iterable[Case]]) -> list[Case]:
    """Every case once, grouped by the parameters other than codec; codecs in the suite's order."""
    cases = dict.fromkeys(case for cases in case_lists for case in cases)
    return sorted(cases, key=lambda case: [value for name, value in case.params if name != "codec"])


def _ratio_changes(table: ReleaseTable, tolerance: float) -> list[RatioChange]:
    changes = []
    for case, values in table.rows.items():
        measured = [(release, value) for release, value in zip(table.releases, values) if _is_number(value)]
        for (before, before_value), (after, after_value) in itertools.pairwise(measured):
            if _changed(before_value, after_value, tolerance):
                changes.append(RatioChange(case, before, after, before_value, after_value))
    return changes


def _compare(
    baseline: EnvironmentRun,
    contender: EnvironmentRun,
    benchmarks: list[Benchmark],
    *,
    factor: float,
    ratio_tolerance: float,
) -> Comparison:
    names = [benchmark.name for benchmark in benchmarks]
    cases = sorted(
        (case for case in _ordered_cases([baseline.values, contender.values]) if case.benchmark in names),
        key=lambda case: names.index(case.benchmark),
    )
    rows = []
    for case in cases:
        before, after = baseline.values.get(case), contender.values.get(case)
        flag = ""
        if _is_number(before) and _is_number(after):
            if case.benchmark == COMPRESSION_RATIO:
                flag = "RATIO CHANGED" if _changed(before, after, ratio_tolerance) else ""
            elif before > 0 and after >= before * factor:
                flag = "higher"
            elif before > 0 and after <= before / factor:
                flag = "lower"
        rows.append(ComparisonRow(case=case, baseline=before, contender=after, flag=flag))
    return Comparison(baseline=baseline, contender=contender, factor=factor, rows=rows)


def _changed(before: float, after: float, tolerance: float) -> bool:
    return abs(after - before) > tolerance * abs(before)


def _describe_change(change: RatioChange) -> str:
    return (
        f"{change.case.describe()}: {change.before_value:.6f} with {change.before.label} -> "
        f"{change.after_value:.6f} with {change.after.label} ({change.relative_change:+.2%})"
    )


# ----------------------------------------------------------------------------------------------------------
# Values and units


def _is_number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _release_text(number: int) -> str:
    """The inverse of :func:`~cryoet_zarr_bench.releases.version_number`: ``30106`` -> ``"3.1.6"``."""
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def _scale(benchmark: Benchmark) -> tuple[float, str]:
    """The factor to multiply values by for display, and the displayed unit."""
    if benchmark.unit == "seconds":
        return 1e3, "ms"
    if benchmark.unit == "bytes" and benchmark.type != "track":
        return 1e-6, "MB"
    return 1.0, benchmark.unit


def _display_unit(benchmark: Benchmark) -> str:
    return _scale(benchmark)[1]


def _format_value(value: float | None, benchmark: Benchmark) -> str:
    if value is None:
        return "FAILED"
    if math.isnan(value):
        return "-"
    factor, unit = _scale(benchmark)
    if unit == "ratio":
        return f"{value:.6f}"
    if unit == "bytes":
        return f"{value:,.0f}"
    return f"{value * factor:.4g}"


def _release_table_cells(table: ReleaseTable) -> list[tuple[list[str], list[str]]]:
    """Each row of a release table as (parameter values, formatted values)."""
    return [
        ([value for _, value in case.params], [_format_value(value, table.benchmark) for value in values])
        for case, values in table.rows.items()
    ]


def _comparison_cells(report: ReleaseReport) -> list[tuple[list[str], list[str]]]:
    """Each row of the comparison as ([benchmark, case], [baseline, contender, ratio, flag])."""
    benchmarks = {table.benchmark.name: table.benchmark for table in report.tables}
    return [
        (
            [row.case.benchmark, row.case.describe()],
            [
                _format_value(row.baseline, benchmarks[row.case.benchmark]),
                _format_value(row.contender, benchmarks[row.case.benchmark]),
                "-" if row.ratio is None else f"{row.ratio:.3f}",
                row.flag,
            ],
        )
        for row in report.comparison.rows
    ]


# ----------------------------------------------------------------------------------------------------------
# The figure and the page


def _plot(table: ReleaseTable, report: ReleaseReport, path: Path) -> None:
    """One panel per chunk shape and Zarr format, one line per codec, releases on the x-axis.

    Compression ratios that changed from the previous release are ringed in red.
    """
    from matplotlib import rcParams
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    panels: dict[str, list[Case]] = {}
    for case in table.rows:
        panels.setdefault(case.describe(skip=("codec",)), []).append(case)
    codecs = list(dict.fromkeys(case.param("codec") for case in table.rows))
    palette = rcParams["axes.prop_cycle"].by_key()["color"]
    colors = {codec: palette[i % len(palette)] for i, codec in enumerate(codecs)}
    changed = {(change.case, change.after) for change in report.ratio_changes}
    factor, unit = _scale(table.benchmark)
    positions = list(range(len(table.releases)))

    figure = Figure(figsize=(2.5 + 4.2 * len(panels), 4.4), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    for ax, (panel, cases) in zip(axes, panels.items()):
        for case in cases:
            y = [value * factor if _is_number(value) else math.nan for value in table.rows[case]]
            codec = case.param("codec")
            ax.plot(positions, y, marker="o", color=colors[codec], label=codec)
            rings = [i for i, release in enumerate(table.releases) if (case, release) in changed]
            if rings:
                ax.plot(
                    rings,
                    [y[i] for i in rings],
                    linestyle="none",
                    marker="o",
                    markersize=14,
                    markerfacecolor="none",
                    markeredgecolor="red",
                    markeredgewidth=2,
                )
        ax.set_title(panel, fontsize=10)
        ax.set_xticks(
            positions, [f"zarr {r.zarr}\nnumcodecs {r.numcodecs}" for r in table.releases], fontsize=8
        )
        ax.set_xlim(-0.5, len(positions) - 0.5)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(unit)
    handles = {line.get_label(): line for ax in axes for line in ax.get_lines() if line.get_label() in colors}
    figure.legend(
        handles.values(), handles.keys(), loc="outside lower center", ncols=min(len(handles), 4), fontsize=8
    )
    if any(case.benchmark == table.benchmark.name for case, _ in changed):
        figure.suptitle(f"{table.benchmark.name}: ratio changed between releases (red rings)", color="red")
    else:
        figure.suptitle(table.benchmark.name)
    figure.savefig(path, format="png", dpi=100)


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td.number { text-align: right; font-family: monospace; }
.alarm { border: 3px solid #c00; background: #fee; padding: 0.5em 1em; margin: 1em 0; }
.alarm h2 { color: #c00; margin-top: 0.2em; }
.ok { border: 1px solid #3a3; background: #efe; padding: 0.5em 1em; margin: 1em 0; }
tr.flag-higher td { background: #fdd; }
tr.flag-lower td { background: #ddf; }
tr.flag-ratio td { background: #f99; font-weight: bold; }
img { max-width: 100%; }
"""


def _page_html(report: ReleaseReport, figures: dict[str, str]) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>cryoet-zarr-bench: results by release</title>",
        f"<style>{_STYLE}</style></head><body>",
        '<p><a href="../index.html">&larr; asv dashboard</a></p>',
        "<h1>Results by zarr / numcodecs release</h1>",
        f"<p>Machine <b>{esc(report.machine)}</b>, commit <code>{esc(report.commit)}</code>.</p>",
        '<table id="environments"><tr><th>release</th><th>asv environment</th></tr>',
        *(
            f"<tr><td>{esc(release.label)}</td><td>{esc(run.env_name)}</td></tr>"
            for release, run in report.runs.items()
        ),
        "</table>",
        *(f"<p>Left out: {esc(reason)}</p>" for reason in report.left_out),
    ]
    if report.ratio_changes:
        parts += [
            '<div class="alarm" id="ratio-changes">',
            f"<h2>{len(report.ratio_changes)} compression ratio(s) changed between releases</h2>",
            ("<p>A lossless codec with the same settings should write the same bytes in every release "
            f"(relative tolerance {report.ratio_tolerance:g}, for metadata documents).</p><ul>"),
            *(f"<li>{esc(_describe_change(change))}</li>" for change in report.ratio_changes),
            "</ul></div>",
        ]
    else:
        parts.append(
            f'<div class="ok" id="ratio-changes">No compression ratio changed between releases '
            f"(relative tolerance {report.ratio_tolerance:g}).</div>"
        )
    for table in report.tables:
        name = table.benchmark.name
        parts += [
            f'<h2 id="{esc(name)}">{esc(name)} ({esc(_display_unit(table.benchmark))})</h2>',
            f'<img src="{esc(figures[name])}" alt="{esc(name)} by release">',
            _html_table(
                [*table.benchmark.param_names, *(release.label for release in table.releases)],
                _release_table_cells(table),
                table_id=f"table-{name}",
            ),
        ]
    if report.comparison is not None:
        comparison = report.comparison
        parts += [
            '<h2 id="comparison">Environment against environment</h2>',
            (f"<p>Ratio <b>{esc(comparison.contender.env_name)}</b> / "
            f"<b>{esc(comparison.baseline.env_name)}</b> at commit <code>{esc(report.commit[:8])}</code>; "
            f"flagged beyond &times;{comparison.factor:g}.</p>"),
            _html_table(
                _COMPARISON_HEADER,
                _comparison_cells(report),
                table_id="table-comparison",
                row_classes=[_FLAG_CLASSES.get(row.flag, "") for row in comparison.rows],
            ),
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(
    header: Sequence[str],
    rows: list[tuple[list[str], list[str]]],
    *,
    table_id: str,
    row_classes: Sequence[str] = (),
) -> str:
    """An html table of (text cells, number cells) rows, each row with an optional css class."""
    esc = html.escape
    lines = [
        f'<table id="{esc(table_id)}">',
        "<tr>" + "".join(f"<th>{esc(cell)}</th>" for cell in header) + "</tr>",
    ]
    for (texts, numbers), css_class in itertools.zip_longest(rows, row_classes, fillvalue=""):
        cells = [f"<td>{esc(cell)}</td>" for cell in texts] + [
            f'<td class="number">{esc(cell)}</td>' for cell in numbers
        ]
        row_class = f' class="{css_class}"' if css_class else ""
        lines.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------
# Files
