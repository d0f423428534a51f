"""The asv suite in the current environment, as the README's first command runs it."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from support import asv_environment, write_asv_config

#: Every benchmark of the default suite.
BENCHMARKS = {
    "access.Access.time_read",
    "access.Layout.time_write",
    "access.Layout.track_stored_bytes",
    "access.Layout.track_stored_objects",
    "access.Requests.track_bytes_transferred",
    "access.Requests.track_requests",
    "access.SparseLabels.time_read",
    "access.SparseLabels.track_stored_bytes",
    "access.SparseLabels.track_stored_objects",
    "compression.Compression.track_chunk_bytes",
    "compression.Compression.track_compression_ratio",
    "compression.Compression.track_metadata_bytes",
    "compression.Compression.track_stored_bytes",
    "engines.ChunkBytes.track_chunk_bytes",
    "engines.Read.time_read",
    "engines.Write.time_write",
    "full_size.Recompress.time_recompress",
    "full_size.Recompress.track_peak_bytes",
    "overhead.ZarrOverhead.time_decode_numcodecs",
    "overhead.ZarrOverhead.time_read_zarr",
    "parallel.Parallel.time_read_warm",
    "parallel.Parallel.time_write",
    "recorded.Concurrency.track_setting",
    "recorded.Volume.track_checksum",
    "releases.Releases.track_numcodecs_release",
    "releases.Releases.track_zarr_release",
    "write_read.ColdRead.time_read_cold",
    "write_read.PeakMemory.track_read_added_peak",
    "write_read.PeakMemory.track_write_added_peak",
    "write_read.Read.time_read_warm",
    "write_read.ReadPrecision.track_read_spread",
    "write_read.Write.time_write",
    *(
        f"study.{cls}.track_{name}"
        for cls in ("LossyFidelity", "NoiseTiedFidelity")
        for name in (
            "compression_ratio",
            "mse",
            "max_abs_error",
            "psnr",
            "ssim",
            "added_noise",
            "worst_shell_added_power",
            "fsc_0143_resolution",
            "fsc_05_resolution",
            "half_map_shift",
            "half_map_shift_shells",
            "safe",
            "ratio_of_rate_distortion_bound",
        )
    ),
    "study.NoiseTiedFidelity.track_resolved_setting",
    "study.Limits.track_entropy_ratio_limit",
    "study.Limits.track_noise_sigma",
    "study.Limits.track_half_map_resolution",
    "study.Limits.track_rate_distortion_bound_at_1pct",
    "study.LosslessLimit.track_fraction_of_entropy_limit",
    *(
        f"study.UseFidelity.track_{name}"
        for name in ("picking_recall", "picking_precision", "average_resolution", "safe_for_use")
    ),
}
#: The codec study's lossy classes: every case skips with the default (lossless) codec set.
SKIPPED_BY_DEFAULT = ("study.LossyFidelity.", "study.NoiseTiedFidelity.", "study.UseFidelity.")


def asv(*args, workdir):
    return subprocess.run(
        [sys.executable, "-m", "asv", *args],
        cwd=workdir,
        env=asv_environment(workdir),
        capture_output=True,
        text=True,
        check=False,
    )


def test_asv_check_finds_no_problems(tmp_path):
    config = write_asv_config(tmp_path)
    checked = asv("check", "--config", str(config), "-E", "existing:same", workdir=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No problems found" in checked.stdout


@pytest.mark.slow
def test_bench_records_every_default_benchmark_and_publishes_the_dashboard(tmp_path):
    config = write_asv_config(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "cryoet_zarr_bench.cli", "bench", "--quick", "--config", str(config)],
        cwd=tmp_path,
        env=asv_environment(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    assert f"dashboard: {tmp_path / 'html' / 'index.html'}" in completed.stdout

    (result_file,) = [p for p in (tmp_path / "results").glob("*/*.json") if p.name != "machine.json"]
    document = json.loads(result_file.read_text())
    assert set(document["results"]) == BENCHMARKS
    columns = document["result_columns"]
    for name, row in document["results"].items():
        values = dict(zip(columns, row))["result"]
        if name.startswith(SKIPPED_BY_DEFAULT):
            continue
        assert values and all(v is not None and not math.isnan(v) for v in values), name
    ratios = dict(zip(columns, document["results"]["compression.Compression.track_compression_ratio"]))
    # codec x chunks x zarr_format, the seed codecs at 64^3 chunks in formats 2 and 3
    assert [round(r, 2) for r in ratios["result"]] == [1.0, 1.0, 1.09, 1.09, 1.17, 1.17, 1.08, 1.08]
    chunk_bytes = dict(zip(columns, document["results"]["compression.Compression.track_chunk_bytes"]))[
        "result"
    ]
    assert chunk_bytes[0] == chunk_bytes[1] == 128**3 * 4  # none: the raw bytes, in either format
    concurrency = dict(zip(columns, document["results"]["recorded.Concurrency.track_setting"]))
    # threads, Blosc threads, Blosc's own threading (off), zarr 3's chunk concurrency and pool size
    assert concurrency["result"] == [1, 1, 0, 1, 1]
    # The volume went into the cache once, its checksum recorded for every other environment, and with the results.
    (recorded,) = json.loads((tmp_path / "volume-cache" / "checksums.json").read_text()).values()
    prefix = dict(zip(columns, document["results"]["recorded.Volume.track_checksum"]))["result"]
    assert prefix == [int(recorded.removeprefix("sha256:")[:13], 16)]

    index = (tmp_path / "html" / "index.html").read_text()
    assert "https://" not in index.split("<body", 1)[0]  # no CDN in the head: vendored copies
    assert '<a href="by-release/index.html">By release</a>' in index
    assert (tmp_path / "html" / "by-release" / "index.html").is_file()
