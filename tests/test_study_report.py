"""The codec study's report: rows from recorded results, the best safe setting per family, the page."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.report.asv_results import Case, EnvironmentRun, Results
from cryoet_zarr_bench.report.pages import write_page
from cryoet_zarr_bench.report.registry import COMPRESSION_RATIO, READ_TIME, STORED_BYTES, study_figure
from cryoet_zarr_bench.report.runs import ReportError
from cryoet_zarr_bench.report.study.model import build_study, family, float_aware, pareto_front
from cryoet_zarr_bench.report.study.page import PAGE_DIR, study_page
from cryoet_zarr_bench.report.study.slices import central_slices, slices_setting
from cryoet_zarr_bench.report.study.text import format_study
from cryoet_zarr_bench.sources.synthetic import synthetic_volume

# codec -> (ratio, added noise %, fraction of the Gaussian reference, half-map shift Å, safe)
RECORDED = {
    "bitround-4+blosc-zstd-5-shuffle": (4.0, 0.3, 0.6, 0.0, 1),
    "bitround-2+blosc-zstd-5-shuffle": (5.0, 2.0, 0.55, 1.5, 0),
    "zfp-accuracy-1e-6": (3.0, 0.01, 0.9, 0.0, 1),
    "zfp-accuracy-1e-5": (6.0, 0.5, 0.8, 0.0, 1),
    "step-1%+pcodec-8": (8.0, 1.0, 0.85, 0.2, 0),
}
LOSSLESS = {"zstd-5": 1.08, "blosc-zstd-5-shuffle": 1.17, "pcodec-8": 1.19, "zfp-reversible": 1.0}
READ_COST = {"zstd-5": 1.0, "blosc-zstd-5-shuffle": 1.5, "pcodec-8": 3.0, "zfp-reversible": 2.0}
TRACKS = ("compression_ratio", "added_noise", "fraction_of_gaussian_reference", "half_map_shift", "safe")


def _results(recorded=RECORDED, skipped_case=True) -> Results:
    values = {}
    for codec, figures in recorded.items():
        cls = "study.NoiseTiedFidelity" if "%" in codec else "study.LossyFidelity"
        for track, value in zip(TRACKS, figures, strict=True):
            case = Case(
                study_figure(cls, track), (("codec", codec), ("chunks", "64x64x64"), ("zarr_format", "3"))
            )
            values[case] = float(value)
    for codec, ratio in LOSSLESS.items():
        for fmt in ("2", "3"):
            case = Case(COMPRESSION_RATIO, (("codec", codec), ("chunks", "64"), ("zarr_format", fmt)))
            values[case] = ratio
    values[Case("study.Limits.track_entropy_ratio_limit", ())] = 1.2
    for codec, ratio in LOSSLESS.items():  # 10 MB raw, read in 0.01 s per unit of ratio: faster = bigger
        params = (("codec", codec), ("chunks", "64"), ("zarr_format", "3"))
        values[Case(STORED_BYTES, params)] = 10e6 / ratio
        values[Case(READ_TIME, params)] = 0.01 * READ_COST[codec]
    if skipped_case:  # a lossless codec: every LossyFidelity case skipped (NaN)
        for track in TRACKS:
            params = (("codec", "zstd-5"), ("chunks", "64"), ("zarr_format", "3"))
            values[Case(study_figure("study.LossyFidelity", track), params)] = math.nan
    run = EnvironmentRun(
        Path("r.json"), "m", "py3.11 zarr3.1.6 numcodecs0.16.6", "abcdef12", 1, "3.11", {}, values
    )
    return Results(benchmarks={}, runs=[run])


def test_families():
    assert float_aware("pcodec-8") and float_aware("zfp-reversible") and float_aware("blosc-lz4-5-bitshuffle")
    assert not float_aware("blosc-zstd-5-shuffle") and not float_aware("zstd-5")
    assert family("bitround-12+blosc-zstd-5-shuffle") == "bitround"
    assert family("zfp-accuracy-1e-6") == "zfp-accuracy"
    assert family("quantize-6+zstd-5") == "quantize"
    assert family("step-1%+pcodec-8") == "step"
    assert family("zfp-accuracy-0.1sigma") == "zfp-accuracy"


def test_the_best_safe_setting_of_each_family():
    report = build_study(_results())
    assert len(report.rows) == 5  # the skipped lossless case is left out
    best = report.best_safe()
    assert {name: row.codec for name, row in best.items()} == {
        "bitround": "bitround-4+blosc-zstd-5-shuffle",
        "zfp-accuracy": "zfp-accuracy-1e-5",
    }
    assert report.lossless.best == report.lossless.best_float_aware == ("pcodec-8", 1.19)
    text = format_study(report)
    assert "entropy estimate 1.200x; best found pcodec-8 1.190x = 0.992 of the estimate" in text
    assert "highest-ratio safe setting per family" in text
    assert "step-1%+pcodec-8" in text and family("step-1%+pcodec-8") == "step"


def test_the_pareto_front_of_ratio_and_read_throughput():
    report = build_study(_results())
    front = pareto_front(report.throughput)
    # zfp-reversible is slower than blosc-zstd and compresses less: dominated.
    assert [name.split(",")[0] for name, _, _ in front] == ["zstd-5", "blosc-zstd-5-shuffle", "pcodec-8"]
    assert front[0][2] == pytest.approx(10 / 0.01)  # 10 MB raw in 0.01 s


def test_without_study_results_the_report_says_how_to_get_them():
    how = "none can be judged safe; run the codec study: CRYOET_ZARR_BENCH_STUDIES=codec cryoet-zarr-bench"
    with pytest.raises(ReportError, match=f"no codec-study setting was measured, so {how}"):
        build_study(Results(benchmarks={}, runs=[]))
    with pytest.raises(ReportError, match="in environment 'zarr2'"):
        build_study(_results(), environment="zarr2")


def test_study_cases_that_were_all_skipped_are_nothing_measured():
    """The default codecs are lossless, so a run of the study module with them skips every lossy case (NaN):
    the report says nothing was measured, not that nothing was safe."""
    run = _results().runs[0]
    skipped = {case: math.nan if case.benchmark.startswith("study.") else v for case, v in run.values.items()}
    with pytest.raises(ReportError, match="no codec-study setting was measured"):
        build_study(Results(benchmarks={}, runs=[replace(run, values=skipped)]))


def test_the_page_and_its_figures(tmp_path):
    page = write_page(study_page(build_study(_results())), tmp_path / PAGE_DIR)
    assert page == tmp_path / "study" / "index.html"
    text = page.read_text()
    assert "zfp-accuracy-1e-5" in text and "Gaussian reference" in text
    for figure in ("ratio-vs-added-noise.png", "ratio-vs-read-throughput.png"):
        assert (page.parent / figure).read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["study"]  # no staging directory left behind
    assert not (page.parent / "central-slices.png").exists()  # no slices asked for


def test_the_slices_show_the_best_safe_setting_or_the_one_named():
    report = build_study(_results())
    assert slices_setting(report).codec == "zfp-accuracy-1e-5"  # the highest-ratio safe setting of all
    assert slices_setting(report, "step-1%+pcodec-8").codec == "step-1%+pcodec-8"
    assert slices_setting(report, "zstd-5") is None  # not a recorded lossy setting
    nothing_safe = {codec: (*figures[:4], 0) for codec, figures in RECORDED.items()}
    assert slices_setting(build_study(_results(nothing_safe))) is None
    assert "(none safe)" in format_study(build_study(_results(nothing_safe)))


def test_one_row_per_setting_whatever_the_formats_and_one_column_per_criterion(tmp_path):
    run = _results().runs[0]
    values = dict(run.values)
    for case, value in run.values.items():  # the same figures recorded in format 2 too
        if case.benchmark.startswith("study.LossyFidelity"):
            values[Case(case.benchmark, (*case.params[:2], ("zarr_format", "2")))] = value
    params = (("codec", "zfp-accuracy-1e-5"), ("chunks", "64x64x64"), ("zarr_format", "3"))
    values[Case("study.LossyFidelity.track_criterion_added_noise", params)] = 1.0
    values[Case("study.LossyFidelity.track_half_map_deviation", params)] = 0.4
    values[Case("particles.Picking.track_criterion_picking_recall", params)] = 0.0
    report = build_study(Results(benchmarks={}, runs=[replace(run, values=values)]))
    assert len(report.rows) == 5
    assert report.criterion_names == ["added_noise", "picking_recall"]
    text = format_study(report)
    assert "picking recall" in text and "added noise" in text
    page = write_page(study_page(report), tmp_path / PAGE_DIR)
    assert (page.parent / "ratio-vs-half-map-change.png").read_bytes()[:4] == b"\x89PNG"


def test_without_half_volumes_the_best_setting_at_one_percent_is_named(tmp_path):
    """A real map without half-volumes: no ``track_safe`` is recorded; the best setting at ≤ 1% added noise
    is named instead, and why."""
    recorded = _results().runs[0].values
    half_map = ("safe", "half_map_shift")
    values = {case: v for case, v in recorded.items() if not case.benchmark.endswith(half_map)}
    results = Results(benchmarks={}, runs=[replace(_results().runs[0], values=values)])
    report = build_study(results)
    assert len(report.rows) == 5 and all(row.safe is None for row in report.rows)
    best = {name: row.codec for name, row in report.best_safe().items()}
    assert best == {
        "bitround": "bitround-4+blosc-zstd-5-shuffle",
        "step": "step-1%+pcodec-8",
        "zfp-accuracy": "zfp-accuracy-1e-5",
    }
    text = format_study(report)
    assert "at <= 1% added noise (judged by the added noise only" in text and "nan" not in text
    page = write_page(study_page(report), tmp_path / PAGE_DIR).read_text()
    assert "judged by the added noise only" in page and "No half-map figure" in page


def test_central_slices_through_the_store(tmp_path):
    volume = synthetic_volume(16, seed=3)
    slices = central_slices(volume, "bitround-6+zstd-5", "8", 3)
    assert slices.z == 8
    np.testing.assert_array_equal(slices.original, volume.data[8])
    assert slices.decoded.shape == (16, 16)
    difference = slices.difference
    expected = slices.decoded.astype(np.float64) - volume.data[8].astype(np.float64)
    np.testing.assert_allclose(difference, expected)
    # BitRound to 6 mantissa bits: every error within half a unit of the 6th bit, some error somewhere.
    assert 0 < np.abs(difference).max() <= np.abs(volume.data[8]).max() * 2.0**-7
    page = write_page(study_page(build_study(_results()), slices), tmp_path / PAGE_DIR)
    assert "Central slices: bitround-6+zstd-5" in page.read_text()
    assert (page.parent / "central-slices.png").read_bytes()[:4] == b"\x89PNG"


def test_the_use_test_gets_its_own_best_setting_per_family_beside_the_noise_verdict(tmp_path):
    """``study.UseFidelity.track_criterion_use`` joins each setting's row; per family the highest-ratio
    setting safe for use is named apart from the highest-ratio setting safe by noise."""
    run = _results().runs[0]
    values = dict(run.values)
    for codec, passed in (("bitround-2+blosc-zstd-5-shuffle", 1), ("bitround-4+blosc-zstd-5-shuffle", 1)):
        params = (("codec", codec), ("chunks", "64x64x64"), ("zarr_format", "3"))
        values[Case("study.UseFidelity.track_criterion_use", params)] = float(passed)
    report = build_study(Results(benchmarks={}, runs=[replace(run, values=values)]))
    assert {name: row.codec for name, row in report.best_passing("use").items()} == {
        "bitround": "bitround-2+blosc-zstd-5-shuffle"  # 5.0x, not safe by noise (2% added), safe for use
    }
    assert report.best_safe()["bitround"].codec == "bitround-4+blosc-zstd-5-shuffle"
    text = format_study(report)
    assert "safe for use (picking and averaging unchanged):" in text
    page = write_page(study_page(report), tmp_path / PAGE_DIR).read_text()
    use_table = page.split('<table id="best-for-use">', 1)[1].split("</table>", 1)[0]
    assert "bitround-2+blosc-zstd-5-shuffle" in use_table and "bitround-4" not in use_table
