"""Compressors that understand floating-point arrays (array to bytes): pcodec and ZFP.

Both need an optional package (``pcodec``; ``zfpy==1.0.1`` -- 1.0.1.post0 breaks ``import numcodecs``); a
missing one raises :class:`~.grammar.CodecUnavailable`, which asv records as a skip.

ZFP's modes: ``reversible`` is lossless (numcodecs ``ZFPY(tolerance=-1)``); ``accuracy-<t>`` promises
``|error| <= t`` everywhere, plus one unit in the last place of the largest value of the value's 4x4x4 block
(the rounding to float32 far from zero, where that unit exceeds ``t``); ``precision-<p>`` keeps ``p`` bit
planes per block and states no absolute bound.
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

__all__ = ["PCODEC_LEVELS", "PCODEC_PAGES", "ZFP_MODES", "ZFP_PRECISIONS", "PCodec", "Zfp"]

PCODEC_LEVELS = range(0, 13)
#: Values per pcodec page: pcodec's own limit on a chunk's length is 2^24.
PCODEC_PAGES = range(1, 2**24 + 1)
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
    """pcodec (Pco): numerical compression that learns the distribution of the values; lossless.

    ``pages``: pcodec splits a Zarr chunk into equal pages of at most this many values and fits its value
    distribution to each page on its own (numcodecs' ``equal_pages_up_to``; None keeps numcodecs' default,
    2^18 = one 64³ chunk).  Smaller pages cost about 60 bytes each but let an all-zero page cost almost
    nothing: Zarr pads an edge chunk with the fill value, and in one page with the data those zeros cost
    about a bit each (measured: a 41-image tilt stack at 64³ chunks, step-1%: 6.8× with one page per chunk,
    8.4× with pages of 16384 values).
    """

    level: int
    pages: int | None = None

    family: ClassVar[str] = "pcodec"
    role: ClassVar[str] = "array_bytes"
    syntax: ClassVar[str] = "pcodec-<level 0-12>[-pages-<values per page, 1-2^24>]"

    @classmethod
    def parse(cls, arguments: str) -> PCodec:
        level, _, paging = arguments.partition("-")
        if not paging:
            return cls(level=parse_level(cls.family, level, PCODEC_LEVELS))
        word, _, size = paging.partition("-")
        if word != "pages" or not size:
            raise CodecSpecError(f"pcodec takes a level and optionally -pages-<n>, got {arguments!r}")
        if not size.isdigit() or int(size) not in PCODEC_PAGES:
            largest = PCODEC_PAGES.stop - 1
            raise CodecSpecError(f"pcodec pages must be a whole number 1-{largest}, got {size!r}")
        return cls(level=parse_level(cls.family, level, PCODEC_LEVELS), pages=int(size))

    def __str__(self) -> str:
        return f"pcodec-{self.level}" + (f"-pages-{self.pages}" if self.pages is not None else "")

    def require(self) -> None:
        _require_package("pcodec", "numcodecs[pcodec]", self.family)

    def numcodecs_config(self, dtype: np.dtype) -> dict[str, Any]:
        dtype = np.dtype(dtype)
        if dtype.kind not in "iuf" or dtype.itemsize < 2:
            raise CodecCannotExpress(f"{self} compresses 16-, 32- or 64-bit numbers, not {dtype}")
        config: dict[str, Any] = {"id": "pcodec", "level": self.level}
        if self.pages is not None:
            config["equal_pages_up_to"] = self.pages
        return config


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

    def error_bound(self, original: np.ndarray) -> np.ndarray | float | None:
        if self.mode == "accuracy":
            # ZFP meets the tolerance in the block-floating-point arithmetic of its 4x4x4 blocks, then rounds
            # to the stored type: far from zero, where one unit in the last place (ulp) of the block's largest
            # value exceeds the tolerance, a value may be off by that ulp (measured: 7.6e-6 in blocks of
            # values near 100, for a tolerance of 1e-6).  Every block holding a voxel lies within 3 voxels of
            # it, whatever the chunk grid: the largest |value| that near stands for the block's.
            values = np.abs(np.asarray(original))
            if values.dtype.kind != "f":
                return self.tolerance
            return self.tolerance + np.spacing(_neighbourhood_max(values, 3)).astype(np.float64)
        return 0.0 if self.mode == "reversible" else None


def _neighbourhood_max(values: np.ndarray, radius: int) -> np.ndarray:
    """The largest value within ``radius`` voxels along every axis (a separable maximum filter)."""
    result = values
    for axis in range(values.ndim):
        padded = np.moveaxis(result, axis, 0)
        out = padded.copy()
        for shift in range(1, radius + 1):
            np.maximum(out[shift:], padded[:-shift], out=out[shift:])
            np.maximum(out[:-shift], padded[shift:], out=out[:-shift])
        result = np.moveaxis(out, 0, axis)
    return result
