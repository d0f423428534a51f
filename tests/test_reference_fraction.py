"""How close the best noise-tied setting comes to the Gaussian reference on a stack of 2-D images.

The stack is white Gaussian noise with a stated σ: the stand-in for real tilt images, whose noise is nearly
white (docs/codec-study.md measures the real ones: 0.90 of the reference in one chunk).  41 images, as in a
tilt series of ±60° in 3° steps, so that 64³ chunks leave Zarr's zero padding in 23 of every 64 planes.
The bounds are the figures measured here (pcodec 0.3.6, numcodecs 0.16.6) less about 0.015.
"""

import numpy as np
import pytest

from cryoet_zarr_bench.codecs import CodecUnavailable, parse_codec
from cryoet_zarr_bench.information import GaussianReference
from cryoet_zarr_bench.measure import measure_codec
from cryoet_zarr_bench.noise import estimate_noise
from cryoet_zarr_bench.volume import Volume

from support import require

SIGMA = 10.6
SHAPE = (41, 64, 64)


@pytest.fixture(scope="module")
def stack():
    try:
        parse_codec("pcodec-8").require()
    except CodecUnavailable as error:
        require(False, str(error))
    data = (SIGMA * np.random.default_rng(0).standard_normal(SHAPE)).astype(np.float32)
    return (
        Volume(data, (1.0, 1.0, 1.0), "white noise"),
        estimate_noise(data, stated=SIGMA),
        GaussianReference.of(data),
    )


def _figures(stack, codec, chunks):
    volume, noise, reference = stack
    row = measure_codec(
        volume, codec, chunks=chunks, repeats=1, in_memory=True, noise=noise, reference=reference, images=True
    ).as_row()
    assert row["added_noise_pct"] <= 1.0
    return row["ratio"], row["fraction_of_gaussian_reference"]


def test_in_one_chunk_step_and_pcodec_reach_090_of_the_reference(stack):
    ratio, fraction = _figures(stack, "step-1%+pcodec-8", SHAPE)  # measured: 8.88x, 0.920
    assert fraction >= 0.905
    assert ratio >= 8.7


def test_at_64_cubed_chunks_pcodec_pages_keep_the_zero_padding_cheap(stack):
    # One pcodec page per chunk codes the 23 padding planes as values of the data's distribution (measured:
    # 6.98x, 0.724); pages of 16384 values make 5 of the 6 padding pages constant (8.63x, 0.894).
    ratio, fraction = _figures(stack, "step-1%+pcodec-8-pages-16384", (64, 64, 64))
    one_page_ratio, _ = _figures(stack, "step-1%+pcodec-8", (64, 64, 64))
    assert fraction >= 0.88
    assert ratio > 1.1 * one_page_ratio


def test_a_lossy_setting_that_is_exact_on_the_data_has_no_fraction():
    """Integer counts stored as float32 (as a micrograph's, converted) keep every bit through bitround-16:
    zero distortion, where the reference needs unbounded bits, so the fraction is n/a, not a division by 0."""
    counts = np.random.default_rng(0).integers(0, 50000, (4, 16, 16)).astype(np.float32)
    volume = Volume(counts, (1.0, 1.0, 1.0), "counts")
    measurement = measure_codec(
        volume,
        "bitround-16+zstd-5",
        chunks=(4, 16, 16),
        repeats=1,
        in_memory=True,
        noise=estimate_noise(counts, stated=100.0),
    )
    assert measurement.fidelity.mse == 0 and measurement.reference_ratio == 0
    assert measurement.fraction_of_reference is None
    assert measurement.as_row()["fraction_of_gaussian_reference"] is None
