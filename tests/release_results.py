"""Recorded asv results of a release matrix for the by-release report's tests, written by hand.

Seven environments (:data:`MATRIX`) at one commit, each with the compression benchmarks and the read of
three codecs in Zarr formats 2 and 3, built so that the report has something to find: numcodecs 0.15 loses
shuffle in format 3 (a chunk-bytes change seen with two zarr releases), zarr 3.4.2 writes zstd 10 bytes
smaller in format 2 (a change no single library explains), zarr 3.0 and 3.1 write other metadata (listed,
never alarmed), Python 3.13 reads zstd 1.5x slower and zarr 3.0.10 with numcodecs 0.15.1 fails a read.
Benchmark names come from the registry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from cryoet_zarr_bench.releases import version_number
from cryoet_zarr_bench.report.asv_results import Case
from cryoet_zarr_bench.report.registry import (
    CHUNK_BYTES,
    COMPRESSION_RATIO,
    METADATA_BYTES,
    NUMCODECS_RELEASE,
    READ_TIME,
    STORED_BYTES,
    ZARR_RELEASE,
)
from cryoet_zarr_bench.report.runs import Release

from support import ASV_COLUMNS, ASV_DATE, write_asv_result

NONE, LZ4, ZSTD = "none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle"
CODECS = [NONE, LZ4, ZSTD]
FORMATS = [2, 3]
RAW_BYTES = 8_000_000

CODEC_PARAMS = {"param_names": ["codec", "zarr_format"]}
BENCHMARKS = {
    COMPRESSION_RATIO: {"type": "track", "unit": "ratio", **CODEC_PARAMS},
    CHUNK_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    METADATA_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    STORED_BYTES: {"type": "track", "unit": "bytes", **CODEC_PARAMS},
    READ_TIME: {"type": "time", "unit": "seconds", **CODEC_PARAMS},
    ZARR_RELEASE: {"type": "track", "unit": "release", "param_names": []},
    NUMCODECS_RELEASE: {"type": "track", "unit": "release", "param_names": []},
}

COMMIT = "c0ffee00" + "1" * 32
OLD_COMMIT = "dec0de00" + "2" * 32

#: The matrix: Python 3.11 with zarr 2.18 to 3.1 and numcodecs 0.15/0.16, a bridge to Python 3.13 (zarr 3.1.6,
#: numcodecs 0.16.6) and zarr 3.4.2 with numcodecs 0.17.2 on 3.13 only.
MATRIX = [
    Release("3.11", "3.1.6", "0.16.6"),  # listed out of release order on purpose
    Release("3.11", "2.18.7", "0.15.1"),
    Release("3.11", "3.0.10", "0.15.1"),
    Release("3.11", "3.0.10", "0.16.6"),
    Release("3.11", "3.1.6", "0.15.1"),
    Release("3.13", "3.1.6", "0.16.6"),
    Release("3.13", "3.4.2", "0.17.2"),
]
IN_ORDER = [MATRIX[i] for i in (1, 2, 3, 4, 0, 5, 6)]


def env_name(release: Release) -> str:
    return f"virtualenv-py{release.python}-numcodecs{release.numcodecs}-zarr{release.zarr}"


def chunk_bytes(release: Release, codec: str, zarr_format: int) -> float:
    """Shuffle does nothing in Zarr format 3 before numcodecs 0.16; zarr 3.4.2 writes zstd in format 2 10 B
    smaller."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if zarr_format == 3 and release.numcodecs == "0.15.1" and codec != NONE:
        return {LZ4: 8_000_500, ZSTD: 7_400_000}[codec]
    size = {NONE: RAW_BYTES, LZ4: 7_300_000, ZSTD: 6_860_000}[codec]
    return size - 10 if (release.zarr, codec, zarr_format) == ("3.4.2", ZSTD, 2) else size


