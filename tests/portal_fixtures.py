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
- :class:`GraphQLPortal` answers the ``cryoet-data-portal`` client's queries by executing them with
  graphql-core against the schema bundled with the client, over :data:`CATALOGUE`, whose tomogram records
  point at the S3 objects above.

Tests use the ``portal`` fixture, which points production code at these servers only through configuration
(``AWS_ENDPOINT_URL_S3``, ``CRYOET_ZARR_BENCH_PORTAL_URL``) and gives it an empty cache directory.
"""

from __future__ import annotations

import gc
import json
import math
import random
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest

from cryoet_zarr_bench import s3
from cryoet_zarr_bench.s3 import MotoServer, anonymous_read_policy

#: The portal's compressor, as its .zarray documents record it.
PORTAL_COMPRESSOR = {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}
BUCKET = "cryoet-data-portal-public"
PRIVATE_BUCKET = "private-fixture"
REGION = "us-west-2"
LEVEL0_SHAPE = (46, 158, 158)
CHUNKS = (64, 64, 64)
DATASET_ID = 10445
#: Dataset ids the fixture API knows (10446 has no runs).
DATASET_IDS = (10445, 10446, 10301)
#: Path of a tomogram's OME-Zarr inside the bucket.
ZARR_KEY = "{dataset}/{run}/Reconstructions/VoxelSpacing{spacing:.3f}/Tomograms/{folder}/{run}.zarr"
_CHUNK_KEY = re.compile(r"\.zarr/\d+/\d+/\d+/\d+$")


@dataclass(frozen=True)
class FixtureTomogram:
    """One tomogram record of the fixture portal and where its OME-Zarr is (``stored`` False: nowhere)."""

    id: int
    run: str
    voxel_spacing: float
    processing: str
    reconstruction_method: str
    is_portal_standard: bool
    folder: int
    stored: bool = True
    dataset: int = DATASET_ID

    @property
    def key(self) -> str:
        return ZARR_KEY.format(
            dataset=self.dataset, run=self.run, spacing=self.voxel_spacing, folder=self.folder
        )

    @property
    def url(self) -> str:
        return f"s3://{BUCKET}/{self.key}"


#: Runs of dataset 10445 (name -> run id); TS_99_9 has no tomograms.
RUNS = {"TS_100_3": 1001, "TS_100_4": 1002, "TS_99_9": 1003}
TOMOGRAMS = (
    FixtureTomogram(14101, "TS_100_3", 10.012, "raw", "WBP", True, folder=100),
    FixtureTomogram(14102, "TS_100_3", 10.012, "denoised", "WBP", False, folder=101),
    FixtureTomogram(14103, "TS_100_3", 5.006, "raw", "SART", False, folder=100, stored=False),
    FixtureTomogram(14201, "TS_100_4", 10.012, "raw", "WBP", True, folder=100),
)


def tomogram(tomogram_id: int) -> FixtureTomogram:
    return next(t for t in TOMOGRAMS if t.id == tomogram_id)


#: One chunk of tomogram 14201 (run TS_100_4) that the bucket policy denies to anonymous readers.
DENIED_CHUNK = f"{tomogram(14201).key}/0/0/1/1"


# --------------------------------------------------------------------------- data


def mean_pool(data: np.ndarray) -> np.ndarray:
    """2x mean pooling; odd sides are padded with their last plane (46x158x158 -> 23x79x79 -> 12x40x40)."""
    padded = np.pad(data, [(0, n % 2) for n in data.shape], mode="edge")
    z, y, x = padded.shape
    blocks = padded.reshape(z // 2, 2, y // 2, 2, x // 2, 2)
    return blocks.mean(axis=(1, 3, 5), dtype=np.float64).astype(np.float32)


def pyramid(seed: int, shape: tuple[int, int, int] = LEVEL0_SHAPE) -> list[np.ndarray]:
    """Levels 0, 1, 2 of a tomogram-like float32 volume (noise of the portal's magnitude, seeded)."""
    level0 = (np.random.default_rng(seed).standard_normal(shape) * 1e-5).astype(np.float32)
    return [level0, mean_pool(level0), mean_pool(mean_pool(level0))]


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=4))


def write_ome_zarr(path: Path, levels: list[np.ndarray], voxel_spacing: float) -> None:
    """Write ``levels`` as an OME-Zarr image group in the portal's layout (see the module docstring).

    The metadata documents and chunk objects are written directly (chunks encoded with numcodecs), so the
    store is the same whichever zarr-python version runs the tests, and reading it exercises that version.
    """
    compressor = numcodecs.get_codec(dict(PORTAL_COMPRESSOR))
    _write_json(path / ".zgroup", {"zarr_format": 2})
    _write_json(
        path / ".zattrs",
        {
            "multiscales": [
                {
                    "version": "0.4",
                    "name": "/",
                    "axes": [{"name": axis, "type": "space", "unit": "angstrom"} for axis in "zyx"],
                    "datasets": [
                        {
                            "path": str(level),
                            "coordinateTransformations": [
                                {"type": "scale", "scale": [voxel_spacing * 2**level] * 3}
                            ],
                        }
                        for level in range(len(levels))
                    ],
                    "metadata": {"description": "2x mean pooling", "method": "fixture"},
                }
            ]
        },
    )
    for level, data in enumerate(levels):
        _write_json(
            path / str(level) / ".zarray",
            {
                "chunks": list(CHUNKS),
                "compressor": compressor.get_config(),
                "dimension_separator": "/",
                "dtype": "<f4",
                "fill_value": 0,
                "filters": None,
                "order": "C",
                "shape": list(data.shape),
                "zarr_format": 2,
            },
        )
        grid = [math.ceil(n / c) for n, c in zip(data.shape, CHUNKS)]
        for index in np.ndindex(*grid):
            region = data[tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, CHUNKS))]
            chunk = np.zeros(CHUNKS, dtype="<f4")  # Zarr format 2 stores edge chunks whole, padded
            chunk[tuple(slice(0, n) for n in region.shape)] = region
            chunk_path = path / str(level) / "/".join(map(str, index))
            chunk_path.parent.mkdir(parents=True, exist_ok=True)
            chunk_path.write_bytes(compressor.encode(chunk))


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


