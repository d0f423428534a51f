"""Tests of the dashboard's data scripts and environment names (cryoet_zarr_bench.dashboard_data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asv_matrix import EXISTING_PYTHON, MATRIX, asv_publish, write_matrix_project

from cryoet_zarr_bench.dashboard_data import (
    JSON_SCRIPT_DIR,
    environment_label,
    name_environments,
    python_version,
    write_json_scripts,
)

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
