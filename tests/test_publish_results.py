"""tools/publish_results.sh end to end: a project repository, small asv result files, and a bare repository on
disk standing in for the remote. Two runs leave one results branch holding both, and a dashboard on gh-pages;
the project's working tree, index and branches stay as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ASV_DATE, REPO_ROOT, write_asv_result

SCRIPT = REPO_ROOT / "tools" / "publish_results.sh"
MACHINE = "ci-box"
BENCHMARK = "compression.Compression.track_compression_ratio"


def git(repo: Path, *arguments: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *arguments], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def write_result(results_dir: Path, commit: str, zarr: str, ratio: float) -> Path:
    """A small asv 0.6 result file: one benchmark, one environment, one commit."""
    env_name = f"virtualenv-py3.11-numcodecs0.16.6-numpy2.4.6-zarr{zarr}"
    pins = {"zarr": zarr, "numcodecs": "0.16.6", "numpy": "2.4.6"}
    path = write_asv_result(
        results_dir,
        machine=MACHINE,
        commit=commit,
        env_name=env_name,
        results={BENCHMARK: [[ratio], [], "1", ASV_DATE, 1.0]},
        columns=["result", "params", "version", "started_at", "duration"],
        requirements=pins,
    )
    machine = {"machine": MACHINE, "arch": "x86_64", "cpu": "test", "num_cpu": "2", "os": "Linux", "ram": "1"}
    (path.parent / "machine.json").write_text(json.dumps({**machine, "version": 1}), encoding="utf-8")
    benchmark = {
        "name": BENCHMARK, "type": "track", "unit": "ratio", "param_names": [], "params": [], "version": "1"
    }
    (results_dir / "benchmarks.json").write_text(
        json.dumps({BENCHMARK: benchmark, "version": 2}), encoding="utf-8"
    )
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository with two commits on main and an asv configuration."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@localhost")
    config = {
        "version": 1,
        "project": "p",
        "repo": ".",
        "branches": ["main"],
        "dvcs": "git",
        "environment_type": "virtualenv",
        "results_dir": ".asv/results",
        "html_dir": ".asv/html",
    }
    (repo / "asv.conf.json").write_text("// the project's config\n" + json.dumps(config), encoding="utf-8")
    (repo / ".gitignore").write_text(".asv/\n")
    for message in ("first", "second"):
        (repo / "notes.txt").write_text(message)
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "-m", message)
    return repo


def project_state(repo: Path) -> tuple[str, ...]:
    """Everything of a repository the script must leave alone."""
    return (
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "ls-files", "--stage"),
        git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"),
        git(repo, "symbolic-ref", "HEAD"),
        git(repo, "rev-parse", "HEAD"),
    )


def publish(project: Path, remote: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", str(SCRIPT), str(remote)], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def test_two_runs_leave_one_results_branch_with_both_and_a_dashboard(project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    first_commit, second_commit = git(project, "rev-list", "--reverse", "main").split()
    results_dir = project / ".asv" / "results"
    first = write_result(results_dir, first_commit, "3.1.6", 1.165)
    first_bytes = first.read_bytes()
    before = project_state(project)
    completed = publish(project, remote)
    assert completed.returncode == 0, completed.stderr + completed.stdout

    # A later run on a fresh machine: only its own results are on disk.
    first.unlink()
    second = write_result(results_dir, second_commit, "3.4.2", 1.166)
    completed = publish(project, remote)
    assert completed.returncode == 0, completed.stderr + completed.stdout

    history = git(remote, "rev-list", "results").split()
    assert len(history) == 2
    files = set(git(remote, "ls-tree", "-r", "--name-only", "results").splitlines())
    assert files == {
        "results/benchmarks.json",
        f"results/{MACHINE}/machine.json",
        f"results/{MACHINE}/{first.name}",
        f"results/{MACHINE}/{second.name}",
    }
    assert git(remote, "show", f"results:results/{MACHINE}/{first.name}").encode() == first_bytes
    assert f"asv results from {MACHINE}" in git(remote, "log", "-1", "--format=%s", "results")

    # gh-pages: one commit, the offline dashboard built from both runs.
    assert len(git(remote, "rev-list", "gh-pages").split()) == 1
    pages = set(git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert {"index.html", ".nojekyll", "index.json"} <= pages
    index = json.loads(git(remote, "show", "gh-pages:index.json"))
    assert sorted(index["params"]["zarr"]) == ["3.1.6", "3.4.2"]

    # The project is as it was: working tree, index, refs and HEAD (the results it read are left in place).
    assert project_state(project) == before
    assert second.is_file()


def test_no_results_is_one_line_and_exit_2(project: Path, tmp_path: Path) -> None:
    completed = publish(project, tmp_path / "remote.git")
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        f"publish_results: no asv results in {project / '.asv' / 'results'}; run the benchmarks first"
    ]
