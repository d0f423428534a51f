"""Tests of the progress reports of long commands (cryoet_zarr_bench.progress)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from cryoet_zarr_bench.progress import steps


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
