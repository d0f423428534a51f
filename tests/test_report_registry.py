"""The reports find benchmarks through one registry, and every name in it is one the suite defines."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cryoet_zarr_bench.report import registry

from support import REPO_ROOT, SUITE_VARIABLES

REPORT_PACKAGE = REPO_ROOT / "cryoet_zarr_bench" / "report"
BENCHMARK_MODULES = sorted(p.stem for p in (REPO_ROOT / "benchmarks").glob("*.py") if p.stem != "__init__")
#: A benchmark's module and class, the start of every name asv gives a benchmark: ``write_read.Read``.
BENCHMARK_NAME = re.compile(rf"\b(?:{'|'.join(BENCHMARK_MODULES)})\.[A-Z]\w*(?:\.\w+)?")

#: asv's own discovery (asv_runner, as ``asv run`` uses it), printing every benchmark's name as JSON.
DISCOVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from asv_runner.discovery import disc_benchmarks
print(json.dumps(sorted(benchmark.name for benchmark in disc_benchmarks(sys.argv[2]))))
"""


@pytest.fixture(scope="module")
def defined(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every benchmark the suite defines with every study selected, as asv discovers them."""
    environ = {name: value for name, value in os.environ.items() if name not in SUITE_VARIABLES}
    environ.update(
        CRYOET_ZARR_BENCH_STUDIES="all",
        CRYOET_ZARR_BENCH_CACHE=str(tmp_path_factory.mktemp("volume-cache")),
    )
    completed = subprocess.run(
        [sys.executable, "-c", DISCOVER, str(REPO_ROOT), str(REPO_ROOT / "benchmarks")],
        cwd=tmp_path_factory.mktemp("discovery"),
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return set(json.loads(completed.stdout))


def report_sources() -> list[Path]:
    return sorted(REPORT_PACKAGE.glob("*.py"))


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are prose: docstrings of modules, classes, functions and
    attributes, i.e. every string standing alone as a statement."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def test_every_registry_name_is_a_benchmark_the_suite_defines(defined: set[str]) -> None:
    assert registry.COMPRESSION_RATIO in defined  # discovery found the suite
    assert sorted(set(registry.ALL) - defined) == []


def test_the_registry_lists_each_subject_once() -> None:
    assert len(registry.ALL) == len(set(registry.ALL))
    constants = {
        value
        for name, value in vars(registry).items()
        if name.isupper()
        and isinstance(value, str)
        and value.count(".") == 2
        and BENCHMARK_NAME.fullmatch(value)
    }
    assert constants <= set(registry.ALL)  # no constant left out of SUBJECTS


def test_no_report_module_spells_a_benchmark_name_outside_the_registry() -> None:
    spelled = []
    for path in report_sources():
        if path.name == "registry.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                spelled += [f"{path.name}:{node.lineno}: {m}" for m in BENCHMARK_NAME.findall(node.value)]
    assert spelled == []


def test_the_scan_finds_a_name_spelled_in_code() -> None:
    """The scan above can fail: a lookup by a literal name, even a piece of an f-string, is found."""
    tree = ast.parse(
        'reads = by_name.get("write_read.Read.time_read", {})\nname = f"releases.Releases.track_{x}"'
    )
    constants = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    found = [name for value in constants for name in BENCHMARK_NAME.findall(str(value))]
    assert found == ["write_read.Read.time_read", "releases.Releases.track_"]


def test_benchmarks_named_in_report_docstrings_exist(defined: set[str]) -> None:
    """Prose may name a benchmark (``write_read.Read.time_read``), but only one the suite defines."""
    stale = []
    for path in report_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        prose = docstrings(tree)
        for node in ast.walk(tree):
            if id(node) in prose:
                names = [m for m in BENCHMARK_NAME.findall(node.value) if m.count(".") == 2]
                stale += [f"{path.name}: {name}" for name in names if name not in defined]
    assert stale == []
