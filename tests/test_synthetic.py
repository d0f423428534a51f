"""The synthetic volume: determinism, statistics, missing wedge, particles and compression calibration."""

from __future__ import annotations

import itertools
import math

import numcodecs
import numpy as np
import pytest
from numcodecs import Blosc, Zstd

from cryoet_zarr_bench.sources import synthetic
from cryoet_zarr_bench.sources.synthetic import (
    DEFAULT_SEED,
    DEFAULT_SHAPE,
    VOXEL_SPACING,
    synthetic_volume,
)


@pytest.fixture(scope="module")
def default_volume():
    return synthetic_volume()


def test_the_default_call_and_the_default_source_give_the_same_volume(default_volume):
    from cryoet_zarr_bench.sources import acquire, parse_source

    from_source = acquire("synthetic")
    assert from_source.checksum() == default_volume.checksum()
    assert parse_source(default_volume.source) == parse_source("synthetic")
    assert synthetic_volume(DEFAULT_SHAPE, seed=DEFAULT_SEED).checksum() == default_volume.checksum()


def test_same_seed_gives_identical_bytes():
    first = synthetic_volume((24, 32, 40), seed=3)
    second = synthetic_volume((24, 32, 40), seed=3)
    assert first.data.tobytes() == second.data.tobytes()
    assert first.checksum() == second.checksum()


def test_default_volume_is_reproducible(default_volume):
    assert synthetic_volume().checksum() == default_volume.checksum()


def test_different_seed_gives_different_data():
    first = synthetic_volume((24, 32, 40), seed=3)
    other = synthetic_volume((24, 32, 40), seed=4)
    assert first.checksum() != other.checksum()
    assert np.mean(first.data == other.data) < 0.01


def test_metadata_describes_the_volume_it_comes_with():
    volume = synthetic_volume((24, 32, 40), seed=5)
    assert volume.source == "synthetic?shape=24,32,40&seed=5"
    provenance = volume.provenance
    assert provenance["shape"] == list(volume.shape) and provenance["seed"] == 5
    assert provenance["numpy"] == np.__version__
    assert volume.voxel_spacing == (VOXEL_SPACING,) * 3
    assert float(volume.data.std(dtype=np.float64)) == pytest.approx(provenance["std"], rel=1e-4)
    # The recorded parameters regenerate the same bytes.
    again = synthetic_volume(tuple(provenance["shape"]), seed=provenance["seed"])
    assert again.checksum() == volume.checksum()


def test_statistics(default_volume):
    data = default_volume.data
    assert data.dtype == np.float32
    assert data.shape == (128, 128, 128)
    assert data.flags.c_contiguous
    assert abs(float(data.mean(dtype=np.float64))) < 1e-9
    assert float(data.std(dtype=np.float64)) == pytest.approx(1e-5, rel=1e-4)
    assert -8e-5 < float(data.min()) < -5e-5
    assert 3e-5 < float(data.max()) < 6e-5


@pytest.mark.parametrize(
    ("shape", "expected"),
    [(16, (16, 16, 16)), ((20, 64, 48), (20, 64, 48)), ((31, 17, 9), (31, 17, 9)), ((1, 8, 8), (1, 8, 8))],
)
def test_other_shapes(shape, expected):
    volume = synthetic_volume(shape, seed=1)
    z, y, x = expected
    assert volume.shape == expected
    assert volume.dtype == np.float32
    assert volume.data.flags.c_contiguous
    assert volume.source == f"synthetic?shape={z},{y},{x}&seed=1"
    assert volume.provenance["shape"] == list(expected)
    assert float(volume.data.std(dtype=np.float64)) == pytest.approx(1e-5, rel=1e-4)
    assert abs(float(volume.data.mean(dtype=np.float64))) < 1e-9


def test_particle_count_scales_with_volume():
    count = {shape: synthetic_volume(shape).provenance["particles"] for shape in [(32, 64, 64), (64, 64, 64)]}
    assert count[(64, 64, 64)] > 0
    assert count[(64, 64, 64)] == pytest.approx(2 * count[(32, 64, 64)], abs=1)


