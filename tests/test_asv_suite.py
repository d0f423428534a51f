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
    "compression.Compression.track_compression_ratio",
    "compression.Compression.track_stored_bytes",
    "full_size.Recompress.time_recompress",
    "full_size.Recompress.track_peak_bytes",
    "overhead.ZarrOverhead.time_decode_numcodecs",
    "overhead.ZarrOverhead.time_read_zarr",
    "releases.Releases.track_numcodecs_release",
    "releases.Releases.track_zarr_release",
    "write_read.Read.peakmem_read",
    "write_read.Read.time_read",
    "write_read.Write.peakmem_write",
    "write_read.Write.time_write",
}


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
        assert values and all(v is not None and not math.isnan(v) for v in values), name
    ratios = dict(zip(columns, document["results"]["compression.Compression.track_compression_ratio"]))
    # codec x chunks x zarr_format, the seed codecs at 64^3 chunks in formats 2 and 3
    assert [round(r, 2) for r in ratios["result"]] == [1.0, 1.0, 1.09, 1.09, 1.17, 1.17, 1.08, 1.08]

    index = (tmp_path / "html" / "index.html").read_text()
    assert "https://" not in index.split("<body", 1)[0]  # no CDN in the head: vendored copies
    assert '<a href="by-release/index.html">By release</a>' in index
    assert (tmp_path / "html" / "by-release" / "index.html").is_file()
