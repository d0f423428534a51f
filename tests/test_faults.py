"""Faults, as a hostile user or a bad network would cause them (issue 8): each ends with one line and exit
status 2 (130 when stopped), and leaves nothing behind that the next run does not remove.

The command runs in a real subprocess; disks are small tmpfs mounts the tests make (skipped where the machine
forbids mounting); servers are threads on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support import mounted_tmpfs

def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "cryoet_zarr_bench.cli", *argv]


def _quick(*argv: str) -> list[str]:
    """``quick`` arguments, in the Zarr format every zarr-python of the matrix writes."""
    return ["quick", "--zarr-format", "2", *argv]


def run_cli(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(*argv),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single error line of a failed command (asserting there is exactly one and no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    # quick's progress lines ("quick: 1/4 none") may come before the error
    lines = [line for line in result.stderr.splitlines() if line.strip() and not re.match(r"quick: \d+/\d+ ", line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cryoet-zarr-bench: error: ")
    return lines[0].removeprefix("cryoet-zarr-bench: error: ")


def everything_in(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*")) if directory.exists() else []


# --------------------------------------------------------------------------- 1. disk full


def test_1_disk_full_while_writing_a_store(tmp_path: Path) -> None:
    np.save(tmp_path / "vol.npy", np.random.default_rng(0).standard_normal((64, 128, 128)).astype(np.float32))
    with mounted_tmpfs(tmp_path / "tmp", megabytes=3) as disk:
        for _ in range(2):  # a second run finds nothing left by the first
            result = run_cli(
                *_quick(),
                "--source",
                str(tmp_path / "vol.npy"),
                "--codecs",
                "none",
                "--repeats",
                "1",
                env={"TMPDIR": str(disk)},
            )
            message = one_error_line(result)
            assert message.startswith(f"not enough space in {disk}/cryoet-zarr-bench-pid")
            assert "set TMPDIR, or pass --memory" in message
            time.sleep(0.2)
            assert everything_in(disk) == []


# --------------------------------------------------------------------------- 2. killed runs


def _start_quick(tmp: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        _command(*_quick("--source", "synthetic?shape=160", "--codecs", "none,zstd-1", "--repeats", "50")),
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.is_file() for p in tmp.rglob("*")):  # a store is being written
        assert process.poll() is None and time.monotonic() < deadline, "quick never wrote a store"
        time.sleep(0.05)
    return process


def test_2_sigterm_stops_quick_and_removes_its_files(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = _start_quick(tmp)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert everything_in(tmp) == []


def test_2_what_a_killed_run_leaves_is_removed_by_the_next(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = _start_quick(tmp)
    process.kill()
    process.wait()
    leftovers = [p.name for p in tmp.iterdir()]
    assert leftovers and all(name.startswith(f"cryoet-zarr-bench-pid{process.pid}-") for name in leftovers)
    result = run_cli(*_quick("--size", "16", "--codecs", "none", "--repeats", "1"), env={"TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    assert everything_in(tmp) == []


def test_2_a_fetch_killed_while_caching_leaves_a_partial_file_the_next_fetch_removes(tmp_path: Path) -> None:
    source = _mrc(tmp_path / "big.mrc", np.zeros((256, 256, 256), np.float32))  # MRC files are cached
    volumes = tmp_path / "cache" / "volumes"
    env = {**os.environ, "CRYOET_ZARR_BENCH_CACHE": str(tmp_path / "cache")}
    for _ in range(5):  # the kill must land while the cache file is being written; try again if it missed
        process = subprocess.Popen(_command("fetch", str(source)), env=env, stdout=subprocess.DEVNULL)
        while process.poll() is None and not any(p.name.endswith(".partial") for p in everything_in(volumes)):
            time.sleep(0.002)
        process.kill()
        process.wait()
        if any(p.name.endswith(".partial") for p in everything_in(volumes)):
            break
        for path in everything_in(volumes):
            path.unlink()
    else:
        pytest.skip("the fetch never was caught writing its cache file")
    (partial,) = [p.name for p in everything_in(volumes) if p.name.endswith(".partial")]
    assert f".pid{process.pid}-" in partial
    result = run_cli("fetch", str(source), env={"CRYOET_ZARR_BENCH_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in everything_in(volumes))
    assert len(names) == 2 and not any(name.startswith(".") for name in names)


# network and cache faults: see test_faults_network.py


def _mrc(path: Path, data: np.ndarray | None = None) -> Path:
    import mrcfile

    with mrcfile.new(path) as mrc:
        mrc.set_data(np.arange(4 * 6 * 8, dtype=np.float32).reshape(4, 6, 8) if data is None else data)
    return path


# --------------------------------------------------------------------------- 6. and 8. volumes that cannot be benchmarked


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--source", "{tmp}/empty.npy"], r"empty.npy holds an empty array \(shape 0x8x8\); give a volume"),
        (["--source", "synthetic?shape=1"], r"shape \(1, 1, 1\) is a single column along z"),
        (
            ["--source", "synthetic?shape=100000"],
            (
                r"^generating synthetic\?shape=100000,100000,100000&seed=0 needs about 12.0 PB of memory but this "
                r"machine has [\d.]+ [kMGT]B available; choose a smaller shape$"
            ),
        ),
        (
            ["--size", "16", "--chunks", "4096"],
            (
                r"^writing a 16x16x16 float32 volume in 4096x4096x4096 chunks needs about 824.6 GB of memory but "
                r"this machine has [\d.]+ [kMGT]B available; choose smaller chunks"
            ),
        ),
        (
            ["--source", "{tmp}/objects.npy"],
            r"objects.npy holds an array of Python objects; object arrays are not",
        ),
    ],
)
def test_6_and_8_volumes_that_cannot_be_benchmarked(tmp_path: Path, argv: list[str], expected: str) -> None:
    import re

    np.save(tmp_path / "empty.npy", np.zeros((0, 8, 8), np.float32))
    np.save(tmp_path / "objects.npy", np.array([[[{"a": 1}]]], dtype=object), allow_pickle=True)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    message = one_error_line(run_cli(*_quick(*argv, "--repeats", "1"), env={"TMPDIR": str(tmp)}))
    assert re.search(expected, message), message
    assert everything_in(tmp) == []
