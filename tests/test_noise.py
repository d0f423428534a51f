"""Noise σ estimated every way the data allow, the one used, and the warnings a reader needs."""

from __future__ import annotations

import numpy as np
import pytest

from cryoet_zarr_bench import noise


def test_the_estimates_agree_on_white_noise():
    data = 0.3 * np.random.default_rng(0).standard_normal((32, 32, 32))
    estimate = noise.estimate_noise(data)
    assert estimate.method == noise.SPECTRAL
    assert estimate.sigma == pytest.approx(0.3, rel=0.03)
    assert estimate.estimates[noise.MAD] == pytest.approx(0.3, rel=0.03)
    assert estimate.warnings == ()
    assert estimate.describe().startswith("noise σ 0.299 from spectral") and noise.MAD in estimate.describe()


def test_halves_give_sigma_and_know_the_average_of_two_halves_is_quieter():
    rng = np.random.default_rng(6)
    signal = np.cumsum(rng.standard_normal((32, 32, 32)), axis=0)
    half1 = signal + 0.3 * rng.standard_normal(signal.shape)
    half2 = signal + 0.3 * rng.standard_normal(signal.shape)
    assert noise.sigma_from_halves(half1, half2) == pytest.approx(0.3, rel=0.02)
    # A full tomogram beside its odd/even halves is their average: its noise is σ/√2.
    average = (half1 + half2) / 2
    assert noise.sigma_from_halves(half1, half2, volume=average) == pytest.approx(0.3 / 2**0.5, rel=0.02)
    # A third realisation is no combination of them: it has the halves' σ.
    third = signal + 0.3 * rng.standard_normal(signal.shape)
    estimate = noise.estimate_noise(third, halves=(half1, half2))
    assert estimate.method == noise.HALVES and estimate.sigma == pytest.approx(0.3, rel=0.02)


def test_a_map_is_mostly_signal_and_says_so():
    """A smooth map: neighbour differences and high shells see almost nothing, so σ ≪ the data's std."""
    rng = np.random.default_rng(1)
    smooth = np.fft.irfftn(np.fft.rfftn(rng.standard_normal((32, 32, 32))) * _lowpass((32, 32, 32), 0.05))
    data = smooth / smooth.std() + 0.01 * rng.standard_normal(smooth.shape)
    estimate = noise.estimate_noise(data)
    assert estimate.sigma < noise.SIGNAL_DOMINATED * estimate.data_std
    assert any("mostly signal" in warning for warning in estimate.warnings)


def test_disagreeing_estimates_are_named_and_a_stated_sigma_wins():
    rng = np.random.default_rng(2)
    coloured = np.fft.irfftn(np.fft.rfftn(rng.standard_normal((32, 32, 32))) * _lowpass((32, 32, 32), 0.2))
    estimate = noise.estimate_noise(coloured, stated=float(coloured.std()))
    assert estimate.method == noise.STATED and estimate.sigma == pytest.approx(coloured.std())
    assert any(f"the {noise.SPECTRAL} estimate" in warning for warning in estimate.warnings)
    with pytest.raises(ValueError, match="positive number"):
        noise.estimate_noise(coloured, stated=-1.0)


def _lowpass(shape, width):
    freqs = [np.fft.fftfreq(n) for n in shape[:-1]] + [np.fft.rfftfreq(shape[-1])]
    k2 = sum(np.square(f).reshape([-1 if i == j else 1 for j in range(3)]) for i, f in enumerate(freqs))
    return np.exp(-k2 / (2 * width**2))
