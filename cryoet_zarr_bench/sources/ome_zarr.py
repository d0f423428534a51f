"""OME-Zarr images, read from a local directory or an fsspec URL (``s3://``, ``https://``), crop by crop.

Only the chunks a crop touches are fetched, a few at a time; the portal source (:mod:`.portal`) reads its
tomograms with :func:`read_ome_zarr`.  What the store answers is checked: metadata that is not JSON, an array
zarr cannot open and a chunk that cannot be decoded are each reported in one line, and chunks missing from
the store (which zarr reads as the fill value) are counted and noted in the volume's provenance.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..progress import Counter
from ..volume import Volume
from .errors import SourceError, one_line
from .network import run_with_deadline, s3_storage_options, store_errors
from .spec import Crop

__all__ = ["CONCURRENT_CHUNK_READS", "MISSING_PACKAGE_HINT", "read_ome_zarr"]

#: Chunks fetched at the same time when reading an OME-Zarr crop.
CONCURRENT_CHUNK_READS = 4
#: Length unit of NGFF axes -> ångström per unit.
_ANGSTROM_PER_UNIT = {"angstrom": 1.0, "nanometer": 10.0, "micrometer": 1e4}
MISSING_PACKAGE_HINT = (
    "pip install 'cryoet-zarr-bench[portal]', or run `cryoet-zarr-bench fetch {source}` first"
)

Bounds = tuple[tuple[int, int], ...]


def crop_bounds(crop: Crop | None, shape: tuple[int, ...]) -> Bounds:
    return tuple((0, n) for n in shape) if crop is None else crop.bounds(shape)


def slices(bounds: Bounds) -> tuple[slice, ...]:
    return tuple(slice(start, stop) for start, stop in bounds)


def crop_provenance(crop: Crop | None, bounds: Bounds, shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "full_shape": list(shape),
        "crop": None if crop is None else [list(axis_bounds) for axis_bounds in bounds],
    }


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if name else base


def _read_json(fs: Any, path: str, url: str) -> dict[str, Any] | None:
    """The JSON document at ``path``; None if there is none; a :class:`SourceError` if it is not JSON."""
    try:
        raw = fs.cat_file(path)
    except FileNotFoundError:
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        start = " ".join(raw[:60].decode("utf-8", "replace").split())
        raise SourceError(
            f"{path.rsplit('/', 1)[-1]} of {url} is not JSON (it starts {start!r}); check the URL (a web "
            "page instead of the store?) or copy the store again"
        ) from None
    if not isinstance(document, dict):
        raise SourceError(f"{path} of {url} holds no JSON object; copy the store again")
    return document


def _multiscale(fs: Any, root: str, url: str) -> dict[str, Any]:
    """The first NGFF multiscale of the image group (Zarr format 2 ``.zattrs`` or format 3 ``zarr.json``)."""
    attributes = _read_json(fs, _join(root, ".zattrs"), url)
    if attributes is None:
        group = _read_json(fs, _join(root, "zarr.json"), url)
        if group is None:
            raise SourceError(
                f"no Zarr group at {url} (neither .zattrs nor zarr.json); check the path or URL"
            )
        attributes = group.get("attributes", {})
    multiscales = attributes.get("ome", attributes).get("multiscales")
    if not multiscales:
        raise SourceError(
            f"{url} is not an OME-Zarr image: its group attributes have no 'multiscales'; "
            "give the image group (the directory whose metadata lists the multiscale levels)"
        )
    return multiscales[0]


def _level_spacing(multiscale: dict[str, Any], dataset: dict[str, Any], url: str) -> tuple[list[float], list]:
    """Voxel spacing (ångström, z y x) of one level from its scale transforms and axis units."""
    scale = [1.0, 1.0, 1.0]
    for transforms in (
        dataset.get("coordinateTransformations", []),
        multiscale.get("coordinateTransformations", []),
    ):
        for transform in transforms:
            if transform.get("type") == "scale":
                scale = [a * b for a, b in zip(scale, transform["scale"])]
    axes = multiscale.get("axes", ["z", "y", "x"])
    if len(axes) != 3 or len(scale) != 3:
        raise SourceError(f"{url} has {len(axes)} axes; only 3-D (z, y, x) OME-Zarr images can be read")
    units = [axis.get("unit") if isinstance(axis, dict) else None for axis in axes]
    factors = [_ANGSTROM_PER_UNIT.get(unit or "angstrom", 1.0) for unit in units]
    return [s * f for s, f in zip(scale, factors)], units


class _ChunkKeys:
    """Where each stored object (chunk, or shard) of an array lives, from its Zarr format 2 or 3 metadata."""

    def __init__(self, metadata: dict[str, Any], array_path: str) -> None:
        self.array_path = array_path
        if metadata.get("zarr_format") == 3:
            self.grid = tuple(metadata["chunk_grid"]["configuration"]["chunk_shape"])
            encoding = metadata.get("chunk_key_encoding", {"name": "default"})
            default = encoding.get("name") == "default"
            self.separator = encoding.get("configuration", {}).get("separator", "/" if default else ".")
            self.prefix = f"c{self.separator}" if default else ""
        else:
            self.grid = tuple(metadata["chunks"])
            self.separator, self.prefix = metadata.get("dimension_separator") or ".", ""

    def objects(self, block: Bounds) -> set[str]:
        """The paths of the stored objects ``block`` lies in."""
        ranges = [range(start // n, (stop - 1) // n + 1) for (start, stop), n in zip(block, self.grid)]
        return {
            _join(self.array_path, self.prefix + self.separator.join(map(str, (z, y, x))))
            for z in ranges[0]
            for y in ranges[1]
            for x in ranges[2]
        }


def _chunk_blocks(bounds: Bounds, chunks: tuple[int, ...]) -> Iterator[Bounds]:
    """The part of ``bounds`` inside each chunk it touches."""
    per_axis = []
    for (start, stop), size in zip(bounds, chunks):
        per_axis.append(
            [
                (max(start, i * size), min(stop, (i + 1) * size))
                for i in range(start // size, (stop - 1) // size + 1)
            ]
        )
    for z in per_axis[0]:
        for y in per_axis[1]:
            for x in per_axis[2]:
                yield (z, y, x)


def _is_fill(block: np.ndarray, fill_value: Any) -> bool:
    fill = 0 if fill_value is None else fill_value
    if isinstance(fill, float) and math.isnan(fill):
        return bool(np.isnan(block).all())
    return bool((block == fill).all())


def _read_chunkwise(
    array: Any, bounds: Bounds, *, url: str, progress: bool, label: str, heard: Callable[[], None]
) -> tuple[np.ndarray, list[Bounds]]:
    """Read ``bounds`` of a zarr array one chunk at a time, a few at once on daemon threads (so a chunk stuck
    in a library cannot keep the process alive after the read gave up); returns the data and the blocks that
    read as the fill value throughout (the candidates for chunks missing from the store)."""
    blocks = list(_chunk_blocks(bounds, array.chunks))
    out = np.empty([stop - start for start, stop in bounds], dtype=np.dtype(array.dtype).newbyteorder("="))
    origin = [start for start, _ in bounds]
    pending = list(reversed(blocks))
    finished: list[tuple[Bounds, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    changed = threading.Condition(lock)

    def read(block: Bounds) -> bool:
        try:
            values = array[slices(block)]
        except (ValueError, TypeError, RuntimeError, KeyError) as error:
            index = ", ".join(str(start // size) for (start, _), size in zip(block, array.chunks))
            raise SourceError(
                f"chunk ({index}) of {url} cannot be read ({one_line(error)}): the chunk is damaged or not "
                "what the array's metadata describes; copy or download the store again"
            ) from error
        out[tuple(slice(start - o, stop - o) for (start, stop), o in zip(block, origin))] = values
        return _is_fill(values, array.fill_value)

    def worker() -> None:
        while True:
            with lock:
                if errors or not pending:
                    return
                block = pending.pop()
            try:
                filled = read(block)
            except BaseException as error:  # raised again by the reading thread
                with changed:
                    errors.append(error)
                    changed.notify()
                return
            with changed:
                finished.append((block, filled))
                changed.notify()

    for _ in range(min(CONCURRENT_CHUNK_READS, len(blocks))):
        threading.Thread(target=worker, daemon=True).start()
    seen = 0
    # The chunk bar is drawn wherever progress is asked for, on a pipe too (a log keeps its states).
    with Counter(len(blocks), label, unit="chunk", bar="always" if progress else "never") as advance:
        while seen < len(blocks):
            with changed:
                changed.wait_for(lambda: errors or len(finished) > seen)  # noqa: B023  (called only here)
                if errors:
                    raise errors[0]
                newly = len(finished) - seen
            for _ in range(newly):
                advance()
                heard()
            seen += newly
    return out, [block for block, filled in finished if filled]


def _open_array(url: str, level_path: str, storage_options: dict[str, Any] | None) -> Any:
    from .. import _compat

    try:
        return _compat.open_array(_join(url, level_path), storage_options)
    except (KeyError, TypeError, ValueError) as error:
        raise SourceError(
            f"level {level_path} of {url} has array metadata zarr cannot open ({one_line(error)}); the store "
            "is damaged or not a Zarr array: copy it again"
        ) from error


def read_ome_zarr(
    url: str,
    *,
    level: int,
    crop: Crop | None,
    source: str,
    storage_options: dict[str, Any] | None = None,
    progress: bool = False,
    before_reading: Callable[[tuple[int, ...], np.dtype], None] | None = None,
) -> Volume:
    """Read (a crop of) one level of an OME-Zarr image, fetching only the chunks the crop touches.

    Parameters
    ----------
    url
        Local directory or fsspec URL of the image group (the one whose attributes hold ``multiscales``).
    level
        Index into the multiscale's datasets (0 is full resolution).
    crop
        Sub-volume to read; None reads the whole level.
    source
        Canonical source string recorded in the returned volume.
    storage_options
        fsspec options for URLs (ignored for local paths); s3:// URLs default to anonymous access.
    progress
        Show a progress bar (one step per chunk) and "still waiting" lines while reading.
    before_reading
        Called with the crop's shape and data type once the metadata is read, before any chunk is fetched
        (e.g. to check there is room to keep it).
    """
    is_url = "://" in url
    if not is_url and not os.path.isdir(url):
        raise SourceError(f"no OME-Zarr directory at {url}; check the path")
    if is_url and storage_options is None and url.startswith("s3://"):
        storage_options = s3_storage_options()
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    except ImportError as error:
        raise SourceError(
            f"reading {url} needs a package that is missing ({one_line(error)}): "
            + MISSING_PACKAGE_HINT.format(source=source)
        ) from None
    if hasattr(fs, "retries"):  # s3fs: botocore retries already; zarr opens this same (cached) instance
        fs.retries = 1

    def read(heard: Callable[[], None]) -> Volume:
        with store_errors(url):
            multiscale = _multiscale(fs, root, url)
            heard()
            datasets = multiscale.get("datasets", [])
            if level >= len(datasets):
                raise SourceError(f"{url} has no level {level}: its levels are 0 to {len(datasets) - 1}")
            level_path = datasets[level]["path"]
            spacing, units = _level_spacing(multiscale, datasets[level], url)
            array_path = _join(root, level_path)
            metadata = _read_json(fs, _join(array_path, ".zarray"), url) or _read_json(
                fs, _join(array_path, "zarr.json"), url
            )
            array = _open_array(url, level_path, storage_options if is_url else None)
            heard()
            shape = tuple(array.shape)
            if len(shape) != 3 or np.dtype(array.dtype).kind not in "iuf":
                raise SourceError(
                    f"level {level} of {url} is a {array.dtype} array of shape {shape}, not a 3-D volume"
                )
            bounds = crop_bounds(crop, shape)
            if before_reading is not None:
                before_reading(tuple(stop - start for start, stop in bounds), np.dtype(array.dtype))
            data, filled = _read_chunkwise(
                array, bounds, url=url, progress=progress, label=source, heard=heard
            )
            keys = _ChunkKeys(metadata or {"chunks": array.chunks}, array_path)
            missing = sorted({key for block in filled for key in keys.objects(block) if not fs.exists(key)})
        chunks_read = len(list(_chunk_blocks(bounds, array.chunks)))
        provenance = {
            "kind": "ome-zarr",
            "store_url": url,
            "level": level,
            "level_path": level_path,
            "axis_units": units,
            "chunks": list(array.chunks),
            "chunks_read": chunks_read,
            "chunks_total": math.prod(math.ceil(n / c) for n, c in zip(shape, array.chunks)),
            "chunks_missing": len(missing),
            "store_array_metadata": {k: v for k, v in (metadata or {}).items() if k != "attributes"},
            "stored_dtype": data.dtype.name,
            **crop_provenance(crop, bounds, shape),
        }
        if missing:
            example = missing[0][len(root) :].lstrip("/")
            provenance["notes"] = [
                f"{len(missing)} stored object(s) of the {chunks_read} chunk(s) read are missing from {url} "
                f"and were read as the fill value {array.fill_value} (e.g. {example}): a store written "
                "without empty chunks leaves them out, a damaged copy loses them"
            ]
        return Volume(data, spacing, source, provenance)

    return run_with_deadline(f"the store at {url}", read, notices=progress)
