"""The asv suite's settings, validated once, and the one volume every environment of a run benchmarks.

The suite is configured by environment variables (so plain ``asv`` commands work). :meth:`SuiteSettings.from_env`
reads and checks them all at once; a bad value is one :class:`SuiteSettingsError` line naming the variable and
what it accepts.

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
from .codecs import CODEC_SETS, CodecSpecError, codec_set
from .runtime import THREADS_ENV, Runtime
from .sources import SourceError, acquire_shared, parse_source
from .sources import cache as volume_cache
from .stores import format_chunks, parse_chunks
from .volume import Volume

__all__ = [
    "CHECKSUM_ENV",
    "CHUNKS_ENV",
    "CODECS_ENV",
    "SOURCE_ENV",
    "ChecksumMismatchError",
    "SuiteSettings",
    "SuiteSettingsError",
    "acquire_for_suite",
    "checksums_file",
]

SOURCE_ENV = "CRYOET_ZARR_BENCH_SOURCE"
CODECS_ENV = "CRYOET_ZARR_BENCH_CODECS"
CHUNKS_ENV = "CRYOET_ZARR_BENCH_CHUNKS"
CHECKSUM_ENV = "CRYOET_ZARR_BENCH_CHECKSUM"


class SuiteSettingsError(ValueError):
    """A suite setting (an environment variable) that cannot be used; the message is one line."""


class ChecksumMismatchError(RuntimeError):
    """This environment reads other bytes than the suite's expected volume."""


@dataclass(frozen=True)
class SuiteSettings:
    """What the asv suite benchmarks: one source, codecs, chunk shapes, a runtime, and the expected checksum."""

    source: str
    codecs: tuple[str, ...]
    chunks: tuple[str, ...]
    runtime: Runtime
    checksum: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SuiteSettings:
        """The settings the variables name (defaults: synthetic, seed, 64, one thread, no expected checksum)."""
        source = _checked(environ, SOURCE_ENV, "synthetic", _source)
        codecs = _checked(environ, CODECS_ENV, "seed", _codecs)
        chunks = _checked(environ, CHUNKS_ENV, "64", _chunk_shapes)
        runtime = _checked(environ, THREADS_ENV, "1", lambda text: Runtime.from_env({THREADS_ENV: text}))
        checksum = _checked(environ, CHECKSUM_ENV, "", _checksum) or None
        return cls(source, codecs, chunks, runtime, checksum)


def _checked(environ: Mapping[str, str], name: str, default: str, parse):
    text = environ.get(name, default)
    try:
        return parse(text)
    except (ValueError, CodecSpecError, SourceError) as error:
        detail = str(error).removeprefix(f"{name}={text!r}: ")
        raise SuiteSettingsError(f"{name}={text!r}: {detail}") from None


def _source(text: str) -> str:
    spec = parse_source(text).with_absolute_path()
    if spec.kind not in ("synthetic", "portal") and not spec.is_remote and not Path(spec.location).exists():
        raise SourceError(f"no such file or directory: {spec.location}")
    return str(spec)


def _codecs(text: str) -> tuple[str, ...]:
    try:
        return codec_set(text)
    except CodecSpecError as error:
        raise CodecSpecError(f"{error}; or a codec set: {', '.join(CODEC_SETS)}") from None


def _chunk_shapes(text: str) -> tuple[str, ...]:
    shapes = tuple(format_chunks(parse_chunks(part)) for part in text.split(",") if part.strip())
    if not shapes:
        raise ValueError("no chunk shapes; give comma-separated shapes such as 64,32x128x128")
    return shapes


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
            f"{checksums_file()} does not hold the recorded checksums ({recorded}); remove it to record them anew"
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
