"""The command's own faults: a full disk, runs stopped or killed, options out of range, read-only files, and
helper processes that must end with the run that started them.  Every failure is one line with exit status 2
(130 when stopped), and nothing is left behind that the next run does not remove.

Disks are small tmpfs mounts the tests make (skipped where the machine forbids mounting); runs that must be
signalled or killed run in processes of their own.
"""

from __future__ import annotations

import inspect
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import cryoet_zarr_bench
from cryoet_zarr_bench.errors import UserError

from support import (
    REPO_ROOT,
    cli_command,
    everything_in,
    main_error,
    mounted_tmpfs,
    one_error_line,
    run_cli,
    usage_error,
    write_mrc,
)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TMPDIR of the test's own, for this process and the commands it starts."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # computed again from TMPDIR
    return tmp


# --------------------------------------------------------------------------- one error class


def test_every_error_a_user_can_fix_is_a_user_error_and_skips_stay_not_implemented() -> None:
    import importlib
    import pkgutil

    classes = {}
    for module in pkgutil.walk_packages(cryoet_zarr_bench.__path__, "cryoet_zarr_bench."):
        if module.name.endswith(".suite"):
            continue  # the suite's settings errors stop asv, not this command
        for name, value in vars(importlib.import_module(module.name)).items():
            if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == module.name:
                classes[name] = value
    assert len(classes) >= 20
    not_user_errors = {name for name, cls in classes.items() if not issubclass(cls, UserError)}
    assert not_user_errors == {"ErrorBoundExceeded"}  # a benchmark's assertion, not the user's doing
    skips = {"CodecUnavailable", "CodecCannotExpress", "EngineUnavailable", "UnsupportedByEngine",
             "UnsupportedFormatError", "UnsupportedLayoutError", "UnsupportedReaderError",
             "EvictionUnavailable", "PeakMemoryUnavailable"}  # fmt: skip
    assert all(issubclass(classes[name], NotImplementedError) for name in skips)


# --------------------------------------------------------------------------- options out of range


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["preview", "--port", "70000"], "argument --port: a port is 0 (any free one) to 65535, got 70000"),
        (["preview", "--port", "-1"], "argument --port: a port is 0 (any free one) to 65535, got -1"),
        (
            ["quick", "--threads", "100000"],
            "argument --threads: threads must be at most 256 (Blosc's limit), ",
        ),
        (
            ["survey", "--summary-only", "--threads", "100000"],
            "argument --threads: threads must be at most 256",
        ),
        (["survey", "--summary-only", "--portal-tb", "nan"], "argument --portal-tb: a size in TB must be a "
                                                             "positive number, got 'nan'"),  # fmt: skip
        (["survey", "--summary-only", "--portal-tb", "-5"], "argument --portal-tb: a size in TB must be a "
                                                            "positive number, got '-5'"),  # fmt: skip
    ],
)
def test_options_out_of_range_are_refused(argv: list[str], expected: str, capsys) -> None:
    assert expected in usage_error(capsys, *argv)


# ------------------------------------------------------------------------- volumes that cannot be benchmarked


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--source", "{tmp}/empty.npy"], r"empty.npy holds an empty array \(shape 0x8x8\); give a volume"),
        (["--source", "synthetic?shape=1"], r"shape \(1, 1, 1\) is a single column along z"),
        (
            ["--source", "synthetic?shape=100000"],
            r"^generating synthetic\?shape=100000,100000,100000&seed=0 needs about 12.0 PB of memory but "
            r"this machine has [\d.]+ [kMGT]B available; choose a smaller shape$",
        ),
        (
            ["--size", "16", "--chunks", "4096"],
            r"^writing a 16x16x16 float32 volume in 4096x4096x4096 chunks needs about 824.6 GB of memory but "
            r"this machine has [\d.]+ [kMGT]B available; choose smaller chunks",
        ),
        (
            ["--source", "{tmp}/objects.npy"],
            r"objects.npy holds an array of Python objects; object arrays are not",
        ),
    ],
)
def test_volumes_that_cannot_be_benchmarked(
    tmp_path: Path, private_tmp: Path, argv, expected, capsys
) -> None:
    np.save(tmp_path / "empty.npy", np.zeros((0, 8, 8), np.float32))
    np.save(tmp_path / "objects.npy", np.array([[[{"a": 1}]]], dtype=object), allow_pickle=True)
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    message = main_error(capsys, "quick", "--zarr-format", "2", "--repeats", "1", *argv)
    assert re.search(expected, message), message
    assert everything_in(private_tmp) == []


# --------------------------------------------------------------------------- full disks, read-only files