def metadata_bytes(release: Release, codec: str, zarr_format: int) -> float:
    """zarr 3.0 writes 10 B more format 2 metadata than 2.18; zarr 3.1 writes 20 B more format 3 metadata."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if zarr_format == 2:
        return 400 if release.zarr.startswith("2.") else 410
    return 900 if release.zarr == "3.0.10" else 920


def read_time(release: Release, codec: str, zarr_format: int) -> float | None:
    """Python 3.13 reads zstd 1.5x slower; zarr 3.0.10 fails to read zstd in format 3 (None)."""
    if release.zarr.startswith("2.") and zarr_format == 3:
        return math.nan
    if (release.zarr, release.numcodecs, codec, zarr_format) == ("3.0.10", "0.15.1", ZSTD, 3):
        return None
    seconds = {NONE: 0.010, LZ4: 0.012, ZSTD: 0.020}[codec]
    if release.zarr.startswith("2."):
        seconds *= 0.8
    return seconds * 1.5 if release.python == "3.13" and codec == ZSTD else seconds


def measured(release: Release) -> dict[str, list[float | None]]:
    """Every codec benchmark's values for `release`, in asv's product order of (codec, zarr_format)."""
    cases = [(codec, zarr_format) for codec in CODECS for zarr_format in FORMATS]
    chunks = [chunk_bytes(release, *case) for case in cases]
    metadata = [metadata_bytes(release, *case) for case in cases]
    return {
        COMPRESSION_RATIO: [RAW_BYTES / size for size in chunks],
        CHUNK_BYTES: chunks,
        METADATA_BYTES: metadata,
        STORED_BYTES: [size + extra for size, extra in zip(chunks, metadata)],
        READ_TIME: [read_time(release, *case) for case in cases],
    }


def write_run(
    results_dir: Path,
    release: Release,
    *,
    values: dict[str, list[float | None]] | None = None,
    name: str | None = None,
    pins: dict[str, str | None] | None = None,
    recorded: bool = True,
    commit: str = COMMIT,
    machine: str = "box",
    date: int = ASV_DATE,
) -> Path:
    """One asv 0.6 result file for `release`: pinned to it and recording it, unless told otherwise."""
    values = measured(release) if values is None else values
    params = [[repr(codec) for codec in CODECS], [str(zarr_format) for zarr_format in FORMATS]]
    results = {name: [result, params, "1", date, 1.0, None, None] for name, result in values.items()}
    if recorded:
        results[ZARR_RELEASE] = [[version_number(release.zarr)], [], "1", date, 0.5, None, None]
        results[NUMCODECS_RELEASE] = [[version_number(release.numcodecs)], [], "1", date, 0.5, None, None]
    pins = {"zarr": release.zarr, "numcodecs": release.numcodecs} if pins is None else pins
    name = env_name(release) if name is None else name
    path = write_asv_result(
        results_dir,
        machine=machine,
        commit=commit,
        env_name=name,
        results=results,
        columns=ASV_COLUMNS,
        python=release.python,
        requirements=pins,
        date=date,
    )
    (path.parent / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    return path


def new_results_dir(directory: Path) -> Path:
    """`directory`, made, holding the ``benchmarks.json`` of :data:`BENCHMARKS` and no results yet."""
    directory.mkdir()
    (directory / "benchmarks.json").write_text(json.dumps({**BENCHMARKS, "version": 2}))
    return directory


def write_matrix_results(directory: Path) -> Path:
    """The seven environments of :data:`MATRIX` at one commit, written in an order that is not the release
    order."""
    new_results_dir(directory)
    for release in MATRIX:
        write_run(directory, release)
    return directory


def comparable(value: float | None) -> float | str | None:
    """NaN (skipped) as a string, so that lists of values compare equal."""
    return "NaN" if value is not None and math.isnan(value) else value


def case(benchmark: str, codec: str, zarr_format: int) -> Case:
    return Case(benchmark, (("codec", codec), ("zarr_format", str(zarr_format))))
