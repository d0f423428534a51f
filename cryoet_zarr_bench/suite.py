"""The asv suite's settings, validated once, and the one volume every environment of a run benchmarks.

The suite is configured by environment variables (so plain ``asv`` commands work).
:meth:`SuiteSettings.from_env` reads and checks them all at once; a bad value is one
:class:`SuiteSettingsError` line naming the variable and what it accepts.

**Tiers.** By default the suite is its release-tracking core (:data:`CORE_MODULES`: ratios, chunk and metadata
bytes, writes and reads, zarr's overhead, what each environment ran with), short enough to run in every
environment of the release matrix. The studies (:data:`STUDIES`: the codec study, layouts and access, engines,
full-size recompression, parallel speed-up, what depends on the machine) are opt-in, by
``CRYOET_ZARR_BENCH_STUDIES=codec,layout`` (or ``all``); a study that is not selected defines no benchmarks at
all.

Environments of a release matrix differ in numpy as well as zarr and numcodecs, and the synthetic volume is
bit-identical only under one numpy. So :func:`acquire_for_suite` acquires the volume once into the on-disk
cache (the synthetic volume too) and every environment reads that entry; its checksum must equal the expected
one, given by ``CRYOET_ZARR_BENCH_CHECKSUM`` or else recorded in ``<cache>/checksums.json`` by the first
environment that acquired the source. Any other checksum raises :class:`ChecksumMismatchError`, failing every
benchmark of that environment: results on other bytes are not comparable.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._atomic import write_file
from .access import STORES
from .codecs import CODEC_SETS, CodecSpecError, codec_set, is_noise_tied
from .errors import UserError
from .layouts import parse_layout
from .runtime import THREADS_ENV, Runtime
from .sources import SourceError, acquire_shared, parse_source
from .sources import cache as volume_cache
from .stores import format_chunks, parse_chunks
from .volume import Volume

__all__ = [
    "CHECKSUM_ENV",
    "CHUNKS_ENV",
    "CODECS_ENV",
    "CORE_MODULES",
    "FULL_SIZES_ENV",
    "LAYOUTS_ENV",
    "SOURCE_ENV",
    "STORES_ENV",
    "STUDIES",
    "STUDIES_ENV",
    "ChecksumMismatchError",
    "Study",
    "SuiteSettings",
    "SuiteSettingsError",
    "acquire_for_suite",
    "checksums_file",
]

SOURCE_ENV = "CRYOET_ZARR_BENCH_SOURCE"
CODECS_ENV = "CRYOET_ZARR_BENCH_CODECS"
CHUNKS_ENV = "CRYOET_ZARR_BENCH_CHUNKS"
CHECKSUM_ENV = "CRYOET_ZARR_BENCH_CHECKSUM"
STUDIES_ENV = "CRYOET_ZARR_BENCH_STUDIES"
LAYOUTS_ENV = "CRYOET_ZARR_BENCH_LAYOUTS"
STORES_ENV = "CRYOET_ZARR_BENCH_STORES"
FULL_SIZES_ENV = "CRYOET_ZARR_BENCH_FULL_SIZES"


@dataclass(frozen=True)
class Study:
    """An opt-in part of the suite: its name in ``CRYOET_ZARR_BENCH_STUDIES`` and its benchmark modules."""

    name: str
    modules: tuple[str, ...]
    subject: str


#: The release-tracking core, run by default: every module but the studies'.
CORE_MODULES = ("compression", "write_read", "overhead", "recorded", "releases")
#: The opt-in studies, in the order a run takes them.
STUDIES = (
    Study("codec", ("study", "study_use"), "lossy and float-aware codecs judged by fidelity and by use"),
    Study(
        "layout", ("access",), "chunk and shard layouts read as people read (slices, subvolumes), disk and S3"
    ),
    Study("engines", ("engines",), "zarr-python, TensorStore and zarrs writing and reading the same arrays"),
    Study("full-size", ("full_size",), "recompressing portal-sized tomograms in bounded memory"),
    Study("parallel", ("parallel",), "the same write and read at one thread and at every core"),
    Study("machine", ("machine",), "cold (disk) reads, the memory an operation adds, a read's repeatability"),
)
_STUDY_NAMES = tuple(study.name for study in STUDIES)
#: The codec study's codecs unless ``CRYOET_ZARR_BENCH_CODECS`` names others.
STUDY_CODEC_SET = "study"


class SuiteSettingsError(UserError, ValueError):
    """A suite setting (an environment variable) that cannot be used; the message is one line."""


class ChecksumMismatchError(UserError, RuntimeError):
    """This environment reads other bytes than the suite's expected volume."""