def test_a_disk_that_fills_while_a_store_is_written(tmp_path: Path) -> None:
    np.save(tmp_path / "vol.npy", np.random.default_rng(0).standard_normal((64, 128, 128)).astype(np.float32))
    with mounted_tmpfs(tmp_path / "tmp", megabytes=3) as disk:
        for _ in range(2):  # a second run finds nothing left by the first
            argv = ["quick", "--zarr-format", "2", "--codecs", "none", "--repeats", "1"]
            result = run_cli(*argv, "--source", str(tmp_path / "vol.npy"), env={"TMPDIR": str(disk)})
            message = one_error_line(result)
            assert message.startswith(f"not enough space in {disk}/cryoet-zarr-bench-pid")
            assert "set TMPDIR, or pass --memory" in message
            assert everything_in(disk) == []


def test_refreshing_the_matrix_of_a_read_only_configuration_asks_pip_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from cryoet_zarr_bench import matrix

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip was asked before the configuration was checked")

    monkeypatch.setattr(matrix, "_latest_patch", no_pip)
    with mounted_tmpfs(tmp_path / "ro", megabytes=1) as directory:
        config = directory / "asv.conf.json"
        config.write_text((REPO_ROOT / "asv.conf.json").read_text())
        subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)
        message = main_error(capsys, "matrix", "--refresh", "--config", str(config))
    assert message.startswith(f"cannot rewrite {config}: the file is read-only")


# --------------------------------------------------------------------------- runs stopped or killed


def _start_quick(tmp: Path) -> subprocess.Popen:
    argv = ["quick", "--zarr-format", "2", "--source", "synthetic?shape=160", "--codecs", "none,zstd-1"]
    process = subprocess.Popen(
        cli_command(*argv, "--repeats", "50"),
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


def test_sigterm_stops_quick_and_removes_its_files(private_tmp: Path) -> None:
    process = _start_quick(private_tmp)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "cryoet-zarr-bench: interrupted; temporary files removed"
    assert everything_in(private_tmp) == []


def test_what_a_killed_quick_leaves_is_removed_by_the_next(private_tmp: Path) -> None:
    process = _start_quick(private_tmp)
    process.kill()
    process.wait()
    leftovers = [p.name for p in private_tmp.iterdir()]
    assert leftovers and all(name.startswith(f"cryoet-zarr-bench-pid{process.pid}-") for name in leftovers)
    result = run_cli("quick", "--size", "16", "--codecs", "none", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    assert everything_in(private_tmp) == []


def test_a_fetch_killed_while_caching_leaves_a_partial_file_the_next_fetch_removes(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "big.mrc", np.zeros((256, 256, 256), np.float32))  # MRC files are cached
    volumes = tmp_path / "cache" / "volumes"
    env = {**os.environ, "CRYOET_ZARR_BENCH_CACHE": str(tmp_path / "cache")}
    for _ in range(5):  # the kill must land while the cache file is being written; try again if it missed
        process = subprocess.Popen(cli_command("fetch", str(source)), env=env, stdout=subprocess.DEVNULL)
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


def test_the_interpreter_links_of_a_killed_matrix_run_are_removed_by_the_next(private_tmp: Path) -> None:
    from cryoet_zarr_bench.interpreters import interpreters_on_path

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from cryoet_zarr_bench.interpreters import interpreters_on_path
            with interpreters_on_path([{version!r}]) as environ:
                print(environ["PATH"].split(":")[0], flush=True)
                time.sleep(60)
        """)],  # fmt: skip
        stdout=subprocess.PIPE,
        text=True,
    )
    left = Path(holder.stdout.readline().strip())
    holder.kill()  # as SIGKILL during `bench --matrix` would
    holder.wait()
    assert left.parent == private_tmp and left.name.startswith(f"cryoet-zarr-bench-pythons-pid{holder.pid}-")
    with interpreters_on_path([version]) as environ:
        assert not left.exists()
        assert Path(environ["PATH"].split(os.pathsep)[0]).exists()
    assert everything_in(private_tmp) == []


# --------------------------------------------------------------------------- the suite's S3 server


def _listening(endpoint: str) -> bool:
    host, port = endpoint.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def test_the_suites_s3_server_ends_with_the_asv_run_that_started_it(tmp_path: Path) -> None:
    pytest.importorskip("moto")
    # An `asv` process whose benchmark process starts the server and exits, as asv's setup_cache does.
    (tmp_path / "asv").write_text(textwrap.dedent("""
        import subprocess, sys
        starter = "from cryoet_zarr_bench import s3; print(s3.start_detached_server(), flush=True)"
        started = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True)
        print(started.stdout, flush=True)
        sys.stdin.read()  # the run goes on until the test ends it
    """))  # fmt: skip
    asv = subprocess.Popen(
        [sys.executable, str(tmp_path / "asv"), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    endpoint = asv.stdout.readline().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint), endpoint
    time.sleep(1.5)
    assert _listening(endpoint)  # the benchmark process that started it has ended; the run has not
    asv.kill()  # however the run ends (here SIGKILL: it cannot clean up)
    asv.wait()
    deadline = time.monotonic() + 10
    while _listening(endpoint):
        assert time.monotonic() < deadline, f"the server at {endpoint} outlived its run by 10 s"
        time.sleep(0.2)
