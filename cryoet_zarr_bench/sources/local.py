"""Volumes read from local files, MRC/REC (memory-mapped, or decompressed) and NumPy ``.npy``, and the kinds
of every file or store source, OME-Zarr included (read by :mod:`.ome_zarr`), registered (:mod:`.kinds`).

Integer data keeps its stored dtype (byte order made native); ``?dtype=`` conversions happen in
:func:`cryoet_zarr_bench.sources.acquire`.  What a file holds beyond what its header describes is noted in the
volume's provenance (``notes``), never dropped silently.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from typing import Any

import numpy as np

from .._memory import require_memory
from ..volume import Volume
from .errors import SourceError, one_line
from .kinds import FILE_OPTIONS, BeforeReading, SourceKind, register
from .ome_zarr import crop_bounds, crop_provenance, read_ome_zarr, slices
from .spec import Crop, SourceSpec

__all__ = ["COMPRESSED_SUFFIXES", "MRC_IMAGE_2D", "MRC_SUFFIXES", "file_fingerprint", "read_mrc", "read_npy"]

MRC_SUFFIXES = (".mrc", ".rec", ".map", ".mrcs")
#: Compressions an MRC file may carry on top of its suffix (``tomo.map.gz``); mrcfile reads them.
COMPRESSED_SUFFIXES = (".gz", ".bz2")

#: ``mrc_layout`` of a 2-D MRC image read as a one-slice volume.
MRC_IMAGE_2D = "2-D image, read as a one-slice volume"
#: mrcfile's warning that a file holds more than its header describes.
_LARGER_THAN_EXPECTED = re.compile(r"MRC file is (\d+) bytes larger than expected")


def file_fingerprint(path: str) -> str:
    """What identifies one version of a file, so a cache entry made from another version is not reused.

    Size and modification time can be copied onto other content (``touch -r``, ``cp -p``, ``rsync -t``);
    the inode and the status-change time (ctime) cannot: writing a file in place or replacing it changes
    them, and no tool sets them.
    """
    stat = _stat_file(path)
    return (
        f"size={stat.st_size},mtime_ns={stat.st_mtime_ns},ctime_ns={stat.st_ctime_ns},"
        f"inode={stat.st_dev}:{stat.st_ino}"
    )


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


def _native(data: np.ndarray, path: str, before_reading: BeforeReading) -> np.ndarray:
    """An in-memory copy of ``data`` (e.g. a crop of a memory map of ``path``) in native byte order."""
    require_memory(data.nbytes, f"reading {path}", "read a crop of it (?crop=...)", error=SourceError)
    if before_reading is not None:
        before_reading(data.shape, data.dtype)
    return np.array(data, dtype=data.dtype.newbyteorder("="))


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "() (a single value)"


def _check_volume(data: np.ndarray, path: str) -> None:
    if data.size == 0:
        raise SourceError(
            f"{path} holds an empty array (shape {_shape_text(data.shape)}); give a volume with at least one "
            "voxel"
        )
    if data.ndim != 3:
        raise SourceError(
            f"{path} holds an array of shape {_shape_text(data.shape)}, not a 3-D volume; give a 3-D "
            "(z, y, x) file"
        )
    if data.dtype.kind not in "iuf":
        raise SourceError(
            f"{path} holds {data.dtype} data; only integer or real float volumes can be benchmarked"
        )


def read_mrc(path: str, crop: Crop | None, *, source: str, before_reading: BeforeReading = None) -> Volume:
    """Read (a crop of) an MRC/REC file; the voxel size comes from the header.

    Plain files are memory-mapped (only the crop is read), gzip/bzip2-compressed ones read whole. An image
    stack (``.mrcs``) reads as a volume of images along z; a single 2-D image (a micrograph) as a one-slice
    volume, which the provenance's ``mrc_layout`` says. Bytes after the data the header describes are
    noted in the provenance (``notes``), with how many planes they would make.
    """
    try:
        import mrcfile
    except ImportError:
        raise SourceError(
            "reading MRC files needs mrcfile (a dependency of cryoet-zarr-bench, missing where it was "
            "installed without its dependencies, as asv does): pip install mrcfile, or run "
            f"`cryoet-zarr-bench fetch {source}` first"
        ) from None
    size = _stat_file(path).st_size
    # mrcfile memory-maps plain files; compressed ones it decompresses into memory.
    compressed = path.lower().endswith(COMPRESSED_SUFFIXES)
    with warnings.catch_warnings(record=True) as header_warnings:
        warnings.simplefilter("always")
        try:
            mrc = (mrcfile.open if compressed else mrcfile.mmap)(path, mode="r", permissive=True)
        except EOFError as error:
            raise SourceError(
                f"{path} ends before its compressed data does ({one_line(error)}); the file is truncated: "
                "copy or download it again"
            ) from None
        except (OSError, ValueError) as error:
            raise SourceError(
                f"{path} is not a readable MRC file ({one_line(error)}); give an MRC/REC volume"
            ) from None
    with mrc:
        if mrc.data is None:
            raise SourceError(_unreadable_mrc_message(mrc, path, size, header_warnings))
        data = mrc.data
        extra_bytes = _bytes_after_data(header_warnings)
        if data.ndim == 2:
            layout = MRC_IMAGE_2D
            data = data[np.newaxis]
        else:
            layout = "image stack" if mrc.is_image_stack() else "volume"
        _check_volume(data, path)
        bounds = crop_bounds(crop, data.shape)
        cropped = _native(data[slices(bounds)], path, before_reading)
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
        **crop_provenance(crop, bounds, data.shape),
    }
    if extra_bytes:
        plane = math.prod(data.shape[1:]) * data.dtype.itemsize
        planes = ""
        if extra_bytes >= plane:
            planes = f", {extra_bytes // plane} more plane(s) of {_shape_text(data.shape[1:])}"
        provenance["notes"] = [
            f"{path} holds {extra_bytes} bytes after the {data.shape[0]} plane(s) its header describes"
            f"{planes}; only those {data.shape[0]} were read (if the header is wrong, fix its nz, e.g. with "
            "mrcfile's update_header_from_data)"
        ]
    return Volume(cropped, voxel_size if spacing_in_header else (1.0, 1.0, 1.0), source, provenance)


def _bytes_after_data(header_warnings: list) -> int:
    """How many bytes the file holds after the data block its header describes (mrcfile warns of them)."""
    for warning in header_warnings:
        larger = _LARGER_THAN_EXPECTED.search(str(warning.message))
        if larger:
            return int(larger.group(1))
    return 0


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


def _npy_dtype(path: str) -> np.dtype:
    """The dtype a ``.npy`` file's header declares (read without loading, let alone unpickling)."""
    try:
        with open(path, "rb") as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(stream)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except OSError as error:
        raise SourceError(f"cannot read {path} ({one_line(error)}); check the file") from None
    except ValueError as error:
        with open(path, "rb") as stream:
            start = stream.read(16)
        problem = (
            f"is not a readable .npy file ({one_line(error)})"
            if start.startswith(b"\x93NUMPY")
            else f"is not a .npy file (it starts {start!r}, not with numpy's magic bytes)"
        )
        raise SourceError(f"{path} {problem}; give an array saved with numpy.save") from None
    return dtype


