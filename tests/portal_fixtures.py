"""A CryoET Data Portal on 127.0.0.1: a real S3 server (moto) and a GraphQL endpoint that agree.

- :class:`S3Portal` starts ``moto.server.ThreadedMotoServer`` and fills the bucket
  ``cryoet-data-portal-public`` with small tomograms in the portal's exact layout: Zarr format 2, ``/``
  dimension separator, ``<f4``, Blosc LZ4 clevel 5 with byte shuffle, NGFF 0.4 multiscales with levels
  0/1/2 (2x mean pooling), axes z, y, x in ångström, under
  ``{dataset}/{run}/Reconstructions/VoxelSpacing{vs:.3f}/Tomograms/{n}/{run}.zarr`` (``n`` counts from 100
  in each spacing folder). Level 0 is 46x158x158 in 64³ chunks, so a crop touches a subset of the 9 chunks.
  The bucket allows anonymous ``s3:GetObject``, ``s3:HeadObject`` and ``s3:ListBucket``, except on one chunk
  (:data:`DENIED_CHUNK`); a bucket without a policy (``private-fixture``) holds one more image. Both serve
  the access-denied tests.
- :class:`CountingProxy` sits between the code under test and moto: it forwards every request, logs it, and
  can go down (close its socket and every connection) once it has served a given number of chunk GETs.
- :class:`FlakyProxy` is a counting proxy that drops, delays or fails a seeded random share of requests.
- ``portal_graphql.GraphQLPortal`` answers the ``cryoet-data-portal`` client's queries, over a catalogue whose
  tomogram records point at the S3 objects above; ``portal_data`` holds the tomograms and writes their images.

Tests use the ``portal`` fixture, which points production code at these servers only through configuration
(``AWS_ENDPOINT_URL_S3``, ``CRYOET_ZARR_BENCH_PORTAL_URL``) and gives it an empty cache directory.
"""

from __future__ import annotations

import gc
import json
import random
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cryoet_zarr_bench import s3
from cryoet_zarr_bench.s3 import MotoServer, anonymous_read_policy

from portal_data import BUCKET, DENIED_CHUNK, PRIVATE_BUCKET, REGION, TOMOGRAMS, pyramid, write_ome_zarr
from portal_graphql import GraphQLPortal

_CHUNK_KEY = re.compile(r"\.zarr/\d+/\d+/\d+/\d+$")


def _upload_directory(s3: Any, directory: Path, bucket: str, prefix: str) -> None:
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            s3.upload_file(str(file), bucket, f"{prefix}/{file.relative_to(directory).as_posix()}")


# --------------------------------------------------------------------------- S3


class S3Portal:
    """moto's S3 server on 127.0.0.1 holding the fixture tomograms (see the module docstring)."""

    def __init__(self) -> None:
        self.server = MotoServer()
        self.endpoint = self.server.endpoint
        self.s3 = self.server.client(REGION)
        self._fill()

    def _fill(self) -> None:
        for bucket in (BUCKET, PRIVATE_BUCKET):
            self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        anonymous_reads = anonymous_read_policy(BUCKET)
        anonymous_reads["Statement"].append(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{BUCKET}/{DENIED_CHUNK}"],
            }
        )
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(anonymous_reads))
        with tempfile.TemporaryDirectory() as scratch:
            for record in TOMOGRAMS:
                if record.stored:
                    local = Path(scratch) / str(record.id)
                    write_ome_zarr(local, pyramid(seed=record.id), record.voxel_spacing)
                    _upload_directory(self.s3, local, BUCKET, record.key)
            _upload_directory(self.s3, Path(scratch) / "14101", PRIVATE_BUCKET, "image.zarr")

    def stop(self) -> None:
        self.server.stop()


