"""Limits and noise-aware precision: entropy per byte plane, R(D), noise steps, kept bits, bit information."""

from __future__ import annotations

import math

import numcodecs
import numpy as np
import pytest

from cryoet_zarr_bench import fidelity, information


def test_byte_plane_entropy_and_the_ratio_it_allows():
    # Lowest byte takes all 256 values equally often, the other three bytes never change.
    values = (np.arange(4096, dtype=np.uint32) % 256) | np.uint32(0x3F000000)
    data = values.view(np.float32)
    np.testing.assert_allclose(information.byte_plane_entropy(data), [8, 0, 0, 0], atol=1e-12)
    assert information.entropy_ratio_limit(data) == pytest.approx(4.0)


def test_rate_distortion_bound_at_one_percent_is_9_6_for_float32():
    assert information.rate_distortion_ratio(0.01) == pytest.approx(32 / (0.5 * math.log2(100)))
    assert information.rate_distortion_ratio(0.01) == pytest.approx(9.63, abs=0.01)
    assert information.rate_distortion_ratio(1.0) == math.inf


def test_noise_step_adds_the_stated_variance():
    sigma = 3e-5
    step = information.noise_step(sigma, 0.01)
    assert step**2 / 12 == pytest.approx(0.01 * sigma**2)
    data = sigma * np.random.default_rng(0).standard_normal((32, 32, 32))
    quantised = step * np.round(data / step)
    assert fidelity.added_noise_fraction(data, quantised, sigma) == pytest.approx(0.01, rel=0.05)


@pytest.mark.parametrize("fraction", [0.01, 0.001])
def test_keepbits_for_noise_keeps_the_added_variance_under_the_fraction(fraction):
    sigma = 1e-5
    data = (sigma * np.random.default_rng(1).standard_normal((32, 32, 32))).astype(np.float32)
    keepbits = information.keepbits_for_noise(data, sigma, fraction)

    def added(bits):
        rounded = numcodecs.BitRound(keepbits=bits).encode(data.copy()).view(np.float32).reshape(data.shape)
        return fidelity.added_noise_fraction(data, rounded, sigma)

    assert added(keepbits) <= fraction
    assert added(keepbits - 1) > fraction / 4  # one bit fewer quadruples the rounding variance


def test_bit_information_sees_correlated_bits_and_ignores_random_ones():
    rng = np.random.default_rng(2)
    signs = np.repeat(rng.choice([-1.0, 1.0], size=64), 64)  # long runs of one sign
    data = (signs * (1.0 + 0.5 * rng.random(signs.size))).astype(np.float32).reshape(1, 1, -1)
    bits = information.bit_information(data)
    assert bits[0] == pytest.approx(1.0, abs=0.1)  # the sign bit: a neighbour's sign nearly always agrees
    # Low mantissa bits of random values: insignificant (about 1 in 100 passes the 99% test by chance).
    assert np.count_nonzero(bits[12:]) <= 2 and bits[12:].sum() < 0.01
    assert information.keepbits_for_information(data, 0.99) == 0


def test_bit_information_of_a_smooth_field_keeps_mantissa_bits():
    x = np.linspace(1.0, 1.9, 4096, dtype=np.float32).reshape(1, 1, -1)
    assert information.keepbits_for_information(x, 0.99) > 4
    with pytest.raises(ValueError, match="floats"):
        information.keepbits_for_information(np.arange(10, dtype=np.int32).reshape(1, 1, -1))


def test_the_gaussian_reference_of_white_noise_is_the_plain_formula():
    from cryoet_zarr_bench.information import GaussianReference

    data = np.random.default_rng(0).standard_normal((48, 48, 48)).astype(np.float32)
    reference = GaussianReference.of(data)
    assert reference.variance == pytest.approx(1.0, rel=0.01)
    assert reference.ratio(0.01) == pytest.approx(information.rate_distortion_ratio(0.01), rel=0.01)
    assert reference.rate(2.0) == 0.0 and reference.ratio(2.0) == math.inf


def test_reverse_water_filling_by_hand():
    """Two components of variance 4 and 1 at D = 0.75 per value: (min(θ,4) + min(θ,1)) / 2 = 0.75 gives
    θ = 0.75, and R = (½log2(4/0.75) + ½log2(1/0.75)) / 2 bits per value."""
    from cryoet_zarr_bench.information import GaussianReference

    reference = GaussianReference(np.array([4.0, 1.0]), bits_per_value=32)
    expected = (0.5 * math.log2(4 / 0.75) + 0.5 * math.log2(1 / 0.75)) / 2
    assert reference.rate(0.75) == pytest.approx(expected)
    # At D = 1: θ = 1.5 would exceed the small component, which then costs nothing: (θ + 1)/2 = 1 -> θ = 1.
    assert reference.rate(1.0) == pytest.approx(0.5 * math.log2(4 / 1.0) / 2)


def test_a_coloured_spectrum_needs_fewer_bits_than_white_noise_of_its_variance():
    from cryoet_zarr_bench.information import GaussianReference
    from cryoet_zarr_bench.sources.synthetic import synthetic_volume

    data = synthetic_volume(48).data
    reference = GaussianReference.of(data)
    white = information.rate_distortion_ratio(0.01)
    assert reference.ratio(0.01 * reference.variance) > 1.5 * white


def test_a_setting_exact_on_the_data_has_no_fraction_of_the_reference():
    from cryoet_zarr_bench.information import GaussianReference

    reference = GaussianReference.of(
        np.random.default_rng(0).standard_normal((16, 16, 16)).astype(np.float32)
    )
    assert reference.fraction(3.0, 0.0) is None  # no distortion: the reference needs unbounded bits
    assert reference.fraction(3.0, 0.01) == pytest.approx(3.0 / reference.ratio(0.01))
