"""The versions command over a release matrix: the report in the terminal, the page written and linked from
the dashboard, errors in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cryoet_zarr_bench.asv_config import AsvConfigError
from cryoet_zarr_bench.cli import build_parser, main
from cryoet_zarr_bench.report.runs import Release, ReportError

from release_results import (
    MATRIX,
    READ_TIME,
    new_results_dir,
    write_matrix_results,
    write_run,
)
from support import ASV_NAV, write_report_config


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_matrix_results(tmp_path / "results")


def versions(*argv: str) -> int:
    """`cryoet-zarr-bench versions ARGV...`; errors propagate instead of becoming an exit status."""
    args = build_parser().parse_args(["versions", *argv])
    return args.run(args)


def test_versions_command_reads_the_config_and_links_the_page(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_report_config(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(ASV_NAV, encoding="utf-8")

    assert versions("--config", str(config), "--baseline", "zarr3.0.10 numcodecs0.16.6") == 0

    output = capsys.readouterr().out
    assert "CHUNK BYTES CHANGED BETWEEN RELEASES" in output
    assert "py3.13 zarr3.4.2 numcodecs0.17.2 / py3.11 zarr3.0.10 numcodecs0.16.6 at the same commit" in output
    assert f"by-release page: {tmp_path / 'site' / 'by-release' / 'index.html'}" in output
    assert (tmp_path / "site" / "by-release" / f"{READ_TIME}.png").is_file()
    assert '<a href="by-release/index.html">By release</a>' in (tmp_path / "site" / "index.html").read_text()


def test_versions_command_reads_an_unpinned_matrix_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_results_dir(tmp_path / "results")
    write_run(tmp_path / "results", Release("3.11", "3.0.10", "0.16.6"))
    write_run(
        tmp_path / "results",
        Release("3.11", "3.1.6", "0.16.6"),
        name="virtualenv-py3.11-numcodecs-zarr",
        pins={"zarr": "", "numcodecs": ""},
    )
    config = write_report_config(tmp_path)

    assert main(["versions", "--config", str(config)]) == 0

    output = capsys.readouterr().out
    assert re.search(
        r"\n  py3\.11 zarr3\.1\.6 numcodecs0\.16\.6 +virtualenv-py3\.11-numcodecs-zarr\n", output
    )


def test_versions_command_errors(tmp_path: Path) -> None:
    with pytest.raises(AsvConfigError, match="no asv configuration at"):
        versions("--config", str(tmp_path / "missing.json"))

    config = tmp_path / "asv.conf.json"
    config.write_text('{"version": 1}')
    with pytest.raises(ReportError, match=f"{re.escape(str(tmp_path / 'results'))} has no benchmarks.json"):
        versions("--config", str(config))


@pytest.mark.parametrize("environments", [1, len(MATRIX)])
def test_versions_with_a_baseline_that_names_nothing_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environments: int
) -> None:
    directory = new_results_dir(tmp_path / "results")
    for release in MATRIX[:environments]:
        write_run(directory, release)
    config = write_report_config(tmp_path)

    assert main(["versions", "--config", str(config), "--baseline", "nonsense"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("cryoet-zarr-bench: error: ") and "'nonsense'" in line
    assert "py3.11 zarr3.1.6 numcodecs0.16.6" in line
    assert not (tmp_path / "site").exists()


def test_versions_command_without_a_dashboard_writes_the_page_unlinked(
    results_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_report_config(tmp_path)

    assert versions("--config", str(config)) == 0

    assert "run `cryoet-zarr-bench publish` first" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "site").iterdir()) == ["by-release"]
