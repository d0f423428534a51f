"""Half-volumes for any source: ``?halves=odd.mrc,even.mrc`` on real MRC files, and a stated ``?sigma=``."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest

from cryoet_zarr_bench import noise
from cryoet_zarr_bench.sources import SourceError, acquire, parse_source
from cryoet_zarr_bench.sources.halves import is_image_stack, noise_estimate, read_halves

from portal_data import write_ome_zarr


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(directory))
    return directory


def _write_mrc(path: Path, data: np.ndarray, *, stack: bool = False) -> Path:
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data.astype(np.float32))
        if stack:
            mrc.set_image_stack()
        mrc.voxel_size = 4.0
    return path


@pytest.fixture
def tomogram(tmp_path: Path) -> tuple[Path, float]:
    """A full tomogram and its odd/even halves, as Warp or AreTomo3 write them: full = (odd + even) / 2."""
    rng = np.random.default_rng(0)
    signal = np.cumsum(rng.standard_normal((24, 32, 32)), axis=1) * 0.1
    sigma = 0.5
    odd = signal + sigma * rng.standard_normal(signal.shape)
    even = signal + sigma * rng.standard_normal(signal.shape)
    _write_mrc(tmp_path / "tomo_odd.mrc", odd)
    _write_mrc(tmp_path / "tomo_even.mrc", even)
    _write_mrc(tmp_path / "tomo.mrc", (odd + even) / 2)
    return tmp_path / "tomo.mrc", sigma


def test_halves_and_sigma_round_trip_in_the_source_string(tmp_path: Path):
    spec = parse_source("data/tomo.mrc?crop=centre:16&halves=tomo_odd.mrc,tomo_even.mrc&sigma=2e-5")
    assert spec.halves == ("tomo_odd.mrc", "tomo_even.mrc") and spec.sigma == 2e-5
    assert parse_source(str(spec)) == spec
    absolute = spec.with_absolute_path()
    assert absolute.halves[0] == str(Path("data/tomo_odd.mrc").resolve())  # beside the volume
    assert absolute.volume_only().halves is None and absolute.volume_only().sigma is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomo.mrc?halves=odd.mrc", "halves takes two paths"),
        ("tomo.mrc?halves=odd.txt,even.mrc", "cannot tell what kind of source"),
        ("tomo.mrc?sigma=-1", "sigma must be a positive number"),
        ("synthetic?halves=a.mrc,b.mrc", "unknown option 'halves' for synthetic sources"),
    ],
)
def test_bad_noise_options_say_what_is_wrong(text, message):
    with pytest.raises(SourceError, match=message):
        parse_source(text)


def test_a_tomogram_with_halves_gets_its_sigma_from_them(tomogram):
    path, sigma = tomogram
    volume = acquire(f"{path}?crop=centre:16,24,24&halves=tomo_odd.mrc,tomo_even.mrc")
    assert volume.shape == (16, 24, 24) and "halves=" in volume.source
    halves = read_halves(volume)
    assert halves is not None and halves[0].shape == volume.shape
    estimate = noise_estimate(volume)
    assert estimate.method == noise.HALVES
    assert estimate.sigma == pytest.approx(sigma / np.sqrt(2), rel=0.05)  # the full tomogram is their average
    assert estimate.halves is not None
    # The volume itself is the same as without halves: the cache keeps one copy.
    plain = acquire(f"{path}?crop=centre:16,24,24")
    assert np.array_equal(plain.data, volume.data)


def test_halves_of_another_geometry_are_refused(tomogram, tmp_path: Path):
    path, _ = tomogram
    _write_mrc(tmp_path / "small.mrc", np.zeros((24, 32, 30)))
    volume = acquire(f"{path}?halves=tomo_odd.mrc,small.mrc")
    with pytest.raises(SourceError, match="halves must have the volume's geometry"):
        noise_estimate(volume)


def test_halves_of_another_kind_than_the_volume(tomogram, tmp_path: Path):
    """An OME-Zarr volume (read at a level) with MRC halves (which have none), and an MRC volume with OME-Zarr
    halves (read at level 0)."""
    path, _ = tomogram
    odd, even, full = (
        acquire(str(tmp_path / name)).data for name in ("tomo_odd.mrc", "tomo_even.mrc", "tomo.mrc")
    )
    write_ome_zarr(tmp_path / "tomo.zarr", [full], voxel_spacing=4.0)
    write_ome_zarr(tmp_path / "odd.zarr", [odd], voxel_spacing=4.0)
    write_ome_zarr(tmp_path / "even.zarr", [even], voxel_spacing=4.0)
    for volume_path, halves in (
        ("tomo.zarr", "tomo_odd.mrc,tomo_even.mrc"),
        ("tomo.mrc", "odd.zarr,even.zarr"),
    ):
        volume = acquire(f"{tmp_path / volume_path}?crop=centre:16&halves={halves}")
        read = read_halves(volume)
        assert read is not None
        np.testing.assert_array_equal(read[0].data, odd[4:20, 8:24, 8:24])
        np.testing.assert_array_equal(read[1].data, even[4:20, 8:24, 8:24])


def test_a_stated_sigma_is_used(tomogram):
    path, _ = tomogram
    estimate = noise_estimate(acquire(f"{path}?sigma=0.25"))
    assert estimate.method == noise.STATED and estimate.sigma == 0.25


def test_an_image_stack_is_known_as_one(tmp_path: Path):
    path = _write_mrc(
        tmp_path / "tilts.mrcs", np.random.default_rng(0).standard_normal((5, 16, 16)), stack=True
    )
    assert is_image_stack(acquire(str(path)))
    assert not is_image_stack(acquire("synthetic?shape=16"))


def test_the_synthetic_source_brings_its_own_halves():
    volume = acquire("synthetic?shape=24&crop=centre:16")
    halves = read_halves(volume)
    assert halves is not None and halves[0].shape == (16, 16, 16)
    assert noise_estimate(volume).method == noise.HALVES
