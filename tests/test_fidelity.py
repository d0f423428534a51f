"""Fidelity metrics against hand-computed values, and FSC against what signal and noise spectra predict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryoet_zarr_bench import fidelity
from cryoet_zarr_bench.fidelity import FscCurve
from cryoet_zarr_bench.sources.synthetic import synthetic_half_volumes


def test_mse_max_error_and_psnr_by_hand():
    original = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    decoded = original + np.array([0.5, -0.5, 0, 0, 0, 0, 0, 1], dtype=np.float32).reshape(2, 2, 2)
    assert fidelity.mse(original, decoded) == pytest.approx((0.25 + 0.25 + 1) / 8)
    assert fidelity.max_abs_error(original, decoded) == 1.0
    assert fidelity.data_range(original) == 7.0
    assert fidelity.psnr(original, decoded) == pytest.approx(10 * math.log10(49 / 0.1875))
    assert fidelity.psnr(original, original) == math.inf


def _window_ssim(x, y, peak):
    """SSIM of one window, written out from Wang et al. (2004) with sample (co)variances."""
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(ddof=1), y.var(ddof=1)
    cxy = ((x - mx) * (y - my)).sum() / (x.size - 1)
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))


def test_ssim_of_one_window_matches_the_formula():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 7, 7))
    y = 0.8 * x + 0.3 * rng.standard_normal((7, 7, 7)) + 0.1
    assert fidelity.ssim(x, y) == pytest.approx(_window_ssim(x, y, x.max() - x.min()), rel=1e-10)
    assert fidelity.ssim(x, x) == pytest.approx(1.0)


def test_ssim_averages_every_window_inside_the_volume():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, 8, 7))
    y = x + 0.5 * rng.standard_normal(x.shape)
    peak = x.max() - x.min()
    windows = [
        _window_ssim(x[i : i + 7, j : j + 7, :], y[i : i + 7, j : j + 7, :], peak)
        for i in range(3)
        for j in range(2)
    ]
    assert fidelity.ssim(x, y) == pytest.approx(np.mean(windows), rel=1e-10)
    with pytest.raises(ValueError, match="window"):
        fidelity.ssim(x[:5], y[:5])


def test_fsc_of_a_volume_with_itself_is_one_in_every_shell():
    volume = np.random.default_rng(2).standard_normal((24, 24, 24))
    curve = fidelity.fsc(volume, volume)
    assert len(curve.values) == 12
    np.testing.assert_allclose(curve.values, 1.0, rtol=1e-12)
    np.testing.assert_allclose(curve.frequency, np.arange(1, 13) / 24)


def test_fsc_of_independent_noise_is_near_zero():
    rng = np.random.default_rng(3)
    curve = fidelity.fsc(rng.standard_normal((32, 32, 32)), rng.standard_normal((32, 32, 32)))
    # A shell's FSC of independent noise has a standard deviation of about 1/sqrt(independent coefficients).
    assert np.all(np.abs(curve.values) < 4 / np.sqrt(curve.counts / 2))
    assert abs(curve.values[4:].mean()) < 0.02


def test_half_volumes_follow_snr_over_one_plus_snr():
    half1, half2, signal = synthetic_half_volumes(48, seed=1)
    curve = fidelity.fsc(half1.data, half2.data)
    power = lambda a: fidelity.shell_power(a).values  # noqa: E731
    snr = power(signal) / ((power(half1.data - signal) + power(half2.data - signal)) / 2)
    predicted = snr / (1 + snr)
    low = curve.frequency <= 0.25  # shells with enough coefficients and signal to compare
    np.testing.assert_allclose(curve.values[low], predicted[low], atol=0.06)
    assert curve.values[0] > 0.9 and predicted[-1] < 0.05


def test_halves_share_their_particles_and_not_their_noise():
    half1, half2, signal = synthetic_half_volumes((16, 24, 32), seed=4)
    again1, _, _ = synthetic_half_volumes((16, 24, 32), seed=4)
    assert half1.data.tobytes() == again1.data.tobytes()
    noise1, noise2 = half1.data - signal, half2.data - signal
    assert abs(np.corrcoef(noise1.ravel(), noise2.ravel())[0, 1]) < 0.05
    assert half1.data.std() == pytest.approx(1e-5, rel=1e-3)


def test_added_noise_of_a_uniform_quantiser_is_step_squared_over_twelve():
    sigma, step = 2.0, 0.5
    original = sigma * np.random.default_rng(5).standard_normal((40, 40, 40))
    decoded = step * np.round(original / step)
    assert fidelity.added_noise_fraction(original, decoded, sigma) == pytest.approx(
        step**2 / 12 / sigma**2, rel=0.02
    )


def test_noise_sigma_estimates():
    rng = np.random.default_rng(6)
    signal = np.cumsum(rng.standard_normal((32, 32, 32)), axis=0)
    half1 = signal + 0.3 * rng.standard_normal(signal.shape)
    half2 = signal + 0.3 * rng.standard_normal(signal.shape)
    assert fidelity.noise_sigma_from_halves(half1, half2) == pytest.approx(0.3, rel=0.02)
    assert fidelity.noise_sigma_mad(0.3 * rng.standard_normal((32, 32, 32))) == pytest.approx(0.3, rel=0.03)


def test_crossing_interpolates_between_shells():
    curve = FscCurve(frequency=np.array([0.1, 0.2, 0.3]), values=np.array([0.9, 0.6, 0.1]), counts=np.ones(3))
    at_half = fidelity.crossing(curve, 0.5, voxel_spacing=10.0)
    assert at_half.shell == 3
    assert at_half.frequency == pytest.approx(0.22)
    assert at_half.resolution == pytest.approx(10.0 / 0.22)
    never = fidelity.crossing(curve, 0.05, voxel_spacing=10.0)
    assert never.shell is None and never.resolution == pytest.approx(10.0 / 0.3)


def test_assess_calls_a_fine_quantiser_safe_and_a_coarse_one_not():
    half1, half2, _ = synthetic_half_volumes(32, seed=2)
    original = half1.data
    sigma = fidelity.noise_sigma_from_halves(half1.data, half2.data)

    def quantised(a, step):
        return (step * np.round(a / step)).astype(np.float32)

    for step, safe in ((0.05 * sigma, True), (2 * sigma, False)):
        result = fidelity.assess(
            original,
            quantised(original, step),
            sigma=sigma,
            voxel_spacing=10.0,
            halves=(half1.data, half2.data),
            halves_decoded=(quantised(half1.data, step), quantised(half2.data, step)),
        )
        assert result.safe is safe
        assert result.added_noise_fraction == pytest.approx(step**2 / 12 / sigma**2, rel=0.1)
    fine = fidelity.assess(original, quantised(original, 0.05 * sigma), sigma=sigma, voxel_spacing=10.0)
    assert fine.safe is None and fine.half_map_shift_angstrom is None
