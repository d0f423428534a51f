"""The survey's faults: a table it cannot write, a scheduler that is malformed, absent or silent, folders with
links that lead nowhere, interrupts.  Each ends with one line (exit status 2, 130 when stopped), checked
before any cluster starts where it can be, and leaves nothing behind, the workers' files included.

Tests that start a Dask cluster are marked slow.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support import SilentServer, cli_command, everything_in, main_error, mounted_tmpfs, write_mrc

pytest.importorskip("distributed")

from cryoet_zarr_bench.survey import SurveyTable

SURVEY = ("survey", "synthetic?shape=16", "--codecs", "none", "--repeats", "1")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TMPDIR of the test's own, for this process and the commands it starts."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp


# -------------------------------------------------------------------------- checked before any cluster starts


def test_a_table_that_is_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "table").write_text("not a table")
    message = main_error(capsys, *SURVEY, "--table", str(tmp_path / "table"))
    assert message == (
        f"{tmp_path}/table is a file, not a survey table (a directory of Parquet files); "
        "choose another --table"
    )


def test_a_table_on_a_read_only_disk(tmp_path: Path, capsys) -> None:
    with mounted_tmpfs(tmp_path / "ro", megabytes=1, read_only=True) as disk:
        message = main_error(capsys, *SURVEY, "--table", str(disk / "table"))
    assert message == (
        f"cannot write the survey table {disk}/table (Read-only file system); choose another --table"
    )


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (
            "foo://::bad",
            r"^--scheduler 'foo://::bad' is not a Dask address \(ValueError: unknown address scheme",
        ),
        ("tcp://127.0.0.1:{closed}", r"^no Dask scheduler answered at tcp://127\.0\.0\.1:\d+ within 1 s \("),
        ("tcp://127.0.0.1:{silent}", r"^no Dask scheduler answered at tcp://127\.0\.0\.1:\d+ within 1 s \("),
    ],
    ids=["malformed", "nothing-listens", "never-answers"],
)
def test_a_scheduler_that_cannot_be_used(address: str, expected: str, tmp_path: Path, capsys) -> None:
    import re
    import socket

    import dask.config

    with socket.create_server(("127.0.0.1", 0)) as closed:
        closed_port = closed.getsockname()[1]
    silent = SilentServer()
    try:
        start = time.monotonic()
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            scheduler = address.format(closed=closed_port, silent=silent.port)
            argv = ["--table", str(tmp_path / "t"), "--scheduler", scheduler]
            message = main_error(capsys, *SURVEY, *argv)
        assert time.monotonic() - start < 10
    finally:
        silent.stop()
    assert re.search(expected, message), message


def test_a_folder_with_a_link_that_leads_nowhere(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "tomograms"
    folder.mkdir()
    write_mrc(folder / "good.mrc")
    (folder / "a.mrc").symlink_to("b.mrc")
    (folder / "b.mrc").symlink_to("a.mrc")
    message = main_error(capsys, "survey", str(folder), "--table", str(tmp_path / "t"))
    assert message == (
        f"{folder}/a.mrc is a symbolic link that leads nowhere (a loop, or a missing target); remove it, or "
        "survey the other files by name"
    )


def test_what_a_volume_notes_is_shown_with_the_summary(tmp_path: Path, capsys) -> None:
    from cryoet_zarr_bench.cli import main

    note = "1 stored object(s) of the 4 chunk(s) read are missing from /x.zarr"
    row = {"key": "k1", "source": "/x.zarr?level=0", "codec": "none", "chunks": "64x64x64", "zarr_format": 3,
           "threads": 1, "raw_bytes": 100, "chunk_bytes": 100, "ratio": 1.0, "write_mb_s": 1.0,
           "read_mb_s": 1.0, "shape": "4x5x5", "provenance": json.dumps({"notes": [note]})}  # fmt: skip
    SurveyTable(tmp_path / "t").append(row)
    assert main(["survey", "--summary-only", "--table", str(tmp_path / "t")]) == 0
    assert f"note: /x.zarr?level=0: {note}" in capsys.readouterr().err


# --------------------------------------------------------------------------- interrupts (a real cluster)


def _start_survey(tmp: Path, table: Path) -> subprocess.Popen:
    """A survey long enough to interrupt, in a process group of its own (as a terminal's job is)."""
    sources = [f"synthetic?shape=160&seed={seed}" for seed in range(3)]
    process = subprocess.Popen(
        cli_command("survey", *sources, "--codecs", "baseline", "--repeats", "30", "--table", str(table)),
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # As a terminal's job: Ctrl-C is heard even when the tests run from a background shell job, which
        # starts with SIGINT ignored (and Python then installs no KeyboardInterrupt handler).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not table.exists() or not any(table.glob("*.parquet")):  # the workers are at work
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.2)
    return process


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop", [lambda p: os.killpg(p.pid, signal.SIGINT), lambda p: p.send_signal(signal.SIGTERM)],
    ids=["ctrl-c-to-the-process-group", "sigterm-to-the-survey"],
)  # fmt: skip
def test_a_stopped_survey_ends_in_one_line_and_leaves_nothing(
    private_tmp: Path, tmp_path: Path, stop
) -> None:
    table = tmp_path / "table"
    process = _start_survey(private_tmp, table)
    stop(process)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "cryoet-zarr-bench: interrupted; temporary files removed"
    assert everything_in(private_tmp) == []
    assert SurveyTable(table).rows()  # what finished is kept


@pytest.mark.slow
def test_a_finished_survey_leaves_nothing_in_the_temporary_directory(
    private_tmp: Path, tmp_path: Path
) -> None:
    from cryoet_zarr_bench.cli import main

    assert main([*SURVEY, "--workers", "1", "--table", str(tmp_path / "t")]) == 0
    assert everything_in(private_tmp) == []