class CountingProxy(s3.CountingProxy):
    """The library's counting proxy in front of moto, able to go down on cue."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self._chunk_gets_until_down: int | None = None

    def chunk_gets(self) -> list[str]:
        """Paths of the chunk objects fetched (GET), in order."""
        return [r.path for r in self.requests if r.method == "GET" and _CHUNK_KEY.search(r.path)]

    def go_down_after_chunk_gets(self, count: int) -> None:
        """Stop serving (as if the server died) once ``count`` more chunk GETs have been answered."""
        self._chunk_gets_until_down = count

    def admit(self, request: s3.ProxiedRequest) -> bool:
        # One lock around check, record and countdown: no request is answered after the one that went down.
        with self._lock:
            if self.is_down:
                return False
            self.requests.append(request)
            if (
                self._chunk_gets_until_down is not None
                and request.method == "GET"
                and _CHUNK_KEY.search(request.path)
            ):
                self._chunk_gets_until_down -= 1
                if self._chunk_gets_until_down == 0:
                    self.is_down = True
                    threading.Thread(target=self.stop, daemon=True).start()
            return True


class FlakyProxy(CountingProxy):
    """A :class:`CountingProxy` that drops, delays (up to ``max_delay`` s) or answers HTTP 500 to a seeded
    random ``rate`` of requests, each kind equally often."""

    def __init__(self, upstream: str, *, rate: float, seed: int, max_delay: float) -> None:
        super().__init__(upstream)
        self._random = random.Random(seed)
        self.rate, self.max_delay = rate, max_delay
        self.faults: list[str | float] = []

    def fault(self) -> str | float | None:
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(["drop", "error", "delay"])
            chosen: str | float = self._random.uniform(0, self.max_delay) if kind == "delay" else kind
            self.faults.append(chosen)
            return chosen


# --------------------------------------------------------------------------- pytest fixtures


@dataclass
class Portal:
    """What a portal test sees: the servers, the proxy's request log, the cache directory."""

    s3: S3Portal
    api: GraphQLPortal
    proxy: CountingProxy
    cache_dir: Path

    def cache_files(self) -> list[Path]:
        """Every file in the cache directory (entries and leftovers)."""
        return sorted(p for p in self.cache_dir.rglob("*") if p.is_file()) if self.cache_dir.exists() else []


@pytest.fixture(scope="session")
def s3_portal() -> Iterator[S3Portal]:
    server = S3Portal()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def graphql_portal() -> Iterator[GraphQLPortal]:
    server = GraphQLPortal()
    yield server
    server.stop()


@pytest.fixture
def portal(
    s3_portal: S3Portal, graphql_portal: GraphQLPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Portal]:
    """Production code pointed at the fixture portal through its configuration, with fast-failing retries."""
    import s3fs

    from cryoet_zarr_bench.sources import network

    proxy = CountingProxy(s3_portal.endpoint)
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.endpoint)
    monkeypatch.setenv("CRYOET_ZARR_BENCH_PORTAL_URL", graphql_portal.url)
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(cache_dir))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(
        network, "NETWORK", network.NetworkSettings(attempts=2, connect_timeout=2.0, read_timeout=10.0)
    )
    graphql_portal.queries.clear()
    s3fs.S3FileSystem.clear_instance_cache()
    yield Portal(s3_portal, graphql_portal, proxy, cache_dir)
    s3fs.S3FileSystem.clear_instance_cache()
    gc.collect()  # close the dropped filesystems' HTTP sessions now, while their event loop still runs
    if not proxy.is_down:
        proxy.stop()


def closed_port_url(path: str = "/graphql") -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was just released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def expected_crop(tomogram_id: int, level: int, bounds: tuple[tuple[int, int], ...]) -> np.ndarray:
    """What the fixture stores for ``bounds`` of a level (computed again from the seed, not read back)."""
    data = pyramid(seed=tomogram_id)[level]
    return data[tuple(slice(a, b) for a, b in bounds)]


__all__ = [
    "CountingProxy",
    "FlakyProxy",
    "Portal",
    "S3Portal",
    "closed_port_url",
    "expected_crop",
    "graphql_portal",
    "portal",
    "s3_portal",
]
