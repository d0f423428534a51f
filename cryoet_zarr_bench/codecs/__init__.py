"""Codec pipelines: one short string form, parsed in one place, translated to both Zarr formats.

Grammar (see :mod:`.grammar`): zero or more filters joined by ``+`` before one compressor::

    none                      no compression
    blosc-<cname>-<level>-<shuffle>
                              Blosc; cname in blosclz, lz4, lz4hc, zlib, zstd; level 1-9;
                              shuffle in noshuffle, shuffle, bitshuffle
    zstd-<level>              standalone Zstandard, level 1-22
    gzip-<level>              gzip (zlib deflate), level 1-9
    pcodec-<level>            pcodec, level 0-12 (float-aware, lossless; needs ``pcodec``)
    pcodec-<level>-pages-<n>  pcodec fitting its model to pages of at most n values (default 2^18)
    zfp-reversible            ZFP's lossless mode (needs ``zfpy==1.0.1``)
    zfp-accuracy-<t>          ZFP, |error| <= t
    zfp-precision-<p>         ZFP, p bit planes (no stated absolute bound)
    bitround-<k>+...          filter: keep k mantissa bits
    quantize-<d>+...          filter: round to a power-of-two step of d decimal digits
    step-<Δ>+...              filter: uniform quantiser of step Δ (FixedScaleOffset to int32)

``str(spec)`` gives the string back and ``parse_codec(str(spec)) == spec``.  A spec translates to Zarr
format 2 (numcodecs ``filters`` + ``compressor``: :meth:`CodecSpec.zarr_v2`) and format 3 (array-to-array,
array-to-bytes and bytes-to-bytes codecs: :meth:`CodecSpec.zarr_v3`), all as plain dictionaries, so this
package needs neither zarr nor a particular numcodecs version.  What cannot be stored raises a
``NotImplementedError`` subclass (:class:`CodecUnavailable`, :class:`CodecCannotExpress`) that asv records
as a skip with its reason.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..volume import same_bits
from . import compressors, filters, float_codecs  # noqa: F401  (each registers its families)
from .compressors import BLOSC_CNAMES, BLOSC_SHUFFLES, LEVELS
from .grammar import (
    FAMILIES,
    CodecCannotExpress,
    CodecSpec,
    CodecSpecError,
    CodecUnavailable,
    parse_codec,
)
from .noise import NOISE_TIED, is_noise_tied, resolve_noise_tied, validate_noise_tied

__all__ = [
    "BLOSC_CNAMES",
    "BLOSC_SHUFFLES",
    "CODEC_SETS",
    "FAMILIES",
    "NOISE_TIED",
    "CodecCannotExpress",
    "CodecSpec",
    "CodecSpecError",
    "CodecUnavailable",
    "ErrorBoundExceeded",
    "ErrorCheck",
    "check_error_bound",
    "codec_set",
    "error_check",
    "is_noise_tied",
    "parse_codec",
    "resolve_noise_tied",
    "validate_noise_tied",
]


class ErrorBoundExceeded(AssertionError):
    """Decoded data broke the error guarantee of the codec that encoded it."""


@dataclass(frozen=True)
class ErrorCheck:
    """How a decoded copy compares with its original under the codec's own guarantee.

    ``guarantee`` is ``"exact"`` (lossless), ``"bound"`` (a stated per-element bound) or ``"none"`` (the codec
    states no bound: only the error is reported).  ``worst_fraction`` is the largest ``|error| / allowed``
    (≤ 1 within the bound; 0 for lossless codecs that round-tripped).  ``within`` is None when nothing is
    promised.  Non-finite values must come back as they were (NaN as NaN, ±Inf as itself):
    ``nonfinite_changed`` counts those that did not, and any such value, like any NaN error, breaks every
    guarantee (``max_abs_error`` is then inf).
    """

    codec: str
    guarantee: str
    max_abs_error: float
    worst_fraction: float | None
    within: bool | None
    nonfinite_changed: int = 0

    def describe(self) -> str:
        changed = f", {self.nonfinite_changed} NaN/Inf values changed" if self.nonfinite_changed else ""
        if self.guarantee == "exact":
            return "exact" if self.within else f"NOT EXACT{changed}"
        if self.guarantee == "none":
            return f"no bound stated{changed}"
        return f"within ({self.worst_fraction:.2f} of bound)" if self.within else f"BOUND BROKEN{changed}"


def _errors(original: np.ndarray, decoded: np.ndarray) -> tuple[np.ndarray, int]:
    """|decoded - original| per element, 0 where a non-finite value came back as itself and inf where one
    did not or a finite value came back non-finite; and how many non-finite values of either side differ."""
    o, d = original.astype(np.float64), decoded.astype(np.float64)
    finite = np.isfinite(o) & np.isfinite(d)
    with np.errstate(invalid="ignore"):
        error = np.where(finite, np.abs(d - o), 0.0)
    if finite.all():
        return error, 0
    same = (np.isnan(o) & np.isnan(d)) | (o == d)  # NaN for NaN, or the same infinity
    changed = ~finite & ~same
    error[changed] = np.inf
    return error, int(changed.sum())


def error_check(spec: CodecSpec | str, original: np.ndarray, decoded: np.ndarray) -> ErrorCheck:
    """Compare ``decoded`` with ``original`` under ``spec``'s guarantee (see :class:`ErrorCheck`)."""
    spec = parse_codec(spec)
    if original.shape != decoded.shape:
        raise ValueError(f"decoded shape {decoded.shape} differs from the original's {original.shape}")
    error, changed = _errors(original, decoded)
    max_abs_error = float(error.max(initial=0.0))
    if spec.lossless:
        exact = same_bits(original, decoded)
        return ErrorCheck(str(spec), "exact", max_abs_error, 0.0 if exact else None, exact, changed)
    allowed = spec.error_bound(original)
    if allowed is None:
        return ErrorCheck(str(spec), "none", max_abs_error, None, False if changed else None, changed)
    allowed = np.broadcast_to(allowed, error.shape)
    with np.errstate(invalid="ignore"):
        # A non-finite original allows nothing but itself back (its error is 0 then, inf otherwise).
        allowed = np.where(np.isfinite(allowed), allowed, 0.0)
    broken = error > allowed
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = np.where(allowed > 0, error / allowed, np.where(error > 0, np.inf, 0.0))
    within = not broken.any() and changed == 0 and math.isfinite(max_abs_error)
    return ErrorCheck(
        str(spec), "bound", max_abs_error, float(fractions.max(initial=0.0)), within, changed
    )


