"""Volumes read from files and stores: MRC/REC (memory-mapped), NumPy ``.npy``, and OME-Zarr.

OME-Zarr images are read from a local directory or an fsspec URL (``s3://``, ``https://``), fetching only
the chunks a crop touches; the portal source (:mod:`.portal`) reads its tomograms with :func:`read_ome_zarr`.
Integer data keeps its stored dtype (byte order made native); ``?dtype=`` conversions happen in
:func:`cryoet_zarr_bench.sources.acquire`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._memory import require_memory
from ..volume import Volume
from .errors import SourceError, one_line
from .spec import COMPRESSED_SUFFIXES, Crop, SourceSpec

__all__ = [
    "MRC_IMAGE_2D",
    "NETWORK",
    "NETWORK_ENV",
    "NetworkSettings",
    "file_fingerprint",
    "network_settings",
    "read_local",
    "read_mrc",
    "read_npy",
    "read_ome_zarr",
    "s3_storage_options",
    "waiting_notice",
]


#: Environment variables that set :class:`NetworkSettings` (field -> variable).
NETWORK_ENV = {
    "attempts": "CRYOET_ZARR_BENCH_NETWORK_ATTEMPTS",
    "connect_timeout": "CRYOET_ZARR_BENCH_CONNECT_TIMEOUT",
    "read_timeout": "CRYOET_ZARR_BENCH_READ_TIMEOUT",
}


@dataclass(frozen=True)
class NetworkSettings:
    """Retries and timeouts for every network call (S3 reads and portal API queries).

    Each request is tried up to ``attempts`` times in all, with exponential backoff (botocore's "standard"
    retry mode, with jitter, for S3; urllib3's backoff for the portal API); each try waits at most
    ``connect_timeout`` seconds for a connection and ``read_timeout`` seconds for each answer. So a server
    that accepts connections and never answers fails a request after about ``attempts × read_timeout``.
    """

    attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    @classmethod
    def from_env(cls) -> NetworkSettings:
        """The defaults, replaced by those of :data:`NETWORK_ENV` that are set."""
        values: dict[str, Any] = {}
        for name, variable in NETWORK_ENV.items():
            text = os.environ.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text) if name == "attempts" else float(text)
            except ValueError:
                value = 0
            if not value > 0:
                what = "a whole number of attempts" if name == "attempts" else "a number of seconds"
                raise SourceError(f"{variable} must be {what} above 0, got {text!r}")
            values[name] = value
        return cls(**values)

    def describe(self) -> str:
        """E.g. ``5 attempt(s), 10 s connect and 60 s read timeouts``, for messages."""
        return (
            f"{self.attempts} attempt(s), {self.connect_timeout:g} s connect and {self.read_timeout:g} s "
            "read timeouts"
        )


#: Settings that replace the environment's (tests set them); None: read :data:`NETWORK_ENV` at each call.
NETWORK: NetworkSettings | None = None
#: Seconds of silence after which a network read says it is still waiting (and again every as many seconds).
WAITING_NOTICE_INTERVAL = 10.0


def network_settings() -> NetworkSettings:
    """The retries and timeouts in force (see :data:`NETWORK`)."""
    return NETWORK or NetworkSettings.from_env()


@contextmanager
def waiting_notice(what: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """Say on stderr that ``what`` is still awaited whenever nothing was heard from it for a while.

    Yields a callable to call whenever something arrives (e.g. a chunk); while it is not called for
    :data:`WAITING_NOTICE_INTERVAL` seconds, a line says how long the silence has lasted.
    """
    last_heard = [time.monotonic()]

    def heard() -> None:
        last_heard[0] = time.monotonic()

    if not enabled:
        yield heard
        return
    done = threading.Event()
    settings = network_settings()

    def remind() -> None:
        while not done.wait(WAITING_NOTICE_INTERVAL / 4):
            silence = time.monotonic() - last_heard[0]
            if silence >= WAITING_NOTICE_INTERVAL:
                print(
                    f"still waiting for {what}: nothing for {silence:.0f} s ({settings.describe()})",
                    file=sys.stderr,
                )
                last_heard[0] = time.monotonic()

    reminder = threading.Thread(target=remind, daemon=True)
    reminder.start()
    try:
        yield heard
    finally:
        done.set()
        reminder.join()


#: ``mrc_layout`` of a 2-D MRC image read as a one-slice volume.
MRC_IMAGE_2D = "2-D image, read as a one-slice volume"
#: Chunks fetched at the same time when reading an OME-Zarr crop.
CONCURRENT_CHUNK_READS = 4
#: Length unit of NGFF axes -> ångström per unit.
_ANGSTROM_PER_UNIT = {"angstrom": 1.0, "nanometer": 10.0, "micrometer": 1e4}
_MISSING_PACKAGE_HINT = (
    "pip install 'cryoet-zarr-bench[portal]', or run `cryoet-zarr-bench fetch {source}` first"
)

Bounds = tuple[tuple[int, int], ...]


def file_fingerprint(path: str) -> str:
    """Size and modification time of a file, so a cache entry made from an older version is not reused."""
    stat = _stat_file(path)
    return f"size={stat.st_size},mtime_ns={stat.st_mtime_ns}"


def _stat_file(path: str) -> os.stat_result:
    try:
        stat = os.stat(path)
    except OSError as error:
        raise SourceError(
            f"cannot open {path}: {error.strerror or one_line(error)}; check the path"
        ) from None
    if not os.path.isfile(path):
        raise SourceError(
            f"{path} is not a file; give the path of an MRC (.mrc/.rec/.map/.mrcs) or .npy file"
        )
    return stat


def _native(data: np.ndarray, path: str) -> np.ndarray:
    """An in-memory copy of ``data`` (e.g. a crop of a memory map of ``path``) in native byte order."""
    require_memory(data.nbytes, f"reading {path}", "read a crop of it (?crop=...)", error=SourceError)
    return np.array(data, dtype=data.dtype.newbyteorder("="))


def _crop_bounds(crop: Crop | None, shape: tuple[int, ...]) -> Bounds:
    return tuple((0, n) for n in shape) if crop is None else crop.bounds(shape)


def _slices(bounds: Bounds) -> tuple[slice, ...]:
    return tuple(slice(start, stop) for start, stop in bounds)


def _check_volume(data: np.ndarray, path: str) -> None:
    if data.size == 0:
        shape = "x".join(map(str, data.shape))
        raise SourceError(
            f"{path} holds an empty array (shape {shape}); give a volume with at least one voxel"
        )
    if data.ndim != 3:
        shape = "x".join(map(str, data.shape))
        raise SourceError(
            f"{path} holds an array of shape {shape}, not a 3-D volume; give a 3-D (z, y, x) file"
        )
    if data.dtype.kind not in "iuf":
        raise SourceError(
            f"{path} holds {data.dtype} data; only integer or real float volumes can be benchmarked"
        )


def _crop_provenance(crop: Crop | None, bounds: Bounds, shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "full_shape": list(shape),
        "crop": None if crop is None else [list(axis_bounds) for axis_bounds in bounds],
    }


def read_mrc(path: str, crop: Crop | None, *, source: str) -> Volume:
    """Read (a crop of) an MRC/REC file; the voxel size comes from the header.

    Plain files are memory-mapped (only the crop is read), gzip/bzip2-compressed ones read whole. An image
    stack (``.mrcs``) reads as a volume of images along z; a single 2-D image (a micrograph) as a one-slice
    volume, which the provenance's ``mrc_layout`` says.
    """
    try:
        import mrcfile
    except ImportError:
        raise SourceError(
            f"reading MRC files needs mrcfile: {_MISSING_PACKAGE_HINT.format(source=source)}"
        ) from None
    size = _stat_file(path).st_size
    # mrcfile memory-maps plain files; compressed ones it decompresses into memory.
    compressed = path.lower().endswith(COMPRESSED_SUFFIXES)
    with warnings.catch_warnings(record=True) as header_warnings:
        warnings.simplefilter("always")
        try:
            mrc = (mrcfile.open if compressed else mrcfile.mmap)(path, mode="r", permissive=True)
        except (OSError, ValueError) as error:
            raise SourceError(
                f"{path} is not a readable MRC file ({one_line(error)}); give an MRC/REC volume"
            ) from None
    with mrc:
        if mrc.data is None:
            raise SourceError(_unreadable_mrc_message(mrc, path, size, header_warnings))
        data = mrc.data
        if data.ndim == 2:
            layout = MRC_IMAGE_2D
            data = data[np.newaxis]
        else:
            layout = "image stack" if mrc.is_image_stack() else "volume"
        _check_volume(data, path)
        bounds = _crop_bounds(crop, data.shape)
        cropped = _native(data[_slices(bounds)], path)
        voxel_size = [float(mrc.voxel_size[axis]) for axis in "zyx"]
        mode = int(mrc.header.mode)
    spacing_in_header = all(s > 0 for s in voxel_size)
    provenance = {
        "kind": "mrc",
        "path": path,
        "mrc_mode": mode,
        "mrc_layout": layout,
        "compressed": compressed,
        "stored_dtype": cropped.dtype.name,
        "voxel_spacing_from_header": spacing_in_header,
        "header_warnings": sorted({str(w.message) for w in header_warnings}),
        **_crop_provenance(crop, bounds, data.shape),
    }
    return Volume(cropped, voxel_size if spacing_in_header else (1.0, 1.0, 1.0), source, provenance)


def _unreadable_mrc_message(mrc: Any, path: str, size: int, header_warnings: list) -> str:
    header = mrc.header
    shape = (int(header.nz), int(header.ny), int(header.nx))
    try:
        from mrcfile.utils import data_dtype_from_header

        itemsize = data_dtype_from_header(header).itemsize
    except ValueError:
        return f"{path} has an unknown MRC data mode {int(header.mode)}; give a file of mode 0, 1, 2, 6 or 12"
    expected = mrc.header.nbytes + int(header.nsymbt) + math.prod(shape) * itemsize
    if size < expected:
        return (
            f"{path} is a truncated MRC file: its header describes {shape[0]}x{shape[1]}x{shape[2]} voxels "
            f"({expected} bytes with the header) but the file has {size} bytes; copy or download it again"
        )
    problems = "; ".join(sorted({str(w.message) for w in header_warnings})) or "no data block"
    return f"cannot read the data of MRC file {path} ({problems}); check that it is a valid MRC file"


def _holds_objects(path: str) -> bool:
    """Whether a ``.npy`` file's header declares Python objects (read without loading, let alone unpickling)."""
    try:
        with open(path, "rb") as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(stream)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except (OSError, ValueError):
        return False  # np.load says what is wrong with the file
    return dtype.hasobject


def read_npy(path: str, crop: Crop | None, *, source: str) -> Volume:
    """Read (a crop of) a ``.npy`` file through a memory map (no voxel size in the format: 1 Å is used)."""
    _stat_file(path)
    if _holds_objects(path):
        raise SourceError(
            f"{path} holds an array of Python objects; object arrays are not supported (they are never "
            "unpickled): save a numeric array"
        )
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise SourceError(
            f"{path} is not a readable .npy file ({one_line(error)}); give an array saved with numpy.save"
        ) from None
    _check_volume(data, path)
    bounds = _crop_bounds(crop, data.shape)
    cropped = _native(data[_slices(bounds)], path)
    provenance = {
        "kind": "npy",
        "path": path,
        "stored_dtype": cropped.dtype.name,
        "voxel_spacing_from_header": False,
        **_crop_provenance(crop, bounds, data.shape),
    }
    return Volume(cropped, (1.0, 1.0, 1.0), source, provenance)


def s3_storage_options(region: str | None = None) -> dict[str, Any]:
    """fsspec options for anonymous S3 reads with the retries and timeouts of :func:`network_settings`.

    botocore retries; s3fs's own retry loop is cut to one try in :func:`read_ome_zarr`, so the attempts are
    the settings' and do not multiply. The endpoint is botocore's: set ``AWS_ENDPOINT_URL_S3`` to read from an S3-compatible server.
    """
    settings = network_settings()
    options: dict[str, Any] = {
        "anon": True,
        "config_kwargs": {
            "connect_timeout": settings.connect_timeout,
            "read_timeout": settings.read_timeout,
            "retries": {"max_attempts": settings.attempts, "mode": "standard"},
        },
    }
    if region is not None:
        options["client_kwargs"] = {"region_name": region}
    return options


def _timeout_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean the store was reached but did not answer in time."""
    errors: list[type[BaseException]] = [TimeoutError]
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    if botocore_exceptions is not None:
        errors += [botocore_exceptions.ReadTimeoutError, botocore_exceptions.ConnectTimeoutError]
    return tuple(errors)


def _network_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean the store could not be reached.

    Library exceptions are looked up only among modules already imported: one that was never imported cannot
    have raised anything.
    """
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    if botocore_exceptions is not None:
        errors += [botocore_exceptions.ConnectionError, botocore_exceptions.HTTPClientError]
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        errors.append(aiohttp.ClientError)
    return tuple(errors)


@contextmanager
def _store_errors(url: str) -> Iterator[None]:
    """Turn the ways a store read fails into one-line :class:`SourceError` messages."""
    try:
        yield
    except SourceError:
        raise
    except PermissionError as error:
        raise SourceError(
            f"access denied reading {url} ({one_line(error)}): the store does not allow anonymous reads; "
            "check the URL, or download the data and give its local path"
        ) from error
    except FileNotFoundError as error:
        raise SourceError(f"nothing found at {url} ({one_line(error)}); check the path or URL") from error
    except _timeout_errors() as error:
        raise SourceError(
            f"no answer from the store at {url} ({one_line(error)}) with {network_settings().describe()}; "
            f"retry later, or allow more with {NETWORK_ENV['read_timeout']} and {NETWORK_ENV['attempts']}"
        ) from error
    except _network_errors() as error:
        raise SourceError(
            f"cannot reach the store at {url} ({one_line(error)}); check the network connection and retry, "
            "or use a source that needs no network: synthetic or a local file"
        ) from error
    except OSError as error:
        if error.errno != errno.EREMOTEIO:  # what s3fs makes of a server error (HTTP 5xx) it gave up on
            raise
        raise SourceError(
            f"the store at {url} answered with a server error ({one_line(error)}) after "
            f"{network_settings().attempts} attempt(s); retry later"
        ) from error


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if name else base


def _read_json(fs: Any, path: str) -> dict[str, Any] | None:
    try:
        return json.loads(fs.cat_file(path))
    except FileNotFoundError:
        return None


def _multiscale(fs: Any, root: str, url: str) -> dict[str, Any]:
    """The first NGFF multiscale of the image group (Zarr format 2 ``.zattrs`` or format 3 ``zarr.json``)."""
    attributes = _read_json(fs, _join(root, ".zattrs"))
    if attributes is None:
        group = _read_json(fs, _join(root, "zarr.json"))
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


@contextmanager
def _progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A callable that advances a tqdm bar by one chunk (a no-op when disabled or tqdm is missing)."""
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            enabled = False
    if not enabled:
        yield lambda: None
        return
    with tqdm(total=total, unit="chunk", desc=label) as bar:
        yield lambda: bar.update(1)


def _read_chunkwise(
    array: Any, bounds: Bounds, *, progress: bool, label: str, heard: Callable[[], None]
) -> tuple[np.ndarray, int]:
    """Read ``bounds`` of a zarr array one chunk at a time (a few in parallel), advancing a progress bar and
    calling ``heard`` as each chunk arrives."""
    blocks = list(_chunk_blocks(bounds, array.chunks))
    out = np.empty([stop - start for start, stop in bounds], dtype=np.dtype(array.dtype).newbyteorder("="))
    origin = [start for start, _ in bounds]

    def read(block: Bounds) -> None:
        target = tuple(slice(start - o, stop - o) for (start, stop), o in zip(block, origin))
        out[target] = array[_slices(block)]

    pool = ThreadPoolExecutor(max_workers=CONCURRENT_CHUNK_READS)
    try:
        with _progress_bar(len(blocks), label, progress) as advance:
            for future in as_completed([pool.submit(read, block) for block in blocks]):
                future.result()
                advance()
                heard()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out, len(blocks)


def read_ome_zarr(
    url: str,
    *,
    level: int,
    crop: Crop | None,
    source: str,
    storage_options: dict[str, Any] | None = None,
    progress: bool = False,
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
        Show a progress bar (one step per chunk) while reading.
    """
    is_url = "://" in url
    if not is_url and not os.path.isdir(url):
        raise SourceError(f"no OME-Zarr directory at {url}; check the path")
    if is_url and storage_options is None and url.startswith("s3://"):
        storage_options = s3_storage_options()
    import fsspec

    from .. import _compat

    try:
        fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    except ImportError as error:
        raise SourceError(
            f"reading {url} needs a package that is missing ({one_line(error)}): "
            + _MISSING_PACKAGE_HINT.format(source=source)
        ) from None
    if hasattr(fs, "retries"):  # s3fs: botocore retries already; zarr opens this same (cached) instance
        fs.retries = 1
    with waiting_notice(f"the store at {url}", progress) as heard, _store_errors(url):
        multiscale = _multiscale(fs, root, url)
        datasets = multiscale.get("datasets", [])
        if level >= len(datasets):
            raise SourceError(f"{url} has no level {level}: its levels are 0 to {len(datasets) - 1}")
        level_path = datasets[level]["path"]
        spacing, units = _level_spacing(multiscale, datasets[level], url)
        array_metadata = _read_json(fs, _join(_join(root, level_path), ".zarray")) or _read_json(
            fs, _join(_join(root, level_path), "zarr.json")
        )
        array = _compat.open_array(_join(url, level_path), storage_options if is_url else None)
        shape = tuple(array.shape)
        if len(shape) != 3 or np.dtype(array.dtype).kind not in "iuf":
            raise SourceError(
                f"level {level} of {url} is a {array.dtype} array of shape {shape}, not a 3-D volume"
            )
        bounds = _crop_bounds(crop, shape)
        data, chunks_read = _read_chunkwise(array, bounds, progress=progress, label=source, heard=heard)
    provenance = {
        "kind": "ome-zarr",
        "store_url": url,
        "level": level,
        "level_path": level_path,
        "axis_units": units,
        "chunks": list(array.chunks),
        "chunks_read": chunks_read,
        "chunks_total": math.prod(math.ceil(n / c) for n, c in zip(shape, array.chunks)),
        "store_array_metadata": {k: v for k, v in (array_metadata or {}).items() if k != "attributes"},
        "stored_dtype": data.dtype.name,
        **_crop_provenance(crop, bounds, shape),
    }
    return Volume(data, spacing, source, provenance)


def read_local(spec: SourceSpec, *, progress: bool = False) -> Volume:
    """Read an ``mrc``, ``npy`` or ``zarr`` source (its location already absolute or a URL)."""
    source = str(spec)
    if spec.kind == "mrc":
        return read_mrc(spec.location, spec.crop, source=source)
    if spec.kind == "npy":
        return read_npy(spec.location, spec.crop, source=source)
    assert spec.level is not None  # zarr sources always have a level
    return read_ome_zarr(spec.location, level=spec.level, crop=spec.crop, source=source, progress=progress)
