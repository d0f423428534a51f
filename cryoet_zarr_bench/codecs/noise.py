"""Noise-tied settings: a lossy codec's precision chosen from the volume's noise σ, so one name means the same
thing on data of any scale.

A noise-tied name is a pipeline whose first stage says *how much* to keep rather than a fixed setting::

    step-<f>%+<compressor>         uniform quantiser, Δ = √(12 f)·σ rounded down: adds at most f·σ²
    quantize-<f>%+<compressor>     the fewest decimal digits whose power-of-two step adds at most f·σ²
    bitround-<f>%+<compressor>     the fewest mantissa bits whose rounding adds at most f·σ² of variance
    bitinfo-<p>%+<compressor>      the mantissa bits holding p% of the bitwise real information
                                   (Klöwer et al. 2021; see :mod:`cryoet_zarr_bench.information`)
    step-<x>sigma+<compressor>     uniform quantiser of step x·σ
    zfp-accuracy-<x>sigma          ZFP with tolerance x·σ

:func:`resolve_noise_tied` turns one into a concrete pipeline name (``step-3.46e-6+pcodec-8``) for a volume
and its noise σ; the concrete name is what gets written, checked and recorded.  A target of f·σ² is met on the
data itself, not only on paper: the step is rounded down to three significant digits and shrunk until the
quantisation error the data would get (measured on the values) stays at or under it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import information
from .grammar import CodecSpecError, float_text, parse_codec

__all__ = ["NOISE_TIED", "is_noise_tied", "resolve_noise_tied", "round_down", "validate_noise_tied"]

#: The noise-tied settings the study measures beside the ``lossy`` set's own.
NOISE_TIED = (
    "step-1%+pcodec-8",
    "step-0.1%+pcodec-8",
    "bitround-1%+blosc-zstd-5-shuffle",
    "bitround-0.1%+blosc-zstd-5-shuffle",
    "bitinfo-99%+blosc-zstd-5-shuffle",
    "bitinfo-99.9%+blosc-zstd-5-shuffle",
)

# family -> the units its amount may take; whether a compressor must follow.
_FAMILIES = {
    "step": (("%", "sigma"), True),
    "quantize": (("%",), True),
    "bitround": (("%",), True),
    "bitinfo": (("%",), True),
    "zfp-accuracy": (("sigma",), False),
}
_SYNTAX = (
    "step-<f>%, quantize-<f>%, bitround-<f>%, bitinfo-<p>% or step-<x>sigma then '+' and a pipeline "
    "(e.g. step-1%+pcodec-8), or zfp-accuracy-<x>sigma"
)


def _split(name: str) -> tuple[str, float, str, str] | None:
    """(family, amount, unit, rest) of a noise-tied name, or None if ``name`` is not one."""
    setting, _, rest = name.strip().lower().partition("+")
    for family, (units, _) in _FAMILIES.items():
        if not setting.startswith(family + "-"):
            continue
        amount = setting[len(family) + 1 :]
        for unit in units:
            if amount.endswith(unit):
                try:
                    value = float(amount[: -len(unit)])
                except ValueError:
                    raise CodecSpecError(f"{name!r}: {amount!r} is not a number followed by {unit}") from None
                return family, value, unit, rest
    return None


def is_noise_tied(name: str) -> bool:
    """Whether ``name`` is a noise-tied setting (resolved per volume) rather than a concrete pipeline."""
    try:
        return _split(name) is not None
    except CodecSpecError:
        return True


def validate_noise_tied(name: str) -> str:
    """Check a noise-tied name's grammar without data; its canonical form (lower case, stripped)."""
    split = _split(name)
    if split is None:
        raise CodecSpecError(f"{name!r} is not a noise-tied setting; give {_SYNTAX}")
    family, value, unit, rest = split
    needs_rest = _FAMILIES[family][1]
    if needs_rest and not rest:
        raise CodecSpecError(
            f"{name!r}: {family}-{unit} is a filter; add '+' and a compressor, e.g. +pcodec-8"
        )
    if not needs_rest and rest:
        raise CodecSpecError(f"{name!r}: {family} is a compressor; nothing may follow it")
    if unit == "%" and not 0 < value < 100:
        raise CodecSpecError(f"{name!r}: the percentage must lie between 0 and 100")
    if unit == "sigma" and not (math.isfinite(value) and value > 0):
        raise CodecSpecError(f"{name!r}: the multiple of sigma must be a positive number")
    if rest:
        parse_codec(f"bitround-8+{rest}")  # what follows must be a pipeline
    return name.strip().lower()


def round_down(value: float, digits: int = 3) -> float:
    """``value`` rounded down (towards zero) to ``digits`` significant decimal digits, as a float that prints
    short (3.4641e-6 -> 3.46e-6, never 3.47e-6)."""
    exponent = math.floor(math.log10(value)) - (digits - 1)
    mantissa = math.floor(value / 10.0**exponent)
    result = float(f"{mantissa}e{exponent}")
    while result > value and mantissa > 1:
        mantissa -= 1
        result = float(f"{mantissa}e{exponent}")
    return result


def _quantisation_noise(data: np.ndarray, step: float) -> float:
    """Mean square error of rounding the finite ``data`` to multiples of ``step``."""
    values = np.asarray(data, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(np.mean(np.square(values - step * np.rint(values / step)))) if values.size else 0.0


def _step_within(data: np.ndarray, sigma: float, fraction: float) -> float:
    """The largest three-digit step (at most √(12 f)·σ) whose rounding of ``data`` adds at most f·σ²."""
    target = fraction * sigma**2
    step = round_down(information.noise_step(sigma, fraction))
    for _ in range(20):
        added = _quantisation_noise(data, step)
        if added <= target:
            return step
        step = round_down(step * min(math.sqrt(target / added), 0.999))
    return step


def _quantize_digits(data: np.ndarray, sigma: float, fraction: float) -> int:
    """The fewest decimal digits whose Quantize step (a power of two ≤ 10^-d) adds at most f·σ²."""
    for digits in range(1, 16):
        step = 2.0 ** -math.ceil(math.log2(10.0**digits))
        if step**2 / 12 <= fraction * sigma**2 and _quantisation_noise(data, step) <= fraction * sigma**2:
            return digits
    return 15


def resolve_noise_tied(name: str, data: np.ndarray, sigma: float) -> str:
    """The concrete pipeline name for the noise-tied ``name`` on ``data`` with noise σ ``sigma``."""
    validate_noise_tied(name)
    family, value, unit, rest = _split(name)  # type: ignore[misc]
    if not (math.isfinite(sigma) and sigma > 0):
        raise CodecSpecError(f"{name!r} needs the data's noise σ, a positive number; got {sigma!r}")
    fraction = value / 100
    if family == "zfp-accuracy":
        return str(parse_codec(f"zfp-accuracy-{float_text(round_down(value * sigma))}"))
    if family == "step":
        size = round_down(value * sigma) if unit == "sigma" else _step_within(data, sigma, fraction)
        stage = f"step-{float_text(size)}"
    elif family == "quantize":
        stage = f"quantize-{_quantize_digits(data, sigma, fraction)}"
    elif family == "bitround":
        stage = f"bitround-{information.keepbits_for_noise(data, sigma, fraction)}"
    else:
        stage = f"bitround-{information.keepbits_for_information(data, fraction)}"
    return str(parse_codec(f"{stage}+{rest}"))
