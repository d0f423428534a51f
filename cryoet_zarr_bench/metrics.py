"""Image metrics of a decoded copy against its original.  numpy only; every figure in float64.

:func:`mse`, :func:`max_abs_error`, :func:`psnr` (peak = the original's range, max - min, stated by
:func:`data_range`), :func:`ssim` (3-D, uniform cubic window) and :func:`added_noise_fraction` (the error's
mean square over the noise variance σ²).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["added_noise_fraction", "data_range", "max_abs_error", "mse", "psnr", "ssim"]


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def mse(original: np.ndarray, decoded: np.ndarray) -> float:
    """Mean squared error."""
    return float(np.mean(np.square(_f64(decoded) - _f64(original))))


def max_abs_error(original: np.ndarray, decoded: np.ndarray) -> float:
    """Largest absolute difference between any two corresponding voxels."""
    return float(np.max(np.abs(_f64(decoded) - _f64(original)), initial=0.0))


def data_range(original: np.ndarray) -> float:
    """The peak PSNR and SSIM are stated against: the original's max - min (not the dtype's range)."""
    return float(np.max(original)) - float(np.min(original))


def psnr(original: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR in dB: ``10 log10(range² / MSE)``, range = :func:`data_range`; inf if exact."""
    error = mse(original, decoded)
    return math.inf if error == 0 else 10 * math.log10(data_range(original) ** 2 / error)


def _box_sums(a: np.ndarray, size: int) -> np.ndarray:
    """Sums over every ``size``-cube fully inside ``a`` (a 'valid' box filter by cumulative sums)."""
    for axis in range(a.ndim):
        c = np.cumsum(a, axis=axis)
        zero = np.zeros_like(c.take([0], axis=axis))
        c = np.concatenate([zero, c], axis=axis)
        n = c.shape[axis]
        a = c.take(range(size, n), axis=axis) - c.take(range(0, n - size), axis=axis)
    return a


def ssim(original: np.ndarray, decoded: np.ndarray, window: int = 7) -> float:
    """Mean structural similarity over every ``window``³ cube inside the volume (Wang et al. 2004).

    Uniform window, sample covariances (N - 1), K1 = 0.01, K2 = 0.03 and L = :func:`data_range` of the
    original: the defaults of scikit-image's ``structural_similarity`` without Gaussian weighting.
    """
    x, y = _f64(original), _f64(decoded)
    if min(x.shape) < window:
        raise ValueError(f"SSIM needs every edge >= the window ({window}); the volume is {x.shape}")
    n = window**x.ndim
    mx, my = _box_sums(x, window) / n, _box_sums(y, window) / n
    correction = n / (n - 1)
    vx = (_box_sums(x * x, window) / n - mx * mx) * correction
    vy = (_box_sums(y * y, window) / n - my * my) * correction
    cxy = (_box_sums(x * y, window) / n - mx * my) * correction
    peak = data_range(original)
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def added_noise_fraction(original: np.ndarray, decoded: np.ndarray, sigma: float) -> float:
    """The compression error's mean square as a fraction of the noise variance σ² (a uniform quantiser of step
    Δ on a smooth distribution gives Δ²/12 ÷ σ²)."""
    return mse(original, decoded) / sigma**2

