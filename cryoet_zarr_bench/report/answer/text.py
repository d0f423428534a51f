"""The answer in words: the same lines for the terminal's Markdown and the page, every number a link.

Each helper returns text as parts (plain text, :class:`~..pages.Link`, :class:`~..pages.Strong`), which
:func:`format_answer` writes as Markdown and :mod:`.page` as html, so both say the same.  Links point
at the dashboard (``dashboard``: the address of its ``index.html``) followed by each value's graph fragment.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..pages import Inline, Link, Strong
from ..registry import ACCESS_TIME, READ_TIME
from ..sampling import single_sample_note
from .extrapolation import Scaled
from .model import Answer, UseCaseAnswer
from .rules import ARCHIVE, LOSSY, PROCESSING, VIEWING, Candidate, Choice, Rules, Value

__all__ = [
    "TITLE",
    "extrapolation_table",
    "format_answer",
    "heading",
    "introduction",
    "notes",
    "summary_lines",
    "to_markdown",
]

TITLE = "The answer: which codec for which use, from the recorded results"
#: The timings the answers rank by.
TIMED = (READ_TIME, ACCESS_TIME)
_NAMES = {"zarr_format": "Zarr format"}


def heading(use_case: str, rules: Rules) -> str:
    """The use case and its rule, stated with its numbers."""
    budget = _size(rules.slice_budget_bytes)
    return {
        ARCHIVE: f"Archive: the highest ratio whose full read takes at most {rules.read_factor:g}× the "
        "fastest one",
        VIEWING: f"Viewing over S3: the fastest XY slice (latency added to every request) among codecs and "
        f"layouts transferring at most {budget} per slice",
        PROCESSING: "Processing: the fastest full read",
        LOSSY: "Lossy archive: the highest ratio among the codec study's settings judged safe",
    }[use_case]


def notes(answer: Answer) -> list[str]:
    """What the page says first: single samples, and a single environment (so nothing was compared)."""
    found = []
    single = single_sample_note(answer.runs, TIMED)
    if single:
        found.append(f"Single samples: {single}")
    if len(answer.environments) == 1:
        found.append(
            f"One environment only ({answer.environments[0]}): no comparison across releases was made; "
            "`cryoet-zarr-bench bench --matrix` runs every release."
        )
    return found


def _size(count: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(count) >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} B"


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value >= 1 else f"{value * 1e3:.3g} ms"


def _link(text: str, value: Value, dashboard: str) -> Link:
    return Link(text, dashboard + value.address)


def _setting(candidate: Candidate) -> str:
    """``blosc-zstd-5-shuffle (chunks 64x64x64, Zarr format 3)``."""
    rest = ", ".join(
        f"{_NAMES.get(name, name)} {value}" for name, value in candidate.setting if name != "codec"
    )
    return f"{candidate.codec} ({rest})" if rest else candidate.codec


def _figures(use_case: str, candidate: Candidate, choice: Choice, dashboard: str) -> list[Inline]:
    """The numbers `candidate` is judged by, each linked to its graph."""
    figures = candidate.figures
    shown: list[tuple[str, str, str]] = []  # (label, figure, text)
    if "ratio" in figures:
        shown.append(("ratio", "ratio", f"{figures['ratio'].value:.3f}"))
    if "read" in figures:
        shown.append(("full read", "read", _seconds(figures["read"].value)))
        if choice.raw_bytes:
            shown.append(("throughput", "read", f"{choice.raw_bytes / 1e6 / figures['read'].value:.4g} MB/s"))
    if "slice" in figures:
        shown.append(("XY slice", "slice", _seconds(figures["slice"].value)))
    for label, name, form in (
        ("sent per slice", "slice_bytes", _size),
        ("requests", "requests", "{:.0f}".format),
    ):
        if name in figures:
            shown.append((label, name, form(figures[name].value)))
    if "stored_bytes" in figures:
        shown.append(("stored", "stored_bytes", _size(figures["stored_bytes"].value)))
    if "added_noise" in figures:
        shown.append(
            ("added noise", "added_noise", f"{figures['added_noise'].value:.3g} % of the noise variance")
        )
    parts: list[Inline] = []
    for label, name, text in shown:
        parts += [", " if parts else "", f"{label} ", _link(text, figures[name], dashboard)]
    return parts


def _identity(use_case: str, candidate: Candidate | None) -> str:
    """What the use case recommends: the codec, or the codec and layout for viewing."""
    if candidate is None:
        return "nothing"
    return (
        f"{candidate.codec} in layout {candidate.param('layout')}" if use_case == VIEWING else candidate.codec
    )


def summary_lines(answer: UseCaseAnswer, rules: Rules, dashboard: str) -> list[Sequence[Inline]]:
    """The winner, the runner-up, what the rule measured against, the releases and the spread."""
    if answer.missing is not None:
        return [["Nothing measured for this yet; run: ", Strong(answer.missing)]]
    choice = answer.shown
    use_case = answer.use_case
    lines: list[Sequence[Inline]] = []
    if choice.winner is None:
        lines.append([f"No answer: {choice.reason} ({choice.measured} measured)."])
    else:
        winner = choice.winner
        lines.append([Strong(_setting(winner)), ": ", *_figures(use_case, winner, choice, dashboard), "."])
        other = "layout" if use_case == VIEWING else "codec"
        if choice.runner_up is None:
            lines.append([f"Runner-up: none; no other {other} meets the rule."])
        else:
            runner = choice.runner_up
            figures = _figures(use_case, runner, choice, dashboard)
            lines.append(["Runner-up: ", _setting(runner), ": ", *figures, "."])
    if choice.reference is not None:
        limit = rules.read_factor * choice.reference.value
        fastest = _link(_seconds(choice.reference.value), choice.reference, dashboard)
        lines.append(
            ["The fastest full read measured: ", fastest, f"; the rule allows up to {_seconds(limit)}."]
        )
    lines.append([_releases(answer)])
    if answer.spread is not None:
        s = answer.spread
        std = f"std {s.std_ratio:.3g}, " if s.volumes > 1 else ""
        setting = f"{s.codec}, chunks {s.chunks}, Zarr format {s.zarr_format}"
        across = f"Across {s.volumes} surveyed tomograms ({setting}): ratio mean {s.mean_ratio:.4g}, {std}"
        lines.append([f"{across}min {s.min_ratio:.4g}, max {s.max_ratio:.4g}."])
    return lines


def _releases(answer: UseCaseAnswer) -> str:
    """Where the answer was measured, and whether the other environments at the commit agree."""
    choice = answer.shown
    where = f"Measured on {choice.environment} (machine {answer.machine}, commit {answer.commit[:8]})"
    if not answer.others:
        return where + "."
    mine = _identity(answer.use_case, choice.winner)
    same = [other.environment for other in answer.others if _identity(answer.use_case, other.winner) == mine]
    differ = [
        f"{other.environment}: {_identity(answer.use_case, other.winner)}"
        for other in answer.others
        if _identity(answer.use_case, other.winner) != mine
    ]
    parts = [f"the same in {len(same)} of {len(answer.others)} other environments"]
    if differ:
        parts.append("elsewhere " + "; ".join(differ))
    return f"{where}; {', '.join(parts)}."


def extrapolation_table(
    answer: UseCaseAnswer, rules: Rules, dashboard: str
) -> tuple[list[str], list[tuple[list[Inline], list[Inline]]]]:
    """Storage and egress per scope: the header and (text cells, number cells) rows; empty without figures."""
    if not answer.extrapolations:
        return [], []
    egress = "one XY slice per tomogram" if answer.use_case == VIEWING else "one full download"
    baseline = rules.baseline_codec
    header = [
        "scope",
        "raw",
        "stored",
        f"saved vs {baseline}",
        f"egress, {egress}",
        f"egress saved vs {baseline}",
    ]
    rows = []
    for found in answer.extrapolations:
        rows.append(
            (
                [found.scope.name],
                [
                    _size(found.scope.raw_bytes),
                    _scaled(found.stored, dashboard),
                    _saved(found.stored, found.baseline_stored, dashboard),
                    _scaled(found.egress, dashboard),
                    _saved(found.egress, found.baseline_egress, dashboard),
                ],
            )
        )
    return header, rows


def _scaled(scaled: Scaled, dashboard: str) -> Inline:
    """Scaled bytes, linked to the value they were scaled from."""
    if scaled.bytes is None or scaled.source is None:
        return "n/a"
    return _link(_size(scaled.bytes), scaled.source, dashboard)


def _saved(ours: Scaled, baseline: Scaled, dashboard: str) -> Inline:
    """What the baseline takes beyond ours, linked to the baseline's value (ours is linked beside it)."""
    if ours.bytes is None or baseline.bytes is None or baseline.source is None:
        return "n/a"
    return _link(_size(baseline.bytes - ours.bytes), baseline.source, dashboard)


