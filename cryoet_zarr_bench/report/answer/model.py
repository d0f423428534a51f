"""The answer, per use case, from the recorded asv results alone: which codec (and layout) to choose.

Each use case is a stated rule applied to one machine's results at one commit (:class:`Rules` holds its
numbers):

* **archive**: the highest compression ratio among the lossless settings whose full read takes at most
  ``read_factor`` times the fastest full read measured;
* **viewing** over S3: the lowest XY-slice read time over S3 with 20 ms per request (the layout study's
  ``s3+latency`` store) among the codec and layout pairs whose slice transfers at most ``slice_budget_bytes``;
* **processing**: the fastest full read among the lossless settings;
* **lossy archive**: the highest ratio among the codec study's settings judged safe.

A rule ranks the candidates that meet it, keeping each codec's best setting (each layout's best codec, for
viewing, where the layout is the choice that matters); the first is the winner, the second the runner-up.
It is applied in every environment of the commit: the page shows the newest release's answer and where the
others differ.  Storage and egress are extrapolated to the dataset and to a portal size, every assumption
listed.  Every number carries the address of its graph on the dashboard.

Nothing here formats text: :mod:`.text` and :mod:`.page` do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...codecs import CodecSpecError, parse_codec
from ...survey.summary import CodecSummary, summarise
from ..asv_results import Case, EnvironmentRun, Results
from ..graph_address import result_address
from ..registry import (
    ACCESS_TIME,
    BYTES_TRANSFERRED,
    CHUNK_BYTES,
    COMPRESSION_RATIO,
    LAYOUT_STORED_BYTES,
    READ_TIME,
    REQUESTS,
    RUN_CODEC_STUDY,
    RUN_CORE,
    RUN_LAYOUT_STUDY,
    STUDY_CLASSES,
    study_figure,
)
from ..runs import choose_runs, is_number, release_or_none
from .extrapolation import Extrapolation, assumptions, extrapolate, scopes
from .rules import (
    ARCHIVE,
    LOSSY,
    PROCESSING,
    USE_CASES,
    VIEWING,
    Candidate,
    Choice,
    Rules,
    Value,
    rank,
)

__all__ = ["USE_CASES", "Answer", "UseCaseAnswer", "build_answer"]

#: The store and access pattern of interactive viewing (see ``benchmarks/access.py``).
VIEWING_STORE, VIEWING_PATTERN = "s3+latency", "xy"


@dataclass(frozen=True)
class UseCaseAnswer:
    """One use case: its rule applied in every environment of one commit."""

    use_case: str
    missing: str | None = None
    """The one command to run when the results hold nothing this use case can judge; None otherwise."""
    machine: str = ""
    commit: str = ""
    shown: Choice | None = None
    """The newest release's answer."""
    others: tuple[Choice, ...] = ()
    """The other environments' answers at the same commit."""
    spread: CodecSummary | None = None
    """The winner's ratio across the surveyed tomograms, when a survey measured its codec."""
    extrapolations: tuple[Extrapolation, ...] = ()
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    rules: Rules
    use_cases: tuple[UseCaseAnswer, ...]
    environments: tuple[str, ...]
    """Every environment an answer drew on, by its releases."""
    runs: tuple[EnvironmentRun, ...] = ()
    """The runs the answers were read from (for what their sampling allows,
    :mod:`~cryoet_zarr_bench.report.sampling`)."""
    surveyed: int = 0
    """Tomograms in the survey table given (0: none)."""


