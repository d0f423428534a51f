"""Fidelity metrics against hand-computed values, and FSC against what signal and noise spectra predict."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from cryoet_zarr_bench import fidelity
from cryoet_zarr_bench.fidelity import FscCurve
from cryoet_zarr_bench.noise import sigma_from_halves
from cryoet_zarr_bench.sources.synthetic import synthetic_half_volumes

from support import require


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


def test_ssim_agrees_with_scikit_image():
    """scikit-image's structural_similarity with a uniform 7³ window and sample covariances, the same
    constants and the same data range: the published implementation, computed independently."""
    require(importlib.util.find_spec("skimage") is not None, "scikit-image is not installed")
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(3)
    x = np.cumsum(rng.standard_normal((20, 24, 28)), axis=2).astype(np.float32)
    for noise in (0.01, 0.3, 3.0):
        y = x + noise * rng.standard_normal(x.shape).astype(np.float32)
        expected = structural_similarity(
            x,
            y,
            win_size=7,
            data_range=fidelity.data_range(x),
            gaussian_weights=False,
            use_sample_covariance=True,
        )
        assert fidelity.ssim(x, y) == pytest.approx(expected, rel=1e-6)


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


def test_crossing_interpolates_between_shells():
    curve = FscCurve(frequency=np.array([0.1, 0.2, 0.3]), values=np.array([0.9, 0.6, 0.1]), counts=np.ones(3))
    at_half = fidelity.crossing(curve, 0.5, voxel_spacing=10.0)
    assert at_half.shell == 3
    assert at_half.frequency == pytest.approx(0.22)
    assert at_half.resolution == pytest.approx(10.0 / 0.22)
    never = fidelity.crossing(curve, 0.05, voxel_spacing=10.0)
    assert never.shell is None and never.resolution == pytest.approx(10.0 / 0.3)


def _quantised(a, step):
    return (step * np.round(a / step)).astype(np.float32)


@pytest.fixture(scope="module")
def halves():
    half1, half2, _ = synthetic_half_volumes(48, seed=2)
    return half1.data, half2.data


def _assess_step(halves, added):
    """A uniform quantiser adding ``added`` of the noise variance, judged on half 1 with both halves."""
    half1, half2 = halves
    sigma = sigma_from_halves(half1, half2)
    step = math.sqrt(12 * added) * sigma
    return fidelity.assess(
        half1,
        _quantised(half1, step),
        sigma=sigma,
        voxel_spacing=10.0,
        halves=(half1, half2),
        halves_decoded=(_quantised(half1, step), _quantised(half2, step)),
    )


@pytest.mark.parametrize(("added", "safe"), [(0.005, True), (0.02, False), (0.86, False)])
def test_the_verdict_holds_at_half_a_percent_and_flips_at_two(halves, added, safe):
    result = _assess_step(halves, added)
    assert result.added_noise_fraction == pytest.approx(added, rel=0.1)
    assert result.safe is safe
    verdict = result.verdict
    assert verdict.names == (fidelity.ADDED_NOISE, fidelity.HALF_MAP, fidelity.SIGNAL_KEPT)
    assert verdict.get(fidelity.ADDED_NOISE).passed is (added <= 0.01)
    if added < 0.05:  # small changes stay within the half-map FSC's own uncertainty: no shift is called
        assert verdict.get(fidelity.HALF_MAP).passed is True
        assert not result.half_map.shift_called
        assert verdict.get(fidelity.SIGNAL_KEPT).passed is True
    else:  # 86% more noise (a step of √12·σ): the decoded copy no longer holds the signal
        assert verdict.get(fidelity.SIGNAL_KEPT).passed is False


def test_without_halves_only_the_added_noise_is_judged(halves):
    half1, _ = halves
    fine = fidelity.assess(half1, _quantised(half1, 1e-7), sigma=1e-5, voxel_spacing=10.0)
    assert fine.safe is None and fine.half_map_shift_angstrom is None
    assert fine.verdict.get(fidelity.ADDED_NOISE).passed is True
    assert fine.verdict.get(fidelity.HALF_MAP).passed is None


def test_a_further_criterion_joins_the_verdict(halves):
    verdict = _assess_step(halves, 0.005).verdict
    joined = verdict.with_criterion(fidelity.Criterion("picking recall", False, 0.7, ">= 0.95"))
    assert joined.names[-1] == "picking recall" and joined.safe is False
    assert verdict.safe is True


def test_the_crossing_carries_its_uncertainty():
    counts = np.array([200.0, 800.0, 1800.0])
    curve = FscCurve(frequency=np.array([0.1, 0.2, 0.3]), values=np.array([0.9, 0.6, 0.1]), counts=counts)
    at = fidelity.crossing(curve, 0.143, voxel_spacing=10.0)
    sigma = (1 - at.frequency * 10 + 2) * 1 / math.sqrt(400) + (at.frequency * 10 - 2) / math.sqrt(900)
    assert at.frequency_uncertainty == pytest.approx(sigma / 5.0)  # slope 0.5 per 0.1 cycles/voxel
    assert at.resolution_uncertainty == pytest.approx(at.resolution * at.frequency_uncertainty / at.frequency)


def test_a_knife_edge_crossing_is_no_shift():
    """A curve grazing 0.143 may cross a shell earlier after a tiny change:
    within its uncertainty, no shift."""
    frequency = np.arange(1, 21) / 40
    counts = 4 * np.pi * np.arange(1, 21) ** 2
    before = np.concatenate([np.linspace(0.95, 0.16, 13), [0.15, 0.1432, 0.138, 0.12], np.full(3, 0.05)])
    after = before.copy()
    after[14] = 0.1425  # the knife edge of the synthetic volume's shell 15 (0.14250 against 0.143)
    change = fidelity.half_map_change(
        FscCurve(frequency, before, counts), FscCurve(frequency, after, counts), voxel_spacing=10.0
    )
    assert change.before.shell == 16 and change.after.shell == 15  # the first shell below moved ...
    assert (
        change.worst_deviation < 1 and not change.shift_called and change.within_uncertainty
    )  # ... no shift


def test_a_stack_of_images_is_judged_by_2d_frc(halves):
    half1, half2 = halves
    step = math.sqrt(12 * 0.005) * sigma_from_halves(half1, half2)
    result = fidelity.assess(
        half1,
        _quantised(half1, step),
        sigma=sigma_from_halves(half1, half2),
        voxel_spacing=10.0,
        halves=(half1, half2),
        halves_decoded=(_quantised(half1, step), _quantised(half2, step)),
        images=True,
        with_ssim=False,
    )
    assert result.images and result.half_map is not None
    # 2-D shells of a 48x48 image: 24 of them, each holding fewer coefficients than a 3-D shell.
    assert (
        result.half_map.before.frequency_uncertainty
        > _assess_step(halves, 0.005).half_map.before.frequency_uncertainty
    )