def to_markdown(text: Inline) -> str:
    """Parts as Markdown: links as ``[text](href)``, bold as ``**text**``."""
    if isinstance(text, str):
        return text
    if isinstance(text, Link):
        return f"[{text.text}]({text.href})"
    if isinstance(text, Strong):
        return f"**{text.text}**"
    return "".join(to_markdown(part) for part in text)


def format_answer(answer: Answer, dashboard: str) -> str:
    """The answer as Markdown; links are `dashboard` (the dashboard's ``index.html``) plus each graph's
    fragment."""
    lines = [f"# {TITLE}", ""]
    lines += [f"> **Note.** {note}\n" for note in notes(answer)]
    lines += [introduction(answer), ""]
    for use_case in answer.use_cases:
        lines += [f"## {heading(use_case.use_case, answer.rules)}", ""]
        lines += [to_markdown(line) + "  " for line in summary_lines(use_case, answer.rules, dashboard)]
        header, rows = extrapolation_table(use_case, answer.rules, dashboard)
        if rows:
            lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += [
                "| " + " | ".join(to_markdown(cell) for cell in [*texts, *cells]) + " |"
                for texts, cells in rows
            ]
        if use_case.assumptions:
            lines += ["", "Assuming:", *(f"- {assumption}" for assumption in use_case.assumptions)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def introduction(answer: Answer) -> str:
    """What the answer is made of and what its links open."""
    survey = f" and a survey of {answer.surveyed} tomograms" if answer.surveyed else ""
    return (
        f"Each answer applies its stated rule to the recorded asv results{survey}; nothing is measured here. "
        "A full read is the whole volume read into numpy from an in-memory store at the suite's thread count "
        "(`write_read.Read.time_read`). Every number links to its graph on the dashboard. Savings are "
        f"against {answer.rules.baseline_codec}, how the portal stores tomograms today."
    )
