"""The codecs' own guarantees as the checks see them: non-finite values, float32 rounding far from zero, and
noise-tied settings that never add more noise than they name."""

import numpy as np
import pytest

from cryoet_zarr_bench.codecs import (
    CodecCannotExpress,
    ErrorBoundExceeded,
    check_error_bound,
    codec_set,
    error_check,
    is_noise_tied,
    resolve_noise_tied,
)
from cryoet_zarr_bench.codecs.noise import round_down
from cryoet_zarr_bench.stores import MemoryStore


def _with_nonfinite(shape=(16, 16, 16)):
    data = (1e-5 * np.random.default_rng(0).standard_normal(shape)).astype(np.float32)
    data[0, 0, :3] = [np.nan, np.inf, -np.inf]
    return data


def test_a_nan_turned_into_a_number_breaks_every_bound():
    original = _with_nonfinite()
    decoded = original.copy()
    decoded[0, 0, :3] = -2147.48  # what the int32 step filter once made of NaN and ±Inf
    check = error_check("step-1e-6+zstd-5", original, decoded)
    assert check.within is False
    assert check.nonfinite_changed == 3
    assert check.max_abs_error == np.inf
    assert "BOUND BROKEN" in check.describe()
    with pytest.raises(ErrorBoundExceeded):
        check_error_bound("quantize-6+zstd-5", original, decoded)


def test_a_number_turned_into_nan_is_never_within():
    original = (1e-5 * np.random.default_rng(1).standard_normal((8, 8, 8))).astype(np.float32)
    decoded = original.copy()
    decoded[1, 2, 3] = np.nan
    check = error_check("bitround-8+zstd-5", original, decoded)
    assert check.within is False and check.max_abs_error == np.inf


def test_an_infinity_must_come_back_with_its_sign():
    original = _with_nonfinite()
    decoded = original.copy()
    decoded[0, 0, 1] = -np.inf
    assert error_check("quantize-6+zstd-5", original, decoded).within is False
    decoded[0, 0, 1] = np.inf
    check = error_check("quantize-6+zstd-5", original, decoded)
    assert check.within is True and check.max_abs_error == 0.0


def test_a_codec_without_a_bound_still_fails_on_changed_nan():
    original = _with_nonfinite()
    decoded = np.nan_to_num(original)
    assert error_check("zfp-precision-12", original, decoded).within is False


@pytest.mark.parametrize("codec", ["quantize-6+zstd-5", "bitround-8+zstd-5"])
def test_rounding_filters_keep_nan_and_inf(codec):
    data = _with_nonfinite()
    store = MemoryStore()
    store.write(data, codec=codec, chunks=(16, 16, 16))
    decoded = store.read()
    check = check_error_bound(codec, data, decoded)
    assert check.within is True and check.nonfinite_changed == 0
    assert np.isnan(decoded[0, 0, 0]) and decoded[0, 0, 1] == np.inf and decoded[0, 0, 2] == -np.inf


def test_the_step_filter_refuses_non_finite_data_and_leaves_no_store():
    store = MemoryStore()
    with pytest.raises(CodecCannotExpress, match=r"cannot encode non-finite values \(1 NaN, 2 ±Inf"):
        store.write(_with_nonfinite(), codec="step-1e-6+pcodec-8", chunks=(16, 16, 16))
    assert not store.exists()


def test_the_step_filter_refuses_values_beyond_int32():
    data = np.full((4, 4, 4), 5000.0, dtype=np.float32)
    with pytest.raises(CodecCannotExpress, match="beyond int32's range; use a step of at least"):
        MemoryStore().write(data, codec="step-1e-6+zstd-5", chunks=(4, 4, 4))


def test_zfp_accuracy_allows_float32_rounding_far_from_zero():
    pytest.importorskip("zfpy")
    rng = np.random.default_rng(0)
    data = (100 + 30 * rng.standard_normal((32, 32, 32))).astype(np.float32)
    store = MemoryStore()
    store.write(data, codec="zfp-accuracy-1e-6", chunks=(32, 32, 32))
    decoded = store.read()
    assert np.abs(decoded.astype(np.float64) - data).max() > 1e-6  # one ulp of ~100 is 7.6e-6
    check = check_error_bound("zfp-accuracy-1e-6", data, decoded)
    assert check.within is True
    # ... and still no more than that: the tolerance and 1.5 ulp of the largest value off is outside.
    worse = decoded.copy()
    worse[0, 0, 0] = data[0, 0, 0] + 1e-6 + 1.5 * np.spacing(np.abs(data).max())
    assert error_check("zfp-accuracy-1e-6", data, worse).within is False


def test_round_down_never_rounds_up():
    assert round_down(3.4641016e-6) == 3.46e-6
    assert round_down(3.469e-6) == 3.46e-6
    assert round_down(1.0) == 1.0
    for value in np.random.default_rng(0).uniform(1e-9, 1e3, 200):
        assert round_down(float(value)) <= value


@pytest.mark.parametrize("percent", [0.1, 0.5, 1, 2])
def test_noise_tied_steps_add_no_more_noise_than_named(percent):
    rng = np.random.default_rng(3)
    # A peaky, non-Gaussian distribution, where Δ²/12 alone would not hold.
    data = (1e-5 * rng.laplace(size=(24, 24, 24)) ** 3).astype(np.float32)
    sigma = 1e-5
    name = resolve_noise_tied(f"step-{percent}%+pcodec-8", data, sigma)
    store = MemoryStore()
    store.write(data, codec=name, chunks=(24, 24, 24))
    added = np.mean(np.square(store.read().astype(np.float64) - data)) / sigma**2
    assert added <= percent / 100
    assert added > 0.5 * percent / 100  # and the step is not needlessly small


def test_the_lossy_set_is_tied_to_the_noise_where_settings_are_absolute():
    lossy = codec_set("lossy")
    for name in lossy:
        family = name.split("-")[0]
        if family in ("step", "quantize") or name.startswith("zfp-accuracy"):
            assert is_noise_tied(name), name
    data = (2.0 * np.random.default_rng(0).standard_normal((16, 16, 16))).astype(np.float32)
    # On data a hundred thousand times the synthetic scale the same names still add the same share of noise.
    assert resolve_noise_tied("zfp-accuracy-0.1sigma", data, sigma=2.0) == "zfp-accuracy-0.2"
    assert resolve_noise_tied("quantize-1%+zstd-5", data, sigma=2.0) == "quantize-1+zstd-5"