@dataclass(frozen=True)
class SuiteSettings:
    """What the asv suite benchmarks: one source, codecs, chunk shapes, a runtime, the expected checksum, and
    the opt-in studies with their own settings (the codec study's codecs; the layout study's layouts and
    stores, which full-size recompression writes too; the full-size shapes)."""

    source: str
    codecs: tuple[str, ...]
    chunks: tuple[str, ...]
    runtime: Runtime
    checksum: str | None
    studies: tuple[str, ...] = ()
    study_codecs: tuple[str, ...] = CODEC_SETS[STUDY_CODEC_SET]
    layouts: tuple[str, ...] = ("64x64x64", "shard128x128x128-32x32x32")
    stores: tuple[str, ...] = ("local", "memory", "s3", "s3+latency")
    full_sizes: tuple[str, ...] = ("184x630x630",)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SuiteSettings:
        """The settings the variables name (defaults: synthetic, baseline, 64, one thread, no expected
        checksum, no study)."""
        codecs = _checked(environ, CODECS_ENV, "baseline", _codecs)
        return cls(
            source=_checked(environ, SOURCE_ENV, "synthetic", _source),
            codecs=codecs,
            chunks=_checked(environ, CHUNKS_ENV, "64", _chunk_shapes),
            runtime=_checked(environ, THREADS_ENV, "1", lambda text: Runtime.from_env({THREADS_ENV: text})),
            checksum=_checked(environ, CHECKSUM_ENV, "", _checksum) or None,
            studies=_checked(environ, STUDIES_ENV, "", _studies),
            study_codecs=codecs if CODECS_ENV in environ else CODEC_SETS[STUDY_CODEC_SET],
            layouts=_checked(environ, LAYOUTS_ENV, "64,shard128-32", _layouts),
            stores=_checked(environ, STORES_ENV, "local,memory,s3,s3+latency", _stores),
            full_sizes=_checked(environ, FULL_SIZES_ENV, "184x630x630", _volume_shapes),
        )

    def runs(self, study: str) -> bool:
        """Whether the study named ``study`` (one of :data:`STUDIES`) is selected."""
        if study not in _STUDY_NAMES:
            raise ValueError(f"no study named {study!r}; studies: {', '.join(_STUDY_NAMES)}")
        return study in self.studies

    def modules(self) -> tuple[str, ...]:
        """The benchmark modules these settings define benchmarks in: the core, then each selected study's."""
        return CORE_MODULES + tuple(
            module for study in STUDIES if study.name in self.studies for module in study.modules
        )


def _checked(environ: Mapping[str, str], name: str, default: str, parse):
    text = environ.get(name, default)
    try:
        return parse(text)
    except (ValueError, CodecSpecError, SourceError) as error:
        detail = str(error).removeprefix(f"{name}={text!r}: ")
        raise SuiteSettingsError(f"{name}={text!r}: {detail}") from None


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _source(text: str) -> str:
    spec = parse_source(text).with_absolute_path()
    if spec.is_local_path and not Path(spec.location).exists():
        raise SourceError(f"no such file or directory: {spec.location}")
    return str(spec)


def _codecs(text: str) -> tuple[str, ...]:
    try:
        names = codec_set(text)
    except CodecSpecError as error:
        raise CodecSpecError(f"{error}; or a codec set: {', '.join(CODEC_SETS)}") from None
    if all(is_noise_tied(name) for name in names):
        raise CodecSpecError(
            "every codec named is tied to the noise, a pipeline only once the codec study resolves it "
            "against a volume; add at least one other for the rest of the suite, e.g. none"
        )
    return names


