"""``acquire`` on local sources: MRC/REC files, .npy files, OME-Zarr directories, synthetic volumes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from cryoet_zarr_bench.sources import SourceError, acquire, describe_cache_entry, parse_source
from cryoet_zarr_bench.sources.synthetic import synthetic_volume

from portal_data import PORTAL_COMPRESSOR, mean_pool, pyramid, write_ome_zarr


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(directory))
    return directory


def _ramp(dtype: np.dtype, shape=(6, 10, 12)) -> np.ndarray:
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    values = np.arange(np.prod(shape)).reshape(shape)
    if info is not None:
        values = info.min + values % (int(info.max) - int(info.min) + 1)
    else:
        values = values * 0.25 - 3.0
    return values.astype(dtype)


def _write_mrc(path: Path, data: np.ndarray, voxel_size=(2.5, 3.0, 3.5)) -> Path:
    """``voxel_size`` is (x, y, z), as MRC headers store it."""
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = voxel_size
    return path


@pytest.mark.parametrize(
    ("dtype", "mode"), [(np.int8, 0), (np.int16, 1), (np.uint16, 6), (np.float32, 2), (np.float16, 12)]
)
def test_mrc_modes_keep_their_dtype_and_voxel_size(tmp_path: Path, dtype, mode: int) -> None:
    data = _ramp(dtype)
    path = _write_mrc(tmp_path / "tomo.mrc", data)
    volume = acquire(str(path))
    assert volume.data.dtype == dtype
    np.testing.assert_array_equal(volume.data, data)
    assert volume.voxel_spacing == (3.5, 3.0, 2.5)  # (z, y, x)
    assert volume.source == str(path)
    assert volume.provenance["mrc_mode"] == mode
    assert volume.provenance["stored_dtype"] == volume.provenance["dtype"] == np.dtype(dtype).name
    assert volume.provenance["voxel_spacing_from_header"] is True


def test_mrc_crop_and_conversion(tmp_path: Path) -> None:
    data = _ramp(np.int16)
    path = _write_mrc(tmp_path / "tomo.rec", data)
    volume = acquire(f"{path}?crop=1:5,2:9,0:12&dtype=float32")
    np.testing.assert_array_equal(volume.data, data[1:5, 2:9, 0:12].astype(np.float32))
    assert volume.data.dtype == np.float32
    assert volume.provenance["stored_dtype"] == "int16" and volume.provenance["dtype"] == "float32"
    assert volume.provenance["crop"] == [[1, 5], [2, 9], [0, 12]]
    assert volume.provenance["full_shape"] == [6, 10, 12]
    centred = acquire(f"{path}?crop=centre:4")
    np.testing.assert_array_equal(centred.data, data[1:5, 3:7, 4:8])


def test_big_endian_mrc_is_read_in_native_byte_order(tmp_path: Path) -> None:
    data = _ramp(np.int16)
    path = _write_mrc(tmp_path / "big.mrc", data.astype(">i2"))
    volume = acquire(str(path))
    assert volume.data.dtype == np.dtype("int16") and volume.data.dtype.isnative
    np.testing.assert_array_equal(volume.data, data)


def test_mrc_without_voxel_size_uses_one_angstrom_and_says_so(tmp_path: Path) -> None:
    path = _write_mrc(tmp_path / "bare.mrc", _ramp(np.float32), voxel_size=(0.0, 0.0, 0.0))
    volume = acquire(str(path))
    assert volume.voxel_spacing == (1.0, 1.0, 1.0)
    assert volume.provenance["voxel_spacing_from_header"] is False


def test_mrc_with_a_damaged_header_is_read_permissively(tmp_path: Path) -> None:
    data = _ramp(np.float32)
    path = _write_mrc(tmp_path / "odd.mrc", data)
    raw = bytearray(path.read_bytes())
    raw[208:212] = b"XXXX"  # the "MAP " identifier
    path.write_bytes(bytes(raw))
    volume = acquire(str(path))
    np.testing.assert_array_equal(volume.data, data)
    assert any("Map ID" in warning for warning in volume.provenance["header_warnings"])


def test_truncated_mrc(tmp_path: Path) -> None:
    path = _write_mrc(tmp_path / "cut.mrc", _ramp(np.float32))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        SourceError, match=r"cut.mrc is a truncated MRC file: .*6x10x12 voxels .*download it again"
    ):
        acquire(str(path))
    assert not describe_cache_entry(str(path))


def test_a_2d_micrograph_is_a_one_slice_volume_and_says_so(tmp_path: Path) -> None:
    image = _ramp(np.uint16, shape=(10, 12))
    volume = acquire(str(_write_mrc(tmp_path / "micrograph.mrc", image)))
    assert volume.shape == (1, 10, 12) and volume.dtype == np.uint16
    np.testing.assert_array_equal(volume.data[0], image)
    assert volume.provenance["mrc_layout"] == "2-D image, read as a one-slice volume"
    assert volume.voxel_spacing[1:] == (3.0, 2.5)


def test_an_mrcs_image_stack(tmp_path: Path) -> None:
    stack = _ramp(np.float32)
    path = tmp_path / "frames.mrcs"
    with mrcfile.new(path) as mrc:
        mrc.set_data(stack)
        mrc.set_image_stack()
    volume = acquire(f"{path}?crop=1:3,0:10,0:12")
    np.testing.assert_array_equal(volume.data, stack[1:3])
    assert volume.provenance["mrc_layout"] == "image stack"


@pytest.mark.parametrize(
    ("suffix", "compression"), [(".mrc.gz", "gzip"), (".map.gz", "gzip"), (".mrc.bz2", "bzip2")]
)
def test_compressed_mrc(tmp_path: Path, suffix: str, compression: str) -> None:
    data = _ramp(np.int16)
    path = tmp_path / f"tomo{suffix}"
    with mrcfile.new(path, compression=compression) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = 4.0
    volume = acquire(str(path))
    np.testing.assert_array_equal(volume.data, data)
    assert volume.provenance["compressed"] is True and volume.voxel_spacing == (4.0, 4.0, 4.0)
    assert describe_cache_entry(str(path)) is not None  # decompressed once, then read from the cache


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: np.zeros((2, 5, 6), np.complex64), r"complex64 data; only integer or real float"),
    ],
)
def test_mrc_that_is_not_a_numeric_volume(tmp_path: Path, content, message: str) -> None:
    path = tmp_path / "not.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(content())
    with pytest.raises(SourceError, match=message):
        acquire(str(path))


def test_file_that_is_not_mrc(tmp_path: Path) -> None:
    path = tmp_path / "noise.mrc"
    path.write_bytes(b"not an MRC file at all")
    with pytest.raises(
        SourceError, match=r"noise.mrc is not a readable MRC file \(ValueError: .*\); give an MRC"
    ):
        acquire(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        SourceError, match=r"cannot open .*nowhere.mrc: No such file or directory; check the path"
    ):
        acquire(str(tmp_path / "nowhere.mrc"))


def test_mrc_is_cached_and_readable_without_mrcfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _ramp(np.uint16)
    path = _write_mrc(tmp_path / "tomo.mrc", data)
    source = f"{path}?crop=0:3,0:4,0:5"
    first = acquire(source)
    line = describe_cache_entry(source)
    assert line is not None and line.startswith(f"cached {source} in ") and first.checksum() in line
    monkeypatch.setitem(sys.modules, "mrcfile", None)  # as in an asv environment: import mrcfile fails
    again = acquire(source)
    np.testing.assert_array_equal(again.data, data[:3, :4, :5])
    assert again.provenance == first.provenance
    with pytest.raises(
        SourceError,
        match=r"needs mrcfile \(a dependency of cryoet-zarr-bench, .*\): pip install mrcfile, or run "
        r"`cryoet-zarr-bench fetch .*other.mrc` first",
    ):
        acquire(str(_write_mrc(tmp_path / "other.mrc", data)))


def test_a_changed_mrc_file_is_read_again(tmp_path: Path) -> None:
    path = _write_mrc(tmp_path / "tomo.mrc", _ramp(np.int16))
    acquire(str(path))
    replacement = _ramp(np.int16)[::-1].copy()
    _write_mrc(path, replacement)
    os.utime(path, ns=(1, 1))  # a different modification time even on coarse-grained filesystems
    np.testing.assert_array_equal(acquire(str(path)).data, replacement)


def test_cache_false_reads_without_writing(tmp_path: Path, cache_dir: Path) -> None:
    path = _write_mrc(tmp_path / "tomo.mrc", _ramp(np.int8))
    acquire(str(path), cache=False)
    assert not cache_dir.exists()


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_mrc(tmp_path / "tomo.mrc", _ramp(np.int8))
    monkeypatch.chdir(tmp_path)
    assert acquire("tomo.mrc?crop=centre:2").source == f"{tmp_path / 'tomo.mrc'}?crop=centre:2"


@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.dtype(">u2")])
def test_npy(tmp_path: Path, dtype, cache_dir: Path) -> None:
    data = _ramp(dtype)
    np.save(tmp_path / "vol.npy", data)
    volume = acquire(f"{tmp_path / 'vol.npy'}?crop=0:2,1:3,2:4")
    np.testing.assert_array_equal(volume.data, data[0:2, 1:3, 2:4])
    assert volume.data.dtype == np.dtype(dtype).newbyteorder("=")
    assert volume.voxel_spacing == (1.0, 1.0, 1.0) and volume.provenance["voxel_spacing_from_header"] is False
    assert not cache_dir.exists()  # .npy files are read in place, never copied into the cache


@pytest.mark.parametrize(
    ("save", "message"),
    [
        (lambda path: np.save(path, np.zeros((4, 4))), "shape 4x4, not a 3-D volume"),
        (
            lambda path: np.save(path, np.array([[[{"a": 1}]]], dtype=object)),
            r"bad.npy holds an array of Python objects; object arrays are not supported",
        ),
        (lambda path: np.save(path, np.zeros((0, 4, 4), np.float32)), r"empty array \(shape 0x4x4\)"),
        (lambda path: path.write_bytes(b"\x93NUMPY garbage"), "not a readable .npy file"),
        (lambda path: np.save(path, np.zeros((2, 2, 2), bool)), "holds bool data"),
    ],
)
def test_npy_that_is_not_a_numeric_volume(tmp_path: Path, save, message: str) -> None:
    path = tmp_path / "bad.npy"
    save(path)
    with pytest.raises(SourceError, match=message):
        acquire(str(path))


def test_crop_outside_a_local_volume(tmp_path: Path) -> None:
    np.save(tmp_path / "vol.npy", np.zeros((4, 4, 4), np.float32))
    with pytest.raises(SourceError, match="crop 0:4,0:4,2:6 lies outside the volume of shape 4x4x4"):
        acquire(f"{tmp_path / 'vol.npy'}?crop=0:4,0:4,2:6")


@pytest.fixture(scope="module")
def ome_zarr(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[np.ndarray]]:
    path = tmp_path_factory.mktemp("zarr") / "tomo.zarr"
    levels = pyramid(seed=5)
    write_ome_zarr(path, levels, voxel_spacing=10.012)
    return path, levels


def test_local_ome_zarr_crop_reads_only_the_touched_chunks(ome_zarr, cache_dir: Path) -> None:
    path, levels = ome_zarr
    volume = acquire(f"{path}?crop=centre:32")
    np.testing.assert_array_equal(volume.data, levels[0][7:39, 63:95, 63:95])
    assert volume.voxel_spacing == (10.012, 10.012, 10.012)
    provenance = volume.provenance
    assert (provenance["chunks_read"], provenance["chunks_total"], provenance["chunks"]) == (
        4,
        9,
        [64, 64, 64],
    )
    assert provenance["store_array_metadata"]["compressor"] == PORTAL_COMPRESSOR
    assert provenance["store_array_metadata"]["dimension_separator"] == "/"
    assert not cache_dir.exists()  # local OME-Zarr is read in place


def test_local_ome_zarr_levels(ome_zarr) -> None:
    path, levels = ome_zarr
    level1 = acquire(f"{path}?level=1")
    np.testing.assert_array_equal(level1.data, levels[1])
    np.testing.assert_array_equal(level1.data, mean_pool(levels[0]))
    assert level1.voxel_spacing == pytest.approx((20.024,) * 3)
    assert acquire(f"{path}?level=2").shape == (12, 40, 40)
    with pytest.raises(SourceError, match=r"tomo.zarr has no level 3: its levels are 0 to 2"):
        acquire(f"{path}?level=3")


def test_ome_zarr_errors(tmp_path: Path, ome_zarr) -> None:
    with pytest.raises(SourceError, match="no OME-Zarr directory at .*missing.zarr"):
        acquire(str(tmp_path / "missing.zarr"))
    (tmp_path / "empty.zarr").mkdir()
    with pytest.raises(SourceError, match=r"no Zarr group at .*empty.zarr \(neither .zattrs nor zarr.json\)"):
        acquire(str(tmp_path / "empty.zarr"))
    (tmp_path / "plain.zarr").mkdir()
    (tmp_path / "plain.zarr" / ".zgroup").write_text('{"zarr_format": 2}')
    (tmp_path / "plain.zarr" / ".zattrs").write_text('{"note": "no multiscales"}')
    with pytest.raises(SourceError, match=r"plain.zarr is not an OME-Zarr image: .*no 'multiscales'"):
        acquire(str(tmp_path / "plain.zarr"))
    path, _ = ome_zarr
    with pytest.raises(SourceError, match="lies outside the volume of shape 46x158x158"):
        acquire(f"{path}?crop=0:47,0:1,0:1")


def test_synthetic_sources_are_generated_not_cached(cache_dir: Path) -> None:
    volume = acquire("synthetic?shape=16&seed=2")
    reference = synthetic_volume(shape=(16, 16, 16), seed=2)
    np.testing.assert_array_equal(volume.data, reference.data)
    assert volume.source == reference.source == "synthetic?shape=16,16,16&seed=2"
    cropped = acquire(parse_source("synthetic?shape=16&seed=2&crop=2:6,0:16,8:9&dtype=float64"))
    np.testing.assert_array_equal(cropped.data, reference.data[2:6, :, 8:9].astype(np.float64))
    assert cropped.source == "synthetic?shape=16,16,16&seed=2&crop=2:6,0:16,8:9&dtype=float64"
    assert cropped.provenance["crop"] == [[2, 6], [0, 16], [8, 9]]
    assert describe_cache_entry("synthetic?shape=16&seed=2") is None
    assert not cache_dir.exists()


def test_unwritable_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(tmp_path / "a-file" / "cache"))
    path = _write_mrc(tmp_path / "tomo.mrc", _ramp(np.int8))
    with pytest.raises(
        SourceError,
        match=r"cannot write the cache entry for .*tomo.mrc in .*a-file/cache \(\w+Error: "
        r".*\); set CRYOET_ZARR_BENCH_CACHE to a writable directory, or read without the cache "
        r"\(--no-cache\)$",
    ):
        acquire(str(path))
    np.testing.assert_array_equal(acquire(str(path), cache=False).data, _ramp(np.int8))
