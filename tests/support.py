"""Helpers for tests that need something outside Python (a browser, virtualenvs) or leave artifacts."""

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
    """One asv 0.6 result file, ``<results_dir>/<machine>/<commit[:8]>-<env_name>.json``, as asv writes it (NaN
    included).  ``params`` are the environment's asv parameters besides machine and Python (by default its
    ``requirements``, the pins)."""
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
