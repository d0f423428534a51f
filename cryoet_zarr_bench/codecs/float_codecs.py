"""Compressors that understand floating-point arrays (array to bytes): pcodec and ZFP.

Both need an optional package (``pcodec``; ``zfpy==1.0.1`` -- 1.0.1.post0 breaks ``import numcodecs``); a
missing one raises :class:`~.grammar.CodecUnavailable`, which asv records as a skip.

ZFP's modes: ``reversible`` is lossless (numcodecs ``ZFPY(tolerance=-1)``); ``accuracy-<t>`` promises
``|error| <= t`` everywhere; ``precision-<p>`` keeps ``p`` bit planes per block and states no absolute bound.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .grammar import (
    CodecCannotExpress,
    CodecSpecError,
    CodecUnavailable,
    NumcodecsStage,
    float_text,
    parse_float,
    parse_level,
    register,
    require_float,
)

__all__ = ["PCODEC_LEVELS", "ZFP_MODES", "ZFP_PRECISIONS", "PCodec", "Zfp"]

PCODEC_LEVELS = range(0, 13)
ZFP_MODES = ("reversible", "accuracy", "precision")
ZFP_PRECISIONS = range(1, 33)
# zfpy.mode_fixed_precision, zfpy.mode_fixed_accuracy
_ZFPY_MODE = {"reversible": 4, "accuracy": 4, "precision": 3}


def _require_package(module: str, install: str, family: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise CodecUnavailable(f"{family} needs the {module!r} package; pip install {install!r}")


@register
@dataclass(frozen=True)
class PCodec(NumcodecsStage):
    """pcodec (Pco): numerical compression that learns the distribution of the values; lossless."""

    level: int

    family: ClassVar[str] = "pcodec"
    role: ClassVar[str] = "array_bytes"
    syntax: ClassVar[str] = "pcodec-<level 0-12>"

    @classmethod
    def parse(cls, arguments: str) -> PCodec:
        return cls(level=parse_level(cls.family, arguments, PCODEC_LEVELS))

    def __str__(self) -> str:
        return f"pcodec-{self.level}"

    def require(self) -> None:
        _require_package("pcodec", "numcodecs[pcodec]", self.family)

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        dtype = np.dtype(dtype)
        if dtype.kind not in "iuf" or dtype.itemsize < 2:
            raise CodecCannotExpress(f"{self} compresses 16-, 32- or 64-bit numbers, not {dtype}")
        return {"id": "pcodec", "level": self.level}


@register
@dataclass(frozen=True)
class Zfp(NumcodecsStage):
    """ZFP: block transform coding of floating-point arrays, in one of three modes."""

    mode: str
    tolerance: float | None = None
    precision: int | None = None

    family: ClassVar[str] = "zfp"
    role: ClassVar[str] = "array_bytes"
    syntax: ClassVar[str] = "zfp-reversible | zfp-accuracy-<tolerance> | zfp-precision-<bits 1-32>"

    def __post_init__(self) -> None:
        settings = {
            "reversible": (None, None),
            "accuracy": (self.tolerance, None),
            "precision": (None, self.precision),
        }
        if self.mode not in settings:
            raise CodecSpecError(f"unknown ZFP mode {self.mode!r}; valid: {', '.join(ZFP_MODES)}")
        expected = settings[self.mode]
        if [value is None for value in (self.tolerance, self.precision)] != [
            value is None for value in expected
        ]:
            raise CodecSpecError(
                f"ZFP mode {self.mode!r} takes {'no setting' if self.mode == 'reversible' else 'one'}"
            )

    @classmethod
    def parse(cls, arguments: str) -> Zfp:
        mode, _, setting = arguments.partition("-")
        if mode == "reversible" and not setting:
            return cls(mode)
        if mode == "accuracy" and setting:
            return cls(mode, tolerance=parse_float("zfp accuracy", setting))
        if mode == "precision" and setting:
            return cls(mode, precision=parse_level("zfp precision", setting, ZFP_PRECISIONS))
        raise CodecSpecError(f"unknown ZFP mode or missing setting in {arguments!r}")

    def __str__(self) -> str:
        if self.mode == "accuracy":
            return f"zfp-accuracy-{float_text(self.tolerance)}"
        if self.mode == "precision":
            return f"zfp-precision-{self.precision}"
        return "zfp-reversible"

    @property
    def lossless(self) -> bool:
        return self.mode == "reversible"

    def require(self) -> None:
        _require_package("zfpy", "zfpy==1.0.1", self.family)

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        require_float(str(self), dtype)
        if np.dtype(dtype).itemsize < 4:
            raise CodecCannotExpress(f"{self} compresses float32 or float64 data; it would receive {dtype}")
        return {
            "id": "zfpy",
            "mode": _ZFPY_MODE[self.mode],
            "tolerance": self.tolerance if self.mode == "accuracy" else -1,
            "rate": -1,
            "precision": self.precision if self.mode == "precision" else -1,
        }

    def error_bound(self, original: np.ndarray) -> float | None:
        if self.mode == "accuracy":
            return self.tolerance
        return 0.0 if self.mode == "reversible" else None
