"""The noise σ a lossy codec's added error is measured against, estimated every way the data allow (numpy).

Estimates
    :func:`sigma_from_halves`: two half-volumes (odd/even tomograms) hold the same signal and independent
    noise, so their difference holds only noise (variance 2σ²).  The one estimate that needs no model of the
    noise; when the volume itself is (a multiple of) the halves' average, its σ is scaled accordingly.
    :func:`sigma_spectral`: the mean power of the highest-frequency Fourier coefficients (|k| ≥ 0.4
    cycles/voxel), where a tomogram holds little but noise; exact for white noise, an underestimate for
    noise a reconstruction filter has damped there.
    :func:`sigma_mad`: 1.4826 · the median absolute deviation of neighbour differences along x, ÷ √2; robust
    to sparse strong features, but on a map (signal-dominated, spatially correlated) it measures texture,
    not noise, and differs from axis to axis.
The choice
    :func:`estimate_noise` makes every estimate it can, uses a stated σ, else the halves', else the spectral
    one, and says why (:class:`NoiseEstimate`); it warns when the estimates disagree by more than
    :data:`DISAGREEMENT` or when σ is far below the data's standard deviation (:data:`SIGNAL_DOMINATED`):
    then the volume is mostly signal, "added noise" is a share of something small, and only halves or a
    stated σ make the verdict mean what it says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DISAGREEMENT",
    "SIGNAL_DOMINATED",
    "NoiseEstimate",
    "estimate_noise",
    "sigma_from_halves",
    "sigma_mad",
    "sigma_spectral",
]

#: Estimates further apart than this factor get a warning.
DISAGREEMENT = 1.5
#: σ below this share of the data's standard deviation gets a warning: the volume is mostly signal.
SIGNAL_DOMINATED = 0.2
#: Fourier coefficients at or beyond this frequency (cycles/voxel) make the spectral estimate.
SPECTRAL_BAND = 0.4

HALVES = "half-volumes"
STATED = "stated"
SPECTRAL = "spectral (|k| >= 0.4 cycles/voxel)"
MAD = "MAD of neighbour differences"


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def sigma_from_halves(half1: np.ndarray, half2: np.ndarray, volume: np.ndarray | None = None) -> float:
    """σ of the noise in ``volume``, from two half-volumes of it: ``std(half1 - half2) / √2`` is each half's.

    When ``volume`` is (a multiple ``a`` of) the halves' average, as a full tomogram beside its odd/even
    halves is, its noise is ``|a| · σ / √2``; a volume that is no such combination (e.g. a third, independent
    realisation) is given the halves' σ.
    """
    h1, h2 = _f64(half1), _f64(half2)
    if h1.shape != h2.shape:
        raise ValueError(f"the half-volumes differ in shape: {h1.shape} and {h2.shape}")
    sigma = float(np.std(h1 - h2) / math.sqrt(2))
    if volume is None:
        return sigma
    v = _f64(volume)
    if v.shape != h1.shape:
        raise ValueError(f"the half-volumes are {h1.shape}, the volume {v.shape}: they must match")
    average = (h1 + h2) / 2 - np.mean((h1 + h2) / 2)
    centred = v - v.mean()
    power = float(np.mean(average * average))
    if power == 0:
        return sigma
    a = float(np.mean(centred * average)) / power
    residual = float(np.mean(np.square(centred - a * average)))
    if residual <= 0.01 * sigma**2:  # the volume is the halves' average (up to a scale)
        return abs(a) * sigma / math.sqrt(2)
    return sigma


def sigma_spectral(volume: np.ndarray, band: float = SPECTRAL_BAND) -> float:
    """σ of white noise from the mean power of the Fourier coefficients at |k| ≥ ``band`` cycles/voxel.

    With numpy's unnormalised FFT, white noise of variance σ² gives ``E|F(k)|² = N σ²`` at every k.
    """
    a = _f64(volume)
    a = a - a.mean()
    spectrum = np.abs(np.fft.rfftn(a)) ** 2
    freqs = [np.fft.fftfreq(n) for n in a.shape[:-1]] + [np.fft.rfftfreq(a.shape[-1])]
    radius2 = sum(
        np.square(f).reshape([-1 if i == j else 1 for j in range(a.ndim)]) for i, f in enumerate(freqs)
    )
    # An axis of length 1 (a single image) has only k = 0 there: its band is judged in the other axes.
    high = np.broadcast_to(radius2 >= band**2, spectrum.shape)
    if not high.any():
        raise ValueError(f"a volume of shape {a.shape} has no Fourier coefficient at |k| >= {band}")
    return float(math.sqrt(spectrum[high].mean() / a.size))


def sigma_mad(volume: np.ndarray) -> float:
    """σ of white noise: 1.4826 · MAD of neighbour differences along x, divided by √2."""
    d = np.diff(_f64(volume), axis=-1).ravel()
    if d.size == 0:
        return math.nan
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2))


@dataclass(frozen=True)
class NoiseEstimate:
    """A volume's noise σ, which estimate it is, every estimate made and what to beware of.

    ``estimates`` maps each method (``stated``, ``half-volumes``, ``spectral …``, ``MAD …``) to its σ;
    ``method`` names the one used; ``data_std`` is the volume's standard deviation; ``warnings`` are
    one-line notes (estimates disagree, σ far below the data's standard deviation).  ``halves`` are the
    half-volumes when there are any (for the half-map figures).
    """

    sigma: float
    method: str
    estimates: dict[str, float]
    data_std: float
    warnings: tuple[str, ...] = ()
    halves: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        """One line: σ used, from which estimate, and the others."""
        others = ", ".join(
            f"{name} {value:.3g}" for name, value in self.estimates.items() if name != self.method
        )
        return (
            f"noise σ {self.sigma:.3g} from {self.method}"
            + (f" (also: {others})" if others else "")
            + f"; data std {self.data_std:.3g}"
        )


def estimate_noise(
    volume: np.ndarray,
    *,
    halves: tuple[np.ndarray, np.ndarray] | None = None,
    stated: float | None = None,
) -> NoiseEstimate:
    """Every σ estimate the volume allows (with its ``halves``, a ``stated`` σ); see the module docstring."""
    estimates: dict[str, float] = {}
    if stated is not None:
        if not (math.isfinite(stated) and stated > 0):
            raise ValueError(f"a stated noise σ must be a positive number, got {stated!r}")
        estimates[STATED] = float(stated)
    if halves is not None:
        estimates[HALVES] = sigma_from_halves(*halves, volume=volume)
    data = _f64(volume)
    finite = data[np.isfinite(data)]
    estimates[SPECTRAL] = sigma_spectral(np.where(np.isfinite(data), data, 0.0))
    estimates[MAD] = sigma_mad(np.where(np.isfinite(data), data, 0.0))
    method = next(name for name in (STATED, HALVES, SPECTRAL) if name in estimates)
    sigma = estimates[method]
    data_std = float(np.std(finite)) if finite.size else math.nan
    notes = _warnings(sigma, method, estimates, data_std)
    return NoiseEstimate(sigma, method, estimates, data_std, notes, halves)


def _warnings(sigma: float, method: str, estimates: dict[str, float], data_std: float) -> tuple[str, ...]:
    notes = []
    for name, value in estimates.items():
        if name == method or not (value > 0):
            continue
        factor = max(value, sigma) / min(value, sigma)
        if factor > DISAGREEMENT:
            notes.append(
                f"the {name} estimate ({value:.3g}) differs from the {method} one used ({sigma:.3g}) by "
                f"{factor:.2g}x: the noise is not white, or the volume not mostly noise"
            )
    if data_std > 0 and sigma < SIGNAL_DOMINATED * data_std:
        notes.append(
            f"σ {sigma:.3g} is {sigma / data_std:.2g} of the data's std ({data_std:.3g}): the volume is "
            "mostly signal, so added noise is a share of something small; give half-volumes (?halves=) or a "
            "stated σ (?sigma=) for a verdict that means what it says"
        )
    return tuple(notes)
