"""How far any codec could go: limits beside every ratio, and precision chosen from the noise.  numpy only.

Lossless limit
    :func:`byte_plane_entropy`: order-0 entropy of each byte plane of the values (the planes a byte shuffle
    makes; plane 0 holds the least significant bytes), and :func:`entropy_ratio_limit`, the ratio a coder
    reaching those entropies would get (raw bits ÷ summed plane entropies).  An estimate, not a bound: a
    context-modelling coder can beat it on correlated data, and a real coder pays overheads.
Lossy reference
    :class:`GaussianReference`: the rate a Gaussian source with the data's own measured power spectrum needs
    at a distortion D (mean squared error per value), by reverse water-filling over the spectrum S(k):
    R = Σ_k max(0, ½·log2(S(k)/θ)) with Σ_k min(θ, S(k)) = D, both per value; the reference ratio is
    ``bits / R``.  A Gaussian source is the hardest of a given spectrum, so real data, which are not
    Gaussian, may beat it: a *reference*, not a bound.  :func:`rate_distortion_ratio` is the same for a white
    spectrum of variance σ² (½·log2(σ²/D)), kept for the plain formula.
Noise-aware precision
    :func:`noise_step` (a uniform quantiser's step adding ``f·σ²`` of variance: Δ = √(12 f)·σ),
    :func:`keepbits_for_noise` (BitRound's mantissa bits whose rounding adds at most ``f·σ²``) and
    :func:`bit_information` / :func:`keepbits_for_information`, the bitwise real information content of
    Klöwer et al. 2021 (Nature Computational Science 1, 713–724): the mutual information between each bit of
    a value and the same bit of its neighbour along x, insignificant values (below what random bits reach
    with 99% confidence) set to zero; keep the mantissa bits holding 99% (or 99.9%) of the total.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "GaussianReference",
    "bit_information",
    "byte_plane_entropy",
    "entropy_ratio_limit",
    "keepbits_for_information",
    "keepbits_for_noise",
    "noise_step",
    "rate_distortion_ratio",
]

_EXPONENT_BITS = {2: 5, 4: 8, 8: 11}
# The two-sided 99% quantile of the standard normal distribution.
_Z99 = 2.5758293035489


def byte_plane_entropy(data: np.ndarray) -> np.ndarray:
    """Order-0 entropy (bits per byte) of each byte plane of little-endian ``data`` (plane 0: lowest byte)."""
    values = np.ascontiguousarray(data, dtype=np.asarray(data).dtype.newbyteorder("<"))
    planes = values.view(np.uint8).reshape(-1, values.dtype.itemsize)
    entropies = []
    for plane in planes.T:
        p = np.bincount(plane, minlength=256) / plane.size
        p = p[p > 0]
        entropies.append(float(-(p * np.log2(p)).sum()))
    return np.array(entropies)


def entropy_ratio_limit(data: np.ndarray) -> float:
    """Raw size ÷ the size an order-0 coder of each byte plane would reach: ``8·itemsize / Σ H(plane)``."""
    return 8 * np.asarray(data).dtype.itemsize / float(byte_plane_entropy(data).sum())


def rate_distortion_ratio(added_noise_fraction: float, bits_per_value: int = 32) -> float:
    """The Gaussian reference ratio of a *white* source of variance σ² at distortion ``D = f·σ²``:
    ``bits / (½·log2(1/f))``; :class:`GaussianReference` is the one for a measured spectrum."""
    if added_noise_fraction >= 1:
        return math.inf
    return bits_per_value / (0.5 * math.log2(1 / added_noise_fraction))


class GaussianReference:
    """The rate–distortion function of a Gaussian source with a measured power spectrum (see the module
    docstring): build it once per volume with :meth:`of`, then ask :meth:`ratio` at any distortion.

    The spectrum is the periodogram ``|F(k)|²/N`` of the mean-free data, smoothed over each coefficient's
    3×3×3 neighbourhood in Fourier space (a single periodogram value scatters like an exponential variable,
    which would bias the rate low by about 0.4 bit), and kept as ``levels``: the means of
    :data:`LEVELS` equal-count bins of the sorted values, so the reference pickles small.
    """

    LEVELS = 8192

    def __init__(self, levels: np.ndarray, bits_per_value: int) -> None:
        self.levels = np.sort(np.asarray(levels, dtype=np.float64))
        self.bits_per_value = bits_per_value

    @classmethod
    def of(cls, data: np.ndarray) -> GaussianReference:
        values = np.asarray(data, dtype=np.float64)
        values = np.where(np.isfinite(values), values, 0.0)
        values = values - values.mean()
        spectrum = np.abs(np.fft.fftn(values)) ** 2 / values.size
        smoothed = spectrum
        for axis in range(values.ndim):
            if values.shape[axis] >= 3:
                smoothed = (smoothed + np.roll(smoothed, 1, axis) + np.roll(smoothed, -1, axis)) / 3
        ordered = np.sort(smoothed.ravel())
        bins = np.array_split(ordered, min(cls.LEVELS, ordered.size))
        return cls(np.array([b.mean() for b in bins]), 8 * np.asarray(data).dtype.itemsize)

    @property
    def variance(self) -> float:
        """The data's variance (the mean of the spectrum)."""
        return float(self.levels.mean())

    def rate(self, distortion: float) -> float:
        """Bits per value a Gaussian source of this spectrum needs at mean squared error ``distortion``."""
        s = self.levels
        if distortion >= s.mean():
            return 0.0
        if distortion <= 0:
            return math.inf
        # Σ min(θ, s) / n = D: with s sorted, θ lies between s[i-1] and s[i] for the i where it fits.
        n = s.size
        below = np.concatenate([[0.0], np.cumsum(s)])[:-1]  # Σ s[:i]
        theta = (n * distortion - below) / (n - np.arange(n))
        lower = np.concatenate([[0.0], s[:-1]])
        i = int(np.flatnonzero((theta >= lower) & (theta <= s))[0])
        return float(np.sum(0.5 * np.log2(s[i:] / theta[i])) / n)

    def ratio(self, distortion: float) -> float:
        """The reference compression ratio at mean squared error ``distortion``: ``bits / R(D)``."""
        rate = self.rate(distortion)
        return math.inf if rate == 0 else self.bits_per_value / rate

    def fraction(self, ratio: float, distortion: float) -> float | None:
        """``ratio`` as a share of the reference's at the same distortion (it may exceed 1); None for a
        setting that was exact on the data (e.g. ``bitround-16`` on integer counts stored as float32): at zero
        distortion the reference needs unbounded bits."""
        reference = self.ratio(distortion)
        return ratio / reference if reference else None


