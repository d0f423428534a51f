"""One survey task: one volume, one codec, measured the way ``quick`` measures it, as one table row."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from .. import _compat
from ..codecs import parse_codec
from ..measure import measure_codec
from ..runtime import Runtime
from ..sources import acquire_shared
from ..stores import format_chunks

__all__ = ["SurveyTask", "acquire_checksum", "run_task"]


@dataclass(frozen=True)
class SurveyTask:
    """What one row of the survey table measures."""

    source: str
    codec: str
    chunks: tuple[int, int, int] = (64, 64, 64)
    zarr_format: int = 3
    threads: int = 1
    repeats: int = 3

    @property
    def key(self) -> str:
        """A stable identifier of the row: the same settings give the same key in every run of a survey."""
        settings = (self.source, str(parse_codec(self.codec)), self.chunks, self.zarr_format, self.threads)
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:24]


def acquire_checksum(source: str) -> str:
    """Acquire ``source`` into the on-disk cache (a synthetic volume too) and return its checksum.

    A survey runs this once per volume before the codec tasks, which then check that they read these bytes.
    """
    return acquire_shared(source).checksum()


def run_task(task: SurveyTask, expected_checksum: str | None = None) -> dict[str, Any]:
    """Measure ``task`` and return its row (plain values, ready for Parquet).

    Raises ``ValueError`` if the volume read differs from ``expected_checksum`` (the bytes every other task
    of this volume measured).
    """
    volume = acquire_shared(task.source)
    digest = volume.checksum()
    if expected_checksum is not None and digest != expected_checksum:
        raise ValueError(f"{task.source} read as {digest}, not the {expected_checksum} the survey acquired")
    measurement = measure_codec(
        volume,
        task.codec,
        chunks=task.chunks,
        zarr_format=task.zarr_format,
        repeats=task.repeats,
        runtime=Runtime(task.threads),
    )
    megabytes = volume.nbytes / 1e6
    return {
        "key": task.key,
        "source": task.source,
        "codec": measurement.codec,
        "lossless": parse_codec(task.codec).lossless,
        "chunks": format_chunks(task.chunks),
        "zarr_format": task.zarr_format,
        "threads": task.threads,
        "repeats": task.repeats,
        "shape": "x".join(map(str, volume.shape)),
        "dtype": str(volume.dtype),
        "voxel_spacing_a": float(min(volume.voxel_spacing)),
        "raw_bytes": volume.nbytes,
        "chunk_bytes": measurement.stored.chunks,
        "metadata_bytes": measurement.stored.metadata,
        "ratio": measurement.ratio,
        "write_s": measurement.write_s,
        "read_s": measurement.read_s,
        "write_mb_s": megabytes / measurement.write_s,
        "read_mb_s": megabytes / measurement.read_s,
        "round_trip_ok": measurement.lossless_ok,
        "volume_checksum": digest,
        "provenance": json.dumps(volume.provenance, sort_keys=True, default=str),
        "runtime": json.dumps(measurement.runtime, sort_keys=True),
        **{f"{name}_version": version for name, version in _compat.library_versions().items()},
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "finished_at": time.time(),
    }
