"""The survey: inputs, the resumable Parquet table, the summary, and real Dask clusters on this machine."""

from __future__ import annotations

import json
import math
import os
import signal

import numpy as np
import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.codecs import codec_set
from cryoet_zarr_bench.measure import measure_codec
from cryoet_zarr_bench.sources import SourceError, acquire
from cryoet_zarr_bench.survey import SurveyTable, expand_inputs, extrapolate, summarise
from cryoet_zarr_bench.survey.run import local_client, run_survey, survey_tasks
from cryoet_zarr_bench.survey.summary import t_quantile_975

SOURCES = [f"synthetic?shape=32,32,32&seed={seed}" for seed in range(3)]
CHUNKS = (16, 16, 16)


def _tasks(sources=SOURCES, codecs="baseline"):
    return survey_tasks(sources, codec_set(codecs), chunks=CHUNKS, repeats=1)


def _row(source, codec, ratio, raw=1000, dtype="float32", provenance="{}"):
    return {
        "source": source, "codec": codec, "chunks": "16x16x16", "zarr_format": 3, "threads": 1,
        "ratio": ratio, "raw_bytes": raw, "chunk_bytes": raw / ratio, "write_mb_s": 1.0, "read_mb_s": 2.0,
        "dtype": dtype, "provenance": provenance,
    }  # fmt: skip


# ----------------------------------------------------------------------------------------------- inputs


def test_a_folder_expands_to_its_tomograms_with_the_options(tmp_path):
    for name in ("b.npy", "a.npy"):
        np.save(tmp_path / name, np.zeros((4, 4, 4), np.float32))
    (tmp_path / "notes.txt").write_text("not a tomogram")
    sources = expand_inputs([f"{tmp_path}?crop=centre:2", "synthetic", "synthetic?shape=128&seed=0"])
    assert sources == [
        f"{tmp_path / 'a.npy'}?crop=centre:2",
        f"{tmp_path / 'b.npy'}?crop=centre:2",
        "synthetic?shape=128,128,128&seed=0",  # the same volume twice is surveyed once
    ]


def test_an_empty_folder_is_one_clear_error(tmp_path):
    with pytest.raises(SourceError, match="holds no tomograms"):
        expand_inputs([str(tmp_path)])


def test_a_portal_dataset_expands_to_every_run(portal):
    assert expand_inputs(["portal:10445?crop=centre:32"]) == [
        f"portal:10445/{run}?crop=centre:32&level=0" for run in ("TS_100_3", "TS_100_4", "TS_99_9")
    ]
    with pytest.raises(SourceError, match="no runs for dataset 10446"):
        expand_inputs(["portal:10446"])


# ---------------------------------------------------------------------------------------------- summary


def test_summary_statistics_by_hand():
    ratios = [1.10, 1.12, 1.14, 1.16, 1.18]
    rows = [_row(f"v{i}", "zstd-5", r) for i, r in enumerate(ratios)]
    (summary,) = summarise(rows)
    assert summary.volumes == 5
    assert summary.mean_ratio == pytest.approx(1.14)
    assert summary.std_ratio == pytest.approx(np.std(ratios, ddof=1))
    half_width = 2.776 * np.std(ratios, ddof=1) / math.sqrt(5)
    assert (summary.ci_low, summary.ci_high) == pytest.approx((1.14 - half_width, 1.14 + half_width))
    assert summary.pooled_ratio == pytest.approx(5000 / sum(1000 / r for r in ratios))
    assert summary.outliers == ()


def test_tukey_outliers_are_named():
    rows = [_row(f"v{i}", "zstd-5", 1.10 + 0.001 * i) for i in range(8)] + [_row("odd", "zstd-5", 1.5)]
    assert summarise(rows)[0].outliers == (("odd", 1.5),)


def test_t_quantiles():
    assert t_quantile_975(1) == 12.706
    assert t_quantile_975(30) == 2.042
    assert t_quantile_975(60) == pytest.approx(2.000, abs=0.002)
    assert t_quantile_975(10**6) == pytest.approx(1.960, abs=1e-4)


def test_extrapolation_against_the_baseline_scales_the_pooled_fraction():
    crop = '{"full_shape": [10, 10, 10]}'  # each crop stands for a whole 4000-byte float32 tomogram
    rows = [
        _row("a", "blosc-lz4-5-shuffle", 1.0, provenance=crop),
        _row("a", "zstd-5", 2.0, provenance=crop),
        _row("b", "blosc-lz4-5-shuffle", 1.0, provenance=crop),
        _row("b", "zstd-5", 4.0, provenance=crop),
    ]
    by_codec = {e.codec: e for e in extrapolate(rows, scope="the dataset")}
    zstd = by_codec["zstd-5"]
    assert zstd.raw_bytes == 8000
    assert zstd.stored_bytes == pytest.approx(8000 * (500 + 250) / 2000)
    assert zstd.saved_bytes == pytest.approx(8000 - 3000)
    assert any("cropped from" in a for a in zstd.assumptions)
    given = extrapolate(rows, scope="the portal", raw_bytes=10**12)
    assert {e.codec: e.saved_bytes for e in given}["zstd-5"] == pytest.approx(10**12 * 0.625)
    assert extrapolate([r for r in rows if r["codec"] == "zstd-5"], scope="x") == []  # no baseline surveyed


# -------------------------------------------------------------------------------------- Dask clusters


