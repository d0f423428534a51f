"""Tests of the dashboard's data scripts and environment names (cryoet_zarr_bench.dashboard_data)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cryoet_zarr_bench.dashboard_data import (
    JSON_SCRIPT_DIR,
    drop_empty_benchmarks,
    environment_label,
    name_environments,
    python_version,
    write_json_scripts,
)
from cryoet_zarr_bench.report.registry import COMPRESSION_RATIO, NUMCODECS_RELEASE, READ_TIME, ZARR_RELEASE

from asv_matrix import CODECS, EXISTING_PYTHON, MATRIX, asv_publish, write_matrix_project
from support import ASV_DATE

pytest.importorskip("asv")

REGISTER = "window.cryoetZarrBenchData.register("


def registered(script: Path) -> tuple[str, object]:
    """The path and data a JSON script registers."""
    text = script.read_text(encoding="utf-8")
    assert text.startswith(REGISTER) and text.endswith(");\n"), text[:80]
    path, data = json.loads(f"[{text[len(REGISTER) : -3]}]")
    return path, data


def test_every_json_file_becomes_a_script_registering_its_data(tmp_path: Path) -> None:
    (tmp_path / "graphs" / "machine-box").mkdir(parents=True)
    (tmp_path / "index.json").write_text('{"project": "p", "values": [1, 2.5, null]}')
    (tmp_path / "graphs" / "machine-box" / "a.b.json").write_text("[[0, 1.5]]\n")
    (tmp_path / "index.html").write_text("<html></html>")

    assert write_json_scripts(tmp_path) == 2

    scripts = tmp_path / JSON_SCRIPT_DIR
    assert sorted(p.relative_to(scripts).as_posix() for p in scripts.rglob("*") if p.is_file()) == [
        "graphs/machine-box/a.b.json.js",
        "index.json.js",
    ]
    assert registered(scripts / "index.json.js") == ("index.json", {"project": "p", "values": [1, 2.5, None]})
    assert registered(scripts / "graphs" / "machine-box" / "a.b.json.js") == (
        "graphs/machine-box/a.b.json",
        [[0, 1.5]],
    )


def test_scripts_of_removed_json_files_go_too(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("1")
    write_json_scripts(tmp_path)
    (tmp_path / "old.json").unlink()
    (tmp_path / "new.json").write_text("2")

    assert write_json_scripts(tmp_path) == 1

    assert [p.name for p in (tmp_path / JSON_SCRIPT_DIR).iterdir()] == ["new.json.js"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind


def test_environment_label() -> None:
    assert (
        environment_label("3.11", {"zarr": "3.1.6", "numcodecs": "0.16.6"})
        == "py3.11 zarr3.1.6 numcodecs0.16.6"
    )
    assert environment_label("3.11", {"zarr": "3.1.6", "numcodecs": "0.16.6"}, existing=True) == (
        "py3.11 zarr3.1.6 numcodecs0.16.6 (existing)"
    )
    assert environment_label(None, {"zarr": "2.18.7", "numcodecs": None}) == "zarr2.18.7"
    assert environment_label(None, {}) is None


def test_python_version_of_a_version_or_an_interpreter(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.1\n"
    )

    assert python_version("3.13") == "3.13"
    assert python_version(str(venv / "bin" / "python")) == "3.12"  # from pyvenv.cfg
    assert python_version("/opt/elsewhere/bin/python3.11") == "3.11"  # from the name
    assert python_version("/opt/elsewhere/bin/python") is None


def test_environments_are_named_by_their_releases(tmp_path: Path) -> None:
    config = write_matrix_project(tmp_path / "project")
    asv_publish(config)
    html_dir = tmp_path / "project" / "html"

    labels = name_environments(html_dir)

    index = json.loads((html_dir / "index.json").read_text(encoding="utf-8"))
    assert index["environment_labels"] == labels
    by_python = {params["python"]: [] for params in index["graph_param_list"]}
    for params, label in zip(index["graph_param_list"], labels):
        by_python[params["python"]].append(label)
    # The existing environment's releases come from its releases.Releases results, its Python from the path.
    assert by_python.pop(EXISTING_PYTHON) == ["py3.11 zarr3.1.6 numcodecs0.16.6 (existing)"]
    assert sorted(label for group in by_python.values() for label in group) == sorted(
        f"py{python} zarr{zarr} numcodecs{numcodecs}" for python, zarr, numcodecs in MATRIX
    )
    assert index["param_labels"] == {
        "python": {EXISTING_PYTHON: "3.11 (existing)"},
        "zarr": {"null": "(existing)"},
        "numcodecs": {"null": "(existing)"},
    }
    # asv's own keys are untouched.
    assert len(index["graph_param_list"]) == len(MATRIX) + 1 and "benchmarks" in index


NEVER_RUN = "engines.Read.time_read"
SKIPPED_EVERYWHERE = "study.LossyFidelity.track_added_noise"


def add_benchmarks_without_values(project: Path) -> None:
    """A benchmark the suite defines but no environment ran, and one that every environment skipped."""
    results_dir = project / "results"
    benchmarks = json.loads((results_dir / "benchmarks.json").read_text(encoding="utf-8"))
    for name, kind in ((NEVER_RUN, "time"), (SKIPPED_EVERYWHERE, "track")):
        benchmarks[name] = {
            "name": name,
            "type": kind,
            "unit": "seconds" if kind == "time" else "ratio",
            "param_names": ["codec"],
            "params": [CODECS],
            "code": "...",
            "version": "1",
        }
    (results_dir / "benchmarks.json").write_text(json.dumps(benchmarks), encoding="utf-8")
    for path in results_dir.glob("*/*.json"):
        if path.name == "machine.json":
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        document["results"][SKIPPED_EVERYWHERE] = [[math.nan] * len(CODECS), [CODECS], "1", ASV_DATE, 1.0]
        path.write_text(json.dumps(document), encoding="utf-8")


def test_benchmarks_without_a_value_leave_the_dashboard(tmp_path: Path) -> None:
    """No empty thumbnail: a benchmark never run, or skipped everywhere, is not listed; one skipped in some
    environments and cases is."""
    config = write_matrix_project(tmp_path / "project")
    add_benchmarks_without_values(tmp_path / "project")
    asv_publish(config)
    html_dir = tmp_path / "project" / "html"
    index = json.loads((html_dir / "index.json").read_text(encoding="utf-8"))
    assert {NEVER_RUN, SKIPPED_EVERYWHERE} <= set(index["benchmarks"])  # as asv publishes them
    graphs = list((html_dir / "graphs").rglob(f"{SKIPPED_EVERYWHERE}.json"))
    assert graphs  # asv writes graphs of nulls for it

    assert drop_empty_benchmarks(html_dir) == [NEVER_RUN, SKIPPED_EVERYWHERE]

    index = json.loads((html_dir / "index.json").read_text(encoding="utf-8"))
    # The ratio is skipped by zarr 2.18 in format 3, and stays.
    assert set(index["benchmarks"]) == {COMPRESSION_RATIO, READ_TIME, ZARR_RELEASE, NUMCODECS_RELEASE}
    assert not any(path.exists() for path in graphs)
    assert drop_empty_benchmarks(html_dir) == []
