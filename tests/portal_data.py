"""The fixture portal's catalogue and images: its tomograms, where each is stored, and their OME-Zarr pyramids
written in the portal's exact layout (Zarr format 2, ``/`` dimension separator, ``<f4``, Blosc LZ4 clevel 5
with byte shuffle, NGFF 0.4 multiscales with levels 0/1/2 by 2x mean pooling, axes z, y, x in ångström).

Level 0 is 46x158x158 in 64³ chunks, so a crop touches a subset of the 9 chunks.  Used by the portal's S3
and GraphQL servers (``portal_fixtures``, ``portal_graphql``) and by the local-file tests.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np

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


# --------------------------------------------------------------------------- OME-Zarr


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