@pytest.mark.slow
def test_survey_on_two_workers_gives_every_row_once_and_the_single_process_figures(tmp_path):
    table = SurveyTable(tmp_path / "table")
    tasks = _tasks()
    with local_client(2) as client:
        outcome = run_survey(tasks, table, client)
        workers = set(client.run(os.getpid).values())
    assert (outcome.written, outcome.already_done, outcome.failed) == (12, 0, [])
    rows = table.rows()
    assert sorted(row["key"] for row in rows) == sorted(task.key for task in tasks)
    assert {row["worker"].split(":")[1] for row in rows} <= {str(pid) for pid in workers}
    for row in rows:
        volume = acquire(row["source"])
        expected = measure_codec(volume, row["codec"], chunks=CHUNKS, repeats=1)
        assert row["chunk_bytes"] == expected.stored.chunks
        assert row["volume_checksum"] == volume.checksum()
        assert row["round_trip_ok"] and row["threads"] == 1
    assert summarise(rows) == summarise(SurveyTable(table.path).rows())  # recomputed from disk: the same


@pytest.mark.slow
def test_a_rerun_skips_finished_rows(tmp_path):
    table = SurveyTable(tmp_path / "table")
    tasks = _tasks(SOURCES[:2])
    with local_client(2) as client:
        run_survey(tasks, table, client)
        for part in sorted(table.path.glob("*.parquet"))[:3]:
            part.unlink()
        outcome = run_survey(tasks, table, client)
    assert (outcome.written, outcome.already_done) == (3, 5)
    assert sorted(row["key"] for row in table.rows()) == sorted(task.key for task in tasks)


@pytest.mark.slow
def test_a_worker_killed_mid_survey_still_completes_the_table(tmp_path):
    table = SurveyTable(tmp_path / "table")
    tasks = _tasks()
    killed = []
    with local_client(2) as client:

        def kill_a_worker_once(row, finished, total):
            if not killed:
                pid = next(iter(client.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        outcome = run_survey(tasks, table, client, on_row=kill_a_worker_once)
    assert killed and outcome.failed == []
    assert sorted(row["key"] for row in table.rows()) == sorted(task.key for task in tasks)


@pytest.mark.slow
def test_an_interrupted_survey_resumes_on_a_new_cluster_with_every_row_once(tmp_path):
    table = SurveyTable(tmp_path / "table")
    tasks = _tasks()

    def stop_after_four(row, finished, total):
        if finished == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), local_client(2) as client:
        run_survey(tasks, table, client, on_row=stop_after_four)
    assert len(table.done_keys()) == 4
    with local_client(1) as client:  # a new scheduler and workers
        outcome = run_survey(tasks, table, client)
    assert (outcome.written, outcome.already_done) == (8, 4)
    keys = [row["key"] for row in table.rows()]
    assert sorted(keys) == sorted(task.key for task in tasks) and len(keys) == len(set(keys))


@pytest.mark.slow
def test_the_survey_command_over_a_portal_dataset_on_loopback(portal, tmp_path, capsys):
    config = tmp_path / "asv.conf.json"
    config.write_text(json.dumps({"version": 1, "html_dir": str(tmp_path / "html")}))
    status = main(
        ["survey", "portal:10445?crop=centre:32", "--codecs", "none,zstd-5,blosc-lz4-5-shuffle",
         "--chunks", "16", "--repeats", "1", "--workers", "2", "--table", str(tmp_path / "t"),
         "--publish", "--config", str(config)]  # fmt: skip
    )
    out, err = capsys.readouterr()
    assert status == 2  # two runs cannot be read: reported, the rest surveyed
    failures = [line for line in err.splitlines() if line.startswith("failed:")]
    assert len(failures) == 6 and all("TS_100_4" in line or "TS_99_9" in line for line in failures)
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("cryoet-zarr-bench: error: 6 task(s) failed (listed above)")
    rows = SurveyTable(tmp_path / "t").rows()
    assert {row["source"] for row in rows} == {"portal:10445/TS_100_3?crop=centre:32&level=0"}
    assert {row["codec"] for row in rows} == {"none", "zstd-5", "blosc-lz4-5-shuffle"}
    assert "extrapolated to the surveyed tomograms" in out
    page = (tmp_path / "html" / "survey" / "index.html").read_text()
    assert "portal:10445/TS_100_3?crop=centre:32&amp;level=0" in page and 'id="survey-summary"' in page
    assert (tmp_path / "html" / "survey" / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_survey_page_shows_the_summary_the_outliers_and_the_extrapolation(tmp_path):
    from cryoet_zarr_bench.report.pages import write_page
    from cryoet_zarr_bench.report.survey.page import survey_page
    from cryoet_zarr_bench.survey import survey_report

    rows = [_row(f"v{i}", codec, ratio + 0.001 * i) for i in range(8) for codec, ratio in
            (("blosc-lz4-5-shuffle", 1.09), ("zstd-5", 1.08))] + [_row("odd", "zstd-5", 1.5)]  # fmt: skip
    index = write_page(survey_page(rows, *survey_report(rows, portal_bytes=10**15)), tmp_path / "survey")
    page = index.read_text()
    zstd = next(s for s in survey_report(rows)[0] if s.codec == "zstd-5")
    assert f"<td class=\"number\">{zstd.mean_ratio:.4f}</td>" in page
    assert "zstd-5: odd (ratio 1.5000)" in page
    assert "Extrapolated to the portal" in page and "Extrapolated to the surveyed tomograms" in page
    assert (tmp_path / "survey" / "ratios.png").stat().st_size > 1000