def _chunk_shapes(text: str) -> tuple[str, ...]:
    shapes = tuple(format_chunks(parse_chunks(part)) for part in _items(text))
    if not shapes:
        raise ValueError("no shapes; give comma-separated shapes such as 64,32x128x128")
    return shapes


def _volume_shapes(text: str) -> tuple[str, ...]:
    try:
        return _chunk_shapes(text)
    except ValueError:
        raise ValueError(
            "give comma-separated volume shapes, each one edge (512) or three (184x630x630)"
        ) from None


def _studies(text: str) -> tuple[str, ...]:
    names = _items(text.lower())
    if names == ["all"]:
        return _STUDY_NAMES
    return _known(names, _STUDY_NAMES, "study", or_all=True)


def _layouts(text: str) -> tuple[str, ...]:
    layouts = tuple(str(parse_layout(part)) for part in _items(text))
    if not layouts:
        raise ValueError("no layouts; give comma-separated layouts such as 64,shard128-32")
    return layouts


def _stores(text: str) -> tuple[str, ...]:
    return _known(_items(text.lower()), STORES, "store")


def _known(names: list[str], valid: tuple[str, ...], what: str, or_all: bool = False) -> tuple[str, ...]:
    """``names`` in ``valid``'s order, each once; a name not in ``valid`` (or none at all, unless ``or_all``
    allows the empty default) is an error listing the valid ones."""
    unknown = [name for name in names if name not in valid]
    if unknown or (not names and not or_all):
        choices = f"{', '.join(valid)}, or all" if or_all else ", ".join(valid)
        raise ValueError(f"no {what} named {', '.join(unknown) or 'at all'}; give some of {choices}")
    return tuple(name for name in valid if name in names)


def _checksum(text: str) -> str:
    text = text.strip().lower()
    if text and not re.fullmatch(r"sha256:[0-9a-f]{64}", text):
        raise ValueError("give the volume's checksum as sha256:<64 hex digits>")
    return text


def checksums_file() -> Path:
    """Where the first environment records each source's checksum for the others."""
    return volume_cache.cache_dir() / "checksums.json"


def _recorded_checksums() -> dict[str, str]:
    try:
        recorded = json.loads(checksums_file().read_text())
    except FileNotFoundError:
        return {}
    except ValueError as error:
        recorded = error
    if not isinstance(recorded, dict):
        raise ChecksumMismatchError(
            f"{checksums_file()} does not hold the recorded checksums ({recorded}); "
            "remove it to record them anew"
        )
    return recorded


def _record_checksum(source: str, checksum: str) -> None:
    recorded = {**_recorded_checksums(), source: checksum}
    text = json.dumps(recorded, indent=2, sort_keys=True).encode()
    write_file(checksums_file(), lambda stream: stream.write(text))


def acquire_for_suite(settings: SuiteSettings) -> Volume:
    """The suite's volume, checked to be the same bytes every environment of the run reads.

    Raises
    ------
    ChecksumMismatchError
        If the volume's checksum differs from ``CRYOET_ZARR_BENCH_CHECKSUM`` or from the recorded one.
    """
    volume = acquire_shared(settings.source)
    actual = volume.checksum()
    if settings.checksum is not None:
        expected, where = settings.checksum, f"{CHECKSUM_ENV}"
    else:
        expected, where = _recorded_checksums().get(settings.source), f"{checksums_file()}"
        if expected is None:
            _record_checksum(settings.source, actual)
            return volume
    if actual != expected:
        raise ChecksumMismatchError(
            f"{settings.source} reads as {actual} in this environment, but {where} expects {expected}: "
            "the environments would not benchmark the same bytes. If the source changed on purpose, remove "
            f"its entry from {checksums_file()} (and its cache entry) or set {CHECKSUM_ENV}."
        )
    return volume
