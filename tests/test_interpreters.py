"""Finding the matrix's interpreters: on PATH, under pyenv, past shims that do not run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryoet_zarr_bench.interpreters import InterpreterNotFound, find_python, how_to_get, interpreters_on_path

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
NAME = f"python{VERSION}"


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{text}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, str]:
    """A PATH whose pythonX.Y is a pyenv-like shim that fails, and a pyenv root with two builds of X.Y."""
    script(tmp_path / "shims" / NAME, f"echo 'pyenv: {NAME}: command not found' >&2; exit 127")
    pyenv = tmp_path / "pyenv"
    for patch in ("9", "10"):  # 10 is the newer patch, though it sorts first as text
        (pyenv / "versions" / f"{VERSION}.{patch}" / "bin").mkdir(parents=True)
        (pyenv / "versions" / f"{VERSION}.{patch}" / "bin" / NAME).symlink_to(sys.executable)
    script(pyenv / "versions" / f"{VERSION}.99" / "bin" / NAME, "echo 2.7")  # runs, but is not X.Y
    return {"PATH": f"{tmp_path / 'shims'}{os.pathsep}/usr/bin{os.pathsep}/bin", "PYENV_ROOT": str(pyenv)}


def test_a_failing_shim_is_passed_over_for_pyenvs_newest_working_build(machine: dict[str, str]) -> None:
    found = find_python(VERSION, machine)
    assert found == Path(machine["PYENV_ROOT"]) / "versions" / f"{VERSION}.10" / "bin" / NAME


def test_a_working_interpreter_on_path_comes_first(machine: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / NAME).symlink_to(sys.executable)
    machine = {**machine, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{machine['PATH']}"}
    assert find_python(VERSION, machine) == tmp_path / "bin" / NAME


def test_a_missing_version_is_none_and_the_hint_is_one_line(machine: dict[str, str]) -> None:
    assert find_python("3.99", machine) is None
    hint = how_to_get("3.99")
    assert "\n" not in hint
    assert "pyenv install 3.99" in hint and "apt-get install python3.99 python3.99-venv" in hint
    with pytest.raises(InterpreterNotFound, match="pyenv install 3.99"):
        with interpreters_on_path([VERSION, "3.99"], machine):
            pass


def test_only_the_versioned_names_are_put_on_path(machine: dict[str, str]) -> None:
    with interpreters_on_path([VERSION], machine) as environ:
        first = Path(environ["PATH"].split(os.pathsep)[0])
        assert [path.name for path in first.iterdir()] == [NAME]
        command = [NAME, "-c", "import sys; print(sys.version_info[:2])"]
        ran = subprocess.run(command, env=environ, capture_output=True, text=True, check=True)
        assert ran.stdout.strip() == str(sys.version_info[:2])
        assert environ["PATH"].endswith(machine["PATH"])
    assert not first.exists()


def test_bench_matrix_without_an_interpreter_of_the_matrix_says_how_to_get_it(tmp_path: Path, capsys) -> None:
    from cryoet_zarr_bench.cli import main

    from support import REPO_ROOT

    config = tmp_path / "asv.conf.json"
    environment = {"python": "3.99", "req": {"zarr": "3.4.2", "numcodecs": "0.17.1", "numpy": "2.4.6"}}
    config.write_text(
        json.dumps(
            {"version": 1, "repo": str(REPO_ROOT), "pythons": [], "matrix": {}, "include": [environment]}
        )
    )
    assert main(["bench", "--matrix", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # asv never ran
    assert captured.err.strip().splitlines() == [
        f"cryoet-zarr-bench: error: {how_to_get('3.99')}"
    ]
