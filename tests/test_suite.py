"""The asv suite's settings (validated once, one line per bad value)
and the one volume every environment reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cryoet_zarr_bench.codecs import CODEC_SETS
from cryoet_zarr_bench.runtime import THREADS_ENV, Runtime
from cryoet_zarr_bench.sources import cache as volume_cache
from cryoet_zarr_bench.suite import (
    CHECKSUM_ENV,
    CHUNKS_ENV,
    CODECS_ENV,
    CORE_MODULES,
    FULL_SIZES_ENV,
    LAYOUTS_ENV,
    SOURCE_ENV,
    STORES_ENV,
    STUDIES_ENV,
    ChecksumMismatchError,
    SuiteSettings,
    SuiteSettingsError,
    acquire_for_suite,
    checksums_file,
)

from support import REPO_ROOT, SUITE_VARIABLES, asv_environment, write_asv_config

SMALL = "synthetic?shape=16&seed=2"

BAD_SETTINGS = [
    (CODECS_ENV, "bogus", "unknown family 'bogus'; valid codecs:"),
    (CODECS_ENV, "bogus", "or a codec set: baseline, shuffles, all"),
    (CHUNKS_ENV, "bogus", "give one edge (64) or three (32x128x128)"),
    (THREADS_ENV, "bogus", "a whole number of at least 1 or 'all'"),
    (SOURCE_ENV, "bogus", "expected synthetic, portal:DATASET/RUN, or a path"),
    (SOURCE_ENV, "/nowhere/tomo.mrc", "no such file or directory: /nowhere/tomo.mrc"),
    (CHECKSUM_ENV, "abc", "sha256:<64 hex digits>"),
    (CODECS_ENV, "step-1%+pcodec-8", "every codec named is tied to the noise"),
    (
        STUDIES_ENV,
        "codecs",
        "no study named codecs; give some of codec, layout, engines, full-size, parallel, machine",
    ),
    (LAYOUTS_ENV, "shard7", "cannot parse layout 'shard7'"),
    (STORES_ENV, "memroy,ftp", "no store named memroy, ftp; give some of local, memory, s3, s3+latency"),
    (
        FULL_SIZES_ENV,
        "huge",
        "give comma-separated volume shapes, each one edge (512) or three (184x630x630)",
    ),
]


def test_defaults_and_canonical_values():
    assert SuiteSettings.from_env({}) == SuiteSettings(
        source="synthetic?shape=128,128,128&seed=0",
        codecs=("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5"),
        chunks=("64x64x64",),
        runtime=Runtime(1),
        checksum=None,
        studies=(),
        study_codecs=CODEC_SETS["study"],
        layouts=("64x64x64", "shard128x128x128-32x32x32"),
        stores=("local", "memory", "s3", "s3+latency"),
        full_sizes=("184x630x630",),
    )
    settings = SuiteSettings.from_env(
        {CODECS_ENV: "zstd-5,none", CHUNKS_ENV: "32, 16x32x64", THREADS_ENV: "2"}
    )
    expected = (("zstd-5", "none"), ("32x32x32", "16x32x64"), Runtime(2))
    assert (settings.codecs, settings.chunks, settings.runtime) == expected
    assert settings.study_codecs == settings.codecs  # named codecs replace the codec study's set too


def test_studies_are_opt_in_and_each_adds_its_module():
    assert SuiteSettings.from_env({}).modules() == CORE_MODULES
    settings = SuiteSettings.from_env({STUDIES_ENV: "parallel, CODEC"})
    assert settings.studies == ("codec", "parallel")
    assert settings.runs("codec") and not settings.runs("layout")
    assert settings.modules() == (*CORE_MODULES, "study", "study_use", "parallel")
    assert SuiteSettings.from_env({STUDIES_ENV: "all"}).studies == (
        "codec", "layout", "engines", "full-size", "parallel", "machine",
    )
    with pytest.raises(ValueError, match="no study named 'layouts'"):
        settings.runs("layouts")


@pytest.mark.parametrize(("name", "value", "message"), BAD_SETTINGS)
def test_a_bad_setting_is_one_line_naming_the_variable_and_what_it_accepts(name, value, message):
    with pytest.raises(SuiteSettingsError) as excinfo:
        SuiteSettings.from_env({name: value})
    text = str(excinfo.value)
    assert text.startswith(f"{name}={value!r}: ")
    assert message in text
    assert "\n" not in text


def _import_suite(environ):
    env = {k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", "import benchmarks"],
        cwd=REPO_ROOT,
        env={**env, **environ},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("name", "value", "message"), [BAD_SETTINGS[0], BAD_SETTINGS[3], BAD_SETTINGS[5]])
def test_importing_the_suite_with_a_bad_setting_exits_with_that_line(name, value, message):
    imported = _import_suite({name: value})
    assert imported.returncode == 1
    assert imported.stderr.startswith(f"cryoet-zarr-bench: {name}={value!r}: ")
    assert message in imported.stderr
    assert imported.stderr.count("\n") == 1 and "Traceback" not in imported.stderr


def test_asv_check_fails_with_the_line(tmp_path):
    config = write_asv_config(tmp_path)
    checked = subprocess.run(
        [sys.executable, "-m", "asv", "check", "--config", str(config), "-E", "existing:same"],
        cwd=tmp_path,
        env={**asv_environment(tmp_path), CHUNKS_ENV: "bogus"},
        capture_output=True,
        text=True,
        check=False,
    )
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0
    assert f"cryoet-zarr-bench: {CHUNKS_ENV}='bogus': 'bogus' is not a chunk shape" in output
    assert "Traceback" not in output


def test_the_first_acquisition_caches_the_volume_and_records_its_checksum():
    settings = SuiteSettings.from_env({SOURCE_ENV: SMALL})
    volume = acquire_for_suite(settings)
    assert json.loads(checksums_file().read_text()) == {settings.source: volume.checksum()}
    entry = volume_cache.find_entry(settings.source)
    assert entry is not None and entry.checksum == volume.checksum()
    again = acquire_for_suite(settings)  # read from the cache entry, checked against the record
    assert again.checksum() == volume.checksum()


def test_another_checksum_than_the_recorded_one_fails_loudly():
    settings = SuiteSettings.from_env({SOURCE_ENV: SMALL})
    acquire_for_suite(settings)
    wrong = "sha256:" + "0" * 64
    checksums_file().write_text(json.dumps({settings.source: wrong}))
    with pytest.raises(ChecksumMismatchError, match=f"reads as sha256:[0-9a-f]{{64}} .* expects {wrong}"):
        acquire_for_suite(settings)


def test_the_expected_checksum_can_be_given(tmp_path):
    volume = acquire_for_suite(SuiteSettings.from_env({SOURCE_ENV: SMALL}))
    assert acquire_for_suite(SuiteSettings.from_env({SOURCE_ENV: SMALL, CHECKSUM_ENV: volume.checksum()}))
    wrong = "sha256:" + "f" * 64
    with pytest.raises(ChecksumMismatchError, match=f"{CHECKSUM_ENV} expects {wrong}"):
        acquire_for_suite(SuiteSettings.from_env({SOURCE_ENV: SMALL, CHECKSUM_ENV: wrong}))


def test_every_benchmark_fails_on_a_checksum_mismatch():
    """The suite's shared setup_cache, as asv runs it, raises when the volume is not the expected one."""
    run = subprocess.run(
        [sys.executable, "-c", "import benchmarks.write_read as suite; suite.Read().setup_cache()"],
        cwd=REPO_ROOT,
        env={**os.environ, SOURCE_ENV: SMALL, CHECKSUM_ENV: "sha256:" + "0" * 64},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "ChecksumMismatchError" in run.stderr and "would not benchmark the same bytes" in run.stderr


def test_an_unreadable_record_is_one_clear_error():
    checksums_file().parent.mkdir(parents=True, exist_ok=True)
    checksums_file().write_text("{not json")
    with pytest.raises(ChecksumMismatchError, match="does not hold the recorded checksums .* remove it"):
        acquire_for_suite(SuiteSettings.from_env({SOURCE_ENV: SMALL}))


SETUP_AND_REPORT = """
import json
import benchmarks.overhead, benchmarks.write_read
from cryoet_zarr_bench import _compat
volume = benchmarks.write_read.Read().setup_cache()
seen = {}
for benchmark in (benchmarks.write_read.Read(), benchmarks.overhead.ZarrOverhead()):
    benchmark.setup(volume, "none", "16x16x16", 2)
    seen[type(benchmark).__name__] = _compat.concurrency_settings()
    benchmark.teardown(volume, "none", "16x16x16", 2)
print(json.dumps(seen))
"""


def test_every_benchmark_runs_at_the_suites_threads_and_the_overhead_pair_at_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES}
    run = subprocess.run(
        [sys.executable, "-c", SETUP_AND_REPORT],
        cwd=tmp_path,  # asv's working directory
        env={**env, "PYTHONPATH": str(REPO_ROOT), SOURCE_ENV: SMALL, CHUNKS_ENV: "16", THREADS_ENV: "2"},
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(run.stdout)
    threads = {"Read": 2, "ZarrOverhead": 1}
    for benchmark, settings in seen.items():
        assert settings["blosc_nthreads"] == threads[benchmark]
        for knob in ("zarr_async_concurrency", "zarr_max_workers"):
            assert settings.get(knob, threads[benchmark]) == threads[benchmark]
    assert not any(tmp_path.iterdir())  # the core's stores are in memory