# --------------------------------------------------------------------------- GraphQL


def _dataset_record(dataset_id: int) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "depositionId": 10300,
        "title": f"Fixture dataset {dataset_id}",
        "description": "Tomograms of the cryoet-zarr-bench test fixture.",
        "depositionDate": "2024-01-01T00:00:00",
        "releaseDate": "2024-01-01T00:00:00",
        "lastModifiedDate": "2024-01-01T00:00:00",
        "s3Prefix": f"s3://{BUCKET}/{dataset_id}/",
        "httpsPrefix": f"https://files.example.invalid/{dataset_id}/",
    }


def _run_record(name: str, run_id: int) -> dict[str, Any]:
    return {
        "id": run_id,
        "datasetId": DATASET_ID,
        "name": name,
        "s3Prefix": f"s3://{BUCKET}/{DATASET_ID}/{name}/",
        "httpsPrefix": f"https://files.example.invalid/{DATASET_ID}/{name}/",
    }


def _tomogram_record(record: FixtureTomogram) -> dict[str, Any]:
    shapes = [LEVEL0_SHAPE, (23, 79, 79), (12, 40, 40)]
    return {
        "id": record.id,
        "depositionId": 10300,
        "runId": RUNS[record.run],
        "name": record.run,
        "sizeX": LEVEL0_SHAPE[2],
        "sizeY": LEVEL0_SHAPE[1],
        "sizeZ": LEVEL0_SHAPE[0],
        "voxelSpacing": record.voxel_spacing,
        "fiducialAlignmentStatus": "FIDUCIAL",
        "reconstructionMethod": record.reconstruction_method,
        "processing": record.processing,
        "reconstructionSoftware": "fixture",
        "isPortalStandard": record.is_portal_standard,
        "s3OmezarrDir": record.url,
        "httpsOmezarrDir": f"https://files.example.invalid/{record.key}",
        "offsetX": 0,
        "offsetY": 0,
        "offsetZ": 0,
        **{f"scale{i}Dimensions": ",".join(map(str, shape[::-1])) for i, shape in enumerate(shapes)},
    }


#: Root field -> records the fixture API serves.
CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "datasets": [_dataset_record(dataset_id) for dataset_id in DATASET_IDS],
    "runs": [_run_record(name, run_id) for name, run_id in RUNS.items()],
    "tomograms": [_tomogram_record(record) for record in TOMOGRAMS],
}

_COMPARATORS = {
    "_eq": lambda value, wanted: value == wanted,
    "_neq": lambda value, wanted: value != wanted,
    "_in": lambda value, wanted: value in wanted,
    "_gt": lambda value, wanted: value is not None and value > wanted,
    "_gte": lambda value, wanted: value is not None and value >= wanted,
    "_lt": lambda value, wanted: value is not None and value < wanted,
    "_lte": lambda value, wanted: value is not None and value <= wanted,
}


def _matches(record: dict[str, Any], where: dict[str, Any] | None) -> bool:
    for field_name, condition in (where or {}).items():
        for operator, wanted in condition.items():
            if operator not in _COMPARATORS:
                raise ValueError(f"the fixture API answers only scalar filters, not {field_name}.{operator}")
            if not _COMPARATORS[operator](record.get(field_name), wanted):
                return False
    return True


def _resolver(records: list[dict[str, Any]]) -> Any:
    """A root-field resolver returning the ``records`` that match the query's ``where`` argument."""

    def resolve(info: Any, where: dict[str, Any] | None = None, **_: Any) -> list[dict[str, Any]]:
        return [record for record in records if _matches(record, where)]

    return resolve


class GraphQLPortal:
    """A GraphQL endpoint on 127.0.0.1 serving :data:`CATALOGUE` with the client's own schema."""

    def __init__(self) -> None:
        import cryoet_data_portal
        import graphql

        schema_path = Path(cryoet_data_portal.__file__).parent / "data" / "schema.graphql"
        self.schema = graphql.build_schema(schema_path.read_text())
        #: Query documents received, in order.
        self.queries: list[str] = []
        root = {name: _resolver(records) for name, records in CATALOGUE.items()}
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                portal.queries.append(request["query"])
                result = graphql.graphql_sync(
                    portal.schema, request["query"], root_value=root, variable_values=request.get("variables")
                )
                answer: dict[str, Any] = {"data": result.data}
                if result.errors:
                    answer["errors"] = [error.formatted for error in result.errors]
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/graphql"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


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
    "BUCKET",
    "PORTAL_COMPRESSOR",
    "PRIVATE_BUCKET",
    "TOMOGRAMS",
    "CountingProxy",
    "FlakyProxy",
    "GraphQLPortal",
    "Portal",
    "S3Portal",
    "closed_port_url",
    "expected_crop",
    "graphql_portal",
    "mean_pool",
    "portal",
    "pyramid",
    "s3_portal",
    "tomogram",
    "write_ome_zarr",
]