def check_error_bound(spec: CodecSpec | str, original: np.ndarray, decoded: np.ndarray) -> ErrorCheck:
    """:func:`error_check`, raising :class:`ErrorBoundExceeded` if the codec's promise was broken."""
    check = error_check(spec, original, decoded)
    if check.within is False:
        raise ErrorBoundExceeded(
            f"{check.codec} broke its guarantee ({check.guarantee}): max |error| {check.max_abs_error:.3g}, "
            f"worst error / allowed = {check.worst_fraction}"
        )
    return check


def _all_codecs() -> tuple[str, ...]:
    blosc = (
        f"blosc-{cname}-{level}-{shuffle}"
        for cname, shuffle, level in itertools.product(BLOSC_CNAMES, BLOSC_SHUFFLES, LEVELS["blosc"])
    )
    standalone = (f"{family}-{level}" for family in ("zstd", "gzip") for level in LEVELS[family])
    return ("none", *blosc, *standalone)


# The portal's codec (Blosc-LZ4, level 5, byte shuffle), no compression, and the two Zstandard alternatives
# the project's first measurement compared it with (1.00 / 1.09 / 1.17 / 1.08 on a real 128³ crop of
# TS_100_3).
_BASELINE = ("none", "blosc-lz4-5-shuffle", "blosc-zstd-5-shuffle", "zstd-5")
# Float-aware lossless codecs, plus bit shuffling (Blosc's) before zstd and lz4.  Blosc2's bytedelta filter is
# not among them: neither numcodecs nor zarr-python exposes it (only python-blosc2 does, outside Zarr).
_FLOAT = ("pcodec-8", "zfp-reversible", "blosc-zstd-5-bitshuffle", "blosc-lz4-5-bitshuffle")
# A sweep of each lossy family.  BitRound's and ZFP precision's settings are scale-free; the others are tied
# to the volume's noise σ (resolved per volume, see .noise), so they mean the same on data of any scale: the
# steps add 0.1-2% of the noise variance, Quantize's digits 0.01-50%, ZFP's tolerance is 0.01-1 σ.
_LOSSY = (
    *(f"bitround-{bits}+blosc-zstd-5-shuffle" for bits in (2, 4, 6, 8, 10, 12, 14, 16)),
    *(f"quantize-{share}%+blosc-zstd-5-shuffle" for share in ("0.01", "1", "50")),
    *(f"step-{share}%+pcodec-8" for share in ("0.1", "0.5", "1", "2")),
    # pcodec fitted per page of 16384 values: Zarr's zero padding of an edge chunk then costs almost nothing
    # (a 220-image stack at 64³ chunks: 0.85 -> 0.90 of the Gaussian reference; docs/codec-study.md).
    "step-1%+pcodec-8-pages-16384",
    "step-1%+blosc-zstd-5-shuffle",
    *(f"zfp-accuracy-{multiple}sigma" for multiple in ("0.01", "0.03", "0.1", "0.3", "1")),
    *(f"zfp-precision-{bits}" for bits in (8, 12, 16, 20)),
)

#: Named sets of codecs, for the command line and the asv suite's ``CRYOET_ZARR_BENCH_CODECS``.
CODEC_SETS: dict[str, tuple[str, ...]] = {
    # The portal's codec and the three it is measured against by default.
    "baseline": _BASELINE,
    # Every Blosc compressor and shuffle at level 5, plus the standalone codecs at level 5.
    "shuffles": (
        "none",
        *(f"blosc-{cname}-5-{shuffle}" for cname in BLOSC_CNAMES for shuffle in BLOSC_SHUFFLES),
        "zstd-5",
        "gzip-5",
    ),
    # Every single lossless general-purpose compressor configuration.
    "all": _all_codecs(),
    # Float-aware lossless codecs.
    "float": _FLOAT,
    # A sweep of every lossy family.
    "lossy": _LOSSY,
    # The codec study: the baseline, the float-aware codecs and the lossy sweep.
    "study": (*_BASELINE, *_FLOAT, *_LOSSY),
}


def codec_set(text: str) -> tuple[str, ...]:
    """Codec names from a set name in :data:`CODEC_SETS` or a comma-separated list of codec names.

    Each name is validated and returned in its canonical form; noise-tied names (``step-1%+pcodec-8``,
    resolved per volume by :func:`resolve_noise_tied`) are checked for their grammar only.
    """
    names = CODEC_SETS.get(text.strip())
    if names is None:
        names = tuple(name for name in text.split(",") if name.strip())
        if not names:
            raise CodecSpecError(
                f"no codecs in {text!r}; give a set ({', '.join(CODEC_SETS)}) or comma-separated codec names"
            )
    return tuple(
        validate_noise_tied(name) if is_noise_tied(name) else str(parse_codec(name)) for name in names
    )