def build_answer(
    results: Results,
    rules: Rules | None = None,
    *,
    survey_rows: Sequence[dict[str, Any]] = (),
    machine: str | None = None,
) -> Answer:
    """Apply every use case's rule to the results (and a survey's rows, for the spread across tomograms).

    Parameters
    ----------
    results : Results
        What :func:`~cryoet_zarr_bench.report.asv_results.read_results` read.
    rules : Rules, optional
        The rules' numbers and the sizes to extrapolate to (by default :class:`Rules`'s).
    survey_rows : sequence of dict
        A survey table's rows (:meth:`~cryoet_zarr_bench.survey.SurveyTable.rows`), if any.
    machine : str, optional
        Needed only when several machines have results.

    Raises
    ------
    ReportError
        If the results come from several machines and `machine` does not choose one.
    """
    rules = Rules() if rules is None else rules
    summaries = summarise(survey_rows) if survey_rows else []
    to = scopes(rules, survey_rows)
    answers, used, runs_read = [], {}, {}
    for use_case, (read, judge, how_to_run) in _USE_CASES.items():
        candidates = {id(run): read(run) for run in results.runs}
        runs = [run for run in results.runs if candidates[id(run)]]
        if not runs:
            answers.append(UseCaseAnswer(use_case, missing=how_to_run))
            continue
        chosen_machine, commit, chosen = choose_runs(results, runs, machine, None)
        choices = [_choose(run, candidates[id(run)], judge, rules) for run in chosen]
        used.update({choice.environment: run for choice, run in zip(choices, chosen)})
        runs_read.update({run.path: run for run in chosen})
        shown = max(choices, key=lambda choice: choice.order)
        spread = _spread(summaries, shown.winner)
        answers.append(
            UseCaseAnswer(
                use_case,
                machine=chosen_machine,
                commit=commit,
                shown=shown,
                others=tuple(choice for choice in choices if choice is not shown),
                spread=spread,
                extrapolations=extrapolate(use_case, shown, to),
                assumptions=assumptions(use_case, shown, to, spread, rules, survey=bool(survey_rows)),
            )
        )
    return Answer(
        rules=rules,
        use_cases=tuple(answers),
        environments=tuple(sorted(used)),
        runs=tuple(runs_read.values()),
        surveyed=len({row["source"] for row in survey_rows}),
    )


# ----------------------------------------------------------------------------------------------------------
# Candidates: what each use case judges, read from one environment's results


def _value(run: EnvironmentRun, case: Case) -> Value | None:
    value = run.values.get(case)
    if not is_number(value):
        return None
    return Value(value, case.benchmark, result_address(run, case), run.sample_counts.get(case))


def _lossless(codec: str) -> bool:
    try:
        return parse_codec(codec).lossless
    except CodecSpecError:  # a noise-tied name such as step-1%+pcodec-8: lossy
        return False


def _measured(figures: dict[str, Value | None]) -> dict[str, Value]:
    return {name: value for name, value in figures.items() if value is not None}


def _reads(run: EnvironmentRun) -> list[Candidate]:
    """Every lossless setting with a measured full read, with its ratio where measured."""
    return [
        Candidate(
            case.params, _measured({"read": read, "ratio": _value(run, Case(COMPRESSION_RATIO, case.params))})
        )
        for case in run.values
        if case.benchmark == READ_TIME
        and _lossless(case.param("codec"))
        and (read := _value(run, case)) is not None
    ]


def _archived(run: EnvironmentRun) -> list[Candidate]:
    """Every lossless setting with both a measured ratio and a measured full read."""
    return [candidate for candidate in _reads(run) if "ratio" in candidate.figures]


def _slices(run: EnvironmentRun) -> list[Candidate]:
    """Every codec and layout whose XY slice over S3 with latency was timed, with its S3 costs."""
    found = []
    for case in run.values:
        if case.benchmark != ACCESS_TIME or dict(case.params).get("store") != VIEWING_STORE:
            continue
        if case.param("pattern") != VIEWING_PATTERN or (timed := _value(run, case)) is None:
            continue
        codec, layout = case.param("codec"), case.param("layout")
        reader = VIEWING_STORE.removesuffix("+latency")
        counted = (("codec", codec), ("layout", layout), ("store", reader), ("pattern", VIEWING_PATTERN))
        figures = {
            "slice": timed,
            "slice_bytes": _value(run, Case(BYTES_TRANSFERRED, counted)),
            "requests": _value(run, Case(REQUESTS, counted)),
            "stored_bytes": _value(run, Case(LAYOUT_STORED_BYTES, (("codec", codec), ("layout", layout)))),
        }
        found.append(Candidate((("codec", codec), ("layout", layout)), _measured(figures)))
    return found


def _lossy(run: EnvironmentRun) -> list[Candidate]:
    """Every codec-study setting with a measured ratio, with its added noise and verdict where recorded."""
    found = []
    for study_class in STUDY_CLASSES:
        ratio_benchmark = study_figure(study_class, "compression_ratio")
        for case in run.values:
            if case.benchmark != ratio_benchmark or (ratio := _value(run, case)) is None:
                continue
            figures = {
                "ratio": ratio,
                "added_noise": _value(run, Case(study_figure(study_class, "added_noise"), case.params)),
                "safe": _value(run, Case(study_figure(study_class, "safe"), case.params)),
            }
            found.append(Candidate(case.params, _measured(figures)))
    return found


# ----------------------------------------------------------------------------------------------------------
# The rules: each returns the ranked candidates that meet it, what it measured against, and why none did


_Judged = tuple[list[Candidate], Value | None, str]


