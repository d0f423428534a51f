import json
import re
import subprocess
import sys

import mrcfile
import numcodecs
import numpy as np
import pytest

from cryoet_zarr_bench.cli import main
from cryoet_zarr_bench.sources import acquire

BASELINE_RATIOS = {"none": 1.00, "blosc-lz4-5-shuffle": 1.09, "blosc-zstd-5-shuffle": 1.17, "zstd-5": 1.08}


@pytest.fixture(scope="module")
def quick_rows():
    """`cryoet-zarr-bench quick --json` with the default settings, run in a new process."""
    result = subprocess.run(
        [sys.executable, "-m", "cryoet_zarr_bench.cli", "quick", "--json", "--repeats", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_quick_json_gives_the_baseline_codecs_ratios(quick_rows):
    assert [row["codec"] for row in quick_rows] == list(BASELINE_RATIOS)
    for row in quick_rows:
        assert {"codec", "write_s", "read_s", "ratio", "stored_bytes", "saved_pct", "lossless_ok"} <= set(row)
        assert row["lossless_ok"] is True
        assert row["ratio"] == pytest.approx(BASELINE_RATIOS[row["codec"]], abs=0.02)
        assert row["saved_pct"] == pytest.approx(100 * (1 - 1 / row["ratio"]))
        assert row["write_s"] > 0 and row["read_s"] > 0
        assert row["source"] == "synthetic?shape=128,128,128&seed=0"
        assert (row["chunks"], row["zarr_format"], row["threads"]) == ([64, 64, 64], 3, 1)
        assert row["runtime"]["threads"] == row["runtime"]["blosc_nthreads"] == 1


def test_quick_counts_the_codecs_output_apart_from_metadata(quick_rows):
    """Chunk bytes are what the codec wrote, counted independently here with numcodecs; metadata is apart."""
    rows = {row["codec"]: row for row in quick_rows}
    data = acquire("synthetic").data
    chunks = [data[z : z + 64, y : y + 64, x : x + 64] for z in (0, 64) for y in (0, 64) for x in (0, 64)]
    zstd = numcodecs.Zstd(level=5)
    assert rows["zstd-5"]["chunk_bytes"] == sum(len(zstd.encode(np.ascontiguousarray(c))) for c in chunks)
    assert rows["none"]["chunk_bytes"] == data.nbytes and rows["none"]["ratio"] == 1.0
    for row in quick_rows:
        assert 100 < row["metadata_bytes"] < 2000
        assert row["stored_bytes"] == row["chunk_bytes"] + row["metadata_bytes"]


def test_quick_gives_the_same_chunk_bytes_in_memory_and_on_disk(capsys):
    rows = {}
    for store in ([], ["--memory"]):
        argv = ["quick", "--size", "32", "--chunks", "16", "--repeats", "1", "--zarr-format", "2", "--json"]
        assert main([*argv, *store]) == 0
        rows[bool(store)] = json.loads(capsys.readouterr().out)
    assert [r["chunk_bytes"] for r in rows[True]] == [r["chunk_bytes"] for r in rows[False]]
    assert [r["ratio"] for r in rows[True]] == [r["ratio"] for r in rows[False]]


def test_quick_shows_fidelity_and_the_bound_for_lossy_codecs(capsys):
    codecs = "zstd-3,bitround-8+zstd-3,zfp-precision-12"
    argv = ["quick", "--size", "32", "--chunks", "16", "--codecs", codecs, "--repeats", "1", "--memory"]
    assert main([*argv, "--json"]) == 0
    rows = {row["codec"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["zstd-3"]["lossless_ok"] is True and rows["zstd-3"]["psnr_db"] is None
    assert (
        rows["bitround-8+zstd-3"]["lossless_ok"] is None and rows["bitround-8+zstd-3"]["within_bound"] is True
    )
    assert rows["zfp-precision-12"]["within_bound"] is None  # ZFP's fixed precision states no bound
    for name in ("bitround-8+zstd-3", "zfp-precision-12"):
        assert (
            rows[name]["psnr_db"] > 40
            and 0.99 < rows[name]["ssim"] <= 1
            and rows[name]["added_noise_pct"] < 1
        )
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "noise σ" in out and "from half-volumes" in out
    assert "within bound  PSNR dB  max error    SSIM  added noise %" in out


def test_quick_table_names_source_settings_and_columns(capsys):
    assert main(["quick", "--size", "32", "--chunks", "16", "--codecs", "zstd-3", "--repeats", "1",
                 "--zarr-format", "2"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "source: synthetic?shape=32,32,32&seed=0 32x32x32 float32" in out
    assert "chunks 16x16x16, Zarr format 2, directory store; zarr " in out
    assert "concurrency: threads 1, blosc_nthreads 1, " in out
    header = out.splitlines()[out.splitlines().index("") + 1]
    assert header.split("  ")[0] == "method"
    for column in ("write s", "read s", "ratio", "chunks MB", "metadata B", "saved MB", "saved %",
                   "round trip ok"):
        assert column in header
    (row,) = [line for line in out.splitlines() if line.startswith("zstd-3")]
    assert row.endswith("yes")


def test_quick_on_an_integer_file_keeps_and_states_its_dtype(tmp_path, capsys):
    path = tmp_path / "tomo.mrc"
    data = np.random.default_rng(0).integers(-300, 300, (20, 40, 40)).astype(np.int16)
    with mrcfile.new(path) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = 7.5
    assert (
        main(["quick", "--source", str(path), "--size", "16", "--codecs", "none", "--repeats", "1", "--json"])
        == 0
    )
    (row,) = json.loads(capsys.readouterr().out)
    assert row["dtype"] == "int16"
    assert row["shape"] == [16, 16, 16]
    assert row["source"] == f"{path}?crop=centre:16"
    assert main(["quick", "--source", str(path), "--codecs", "none", "--repeats", "1"]) == 0
    assert "data benchmarked as stored, in int16" in capsys.readouterr().out


def test_quick_on_a_micrograph_says_it_is_one_slice(tmp_path, capsys):
    path = tmp_path / "micrograph.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(np.random.default_rng(0).integers(0, 4000, (48, 64)).astype(np.uint16))
    argv = ["quick", "--source", str(path), "--chunks", "1x32x32", "--codecs", "none", "--repeats", "1"]
    assert main([*argv, "--zarr-format", "2"]) == 0
    out = capsys.readouterr().out
    assert f"source: {path} 1x48x64 uint16" in out
    assert "note: the source is a 2-D image, read as a one-slice volume" in out


def test_fetch_caches_a_file_source_and_says_where(tmp_path, capsys):
    path = tmp_path / "tomo.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(np.ones((8, 8, 8), np.float32))
    assert main(["fetch", f"{path}?crop=centre:4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}?crop=centre:4 4x4x4 float32")
    assert lines[1].startswith("cached ") and "sha256:" in lines[1]
    assert main(["fetch", "synthetic?shape=8"]) == 0
    assert "nothing to cache" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["quick", "--codecs", "blosc-lz5-5-shuffle"], "unknown Blosc compressor 'lz5'; valid: blosclz, lz4"),
        (["quick", "--source", "synthetic?shape=0"], "shape must be positive"),
        (["quick", "--source", "nowhere/tomo.mrc"], "nowhere/tomo.mrc"),
        (["bench", "--config", "no-such-asv.conf.json"], "no asv configuration at "),
        (
            ["versions", "--config", "no-such-asv.conf.json"],
            "no-such-asv.conf.json; run from the repository root",
        ),
        (
            ["study", "--config", "no-such-asv.conf.json"],
            "no-such-asv.conf.json; run from the repository root",
        ),
        (
            ["quick", "--size", "16", "--codecs", "bitround-8+zstd-5", "--source", "synthetic?dtype=int16"],
            "int16",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("cryoet-zarr-bench: error: ")
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["quick", "--chunks", "64x64"],
        ["quick", "--repeats", "0"],
        ["quick", "--zarr-format", "4"],
        ["quick", "--threads", "0"],
        ["quick", "--threads", "many"],
    ],
)
def test_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    assert "usage: cryoet-zarr-bench quick" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["quick", "--repeats", "x"], "argument --repeats: a whole number of at least 1, got 'x'"),
        (["preview", "--port", "web"], "argument --port: a port is 0 (any free one) to 65535, got 'web'"),
        (["report", "--read-factor", "fast"], "argument --read-factor: a number of at least 1, got 'fast'"),
    ],
)
def test_a_value_that_is_not_a_number_says_what_the_option_accepts(argv, message, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    error = capsys.readouterr().err
    assert error.strip().splitlines()[-1].endswith(message)
    assert "_positive" not in error and "invalid" not in error


@pytest.mark.parametrize(
    "command",
    [[], ["quick"], ["fetch"], ["bench"], ["publish"], ["preview"], ["versions"], ["study"], ["survey"],
     ["matrix"]],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main([*command, "--help"])
    assert excinfo.value.code == 0
    assert "usage: cryoet-zarr-bench" in capsys.readouterr().out


def test_version_names_the_package_and_the_releases_it_benchmarks(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert re.fullmatch(
        r"cryoet-zarr-bench \d+\.\d+\.\d+\S* \(zarr \S+, numcodecs \S+, numpy \S+\)\n", out
    ), out
