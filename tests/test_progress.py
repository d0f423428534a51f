"""Tests of the progress reports of long commands (cryoet_zarr_bench.progress)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from cryoet_zarr_bench.progress import Counter, steps
from cryoet_zarr_bench.survey.run import print_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    seen = []
    for item in steps(["none", "zstd-5", "gzip-5"], "quick", stream=stream):
        seen.append((item, stream.getvalue().splitlines()[-1]))

    assert [item for item, _ in seen] == ["none", "zstd-5", "gzip-5"]
    # Each line is out before its step starts; from the second on, with an estimate.
    assert seen[0][1] == "quick: 1/3 none"
    assert re.fullmatch(r"quick: 2/3 zstd-5 \(\d+\.\d s so far, about \d+\.\d s left\)", seen[1][1])
    assert re.fullmatch(r"quick: 3 done in \d+\.\d s", stream.getvalue().splitlines()[-1])


def test_a_bar_on_a_terminal() -> None:
    stream = Terminal()
    assert list(steps(["none", "zstd-5"], "quick", stream=stream)) == ["none", "zstd-5"]
    output = stream.getvalue()
    assert "\r" in output and "2/2" in output and "100%" in output and "zstd-5" in output


def test_a_counter_prints_its_callers_line_per_unit_when_not_a_terminal() -> None:
    stream = io.StringIO()

    def line(done: int, total: int, unit: str) -> str:
        return f"{done}/{total} {unit}"

    with Counter(2, "read", unit="chunk", stream=stream, line=line) as count:
        count("a")
        assert stream.getvalue() == "1/2 a\n"  # out as soon as the unit is done
        count("b")
    assert stream.getvalue() == "1/2 a\n2/2 b\n"
    quiet = io.StringIO()
    with Counter(2, "read", unit="chunk", stream=quiet) as count:
        count(), count()
    assert quiet.getvalue() == ""


def test_a_counter_draws_a_bar_where_asked() -> None:
    for stream, where in ((Terminal(), "terminal"), (io.StringIO(), "always")):
        with Counter(3, "read", unit="chunk", stream=stream, line=str, bar=where) as count:
            for _ in range(3):
                count()
        final_state = stream.getvalue().split("\r")[-1]
        assert final_state.startswith("read: 100%") and " 3/3 " in final_state and "chunk/s" in final_state
    never = Terminal()
    with Counter(3, "read", unit="chunk", stream=never, bar="never") as count:
        count()
    assert never.getvalue() == ""


def test_survey_rows_as_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    report = print_progress(stream)
    for finished, ratio in enumerate((1.25, 1.5), start=1):
        report({"source": "synthetic", "codec": "zstd-5", "ratio": ratio}, finished, 2)
    assert stream.getvalue().splitlines() == [
        "[1/2] synthetic zstd-5: ratio 1.2500",
        "[2/2] synthetic zstd-5: ratio 1.5000",
    ]


def test_survey_rows_as_a_bar_on_a_terminal() -> None:
    stream = Terminal()
    report = print_progress(stream)
    for finished in (1, 2):
        report({"source": "synthetic", "codec": "zstd-5", "ratio": 1.0}, finished, 2)
    final_state = stream.getvalue().split("\r")[-1]
    assert final_state.startswith("survey: 100%") and " 2/2 " in final_state and final_state.endswith("\n")


def test_quick_reports_each_codec_before_measuring_it() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cryoet_zarr_bench.cli", "quick", "--size", "16", "--chunks", "16"]
        + ["--codecs", "none,zstd-1", "--repeats", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = completed.stderr.splitlines()
    assert lines[0] == "quick: 1/2 none"
    assert lines[1].startswith("quick: 2/2 zstd-1 (")
    assert "method" in completed.stdout and "quick:" not in completed.stdout