def _judge_archive(candidates: list[Candidate], rules: Rules) -> _Judged:
    fastest = min(candidates, key=lambda c: (c.figure("read"), c.setting)).figures["read"]
    limit = rules.read_factor * fastest.value
    ranked = rank(
        candidates, lambda c: c.figure("read") <= limit, lambda c: (-c.figure("ratio"), c.figure("read"))
    )
    return ranked, fastest, ""


def _judge_processing(candidates: list[Candidate], rules: Rules) -> _Judged:
    return rank(candidates, lambda c: True, lambda c: (c.figure("read"),)), None, ""


def _judge_viewing(candidates: list[Candidate], rules: Rules) -> _Judged:
    def fits(candidate: Candidate) -> bool:
        sent = candidate.figure("slice_bytes")
        return sent is not None and sent <= rules.slice_budget_bytes

    ranked = rank(candidates, fits, lambda c: (c.figure("slice"),), group=lambda c: c.param("layout"))
    reason = f"no codec and layout transfers at most {rules.slice_budget_bytes:,.0f} bytes per XY slice"
    return ranked, None, "" if ranked else reason


def _judge_lossy(candidates: list[Candidate], rules: Rules) -> _Judged:
    ranked = rank(candidates, lambda c: c.figure("safe") == 1, lambda c: (-c.figure("ratio"),))
    if ranked:
        return ranked, None, ""
    if any(candidate.figure("safe") is not None for candidate in candidates):
        return ranked, None, "no setting was judged safe"
    return (
        ranked,
        None,
        "no setting could be judged safe: the volume has no half-volumes for the half-map test (the codec "
        "study page names the highest ratio at most 1% added noise allows)",
    )


_USE_CASES: dict[str, tuple[Callable[[EnvironmentRun], list[Candidate]], Callable[..., _Judged], str]] = {
    ARCHIVE: (_archived, _judge_archive, RUN_CORE),
    VIEWING: (_slices, _judge_viewing, RUN_LAYOUT_STUDY),
    PROCESSING: (_reads, _judge_processing, RUN_CORE),
    LOSSY: (_lossy, _judge_lossy, RUN_CODEC_STUDY),
}


def _choose(
    run: EnvironmentRun, candidates: list[Candidate], judge: Callable[..., _Judged], rules: Rules
) -> Choice:
    release = release_or_none(run)
    ranked, reference, reason = judge(candidates, rules)
    return Choice(
        environment=run.env_name if release is None else release.label,
        release=release,
        order=(
            release is not None,
            release.sort_key if release else (),
            bool(run.requirements),
            run.env_name,
        ),
        winner=ranked[0] if ranked else None,
        runner_up=ranked[1] if len(ranked) > 1 else None,
        measured=len(candidates),
        reference=reference,
        reason=reason,
        raw_bytes=_raw_bytes(run),
        baseline=_baseline(ranked[0] if ranked else None, candidates, run, rules),
    )


def _baseline(
    winner: Candidate | None, candidates: list[Candidate], run: EnvironmentRun, rules: Rules
) -> Candidate | None:
    """The portal's codec at the winner's other settings, for the savings; None where not measured."""
    if winner is None:
        return None
    setting = tuple(
        (name, rules.baseline_codec if name == "codec" else value) for name, value in winner.setting
    )
    measured = next((candidate for candidate in candidates if candidate.setting == setting), None)
    if measured is not None:
        return measured
    ratio = _value(run, Case(COMPRESSION_RATIO, setting))  # a lossy winner: the core's ratio at its setting
    return None if ratio is None else Candidate(setting, {"ratio": ratio})


def _raw_bytes(run: EnvironmentRun) -> float | None:
    """The benchmarked volume's raw bytes: a ratio times the chunk bytes it was computed from."""
    for case, ratio in run.values.items():
        if case.benchmark == COMPRESSION_RATIO and is_number(ratio):
            chunk_bytes = run.values.get(Case(CHUNK_BYTES, case.params))
            if is_number(chunk_bytes):
                return ratio * chunk_bytes
    return None


def _spread(summaries: list[CodecSummary], winner: Candidate | None) -> CodecSummary | None:
    """The survey's summary of the winner's codec, at its chunks and Zarr format if surveyed so."""
    if winner is None:
        return None
    mine = [summary for summary in summaries if summary.codec == winner.codec]
    setting = dict(winner.setting)

    def same(summary: CodecSummary) -> bool:
        return summary.chunks == setting.get("chunks") and str(summary.zarr_format) == setting.get(
            "zarr_format"
        )

    return next((summary for summary in mine if same(summary)), mine[0] if mine else None)
