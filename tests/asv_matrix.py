"""A publishable asv project whose results cover a 12-environment release matrix, written without running asv.

Running the suite in twelve virtualenvs takes many minutes; the dashboard only needs what ``asv run``
leaves behind: a git repository with the measured commit, ``benchmarks.json`` and one result file per
environment (asv 0.6, results format 2).  :func:`write_matrix_project` writes those directly, with made-up
but plausible values, and also the results of an ``existing`` environment (``cryoet-zarr-bench bench``
without ``--matrix``), which has no pins and records its releases through ``releases.Releases``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cryoet_zarr_bench.releases import version_number
from cryoet_zarr_bench.report.registry import COMPRESSION_RATIO, NUMCODECS_RELEASE, READ_TIME, ZARR_RELEASE

from support import ASV_DATE, write_asv_result

MACHINE = "testbox"
CODECS = ["'none'", "'blosc-lz4-5-shuffle'", "'blosc-zstd-5-shuffle'", "'zstd-5'"]
CHUNKS = ["'64'"]
FORMATS = ["2", "3"]

#: (python, zarr, numcodecs) of each matrix environment.
MATRIX = [
    ("3.11", "2.18.7", "0.15.1"),
    ("3.11", "3.0.10", "0.15.1"),
    ("3.11", "3.0.10", "0.16.6"),
    ("3.11", "3.1.6", "0.15.1"),
    ("3.11", "3.1.6", "0.16.6"),
    ("3.12", "2.18.7", "0.15.1"),
    ("3.12", "3.1.6", "0.16.6"),
    ("3.13", "2.18.7", "0.15.1"),
    ("3.13", "3.1.6", "0.16.6"),
    ("3.13", "3.2.1", "0.16.6"),
    ("3.13", "3.4.2", "0.16.6"),
    ("3.13", "3.4.2", "0.17.2"),
]
#: The interpreter of the ``existing`` environment, as asv records it: a path.
EXISTING_PYTHON = "/home/user/cryoet-zarr-bench/.venv/bin/python3.11"
EXISTING_RELEASES = ("3.1.6", "0.16.6")

_BASE_RATIO = {
    "'none'": 0.99997,
    "'blosc-lz4-5-shuffle'": 1.093,
    "'blosc-zstd-5-shuffle'": 1.165,
    "'zstd-5'": 1.080,
}


def _benchmarks() -> dict:
    volume_params = {"param_names": ["codec", "chunks", "zarr_format"], "params": [CODECS, CHUNKS, FORMATS]}
    timing = {
        "number": 1,
        "repeat": 5,
        "min_run_count": 2,
        "rounds": 1,
        "sample_time": 0.01,
        "warmup_time": 0,
    }
    benchmarks = {
        COMPRESSION_RATIO: {"type": "track", "unit": "ratio", **volume_params},
        READ_TIME: {"type": "time", "unit": "seconds", **volume_params, **timing},
        ZARR_RELEASE: {"type": "track", "unit": "release", "param_names": [], "params": []},
        NUMCODECS_RELEASE: {"type": "track", "unit": "release", "param_names": [], "params": []},
    }
    for name, benchmark in benchmarks.items():
        benchmark.update(name=name, code=f"def {name.rsplit('.', 1)[1]}(): ...", version="1")
    return benchmarks


def _values(index: int, zarr: str, numcodecs: str) -> dict[str, list[float]]:
    """Ratio and read time of every (codec, chunks, format) case, in asv's product order."""
    ratios, times = [], []
    for codec_number, codec in enumerate(CODECS):
        for zarr_format in FORMATS:
            skipped = zarr.startswith("2.") and zarr_format == "3"
            lost_shuffle = zarr_format == "3" and "shuffle" in codec and numcodecs.startswith("0.15")
            ratio = 1.0 if lost_shuffle and "lz4" in codec else 1.08 if lost_shuffle else _BASE_RATIO[codec]
            ratios.append(float("nan") if skipped else ratio)
            times.append(float("nan") if skipped else 0.010 + 0.002 * codec_number + 0.0007 * index)
    return {COMPRESSION_RATIO: ratios, READ_TIME: times}


def _write_result(
    results_dir: Path, commit: str, env_name: str, params: dict, requirements: dict, values: dict, releases
) -> None:
    results = {name: [row, [CODECS, CHUNKS, FORMATS], "1", ASV_DATE, 1.0] for name, row in values.items()}
    results[ZARR_RELEASE] = [[version_number(releases[0])], [], "1", ASV_DATE, 0.1]
    results[NUMCODECS_RELEASE] = [[version_number(releases[1])], [], "1", ASV_DATE, 0.1]
    write_asv_result(
        results_dir,
        machine=MACHINE,
        commit=commit,
        env_name=env_name,
        results=results,
        columns=["result", "params", "version", "started_at", "duration"],
        python=params["python"],
        requirements=requirements,
        params=params,
    )


def write_matrix_project(directory: Path) -> Path:
    """A git repository with one commit and asv results for it in every environment; returns its config."""
    directory.mkdir(parents=True)
    git = [
        "git",
        "-c",
        "user.name=test",
        "-c",
        "user.email=test@example.org",
        "-c",
        "init.defaultBranch=main",
    ]
    (directory / "README").write_text("benchmarked project\n")
    for command in (["init", "--quiet"], ["add", "README"], ["commit", "--quiet", "--message=first"]):
        subprocess.run([*git, *command], cwd=directory, check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=directory, check=True, capture_output=True, text=True
    ).stdout.strip()
    config = directory / "asv.conf.json"
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "project": "cryoet-zarr-bench",
                "repo": ".",
                "branches": ["main"],
                "environment_type": "virtualenv",
                "results_dir": "results",
                "html_dir": "html",
            }
        ),
        encoding="utf-8",
    )
    results_dir = directory / "results"
    (results_dir / MACHINE).mkdir(parents=True)
    (results_dir / "benchmarks.json").write_text(
        json.dumps({**_benchmarks(), "version": 2}), encoding="utf-8"
    )
    (results_dir / MACHINE / "machine.json").write_text(json.dumps({"machine": MACHINE, "version": 1}))
    for index, (python, zarr, numcodecs) in enumerate(MATRIX):
        pins = {"zarr": zarr, "numcodecs": numcodecs}
        env_name = f"virtualenv-py{python}-numcodecs{numcodecs}-zarr{zarr}"
        values = _values(index, zarr, numcodecs)
        _write_result(
            results_dir, commit, env_name, {"python": python, **pins}, pins, values, (zarr, numcodecs)
        )
    existing_values = _values(len(MATRIX), *EXISTING_RELEASES)
    _write_result(
        results_dir,
        commit,
        "existing-py_home_user_cryoet-zarr-bench_.venv_bin_python3.11",
        {"python": EXISTING_PYTHON},
        {},
        existing_values,
        EXISTING_RELEASES,
    )
    return config


def asv_publish(config: Path) -> None:
    """``asv publish`` alone (no vendoring), failing with asv's output."""
    completed = subprocess.run(
        [sys.executable, "-m", "asv", "publish", "--config", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
