"""Helpers shared by test modules: asv results and configurations, skips, tmpfs mounts, the command run in a
process of its own or in this one, and servers on 127.0.0.1 that misbehave."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Suite settings that would replace the default suite; asv runs in tests use the defaults.
SUITE_VARIABLES = (
    "CRYOET_ZARR_BENCH_SOURCE",
    "CRYOET_ZARR_BENCH_CODECS",
    "CRYOET_ZARR_BENCH_CHUNKS",
    "CRYOET_ZARR_BENCH_THREADS",
    "CRYOET_ZARR_BENCH_CHECKSUM",
    "CRYOET_ZARR_BENCH_STUDIES",
    "CRYOET_ZARR_BENCH_LAYOUTS",
    "CRYOET_ZARR_BENCH_STORES",
    "CRYOET_ZARR_BENCH_FULL_SIZES",
)

#: Set by CI: a missing prerequisite fails the test instead of skipping it, so CI cannot pass by skipping.
REQUIRE_ALL = os.environ.get("CRYOET_ZARR_BENCH_REQUIRE_ALL") == "1"


#: The ``started_at`` and ``date`` of the asv results tests write (2023-11-14).
ASV_DATE = 1_700_000_000_000


def write_asv_result(
    results_dir: Path,
    *,
    machine: str,
    commit: str,
    env_name: str,
    results: dict,
    columns: list[str],
    python: str = "3.11",
    requirements: dict | None = None,
    params: dict | None = None,
    date: int = ASV_DATE,
) -> Path:
    """One asv 0.6 result file, ``<results_dir>/<machine>/<commit[:8]>-<env_name>.json``, as asv writes it
    (NaN included).  ``params`` are the environment's asv parameters besides machine and Python (by default
    its ``requirements``, the pins)."""
    requirements = {} if requirements is None else requirements
    params = requirements if params is None else params
    document = {
        "commit_hash": commit,
        "env_name": env_name,
        "date": date,
        "params": {"machine": machine, "python": python, **params},
        "python": python,
        "requirements": requirements,
        "env_vars": {},
        "result_columns": columns,
        "results": results,
        "durations": {},
        "version": 2,
    }
    path = results_dir / machine / f"{commit[:8]}-{env_name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


#: The columns of each result in the asv result files tests write by hand (asv 0.6 writes more).
ASV_COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b"]

#: The part of asv's dashboard ``index.html`` that a page's link is added to.
ASV_NAV = """<nav id="nav"><ul class="nav navbar-nav navbar-left">
	<li id="nav-li-regressions"><a href="#/regressions">Regressions</a></li>
        <li id="nav-li-graphdisplay">
          <span class="navbar-brand" id="title">benchmark</span>
        </li>