def read_npy(path: str, crop: Crop | None, *, source: str, before_reading: BeforeReading = None) -> Volume:
    """Read (a crop of) a ``.npy`` file through a memory map (no voxel size in the format: 1 Å is used)."""
    _stat_file(path)
    if _npy_dtype(path).hasobject:
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
    bounds = crop_bounds(crop, data.shape)
    cropped = _native(data[slices(bounds)], path, before_reading)
    provenance = {
        "kind": "npy",
        "path": path,
        "stored_dtype": cropped.dtype.name,
        "voxel_spacing_from_header": False,
        **crop_provenance(crop, bounds, data.shape),
    }
    return Volume(cropped, (1.0, 1.0, 1.0), source, provenance)


def _read_mrc_source(spec: SourceSpec, *, progress: bool, before_reading: BeforeReading) -> Volume:
    return read_mrc(spec.location, spec.crop, source=str(spec), before_reading=before_reading)


def _read_npy_source(spec: SourceSpec, *, progress: bool, before_reading: BeforeReading) -> Volume:
    return read_npy(spec.location, spec.crop, source=str(spec), before_reading=before_reading)


def _read_zarr_source(spec: SourceSpec, *, progress: bool, before_reading: BeforeReading) -> Volume:
    assert spec.level is not None  # zarr sources always have a level
    return read_ome_zarr(
        spec.location,
        level=spec.level,
        crop=spec.crop,
        source=str(spec),
        progress=progress,
        before_reading=before_reading,
    )


register(
    SourceKind(
        "mrc",
        syntax=f"{', '.join(MRC_SUFFIXES)} (or those with {'/'.join(COMPRESSED_SUFFIXES)})",
        title="MRC",
        suffixes=MRC_SUFFIXES + tuple(m + c for m in MRC_SUFFIXES for c in COMPRESSED_SUFFIXES),
        options=FILE_OPTIONS,
        read=_read_mrc_source,
        always_cached=True,  # mrcfile is not in the asv environments
        fingerprint=lambda spec: file_fingerprint(spec.location),
        survey_suffixes=(".mrc", ".rec", ".map"),  # not image stacks (.mrcs), nor compressed files
    )
)
register(
    SourceKind(
        "npy",
        syntax=".npy",
        title=".npy",
        suffixes=(".npy",),
        options=FILE_OPTIONS,
        read=_read_npy_source,
        survey_suffixes=(".npy",),
    )
)
register(
    SourceKind(
        "zarr",
        syntax=".zarr",
        title="OME-Zarr",
        suffixes=(".zarr",),
        options=("crop", "level", "dtype", "lossy", "halves", "sigma"),
        read=_read_zarr_source,
        defaults={"level": 0},
        survey_suffixes=(".zarr",),
    )
)