def _frequencies(shape):
    """Broadcastable (kz, ky, kx) in cycles/voxel for the half spectrum of :func:`numpy.fft.rfftn`."""
    nz, ny, nx = shape
    return (
        np.fft.fftfreq(nz)[:, None, None],
        np.fft.fftfreq(ny)[None, :, None],
        np.fft.rfftfreq(nx)[None, None, :],
    )


def _power_spectrum(data):
    return np.abs(np.fft.rfftn(data.astype(np.float64))) ** 2


def test_missing_wedge_is_empty(default_volume):
    power = _power_spectrum(default_volume.data)
    kz, _, kx = _frequencies(default_volume.shape)
    # ±60° tilt about y: components within 30° of the beam axis z (in the kz-kx plane) were never measured.
    wedge = np.broadcast_to(np.abs(kz) > math.tan(math.radians(60)) * kx, power.shape)
    assert wedge.mean() > 0.25
    assert power[wedge].mean() < 1e-10 * power[~wedge].mean()


def test_high_frequencies_are_damped(default_volume):
    power = _power_spectrum(default_volume.data)
    kz, ky, kx = _frequencies(default_volume.shape)
    k = np.sqrt(kz**2 + ky**2 + kx**2)
    measured = np.abs(kz) <= math.tan(math.radians(60)) * kx
    low = power[measured & (k > 0.05) & (k < 0.1)].mean()
    high = power[measured & (k > 0.4)].mean()
    assert high < 0.1 * low


def _dense_blobs(data):
    """Count local minima below -1e-5 after a Gaussian blur of 2 voxels: blobs the size of a particle."""
    kz, ky, kx = _frequencies(data.shape)
    blur = np.exp(-2 * (np.pi * 2.0) ** 2 * (kz**2 + ky**2 + kx**2))
    blurred = np.fft.irfftn(np.fft.rfftn(data) * blur, s=data.shape, axes=(0, 1, 2))
    minima = blurred < -1e-5
    for offset in itertools.product((-1, 0, 1), repeat=3):
        if offset != (0, 0, 0):
            minima &= blurred <= np.roll(blurred, offset, axis=(0, 1, 2))
    return int(minima.sum())


def test_particles_are_dense_blobs(default_volume, monkeypatch):
    data = default_volume.data
    # Dense particles are negative: the lower tail is much heavier than the upper one.
    assert np.count_nonzero(data < -3e-5) > 3 * np.count_nonzero(data > 3e-5)
    # A few hundred blobs; overlapping and faint particles merge into the noise, so fewer than drawn.
    assert 100 <= _dense_blobs(data) <= 400
    # Without particles the same statistic finds almost none.
    monkeypatch.setattr(synthetic, "PARTICLES_PER_128_CUBE", 0)
    assert _dense_blobs(synthetic_volume().data) < 50


@pytest.fixture
def one_blosc_thread():
    previous = numcodecs.blosc.set_nthreads(1)
    yield
    numcodecs.blosc.set_nthreads(previous)


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        (Blosc(cname="zstd", clevel=5, shuffle=Blosc.SHUFFLE), 1.17),
        (Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE), 1.09),
        (Zstd(level=5), 1.08),
    ],
    ids=["blosc-zstd-5-shuffle", "blosc-lz4-5-shuffle", "zstd-5"],
)
def test_compression_matches_real_tomogram(default_volume, one_blosc_thread, codec, expected):
    data = default_volume.data
    compressed = sum(
        len(codec.encode(np.ascontiguousarray(data[z : z + 64, y : y + 64, x : x + 64])))
        for z, y, x in itertools.product(range(0, 128, 64), repeat=3)
    )
    assert data.nbytes / compressed == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("shape", [0, (0, 4, 4), (4, 4), (4, 4, 4, 4), (4, -1, 4), (4.0, 4, 4), "abc", True])
def test_rejects_bad_shape(shape):
    with pytest.raises(ValueError, match="shape must be a positive integer or three of them"):
        synthetic_volume(shape)


def test_rejects_single_column():
    with pytest.raises(ValueError, match="make y or x at least 2 voxels"):
        synthetic_volume((8, 1, 1))


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, None])
def test_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        synthetic_volume(8, seed=seed)
