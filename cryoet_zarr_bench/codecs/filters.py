"""Lossy filters (array to array) that drop what a float holds below a chosen precision.

Each states its own error guarantee (:meth:`error_bound`), checked on every write by the benchmarks:

``bitround-<k>``    numcodecs ``BitRound``: round the mantissa to ``k`` bits (round to nearest, ties to even);
                    ``|error| <= |x| * 2**-(k+1)`` (a relative bound).
``quantize-<d>``    numcodecs ``Quantize``: round to a power-of-two step of at least ``d`` decimal digits,
                    ``step = 2**-ceil(log2(10**d))``; ``|error| <= step / 2`` (an absolute bound).  The step
                    is absolute, so ``d`` must suit the data's scale (portal tomograms: σ ≈ 1e-5, ``d`` 6-8).
``step-<Δ>``        numcodecs ``FixedScaleOffset`` to int32 with scale ``1/Δ``: a uniform quantiser of step Δ
                    (adds Δ²/12 of variance); ``|error| <= Δ/2`` plus float32 rounding.  Chosen from the noise
                    σ, Δ is the noise-aware step (:func:`cryoet_zarr_bench.information.noise_step`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .grammar import (
    CodecCannotExpress,
    NumcodecsStage,
    float_text,
    parse_float,
    parse_level,
    register,
    require_float,
)

__all__ = ["BitRound", "Quantize", "Step"]

_MANTISSA_BITS = {2: 10, 4: 23, 8: 52}


class _LossyFilter(NumcodecsStage):
    """An array-to-array numcodecs filter that drops precision (so never lossless)."""

    role: ClassVar[str] = "array_array"

    @property
    def lossless(self) -> bool:
        return False


@register
@dataclass(frozen=True)
class BitRound(_LossyFilter):
    keepbits: int

    family: ClassVar[str] = "bitround"
    syntax: ClassVar[str] = "bitround-<mantissa bits kept 0-52>"

    @classmethod
    def parse(cls, arguments: str) -> BitRound:
        return cls(keepbits=parse_level(cls.family, arguments, range(0, 53)))

    def __str__(self) -> str:
        return f"bitround-{self.keepbits}"

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        require_float(str(self), dtype)
        if self.keepbits > _MANTISSA_BITS[np.dtype(dtype).itemsize]:
            bits = _MANTISSA_BITS[np.dtype(dtype).itemsize]
            raise CodecCannotExpress(f"{self}: {np.dtype(dtype)} has only {bits} mantissa bits")
        return {"id": "bitround", "keepbits": self.keepbits}

    def encoded_dtype(self, dtype: np.dtype) -> np.dtype:
        # numcodecs' BitRound hands on the rounded floats' bits, as integers of the same size.
        return np.dtype(f"<i{np.dtype(dtype).itemsize}")

    def error_bound(self, original: np.ndarray) -> np.ndarray:
        return np.abs(original.astype(np.float64)) * 2.0 ** -(self.keepbits + 1)


@register
@dataclass(frozen=True)
class Quantize(_LossyFilter):
    digits: int

    family: ClassVar[str] = "quantize"
    syntax: ClassVar[str] = "quantize-<decimal digits 1-15>"

    @classmethod
    def parse(cls, arguments: str) -> Quantize:
        return cls(digits=parse_level(cls.family, arguments, range(1, 16)))

    def __str__(self) -> str:
        return f"quantize-{self.digits}"

    @property
    def step(self) -> float:
        """numcodecs Quantize's step: the power of two at or below ``10**-digits``."""
        return 2.0 ** -math.ceil(math.log2(10.0**self.digits))

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        require_float(str(self), dtype)
        dtype = np.dtype(dtype).str
        return {"id": "quantize", "digits": self.digits, "dtype": dtype, "astype": dtype}

    def error_bound(self, original: np.ndarray) -> float:
        return self.step / 2


@register
@dataclass(frozen=True)
class Step(_LossyFilter):
    size: float

    family: ClassVar[str] = "step"
    syntax: ClassVar[str] = "step-<quantisation step, e.g. 3.5e-6>"

    @classmethod
    def parse(cls, arguments: str) -> Step:
        return cls(size=parse_float(cls.family, arguments))

    def __str__(self) -> str:
        return f"step-{float_text(self.size)}"

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        require_float(str(self), dtype)
        return {
            "id": "fixedscaleoffset",
            "offset": 0,
            "scale": 1.0 / self.size,
            "dtype": np.dtype(dtype).str,
            "astype": "<i4",
        }

    def encoded_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.dtype("<i4")

    def check_values(self, values: np.ndarray) -> None:
        """NaN and ±Inf have no integer code, and values beyond ±2^31 steps overflow int32: refuse both, or
        they would decode as garbage (NaN became -2147.48 at a step of 1e-6)."""
        values = np.asarray(values)
        if values.dtype.kind != "f" or values.size == 0:
            return
        finite = np.isfinite(values)
        if not finite.all():
            nan = int(np.isnan(values).sum())
            inf = int(values.size - finite.sum()) - nan
            raise CodecCannotExpress(
                f"{self} cannot encode non-finite values ({nan} NaN, {inf} ±Inf in the data): a uniform "
                "quantiser to int32 has no code for them; use a lossless codec, bitround-<k> or "
                "quantize-<d>, or replace them in the data first"
            )
        largest = float(np.max(np.abs(values)))
        if largest / self.size >= 2.0**31 - 1:
            raise CodecCannotExpress(
                f"{self}: the data reach |x| = {largest:.3g}, {largest / self.size:.3g} steps, beyond "
                f"int32's range; use a step of at least {float_text(float(f'{largest / 2**30:.2g}'))}"
            )

    def error_bound(self, original: np.ndarray) -> np.ndarray:
        # Half a step, plus float32 rounding of x/Δ (before it is rounded to an integer) and of the result.
        return self.size / 2 + np.abs(original.astype(np.float64)) * 2.0**-22
