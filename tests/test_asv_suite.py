"""The asv suite in the current environment, as the README's first command runs it, and every study."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from cryoet_zarr_bench.asv_run import plan_suite
from cryoet_zarr_bench.suite import CORE_MODULES, STUDIES_ENV

from support import REPO_ROOT, asv_environment, write_asv_config

#: Every benchmark of the default suite: the release-tracking core.
CORE_BENCHMARKS = {
    "compression.Compression.track_chunk_bytes",
    "compression.Compression.track_compression_ratio",
    "compression.Compression.track_metadata_bytes",
    "compression.Compression.track_stored_bytes",
    "overhead.ZarrOverhead.time_decode_numcodecs",
    "recorded.Concurrency.track_setting",
    "recorded.Volume.track_checksum",
    "releases.Releases.track_numcodecs_release",
    "releases.Releases.track_zarr_release",
    "write_read.Read.time_read",
    "write_read.Write.time_write",
}
#: Every study at a small size: a 32³ volume, a lossless and a lossy codec, two layouts, three stores.
SMALL_STUDIES = {
    STUDIES_ENV: "all",
    "CRYOET_ZARR_BENCH_SOURCE": "synthetic?shape=32",
    "CRYOET_ZARR_BENCH_CODECS": "zstd-5,bitround-8+zstd-5",
    "CRYOET_ZARR_BENCH_CHUNKS": "16",
    "CRYOET_ZARR_BENCH_LAYOUTS": "16,shard32-16",
    "CRYOET_ZARR_BENCH_STORES": "local,memory,s3",
    "CRYOET_ZARR_BENCH_FULL_SIZES": "40x48x48",
}


def asv(*args, workdir, **settings):
    return subprocess.run(
        [sys.executable, "-m", "asv", *args],
        cwd=workdir,
        env={**asv_environment(workdir), **settings},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("settings", [{}, {STUDIES_ENV: "all"}], ids=["core", "every study"])
def test_asv_check_finds_no_problems(tmp_path, settings):
    config = write_asv_config(tmp_path)
    checked = asv("check", "--config", str(config), "-E", "existing:same", workdir=tmp_path, **settings)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No problems found" in checked.stdout


def test_the_default_suite_is_the_core(tmp_path):
    planned = plan_suite(REPO_ROOT / "benchmarks", asv_environment(tmp_path))
    assert {benchmark.name for benchmark in planned} == CORE_BENCHMARKS


def bench(tmp_path, *arguments, **settings):
    config = write_asv_config(tmp_path)
    command = [sys.executable, "-m", "cryoet_zarr_bench.cli", "bench", "--quick", "--config", str(config)]
    completed = subprocess.run(
        [*command, *arguments],
        cwd=tmp_path,
        env={**asv_environment(tmp_path), **settings},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    return completed


def results(tmp_path):
    """{benchmark: [values]} of the one result file of the run."""
    (result_file,) = [p for p in (tmp_path / "results").glob("*/*.json") if p.name != "machine.json"]
    document = json.loads(result_file.read_text())
    columns = document["result_columns"]
    return {name: dict(zip(columns, row))["result"] for name, row in document["results"].items()}


@pytest.mark.slow
def test_bench_records_every_default_benchmark_and_publishes_the_dashboard(tmp_path):
    completed = bench(tmp_path)
    lines = completed.stdout.splitlines()
    # What it will run and for about how long comes first; then a line per module and per benchmark.
    assert lines[0].startswith(
        f"bench: {len(CORE_BENCHMARKS)} benchmarks (64 cases): the core; studies: none"
    )
    assert lines[1].startswith("bench: this Python environment (zarr ") and "; about " in lines[1]
    result_lines = [line for line in lines if line.startswith("  ") and ": " in line]
    assert sorted(line.split(":")[0].strip() for line in result_lines) == sorted(CORE_BENCHMARKS)
    assert [line for line in lines if line.startswith(tuple(f"{m} (" for m in CORE_MODULES))]
    assert any(line.startswith(f"bench: {len(CORE_BENCHMARKS)} results in ") for line in lines)
    assert "skipped" not in completed.stdout and "Traceback" not in completed.stdout
    assert f"dashboard: {tmp_path / 'html' / 'index.html'}" in completed.stdout

    values = results(tmp_path)
    assert set(values) == CORE_BENCHMARKS
    for name, value in values.items():
        assert value and all(v is not None and not math.isnan(v) for v in value), name
    # codec x chunks x zarr_format, the baseline codecs at 64^3 chunks in formats 2 and 3
    ratios = values["compression.Compression.track_compression_ratio"]
    assert [round(r, 2) for r in ratios] == [1.0, 1.0, 1.09, 1.09, 1.17, 1.17, 1.08, 1.08]
    chunk_bytes = values["compression.Compression.track_chunk_bytes"]
    assert chunk_bytes[0] == chunk_bytes[1] == 128**3 * 4  # none: the raw bytes, in either format
    # threads, Blosc threads, Blosc's own threading (off), zarr 3's chunk concurrency and pool size
    assert values["recorded.Concurrency.track_setting"] == [1, 1, 0, 1, 1]
    # The volume went into the cache once, its checksum recorded for every other environment,
    # and with the results.
    (recorded,) = json.loads((tmp_path / "volume-cache" / "checksums.json").read_text()).values()
    assert values["recorded.Volume.track_checksum"] == [int(recorded.removeprefix("sha256:")[:13], 16)]

    index = (tmp_path / "html" / "index.html").read_text()
    assert "https://" not in index.split("<body", 1)[0]  # no CDN in the head: vendored copies
    assert '<a href="by-release/index.html">By release</a>' in index
    assert '<a href="answer/index.html">Answer</a>' in index  # the front page, linked first
    assert (tmp_path / "html" / "answer" / "index.html").is_file()
    assert (tmp_path / "html" / "by-release" / "index.html").is_file()


@pytest.mark.slow
def test_every_study_runs_and_records_a_value_for_every_case(tmp_path):
    bench(tmp_path, **SMALL_STUDIES)
    planned = plan_suite(REPO_ROOT / "benchmarks", {**asv_environment(tmp_path), **SMALL_STUDIES})
    values = results(tmp_path)
    assert set(values) == {benchmark.name for benchmark in planned}
    assert {name.split(".")[0] for name in values} > set(CORE_MODULES)
    failed = sorted(name for name, value in values.items() if value is None or any(v is None for v in value))
    assert failed == []
    not_run = sorted(name for name, value in values.items() if any(math.isnan(v) for v in value))
    assert not_run == []


#: The codec study with one lossy codec, on a synthetic volume large enough to pick and average particles in.
USE_STUDY = {
    STUDIES_ENV: "codec",
    "CRYOET_ZARR_BENCH_SOURCE": "synthetic?shape=64",
    "CRYOET_ZARR_BENCH_CODECS": "step-2e-6+pcodec-8",
}
USE_BENCHMARKS = {
    f"study_use.UseFidelity.track_{name}"
    for name in ("picking_recall", "picking_precision", "average_resolution", "criterion_use")
}


def test_use_fidelity_needs_a_synthetic_volume_with_particles_enough(tmp_path):
    def planned(source):
        environ = {**asv_environment(tmp_path), **USE_STUDY, "CRYOET_ZARR_BENCH_SOURCE": source}
        return {
            b.name: b.cases for b in plan_suite(REPO_ROOT / "benchmarks", environ) if "UseFidelity" in b.name
        }

    # The lossy codec and the six noise-tied settings.
    assert planned("synthetic?shape=64") == dict.fromkeys(USE_BENCHMARKS, 7)
    assert planned("synthetic?shape=32") == {}  # 5 particles: too few to pick and average


@pytest.mark.slow
def test_use_fidelity_records_a_verdict_for_every_lossy_setting(tmp_path):
    config = write_asv_config(tmp_path)
    assert asv("machine", "--yes", "--machine", "usebox", workdir=tmp_path).returncode == 0
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    run = ["run", "--config", str(config), "--machine", "usebox", "-E", "existing:same", "--quick"]
    completed = asv(
        *run, "--bench", "UseFidelity", "--set-commit-hash", commit, workdir=tmp_path, **USE_STUDY
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    values = results(tmp_path)
    assert set(values) == USE_BENCHMARKS
    assert all(0 < v <= 1 for v in values["study_use.UseFidelity.track_picking_recall"])
    assert all(0 < v <= 1 for v in values["study_use.UseFidelity.track_picking_precision"])
    resolutions = values["study_use.UseFidelity.track_average_resolution"]
    assert all(20 <= v < 200 for v in resolutions)  # Å; Nyquist 20
    # A step of 2e-6 (about 0.5 % added noise) and the noise-tied settings change neither picking nor
    # averaging.
    assert values["study_use.UseFidelity.track_criterion_use"] == [1] * 7
