"""Recorded asv results for the answer's tests: the core, the layout study and the codec study of one machine.

:class:`Recorded` holds every value as a plain dict, so a test changes one value and writes the results again
(:func:`write_results`, through ``support.write_asv_result``); the benchmarks' names come from the registry,
their parameters are written as asv writes them (``repr()`` of each value) in ``benchmarks.json`` too.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryoet_zarr_bench.releases import version_number
from cryoet_zarr_bench.report import registry

from support import ASV_DATE, git_repository, write_asv_result

MACHINE = "box"
COMMIT = "a1b2c3d4" + "5" * 32
COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b",
           "stats_q_25", "stats_q_75", "stats_number", "stats_repeat", "samples", "profile"]  # fmt: skip

NONE, LZ4, ZSTD_BLOSC, ZSTD = "none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5"
CODECS = [NONE, LZ4, ZSTD_BLOSC, ZSTD]
CHUNKS = ["64x64x64"]
FORMATS = [2, 3]
LAYOUTS = ["64x64x64", "16x128x128", "128x128x128"]
STORES = ["local", "s3+latency"]
READERS = ["s3"]
PATTERNS = ["xy", "whole"]
RAW_BYTES = 128**3 * 4
#: Lossy settings of the codec study: ratio, added noise (%), safe.
LOSSY = {
    "bitround-4+blosc-zstd-5-shuffle": (4.0, 0.3, 1),
    "bitround-2+blosc-zstd-5-shuffle": (5.0, 2.0, 0),
    "zfp-accuracy-1e-5": (6.0, 0.5, 1),
}
NOISE_TIED = {"step-1%+pcodec-8": (8.0, 1.0, 0)}


def _slice_objects(layout: str) -> tuple[int, int]:
    """(chunks an XY slice of the 128³ volume touches, raw bytes of each)."""
    z, y, x = (int(edge) for edge in layout.split("x"))
    return (128 // y) * (128 // x), z * y * x * 4


@dataclass
class Recorded:
    """Every value of one environment, by benchmark and parameters (as Python values)."""

    ratio: dict[str, float] = field(
        default_factory=lambda: {NONE: 1.0, LZ4: 1.094, ZSTD_BLOSC: 1.166, ZSTD: 1.080}
    )
    read: dict[str, float] = field(
        default_factory=lambda: {NONE: 0.0030, LZ4: 0.0040, ZSTD_BLOSC: 0.0055, ZSTD: 0.0082}
    )
    """Warm reads in format 2 (format 3 takes 5 % longer): the fastest is none, 3 ms, so the archive's 2×
    allows 6 ms, which blosc-zstd-5-shuffle meets and zstd-5 does not."""
    slice_time: dict[str, float] = field(
        default_factory=lambda: {"64x64x64": 0.200, "16x128x128": 0.050, "128x128x128": 0.065}
    )
    """XY slice over S3 with latency, per layout (each codec 1 ms apart, none the slowest)."""
    lossy: dict[str, tuple[float, float, int]] = field(default_factory=lambda: dict(LOSSY))
    noise_tied: dict[str, tuple[float, float, int]] = field(default_factory=lambda: dict(NOISE_TIED))
    with_layout_study: bool = True
    with_codec_study: bool = True
    samples: int = 10
    """Samples of every timed value (1 as under ``asv run --quick``)."""
    zarr: str = "3.1.6"
    numcodecs: str = "0.16.6"

    def benchmarks(self) -> dict[str, tuple[list[str], list[list], Callable[..., float | None], str]]:
        """benchmark -> (parameter names, parameter values, value of a case, type)."""
        codec_setting = (["codec", "chunks", "zarr_format"], [CODECS, CHUNKS, FORMATS])
        found = {
            registry.COMPRESSION_RATIO: (*codec_setting, lambda c, ch, f: self.ratio[c], "track"),
            registry.CHUNK_BYTES: (*codec_setting, lambda c, ch, f: RAW_BYTES / self.ratio[c], "track"),
            registry.READ_TIME: (
                *codec_setting,
                lambda c, ch, f: self.read[c] * (1.05 if f == 3 else 1),
                "time",
            ),
            registry.ZARR_RELEASE: ([], [], lambda: version_number(self.zarr), "track"),
            registry.NUMCODECS_RELEASE: ([], [], lambda: version_number(self.numcodecs), "track"),
        }
        if self.with_layout_study:
            access = (["codec", "layout", "store", "pattern"], [CODECS, LAYOUTS, STORES, PATTERNS])
            counted = (["codec", "layout", "store", "pattern"], [CODECS, LAYOUTS, READERS, PATTERNS])
            found[registry.ACCESS_TIME] = (*access, self._access_time, "time")
            found[registry.REQUESTS] = (*counted, lambda c, lay, s, p: 2.0 * self._objects(lay, p), "track")
            found[registry.BYTES_TRANSFERRED] = (*counted, self._bytes_sent, "track")
            found[registry.LAYOUT_STORED_BYTES] = (
                ["codec", "layout"], [CODECS, LAYOUTS], lambda c, lay: RAW_BYTES / self.ratio[c], "track"
            )  # fmt: skip
        if self.with_codec_study:
            for study_class, settings in (
                (registry.LOSSY_FIDELITY, self.lossy),
                (registry.NOISE_TIED_FIDELITY, self.noise_tied),
            ):
                for index, figure in enumerate(("compression_ratio", "added_noise", "safe")):
                    found[registry.study_figure(study_class, figure)] = (
                        ["codec", "chunks", "zarr_format"],
                        [list(settings), CHUNKS, [3]],
                        lambda c, ch, f, settings=settings, index=index: float(settings[c][index]),
                        "track",
                    )
                for figure, value in (("fraction_of_gaussian_reference", 0.8), ("half_map_shift", 0.0)):
                    found[registry.study_figure(study_class, figure)] = (
                        ["codec", "chunks", "zarr_format"],
                        [list(settings), CHUNKS, [3]],
                        lambda c, ch, f, value=value: value,
                        "track",
                    )
        return found

    def _objects(self, layout: str, pattern: str) -> int:
        touched, _ = _slice_objects(layout)
        return touched if pattern == "xy" else (128**3 * 4) // _slice_objects(layout)[1]

    def _bytes_sent(self, codec: str, layout: str, store: str, pattern: str) -> float:
        _, raw_bytes = _slice_objects(layout)
        return self._objects(layout, pattern) * raw_bytes / self.ratio[codec]

    def _access_time(self, codec: str, layout: str, store: str, pattern: str) -> float:
        if store == "local":
            return 0.001
        slowest_first = sorted(CODECS, key=lambda c: c != NONE)
        return self.slice_time[layout] * (1 if pattern == "xy" else 3) - 0.001 * slowest_first.index(codec)


def write_results(
    results_dir: Path,
    recorded: Recorded,
    *,
    commit: str = COMMIT,
    env_name: str = "existing-py_home_user_.venv_bin_python3.11",
    python: str = "/home/user/.venv/bin/python3.11",
    pins: dict[str, str] | None = None,
) -> Path:
    """``benchmarks.json`` and one result file of an environment holding `recorded`: by default an unpinned
    (``existing``) one, whose releases its ``releases`` benchmarks record; with `pins`, a matrix entry."""
    results_dir.mkdir(parents=True, exist_ok=True)
    benchmarks = recorded.benchmarks()
    (results_dir / "benchmarks.json").write_text(
        json.dumps(
            {
                name: {
                    "name": name,
                    "type": kind,
                    "unit": "seconds" if kind == "time" else "unit",
                    "param_names": names,
                    "params": [[repr(value) for value in values] for values in params],
                    "version": "1",
                    "code": f"def {name.rsplit('.', 1)[1]}(): ...",
                }
                for name, (names, params, _, kind) in benchmarks.items()
            }
            | {"version": 2}
        )
    )
    rows = {}
    for name, (_, params, value, kind) in benchmarks.items():
        cases = list(itertools.product(*params))
        samples = [recorded.samples if kind == "time" else None] * len(cases)
        quoted = [[repr(v) for v in values] for values in params]
        row = dict.fromkeys(COLUMNS)
        row.update(result=[value(*case) for case in cases], params=quoted, version="1", started_at=ASV_DATE)
        row.update(duration=1.0, stats_repeat=samples)
        rows[name] = [row[column] for column in COLUMNS]
    pins = pins or {}
    path = write_asv_result(
        results_dir, machine=MACHINE, commit=commit, env_name=env_name, results=rows, columns=COLUMNS,
        python=python, requirements=pins, params={"python": python, **pins},
    )  # fmt: skip
    (path.parent / "machine.json").write_text(json.dumps({"machine": MACHINE, "version": 1}))
    return path


def write_project(directory: Path, recorded: Recorded) -> Path:
    """A git repository with one commit, an asv configuration and `recorded` as that commit's results, as
    ``asv publish`` needs them; returns the configuration."""
    commit = git_repository(directory)
    config = directory / "asv.conf.json"
    settings = {"version": 1, "project": "cryoet-zarr-bench", "repo": ".", "branches": ["main"],
                "environment_type": "virtualenv", "results_dir": "results", "html_dir": "html"}  # fmt: skip
    config.write_text(json.dumps(settings))
    write_results(directory / "results", recorded, commit=commit)
    return config