</ul></nav>"""


def write_report_config(directory: Path) -> Path:
    """``<directory>/asv.conf.json`` as the report commands read it: results in ``results``, the dashboard in
    ``site``, with a comment and a trailing comma as asv allows."""
    config = directory / "asv.conf.json"
    config.write_text(
        '{\n  // as asv allows\n  "version": 1, "results_dir": "results", "html_dir": "site",\n}\n'
    )
    return config


def git_repository(directory: Path) -> str:
    """`directory` made a git repository with one commit (as ``asv publish`` needs one); returns its hash."""
    import subprocess

    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    git += ["-c", "init.defaultBranch=main"]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "README").write_text("benchmarked project\n")
    for command in (["init", "--quiet"], ["add", "README"], ["commit", "--quiet", "--message=first"]):
        subprocess.run([*git, *command], cwd=directory, check=True, capture_output=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=directory, check=True, capture_output=True, text=True
    ).stdout.strip()


def record_sample_counts(results_dir: Path, count: int) -> None:
    """Rewrite the asv result files in `results_dir` as if each measured case of every ``time_`` benchmark had
    been timed `count` times (asv's ``stats_repeat`` column; 1 after ``asv run --quick``)."""
    for path in results_dir.glob("*/*.json"):
        if path.name == "machine.json":
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        columns = document["result_columns"]
        if "stats_repeat" not in columns:
            columns.append("stats_repeat")
        position = columns.index("stats_repeat")
        for name, row in document["results"].items():
            if ".time_" not in name:
                continue
            row += [None] * (len(columns) - len(row))
            row[position] = [
                None if value is None or value != value else count for value in row[columns.index("result")]
            ]
        path.write_text(json.dumps(document), encoding="utf-8")


def require(available: bool, what: str) -> None:
    """Skip the test unless ``available``; under ``CRYOET_ZARR_BENCH_REQUIRE_ALL=1``, fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{what} (CRYOET_ZARR_BENCH_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(what)


def save_artifact(path: Path) -> None:
    """Copy ``path`` to ``$CRYOET_ZARR_BENCH_ARTIFACTS``, if set."""
    destination = os.environ.get("CRYOET_ZARR_BENCH_ARTIFACTS")
    if destination:
        Path(destination).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(destination) / path.name)


def write_asv_config(workdir: Path, **settings) -> Path:
    """This checkout's asv.conf.json with every directory in ``workdir`` (and ``settings`` on top).

    The commit asv measures is graphed whichever branch (or none) the checkout is on.
    """
    import json5  # a dependency of asv

    config = json5.loads((REPO_ROOT / "asv.conf.json").read_text(encoding="utf-8"))
    config.update(
        repo=str(REPO_ROOT),
        benchmark_dir=str(REPO_ROOT / config.get("benchmark_dir", "benchmarks")),
        branches=["HEAD"],
        env_dir=str(workdir / "env"),
        results_dir=str(workdir / "results"),
        html_dir=str(workdir / "html"),
        **settings,
    )
    path = workdir / "asv.conf.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def asv_environment(workdir: Path) -> dict[str, str]:
    """Environment variables for running asv in ``workdir``: its own HOME (asv's machine file) and volume
    cache, the default suite, and the user's pip cache (so virtualenv installs are warm)."""
    (workdir / "home").mkdir(exist_ok=True)
    env = {name: value for name, value in os.environ.items() if name not in SUITE_VARIABLES}
    env.update(
        HOME=str(workdir / "home"),
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR")
        or str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pip"),
        CRYOET_ZARR_BENCH_CACHE=str(workdir / "volume-cache"),
    )
    return env


def finished_process_id() -> int:
    """The PID of a process that has already exited (as a run killed earlier would have had)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@contextmanager
def mounted_tmpfs(directory: Path, megabytes: int, *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``directory`` (made if missing) for the block, then unmounted.

    Skips the test where mounting is forbidden (not root, or no ``CAP_SYS_ADMIN`` in a container).
    """
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    options = f"size={megabytes}m" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"this machine forbids mounting a tmpfs ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def remount(directory: Path, *, read_only: bool) -> None:
    """Make a mount made by :func:`mounted_tmpfs` read-only or writable again."""
    import subprocess

    mode = "ro" if read_only else "rw"
    subprocess.run(["mount", "-o", f"remount,{mode}", str(directory)], check=True)


# --------------------------------------------------------------------------- the command, and what it leaves

#: Small retries and timeouts, so that a server that never answers fails a command within seconds.
FAST_NETWORK = {
    "CRYOET_ZARR_BENCH_NETWORK_ATTEMPTS": "2",
    "CRYOET_ZARR_BENCH_CONNECT_TIMEOUT": "0.5",
    "CRYOET_ZARR_BENCH_READ_TIMEOUT": "0.5",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_ERROR_PREFIX = "cryoet-zarr-bench: error: "


def cli_command(*argv: str) -> list[str]:
    """The command line that runs ``cryoet-zarr-bench ARGV`` with this interpreter."""
    import sys

    return [sys.executable, "-m", "cryoet_zarr_bench.cli", *argv]


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120):
    """``cryoet-zarr-bench ARGV`` in a process of its own, its output captured."""
    import subprocess

    return subprocess.run(
        cli_command(*argv),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def the_error_line(status: int, stderr: str) -> str:
    """The single error line of a failed command, asserting exit status 2, one error line and no traceback
    (progress lines such as ``quick: 1/4 none`` or a chunk progress bar may come before it)."""
    import re

    assert status == 2, stderr
    assert "Traceback" not in stderr, stderr
    progress = re.compile(r"quick: \d+/\d+ |.*\| *\d+/\d+ \[")
    lines = [line for line in stderr.splitlines() if line.strip() and not progress.match(line)]
    assert len(lines) == 1 and lines[0].startswith(_ERROR_PREFIX), stderr
    return lines[0].removeprefix(_ERROR_PREFIX)


def one_error_line(result) -> str:
    """:func:`the_error_line` of a finished ``subprocess.run``."""
    return the_error_line(result.returncode, result.stderr)


def main_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    """:func:`the_error_line` of ``cryoet-zarr-bench ARGV`` run in this process
    (fast: no interpreter start)."""
    from cryoet_zarr_bench.cli import main

    status = main(list(argv))
    return the_error_line(status, capsys.readouterr().err)


def usage_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    """The line argparse ends with when it refuses an option's value (exit status 2, no traceback)."""
    from cryoet_zarr_bench.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err, err
    return err.strip().splitlines()[-1]


def everything_in(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*")) if directory.exists() else []


def write_mrc(path: Path, data=None) -> Path:
    """An MRC file holding ``data`` (default: a 4x6x8 float32 ramp)."""
    import mrcfile
    import numpy as np

    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(np.arange(4 * 6 * 8, dtype=np.float32).reshape(4, 6, 8) if data is None else data)
    return path


# ------------------------------------------------------------------------ servers on 127.0.0.1 that misbehave


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        import socket
        import threading

        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._connections: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._connections.append(connection)

    def stop(self) -> None:
        self._socket.close()
        for connection in self._connections:
            connection.close()


def answering_server(status: int, content_type: str, body: bytes, *, cut_to: int | None = None):
    """An HTTP server on 127.0.0.1 answering every request with the same response; with ``cut_to``, the body
    stops after that many bytes and the connection closes (the announced length is the whole body's).
    ``server_url(server)`` is its address; ``server.shutdown()`` stops it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body if cut_to is None else body[:cut_to])
            if cut_to is not None:
                self.close_connection = True

        do_GET = do_HEAD = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def server_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
