"""The answer per use case: each recommendation changes exactly when its stated rule says it must.

Every test writes asv results (``answer_results``), reads them back as the reports do and builds the answer,
so a change is tested the way a user meets it: new results, the answer regenerated.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cryoet_zarr_bench.report import registry
from cryoet_zarr_bench.report.answer.model import Answer, UseCaseAnswer, build_answer
from cryoet_zarr_bench.report.answer.rules import ARCHIVE, LOSSY, PROCESSING, VIEWING, Rules
from cryoet_zarr_bench.report.answer.text import format_answer
from cryoet_zarr_bench.report.asv_results import read_results

from answer_results import LZ4, NONE, ZSTD, ZSTD_BLOSC, Recorded, write_results

_COUNT = [0]


def answer_of(
    tmp_path: Path, recorded: Recorded | None = None, rules: Rules | None = None, **options
) -> Answer:
    """Write `recorded` as asv results in a fresh directory, read them and build the answer."""
    _COUNT[0] += 1
    directory = tmp_path / f"results-{_COUNT[0]}"
    write_results(directory, recorded or Recorded())
    return build_answer(read_results(directory), rules, **options)


def use_case(answer: Answer, name: str) -> UseCaseAnswer:
    return next(found for found in answer.use_cases if found.use_case == name)


def winners(answer: Answer, name: str) -> tuple[str | None, str | None]:
    """What the use case recommends and its runner-up: the codec (codec@layout for viewing)."""
    choice = use_case(answer, name).shown

    def named(candidate) -> str | None:
        if candidate is None:
            return None
        return f"{candidate.codec}@{candidate.param('layout')}" if name == VIEWING else candidate.codec

    return named(choice.winner), named(choice.runner_up)


def test_every_use_case_names_a_winner_and_a_runner_up(tmp_path: Path) -> None:
    answer = answer_of(tmp_path)
    # archive: none reads fastest (3 ms), so 6 ms is allowed; blosc-zstd (5.5 ms) has the highest ratio then
    assert winners(answer, ARCHIVE) == (ZSTD_BLOSC, LZ4)
    assert winners(answer, PROCESSING) == (NONE, LZ4)
    # viewing: the thin 16x128x128 chunks are fastest over S3; the runner-up is the best other layout
    assert winners(answer, VIEWING) == (f"{ZSTD}@16x128x128", f"{ZSTD}@128x128x128")
    # lossy: the highest safe ratio (zfp 6.0); bitround-2 (5.0) and the noise-tied step (8.0) are unsafe
    assert winners(answer, LOSSY) == ("zfp-accuracy-1e-5", "bitround-4+blosc-zstd-5-shuffle")
    archive = use_case(answer, ARCHIVE)
    assert archive.shown.reference.value == pytest.approx(0.003)
    assert archive.shown.winner.setting == (
        ("codec", ZSTD_BLOSC),
        ("chunks", "64x64x64"),
        ("zarr_format", "2"),
    )
    assert archive.shown.environment == "py3.11 zarr3.1.6 numcodecs0.16.6"
    assert archive.missing is None and not archive.others


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"read": {ZSTD_BLOSC: 0.0059}}, (ZSTD_BLOSC, LZ4)),  # 5.9 ms: within 2 x 3 ms, unchanged
        ({"read": {ZSTD_BLOSC: 0.0061}}, (LZ4, NONE)),  # 6.1 ms: beyond it, the runner-up wins
        ({"ratio": {LZ4: 1.15}}, (ZSTD_BLOSC, LZ4)),  # the runner-up better, still below the winner
        ({"ratio": {LZ4: 1.17}}, (LZ4, ZSTD_BLOSC)),  # the runner-up above the winner: it wins
        ({"read": {ZSTD: 0.0059}}, (ZSTD_BLOSC, LZ4)),  # zstd-5 now qualifies, with a lower ratio
        ({"read": {NONE: 0.0025}}, (LZ4, NONE)),  # a faster fastest read: the limit falls to 5 ms
    ],
)
def test_the_archive_follows_its_rule(tmp_path: Path, change: dict, expected: tuple) -> None:
    recorded = Recorded()
    for figure, values in change.items():
        getattr(recorded, figure).update(values)
    assert winners(answer_of(tmp_path, recorded), ARCHIVE) == expected


def test_the_archive_follows_its_stated_factor(tmp_path: Path) -> None:
    assert winners(answer_of(tmp_path, rules=Rules(read_factor=1.5)), ARCHIVE) == (
        LZ4,
        NONE,
    )  # 4.5 ms allowed
    text = format_answer(answer_of(tmp_path, rules=Rules(read_factor=1.5)), "index.html")
    assert "## Archive: the highest ratio whose full read takes at most 1.5× the fastest one" in text
    assert "the rule allows up to 4.5 ms" in text


@pytest.mark.parametrize(
    ("read", "expected"),
    [({NONE: 0.0039}, (NONE, LZ4)), ({NONE: 0.0041}, (LZ4, NONE)), ({LZ4: 0.0031}, (NONE, LZ4))],
)
def test_processing_follows_its_rule(tmp_path: Path, read: dict, expected: tuple) -> None:
    recorded = Recorded()
    recorded.read.update(read)
    assert winners(answer_of(tmp_path, recorded), PROCESSING) == expected


def test_viewing_follows_its_byte_budget_and_slice_times(tmp_path: Path) -> None:
    # An XY slice of 16x128x128 chunks sends one chunk (1,048,576 raw bytes / ratio); of 128³ chunks 8 MiB.
    one_mb = answer_of(tmp_path, rules=Rules(slice_budget_bytes=1e6))
    assert winners(one_mb, VIEWING) == (f"{ZSTD}@16x128x128", None)  # 971 kB fits; nothing else does
    tighter = answer_of(tmp_path, rules=Rules(slice_budget_bytes=0.9e6))
    assert winners(tighter, VIEWING) == (f"{ZSTD_BLOSC}@16x128x128", None)  # only blosc-zstd's 899 kB fits
    nothing = use_case(answer_of(tmp_path, rules=Rules(slice_budget_bytes=0.5e6)), VIEWING)
    assert nothing.shown.winner is None
    assert nothing.shown.reason == "no codec and layout transfers at most 500,000 bytes per XY slice"
    recorded = Recorded()
    recorded.slice_time["16x128x128"] = 0.070  # now slower than one 128³ chunk: within budget, it loses
    assert winners(answer_of(tmp_path, recorded), VIEWING) == (f"{ZSTD}@128x128x128", f"{ZSTD}@16x128x128")


def test_the_lossy_archive_follows_the_safety_verdict(tmp_path: Path) -> None:
    unsafe_winner = Recorded()
    unsafe_winner.lossy["zfp-accuracy-1e-5"] = (6.0, 1.5, 0)
    assert winners(answer_of(tmp_path, unsafe_winner), LOSSY) == ("bitround-4+blosc-zstd-5-shuffle", None)
    closer = Recorded()
    closer.lossy["bitround-4+blosc-zstd-5-shuffle"] = (5.9, 0.3, 1)  # still below the winner: unchanged
    assert winners(answer_of(tmp_path, closer), LOSSY) == (
        "zfp-accuracy-1e-5",
        "bitround-4+blosc-zstd-5-shuffle",
    )
    safe_step = Recorded()
    safe_step.noise_tied["step-1%+pcodec-8"] = (8.0, 1.0, 1)
    assert winners(answer_of(tmp_path, safe_step), LOSSY) == ("step-1%+pcodec-8", "zfp-accuracy-1e-5")
    nothing_safe = Recorded()
    nothing_safe.lossy = {codec: (*figures[:2], 0) for codec, figures in nothing_safe.lossy.items()}
    assert use_case(answer_of(tmp_path, nothing_safe), LOSSY).shown.reason == "no setting was judged safe"


def test_without_half_volumes_nothing_can_be_judged_safe(tmp_path: Path) -> None:
    results_dir = tmp_path / "results"
    write_results(results_dir, Recorded())
    results = read_results(results_dir)
    (run,) = results.runs
    unjudged = {case: v for case, v in run.values.items() if not case.benchmark.endswith(".track_safe")}
    answer = build_answer(replace(results, runs=[replace(run, values=unjudged)]))
    assert use_case(answer, LOSSY).shown.reason.startswith(
        "no setting could be judged safe: the volume has no"
    )


def test_missing_results_say_what_to_run_in_one_line(tmp_path: Path) -> None:
    answer = answer_of(tmp_path, Recorded(with_layout_study=False, with_codec_study=False))
    assert use_case(answer, VIEWING).missing == registry.RUN_LAYOUT_STUDY
    assert use_case(answer, LOSSY).missing == registry.RUN_CODEC_STUDY
    text = format_answer(answer, "index.html")
    viewing = text.split("## Viewing")[1].split("\n## ")[0].strip().splitlines()
    assert viewing[1:] == [
        "",
        "Nothing measured for this yet; run: **CRYOET_ZARR_BENCH_STUDIES=layout cryoet-zarr-bench bench**",
    ]
    assert (
        "Nothing measured for this yet; run: **CRYOET_ZARR_BENCH_STUDIES=codec cryoet-zarr-bench bench**"
        in text
    )
    assert winners(answer, ARCHIVE) == (ZSTD_BLOSC, LZ4)  # the core's answers are all there


def test_the_notes_say_single_samples_and_a_single_environment(tmp_path: Path) -> None:
    quick = format_answer(answer_of(tmp_path, Recorded(samples=1)), "index.html")
    assert (
        "> **Note.** Single samples: Every timing here is a single sample (asv --quick: one run per" in quick
    )
    assert "> **Note.** One environment only (py3.11 zarr3.1.6 numcodecs0.16.6): no comparison" in quick
    sampled = format_answer(answer_of(tmp_path), "index.html")
    assert "Single samples" not in sampled and "One environment only" in sampled

    results_dir = tmp_path / "two"
    write_results(results_dir, Recorded())
    older = Recorded(zarr="3.0.10", numcodecs="0.15.2")
    older.read[ZSTD_BLOSC] = 0.0065  # too slow in that release: the archive's answer differs there
    write_results(results_dir, older, env_name="virtualenv-py3.11-zarr3.0.10", python="3.11",
                  pins={"zarr": "3.0.10", "numcodecs": "0.15.2"})  # fmt: skip
    answer = build_answer(read_results(results_dir))
    text = format_answer(answer, "index.html")
    assert "One environment only" not in text
    archive = use_case(answer, ARCHIVE)
    assert archive.shown.environment == "py3.11 zarr3.1.6 numcodecs0.16.6"  # the newest release is shown
    assert "the same in 0 of 1 other environments, elsewhere py3.11 zarr3.0.10 numcodecs0.15.2: " in text
    assert (
        "Measured on py3.11 zarr3.1.6 numcodecs0.16.6 (machine box, commit a1b2c3d4); the same in 1 of 1"
        in text
    )


def survey_row(source: str, codec: str, ratio: float) -> dict:
    raw = 128**3 * 4
    return {
        "source": source, "codec": codec, "chunks": "64x64x64", "zarr_format": 2, "threads": 1,
        "ratio": ratio, "raw_bytes": raw, "chunk_bytes": raw / ratio, "write_mb_s": 100.0, "read_mb_s": 900.0,
        "dtype": "float32", "provenance": '{"full_shape": [184, 630, 630]}',
    }  # fmt: skip


def test_a_survey_gives_the_spread_and_the_dataset(tmp_path: Path) -> None:
    rows = [
        survey_row(f"portal:10445/TS_{n}", codec, ratio + 0.01 * n)
        for n in range(3)
        for codec, ratio in ((ZSTD_BLOSC, 1.15), (LZ4, 1.08))
    ]
    answer = answer_of(tmp_path, survey_rows=rows)
    archive = use_case(answer, ARCHIVE)
    assert archive.spread.codec == ZSTD_BLOSC and archive.spread.volumes == 3
    scopes = [found.scope.name for found in archive.extrapolations]
    assert scopes == ["the 3 surveyed tomograms", "the portal"]
    assert archive.extrapolations[0].scope.raw_bytes == 3 * 184 * 630 * 630 * 4
    text = format_answer(answer, "index.html")
    assert (
        "Across 3 surveyed tomograms (blosc-zstd-5-shuffle, chunks 64x64x64, Zarr format 2): ratio mean 1.16"
        in text
    )
    assert "the survey did not measure none, so the spread across tomograms is unknown" in text  # processing
    assert "no dataset size" not in text


def test_storage_and_egress_scale_the_measured_ratio_to_a_stated_size(tmp_path: Path) -> None:
    answer = answer_of(tmp_path, rules=Rules(portal_bytes=10e12, dataset_bytes=1e12))
    dataset, portal = use_case(answer, ARCHIVE).extrapolations
    assert (dataset.scope.name, portal.scope.name) == ("the dataset", "the portal")
    assert portal.stored.bytes == pytest.approx(10e12 / 1.166)
    assert portal.baseline_stored.bytes == pytest.approx(10e12 / 1.094)
    assert portal.egress.bytes == portal.stored.bytes  # one full download sends what is stored
    viewing = use_case(answer, VIEWING).extrapolations[1]
    tomograms = 10e12 / (128**3 * 4)
    assert viewing.egress.bytes == pytest.approx(tomograms * 16 * 128 * 128 * 4 / 1.080)
    text = format_answer(answer, "index.html")
    assert "- raw size of the portal: 10 TB, assumed (--portal-tb)" in text
    assert "- raw size of the dataset: 1 TB, given (--dataset-tb)" in text


def test_every_number_links_to_its_graph(tmp_path: Path) -> None:
    text = format_answer(answer_of(tmp_path), "index.html")
    numbers = re.findall(r"\[([^]]+)\]\(index\.html#([^)]+)\)", text)
    assert len(numbers) > 40
    linked = {benchmark.split("?")[0] for _, benchmark in numbers}
    assert linked <= set(registry.ALL)
    # Plain text holds no measured number: outside links only the rule's own numbers and assumptions appear.
    body = re.sub(r"\[[^]]+\]\([^)]+\)", "LINK", text)
    for line in body.splitlines():
        if line.startswith(("**", "Runner-up:")):
            assert not re.search(r"\d+(\.\d+)? (ms|s|MB|kB|TB)\b", line), line
