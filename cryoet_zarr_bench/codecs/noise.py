"""Noise-tied settings (issue 10, point 5): a lossy filter's precision chosen from the volume's noise.

A noise-tied name is a pipeline whose first stage says *how much* to keep rather than a fixed setting::

    step-<f>%+<compressor>       uniform quantiser, Δ = √(12 f)·σ: adds f·σ² of variance
    bitround-<f>%+<compressor>   the fewest mantissa bits whose rounding adds at most f·σ² of variance
    bitinfo-<p>%+<compressor>    the mantissa bits holding p% of the bitwise real information
                                 (Klöwer et al. 2021; see :mod:`cryoet_zarr_bench.information`)

:func:`resolve_noise_tied` turns one into a concrete pipeline name (``step-2.94e-6+pcodec-8``) for a volume
and its noise σ; the concrete name is what gets written and recorded.
"""

from __future__ import annotations

import numpy as np

from .. import information
from .grammar import CodecSpecError, float_text, parse_codec

__all__ = ["NOISE_TIED", "resolve_noise_tied"]

#: The noise-tied settings the study measures.
NOISE_TIED = (
    "step-1%+pcodec-8",
    "step-0.1%+pcodec-8",
    "bitround-1%+blosc-zstd-5-shuffle",
    "bitround-0.1%+blosc-zstd-5-shuffle",
    "bitinfo-99%+blosc-zstd-5-shuffle",
    "bitinfo-99.9%+blosc-zstd-5-shuffle",
)


def resolve_noise_tied(name: str, data: np.ndarray, sigma: float) -> str:
    """The concrete pipeline name for the noise-tied ``name`` on ``data`` with noise σ ``sigma``."""
    setting, plus, rest = name.strip().lower().partition("+")
    family, _, amount = setting.partition("-")
    if not plus or family not in ("step", "bitround", "bitinfo") or not amount.endswith("%"):
        raise CodecSpecError(
            f"{name!r} is not a noise-tied setting; give step-<f>%, bitround-<f>% or bitinfo-<p>% then '+' "
            "and a pipeline, e.g. step-1%+pcodec-8"
        )
    try:
        fraction = float(amount[:-1]) / 100
    except ValueError:
        raise CodecSpecError(f"{name!r}: {amount!r} is not a percentage") from None
    if not 0 < fraction < 1:
        raise CodecSpecError(f"{name!r}: the percentage must lie between 0 and 100")
    if family == "step":
        stage = f"step-{float_text(float(f'{information.noise_step(sigma, fraction):.3g}'))}"
    elif family == "bitround":
        stage = f"bitround-{information.keepbits_for_noise(data, sigma, fraction)}"
    else:
        stage = f"bitround-{information.keepbits_for_information(data, fraction)}"
    return str(parse_codec(f"{stage}+{rest}"))
