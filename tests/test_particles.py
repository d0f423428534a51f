"""Picking and averaging the synthetic volume's known particles, and the verdict on a lossy copy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryoet_zarr_bench import fidelity
from cryoet_zarr_bench.fidelity import FscCurve
from cryoet_zarr_bench.particles import (
    HalfSetFsc,
    half_set_averages,
    half_set_fsc,
    judge_use,
    known_particles,
    measure_use,
    pick,
    score_map,
    score_picks,
    source_particles,
    sphere_template,
    wilson_interval,
)
from cryoet_zarr_bench.particles.averaging import soft_sphere
from cryoet_zarr_bench.sources import acquire
from cryoet_zarr_bench.sources.halves import noise_estimate
from cryoet_zarr_bench.sources.synthetic import synthetic_half_volumes, synthetic_labels, synthetic_volume
from cryoet_zarr_bench.sources.synthetic_truth import synthetic_particles, synthetic_transfer
from cryoet_zarr_bench.volume import Volume

SHAPE = (96, 96, 96)


@pytest.fixture(scope="module")
def volume():
    return synthetic_volume(SHAPE, seed=1)


@pytest.fixture(scope="module")
def original(volume):
    return measure_use(volume.data, known_particles(volume))


def _sphere(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((axis - c) ** 2 for axis, c in zip(grid, centre, strict=True)) <= radius**2


def test_the_ground_truth_is_the_volumes_particles_and_optics():
    shape, seed = (48, 40, 56), 3
    truth = synthetic_particles(shape, seed)
    assert len(truth) == round(300 * math.prod(shape) / 128**3) and truth.centres.shape == (len(truth), 3)
    # The same spheres as the label mask, which synthetic_volume's own generator draws.
    drawn = np.zeros(shape, dtype=bool)
    for centre, radius in zip(truth.centres, truth.radii, strict=True):
        drawn |= _sphere(shape, centre, radius)
    assert np.array_equal(drawn, synthetic_labels(shape, seed, every=1).data.astype(bool))
    # Through the transfer, the dark spheres are the tomogram's noise-free signal, up to one scale, at every
    # frequency outside the faint background's band (|k| <= 4/64 along every axis).
    _, _, signal = synthetic_half_volumes(shape, seed)
    spheres = np.zeros(shape)
    for centre, radius, contrast in zip(truth.centres, truth.radii, truth.contrasts, strict=True):
        spheres -= contrast * _sphere(shape, centre, radius)
    imaged = np.fft.rfftn(spheres) * synthetic_transfer(shape)
    measured = np.fft.rfftn(signal.astype(np.float64))
    k = np.meshgrid(
        np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1]), np.fft.rfftfreq(shape[2]), indexing="ij"
    )
    outside = np.any([np.abs(axis) > 4 / 64 for axis in k], axis=0)
    a, b = imaged[outside], measured[outside]
    scale = np.vdot(a, b).real / np.vdot(a, a).real
    assert scale > 0 and np.linalg.norm(b - scale * a) < 1e-5 * np.linalg.norm(b)


def test_known_particles_only_for_synthetic_volumes_and_shifted_into_a_crop():
    full = known_particles(synthetic_volume((40, 40, 40), seed=2))
    source = "synthetic?shape=40&seed=2&crop=5:35,10:40,0:30"
    crop = acquire(source)
    cropped = known_particles(crop)
    np.testing.assert_allclose(cropped.centres, full.centres - [5, 10, 0])
    assert cropped.shape == (30, 30, 30) and cropped.transfer.shape == (30, 30, 16)
    # From the source string alone, without the volume: the same particles.
    from_source = source_particles(source)
    np.testing.assert_array_equal(from_source.centres, cropped.centres)
    np.testing.assert_array_equal(from_source.transfer, cropped.transfer)
    data = np.zeros((8, 8, 8), dtype=np.float32)
    assert known_particles(Volume(data, (1.0,) * 3, "x.npy", {})) is None
    assert source_particles("/tmp/x.npy") is None
    with pytest.raises(ValueError, match=r"belong to a volume of shape \(30, 30, 30\), not \(20, 30, 30\)"):
        measure_use(crop.data[:20], cropped)


def test_a_volume_with_too_few_particles_says_so_in_one_line():
    small = synthetic_volume(32, seed=1)
    reason = known_particles(small).unmeasurable()
    assert reason.startswith("a 32x32x32 volume holds ") and "use a larger volume" in reason
    with pytest.raises(ValueError, match="picking and averaging need 8 of each"):
        measure_use(small.data, known_particles(small))
    assert known_particles(synthetic_volume(64, seed=1)).unmeasurable() is None


def test_a_planted_dark_sphere_is_picked_at_its_position_and_nothing_else():
    shape, centre, radius = (64, 64, 64), np.array([30.3, 41.7, 22.2]), 6.0
    transfer = synthetic_transfer(shape)
    rng = np.random.default_rng(0)
    volume = rng.standard_normal(shape) - 2.0 * _sphere(shape, centre, radius)
    volume = np.fft.irfftn(np.fft.rfftn(volume) * transfer, s=shape, axes=(0, 1, 2))
    score = score_map(volume, [sphere_template(shape, radius, transfer)])
    picks = pick(score, min_distance=4, margin=8)
    assert np.linalg.norm(picks.positions[0] - centre) < 1.0  # the best pick; noise makes a few weak others
    assert picks.scores[0] > 2 * picks.scores[1]
    assert np.all(np.linalg.norm(picks.positions[1:] - centre, axis=1) > radius)
    # The same sphere made bright is no dark particle: it is not picked.
    bright = pick(score_map(-volume, [sphere_template(shape, radius, transfer)]), min_distance=4, margin=8)
    assert np.all(np.linalg.norm(bright.positions - centre, axis=1) > radius)


def test_picks_are_matched_one_to_one_closest_first_within_the_distance():
    centres = np.array(
        [[10.0, 10, 10], [10, 10, 14.5], [30, 30, 30], [1, 20, 20], [20, 20, 18], [20, 20, 22.5]]
    )
    picks = np.array([[10, 10, 12], [10, 10, 13], [30, 30, 34], [1, 20, 21], [20, 20, 20]])
    scored = score_picks(picks, centres, shape=(40, 40, 40), distance=3.0, margin=4)
    # [10,10,13] takes the particle at 14.5 (1.5 away), [10,10,12] the one at 10; [30,30,34] is 4 away;
    # [1,20,21] finds a particle too close to the face to count for recall, and still counts for precision;
    # [20,20,20] finds the nearer of two particles, and only that one.
    assert scored.found_mask.tolist() == [True, True, False, True, True, False]
    assert (scored.particles, scored.found, scored.picks, scored.matched_picks) == (5, 3, 5, 4)
    assert scored.recall == pytest.approx(3 / 5) and scored.precision == pytest.approx(4 / 5)


def test_wilson_interval_known_values_and_it_shrinks_with_more_particles():
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    widths = [np.subtract(*wilson_interval(8 * n, 10 * n)[::-1]) for n in (1, 10, 100)]
    assert widths[0] > widths[1] > widths[2] > 0


def test_more_particles_give_a_narrower_recall_interval(original):
    small = synthetic_volume(64, seed=1)
    fewer = measure_use(small.data, known_particles(small))
    assert fewer.picking.particles < original.picking.particles / 2

    def width(m):
        return np.subtract(*m.picking.recall_interval[::-1])

    assert width(fewer) > 1.2 * width(original)


def test_sub_voxel_centres_are_aligned_exactly():
    box, centre = 24, np.array([40.3, 31.6, 27.45])
    grid = np.ogrid[:80, :64, :64]

    def blob(at, g):
        return np.exp(-sum((a - c) ** 2 for a, c in zip(g, at, strict=True)) / 8)

    volume = blob(centre, grid) + blob(centre + [-20, 0, 0], grid)
    first, second, particles = half_set_averages(volume, np.array([centre, centre + [-20, 0, 0]]), box)
    expected = blob([box // 2] * 3, np.ogrid[:box, :box, :box])
    assert particles == (1, 1)
    np.testing.assert_allclose(first, expected, atol=1e-3)
    np.testing.assert_allclose(second, expected, atol=1e-3)


def test_fsc_of_identical_half_averages_is_one():
    rng = np.random.default_rng(1)
    particle = rng.standard_normal((24, 24, 24))
    volume = np.zeros((96, 48, 48))
    centres = np.array([[12 + 24 * i, 24, 24] for i in range(4)], dtype=float)
    for i in range(4):
        volume[24 * i : 24 * i + 24, 12:36, 12:36] = particle
    result = half_set_fsc(volume, centres, box=24, mask_radius=9, voxel_spacing=10.0)
    assert result.particles == (2, 2)
    np.testing.assert_allclose(result.curve.values, 1.0, rtol=1e-12)
    crossing = result.crossing()
    assert crossing.holds and crossing.resolution == pytest.approx(20.0) and crossing.uncertainty == 0


def test_fsc_uncertainty_predicts_the_spread_of_noise_fscs():
    rng = np.random.default_rng(2)
    mask = soft_sphere(24, 8)
    curves = [
        fidelity.fsc(rng.standard_normal((24,) * 3) * mask, rng.standard_normal((24,) * 3) * mask)
        for _ in range(40)
    ]
    spread = np.std([c.values for c in curves], axis=0)
    volume = rng.standard_normal((72, 72, 72))
    predicted = half_set_fsc(
        volume, [[30, 30, 30], [40, 40, 40]], box=24, mask_radius=8, voxel_spacing=1
    ).sigma
    ratio = spread[4:] / predicted[4:]  # shells with enough coefficients for a steady spread
    assert 0.6 < ratio.mean() < 1.1 and ratio.max() < 1.4


def test_crossing_interpolates_and_carries_the_fsc_uncertainty_through_the_slope():
    curve = FscCurve(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.9, 0.5, 0.1, 0.05]), np.ones(4))
    result = HalfSetFsc(curve, sigma=np.array([0.02, 0.02, 0.04, 0.04]), particles=(5, 5), voxel_spacing=10.0)
    crossing = result.crossing()
    assert not crossing.holds
    assert crossing.frequency == pytest.approx(0.2 + (0.5 - 0.143) / 4.0)
    assert crossing.uncertainty == pytest.approx(0.03 / 4.0)
    assert crossing.resolution == pytest.approx(10.0 / crossing.frequency)
    assert crossing.resolution_uncertainty == pytest.approx(
        10.0 * crossing.uncertainty / crossing.frequency**2
    )


def test_a_lossless_copy_is_safe_for_use(volume, original):
    copy = measure_use(volume.data.copy(), known_particles(volume))
    verdict = judge_use(original, copy)
    assert verdict.safe and all(c.change == 0 for c in verdict.criteria)
    assert original.picking.recall > 0.5 and original.picking.precision > 0.8
    assert sum(original.average.particles) > 50
    assert "safe for picking and averaging" in str(verdict)


def test_a_fine_step_is_safe_and_a_very_coarse_one_is_not(volume, original):
    sigma = noise_estimate(volume).sigma
    particles = known_particles(volume)

    def stepped(step):
        return (step * np.round(volume.data / step)).astype(np.float32)

    fine = judge_use(original, measure_use(stepped(math.sqrt(12 * 0.01) * sigma), particles))
    assert fine.safe
    coarse = judge_use(original, measure_use(stepped(6 * sigma), particles))  # adds 300 % of σ²
    assert not coarse.safe and not any(c.unchanged for c in coarse.criteria)
    assert coarse.recall.change < 0 and coarse.precision.change < 0 and coarse.resolution.change > 0
    assert "NOT safe" in str(coarse) and "CHANGED" in str(coarse.recall)


def test_heavy_added_noise_changes_the_average_and_the_picks(volume, original):
    sigma = noise_estimate(volume).sigma
    noisy = volume.data + 5 * sigma * np.random.default_rng(3).standard_normal(SHAPE).astype(np.float32)
    verdict = judge_use(original, measure_use(noisy, known_particles(volume)))
    assert not verdict.safe and not verdict.recall.unchanged and not verdict.resolution.unchanged
    assert verdict.resolution.after > verdict.resolution.before  # a coarser average
