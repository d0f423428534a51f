"""`cryoet-zarr-bench matrix`: the release matrix shown, and its pins refreshed from a package index.

The index is a directory of tiny wheels (real METADATA with Requires-Python and Requires-Dist) served by
``python -m http.server`` on 127.0.0.1; pip itself reads it, with the user's pip configuration switched off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.interpreters import find_python, how_to_get
from cryoet_zarr_bench.matrix import Environment, read_environments
from cryoet_zarr_bench.releases import PINNED

from support import REPO_ROOT, require

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

CONFIG = f"""{{
    // A release matrix to refresh: this comment, the layout and the order must survive.
    "version": 1,
    "environment_type": "virtualenv",
    "pythons": [],
    "matrix": {{}},
    "include": [
        // zarr 2.18 requires numcodecs < 0.16.
        {{"python": "{PYTHON}", "req": {{"zarr": "2.18.7", "numcodecs": "0.15.2", "numpy": "2.4.5"}}}},
        {{"python": "{PYTHON}", "req": {{"zarr": "3.1.5", "numcodecs": "0.16.5", "numpy": "2.4.5"}}}}
    ],
}}
"""

#: (name, version, Requires-Python, Requires-Dist) of the index every test starts from.
INDEX = [
    ("numpy", "2.4.5", ">=3.11", []),
    ("numcodecs", "0.15.2", ">=3.11", ["numpy>=1.24"]),
    ("numcodecs", "0.16.5", ">=3.11", ["numpy>=1.24"]),
    ("zarr", "2.18.7", ">=3.11", ["numcodecs>=0.10.0,<0.16", "numpy>=1.24"]),
    ("zarr", "3.1.5", ">=3.11", ["numcodecs>=0.14", "numpy>=2.0"]),
    # Newer than any pin, but not for this Python, or not final: a refresh must not pick them.
    ("zarr", "3.1.9", ">=3.99", ["numcodecs>=0.14", "numpy>=2.0"]),
    ("zarr", "3.1.8rc1", ">=3.11", ["numcodecs>=0.14", "numpy>=2.0"]),
]


def write_wheel(index: Path, name: str, version: str, requires_python: str, requires: list[str]) -> None:
    """A pure-Python wheel of ``name`` in ``index/<name>/``, as a simple index lays it out."""
    directory = index / name
    directory.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n',
        f"{dist_info}/METADATA": "\n".join(
            [
                "Metadata-Version: 2.1",
                f"Name: {name}",
                f"Version: {version}",
                f"Requires-Python: {requires_python}",
                *(f"Requires-Dist: {requirement}" for requirement in requires),
                "",
            ]
        ),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{dist_info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{dist_info}/RECORD"])
    with zipfile.ZipFile(directory / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """(directory, URL) of a simple index on loopback holding INDEX; pip sees nothing else."""
    directory = tmp_path / "simple"
    for name, version, requires_python, requires in INDEX:
        write_wheel(directory, name, version, requires_python, requires)
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = re.search(r"port (\d+)", server.stdout.readline()).group(1)
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
        for name in ("FIND_LINKS", "INDEX_URL", "EXTRA_INDEX_URL", "NO_INDEX", "CONSTRAINT"):
            monkeypatch.delenv(f"PIP_{name}", raising=False)
        yield directory, f"http://127.0.0.1:{port}/simple/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "asv.conf.json"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_a_newer_patch_rewrites_exactly_that_pin(index, config, capsys) -> None:
    directory, url = index
    write_wheel(directory, "zarr", "3.1.6", ">=3.11", ["numcodecs>=0.14", "numpy>=2.0"])
    write_wheel(directory, "zarr", "3.2.0", ">=3.11", ["numcodecs>=0.14", "numpy>=2.0"])  # a new minor line

    assert main(["matrix", "--refresh", "--config", str(config), "--index-url", url]) == 0

    assert config.read_text(encoding="utf-8") == CONFIG.replace('"zarr": "3.1.5"', '"zarr": "3.1.6"')
    out = capsys.readouterr().out
    assert "zarr 3.1.5 -> 3.1.6 (1 environment(s))" in out
    assert "note: zarr 3.2.0 starts a minor line newer than any in the matrix" in out
    assert read_environments(config)[1] == Environment(
        PYTHON, (("zarr", "3.1.6"), ("numcodecs", "0.16.5"), ("numpy", "2.4.5"))
    )


def test_an_incompatible_pair_leaves_the_file_untouched_and_says_why(index, config, capsys) -> None:
    directory, url = index
    # numcodecs 0.15.3 is the newest of its line, but zarr 2.18.7's pins exclude it; zarr 3.1.6 is fine alone.
    write_wheel(directory, "numcodecs", "0.15.3", ">=3.11", ["numpy>=1.24"])
    (directory / "zarr" / "zarr-2.18.7-py3-none-any.whl").unlink()
    write_wheel(directory, "zarr", "2.18.7", ">=3.11", ["numcodecs>=0.10.0,<0.15.3", "numpy>=1.24"])
    write_wheel(directory, "zarr", "3.1.6", ">=3.11", ["numcodecs>=0.14", "numpy>=2.0"])
    before = config.stat().st_mtime_ns

    assert main(["matrix", "--refresh", "--config", str(config), "--index-url", url]) == 2

    assert config.read_text(encoding="utf-8") == CONFIG
    assert config.stat().st_mtime_ns == before
    assert [path.name for path in config.parent.iterdir() if path.name.startswith(".")] == []
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    environment = f"py{PYTHON} zarr2.18.7 numcodecs0.15.3 (zarr==2.18.7 numcodecs==0.15.3 numpy==2.4.5)"
    assert error.startswith(f"cryoet-zarr-bench: error: {environment} does not install")
    assert "zarr 2.18.7 depends on numcodecs<0.15.3" in error
    assert error.endswith("asv.conf.json left unchanged")


def test_find_links_is_passed_through_to_pip(index, config, capsys) -> None:
    directory, _ = index
    write_wheel(directory, "numpy", "2.4.6", ">=3.11", [])
    links = [str(path) for path in directory.iterdir()]
    arguments = ["matrix", "--refresh", "--config", str(config), "--no-index"]
    assert main([*arguments, *(option for link in links for option in ("--find-links", link))]) == 0
    assert "numpy 2.4.5 -> 2.4.6 (2 environment(s))" in capsys.readouterr().out
    assert config.read_text(encoding="utf-8") == CONFIG.replace('"numpy": "2.4.5"', '"numpy": "2.4.6"')


def test_the_repository_matrix_is_shown_one_environment_a_line(capsys) -> None:
    assert main(["matrix", "--config", str(REPO_ROOT / "asv.conf.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["python", "zarr", "numcodecs", "numpy"]
    matrix = read_environments(REPO_ROOT / "asv.conf.json")
    rows = [line.split() for line in lines[2 : 2 + len(matrix)]]
    assert rows == [[env.python, *(env.pin(library) for library in PINNED)] for env in matrix]


def test_the_repository_matrix_pins_everything_and_bridges_its_pythons() -> None:
    matrix = read_environments(REPO_ROOT / "asv.conf.json")
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", env.pin(library)) for env in matrix for library in PINNED)
    assert len({env.name for env in matrix}) == len(matrix), "reports tell environments apart by these names"
    assert len({env.pin("numpy") for env in matrix}) == 1, (
        "one numpy, so every environment has the same volume"
    )
    pythons = sorted({env.python for env in matrix}, key=lambda version: tuple(map(int, version.split("."))))
    assert len(pythons) >= 2
    pairs = [
        {(env.pin("zarr"), env.pin("numcodecs")) for env in matrix if env.python == py} for py in pythons
    ]
    assert set.intersection(*pairs), "no zarr/numcodecs pair runs on every Python (the bridge)"


def test_each_python_sees_its_own_releases_and_a_bridge_stays_a_bridge(index, tmp_path, capsys) -> None:
    """zarr 3.1.6 requires Python 3.12 here: the Python 3.13 environment could take it, the 3.11 one cannot,
    so the pin they share stays; numpy 2.4.6 installs on both and moves in both."""
    other = "3.13" if PYTHON != "3.13" else "3.11"
    require(find_python(other) is not None, how_to_get(other))
    directory, url = index
    write_wheel(directory, "zarr", "3.1.6", ">=3.12", ["numcodecs>=0.14", "numpy>=2.0"])
    write_wheel(directory, "numpy", "2.4.6", ">=3.11", [])
    bridge = CONFIG.replace(
        f'"python": "{PYTHON}", "req": {{"zarr": "2.18.7"', f'"python": "{other}", "req": {{"zarr": "3.1.5"'
    )
    bridge = bridge.replace('"numcodecs": "0.15.2"', '"numcodecs": "0.16.5"')
    config = tmp_path / "bridge.conf.json"
    config.write_text(bridge, encoding="utf-8")

    assert main(["matrix", "--refresh", "--config", str(config), "--index-url", url]) == 0

    assert capsys.readouterr().out.splitlines()[0] == "numpy 2.4.5 -> 2.4.6 (2 environment(s))"
    assert config.read_text(encoding="utf-8") == bridge.replace('"numpy": "2.4.5"', '"numpy": "2.4.6"')
    assert {env.pin("zarr") for env in read_environments(config)} == {"3.1.5"}
