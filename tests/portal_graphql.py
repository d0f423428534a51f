"""The fixture portal's GraphQL endpoint on 127.0.0.1: the ``cryoet-data-portal`` client's queries executed
with graphql-core against the schema bundled with the client, over :data:`CATALOGUE`, whose tomogram records
point at the S3 objects of ``portal_fixtures.S3Portal``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from portal_data import BUCKET, DATASET_ID, DATASET_IDS, LEVEL0_SHAPE, RUNS, TOMOGRAMS, FixtureTomogram


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