def noise_step(sigma: float, added_noise_fraction: float) -> float:
    """The uniform quantisation step that adds ``added_noise_fraction · σ²`` of variance: Δ²/12 = f·σ²."""
    return math.sqrt(12 * added_noise_fraction) * sigma


def keepbits_for_noise(data: np.ndarray, sigma: float, added_noise_fraction: float) -> int:
    """The fewest mantissa bits whose rounding (BitRound) adds at most ``f·σ²`` of variance on ``data``.

    Keeping k bits of a value of exponent e rounds it to a grid of step 2^(e-k); uniform rounding error then
    has variance 4^(e-k)/12, whose mean over the data must stay under ``f·σ²``.
    """
    values = np.asarray(data)
    _, exponent = np.frexp(values[values != 0].astype(np.float64))  # |x| = m·2^exponent, m in [0.5, 1)
    mean_ulp2 = float(np.mean(np.exp2(2.0 * (exponent - 1))))
    mantissa = _mantissa_bits(values.dtype)
    k = math.ceil(0.5 * math.log2(mean_ulp2 / (12 * added_noise_fraction * sigma**2)))
    return min(max(k, 0), mantissa)


def _mantissa_bits(dtype: np.dtype) -> int:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"bit information is defined here for floats; got {dtype}")
    return 8 * dtype.itemsize - 1 - _EXPONENT_BITS[dtype.itemsize]


def bit_information(data: np.ndarray, axis: int = -1) -> np.ndarray:
    """Bitwise real information content (bits) of each bit position, most significant (sign) first.

    For each bit position: the mutual information between the bit in a value and the same bit in its
    neighbour along ``axis``, from the 2×2 joint frequencies; values a random bit sequence of this length
    would reach with 99% confidence count as zero.
    """
    values = np.asarray(data)
    nbits = 8 * values.dtype.itemsize
    unsigned = np.ascontiguousarray(values).view(f"<u{values.dtype.itemsize}")
    a = np.moveaxis(unsigned, axis, -1)[..., :-1].ravel()
    b = np.moveaxis(unsigned, axis, -1)[..., 1:].ravel()
    n = a.size
    p_random = 0.5 + _Z99 / (2 * math.sqrt(n))
    threshold = 1 - _binary_entropy(p_random)
    information = np.zeros(nbits)
    for position in range(nbits):
        shift = np.array(nbits - 1 - position, dtype=unsigned.dtype)
        bit_a = ((a >> shift) & 1).astype(np.int64)
        bit_b = ((b >> shift) & 1).astype(np.int64)
        joint = np.bincount(2 * bit_a + bit_b, minlength=4).reshape(2, 2) / n
        pa, pb = joint.sum(axis=1), joint.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = joint * np.log2(joint / np.outer(pa, pb))
        mutual = float(np.nansum(terms))
        information[position] = mutual if mutual > threshold else 0.0
    return information


def _binary_entropy(p: float) -> float:
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def keepbits_for_information(data: np.ndarray, fraction: float = 0.99) -> int:
    """Mantissa bits to keep so that sign, exponent and kept bits hold ``fraction`` of the information."""
    information = bit_information(data)
    total = information.sum()
    exponent = _EXPONENT_BITS[np.asarray(data).dtype.itemsize]
    if total == 0:
        return 0
    needed = int(np.searchsorted(np.cumsum(information) / total, fraction)) + 1  # bits from the top
    return min(max(needed - 1 - exponent, 0), _mantissa_bits(np.asarray(data).dtype))
