"""How much a lossy codec changed a volume, judged the cryo-EM way.  numpy only (no zarr, no scipy).

Every function takes the original volume and its decoded copy (or two half-volumes) as numpy arrays and works
in float64.

Image metrics
    :func:`mse`, :func:`max_abs_error`, :func:`psnr` (peak = the original's range, max - min, stated by
    :func:`data_range`) and :func:`ssim` (3-D, uniform cubic window).
Noise
    :func:`noise_sigma_from_halves` (σ from two half-volumes with the same signal and independent noise: the
    difference holds only noise, with variance 2σ²) and :func:`noise_sigma_mad` (a robust estimate from one
    volume: the median absolute deviation of neighbour differences along x, which holds 2σ² of *white*
    noise; spatially correlated noise makes it an underestimate).  :func:`added_noise_fraction` is the
    compression error's mean square over σ²; :func:`shell_error_fraction` the error's power over the data's
    power per Fourier shell.
Fourier shell correlation
    :func:`fsc` between two volumes, shell by shell up to Nyquist; :func:`crossing` where it first falls below
    a threshold (0.5, 0.143), in cycles/voxel, shells and Å.
The verdict
    :func:`assess` gathers everything for one codec; :meth:`Fidelity.safe` applies the study's definition:
    at most 1% added noise variance, FSC(original, decoded) >= 0.99 in every shell up to the half-map
    resolution, and that resolution unmoved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .volume import Volume

__all__ = [
    "FSC_THRESHOLDS",
    "Crossing",
    "Fidelity",
    "FscCurve",
    "NoiseReference",
    "added_noise_fraction",
    "assess",
    "crossing",
    "data_range",
    "fsc",
    "max_abs_error",
    "mse",
    "noise_sigma_from_halves",
    "noise_reference",
    "noise_sigma_mad",
    "psnr",
    "shell_error_fraction",
    "shell_power",
    "ssim",
]

#: The half-bit-like thresholds the field reads FSC curves at: 0.5 and the "gold standard" 0.143.
FSC_THRESHOLDS = (0.5, 0.143)
#: The study's safety limits (see :meth:`Fidelity.safe`).
SAFE_ADDED_NOISE = 0.01
SAFE_FSC = 0.99


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


def noise_sigma_from_halves(half1: np.ndarray, half2: np.ndarray) -> float:
    """σ of the noise in each of two half-volumes: ``std(half1 - half2) / √2``."""
    return float(np.std(_f64(half1) - _f64(half2)) / math.sqrt(2))


def noise_sigma_mad(volume: np.ndarray) -> float:
    """σ of white noise in one volume: 1.4826 · MAD of neighbour differences along x, divided by √2.

    Robust to the sparse strong signal of particles and edges; an underestimate when the noise is spatially
    correlated (neighbouring noise values then differ by less than √2 σ).
    """
    d = np.diff(_f64(volume), axis=-1).ravel()
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2))


@dataclass(frozen=True)
class NoiseReference:
    """A volume's noise σ, how it was estimated, and its two half-volumes when there are any."""

    sigma: float
    method: str
    halves: tuple[np.ndarray, np.ndarray] | None


def noise_reference(volume: Volume) -> NoiseReference:
    """σ of a volume's noise: from the synthetic source's half-volumes (same particles, independent noise,
    same scale) for a synthetic volume, else :func:`noise_sigma_mad` of the volume itself."""
    from .sources.synthetic import synthetic_half_volumes

    provenance = volume.provenance
    if (
        provenance.get("generator") == "cryoet_zarr_bench.synthetic"
        and tuple(provenance["shape"]) == volume.shape
    ):
        half1, half2, _ = synthetic_half_volumes(volume.shape, provenance["seed"])
        halves = (half1.data, half2.data)
        return NoiseReference(noise_sigma_from_halves(*halves), "half-volumes", halves)
    return NoiseReference(
        noise_sigma_mad(volume.data), "MAD of neighbour differences (white-noise model)", None
    )


def added_noise_fraction(original: np.ndarray, decoded: np.ndarray, sigma: float) -> float:
    """The compression error's mean square as a fraction of the noise variance σ² (a uniform quantiser of step
    Δ on a smooth distribution gives Δ²/12 ÷ σ²)."""
    return mse(original, decoded) / sigma**2


# -- Fourier shells ------------------------------------------------------------------------------------------


def _shells(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """Shell index of every rfftn coefficient (|k| in units of 1/n, n = the shortest edge, rounded), the
    weight of each coefficient (2 for those standing for a conjugate pair too) and the Nyquist shell n/2."""
    n = min(shape)
    freqs = [np.fft.fftfreq(m) for m in shape[:-1]] + [np.fft.rfftfreq(shape[-1])]
    radius2 = sum(
        np.square(f).reshape([-1 if i == j else 1 for j in range(len(shape))]) for i, f in enumerate(freqs)
    )
    index = np.rint(np.sqrt(radius2) * n).astype(np.int64)
    kx = freqs[-1]
    pair = np.where((kx == 0) | (kx == 0.5), 1.0, 2.0)  # rfftfreq reaches 0.5 only for an even edge
    weight = np.broadcast_to(pair, index.shape)
    return index, weight, n // 2


def _shell_sums(values: np.ndarray, index: np.ndarray, weight: np.ndarray, nyquist: int) -> np.ndarray:
    return np.bincount(index.ravel(), weights=(values * weight).ravel(), minlength=nyquist + 1)[: nyquist + 1]


@dataclass(frozen=True)
class FscCurve:
    """FSC by shell: ``frequency`` in cycles/voxel (shell i is i/n), ``values``, ``counts`` (coefficients)."""

    frequency: np.ndarray
    values: np.ndarray
    counts: np.ndarray


def fsc(a: np.ndarray, b: np.ndarray) -> FscCurve:
    """Fourier shell correlation of two same-shape volumes, shells 1 .. Nyquist (shell 0, the mean, left out):
    ``Σ Re(A B*) / sqrt(Σ|A|² Σ|B|²)`` over each shell."""
    if a.shape != b.shape:
        raise ValueError(f"FSC needs two volumes of one shape, got {a.shape} and {b.shape}")
    fa, fb = np.fft.rfftn(_f64(a)), np.fft.rfftn(_f64(b))
    index, weight, nyquist = _shells(a.shape)
    cross = _shell_sums((fa * fb.conj()).real, index, weight, nyquist)
    power_a = _shell_sums(np.abs(fa) ** 2, index, weight, nyquist)
    power_b = _shell_sums(np.abs(fb) ** 2, index, weight, nyquist)
    counts = _shell_sums(np.ones(index.shape), index, weight, nyquist)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = cross / np.sqrt(power_a * power_b)
    shells = np.arange(nyquist + 1)
    return FscCurve(frequency=shells[1:] / min(a.shape), values=values[1:], counts=counts[1:])


def shell_power(volume: np.ndarray) -> FscCurve:
    """Power (Σ|F|²) per Fourier shell, shells 1 .. Nyquist, as a :class:`FscCurve` (``values``: powers)."""
    a = _f64(volume)
    index, weight, nyquist = _shells(a.shape)
    power = _shell_sums(np.abs(np.fft.rfftn(a)) ** 2, index, weight, nyquist)
    counts = _shell_sums(np.ones(index.shape), index, weight, nyquist)
    return FscCurve(frequency=np.arange(1, nyquist + 1) / min(a.shape), values=power[1:], counts=counts[1:])


def shell_error_fraction(original: np.ndarray, decoded: np.ndarray) -> FscCurve:
    """Error power ÷ data power per Fourier shell (as a :class:`FscCurve`: ``values`` are the fractions)."""
    error = shell_power(_f64(decoded) - _f64(original))
    data = shell_power(original)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = error.values / data.values
    return FscCurve(frequency=data.frequency, values=values, counts=data.counts)


@dataclass(frozen=True)
class Crossing:
    """Where an FSC curve first falls below ``threshold``.

    ``shell`` is the first shell below it (``None`` if it never does: the curve holds to Nyquist);
    ``frequency`` interpolates linearly between that shell and the one before, in cycles/voxel;
    ``resolution`` is ``voxel_spacing / frequency`` in Å.
    """

    threshold: float
    shell: int | None
    frequency: float
    resolution: float


def crossing(curve: FscCurve, threshold: float, voxel_spacing: float) -> Crossing:
    """The first fall of ``curve`` below ``threshold`` (see :class:`Crossing`)."""
    # A shell without power in either volume (NaN) is skipped.
    below = np.flatnonzero(curve.values < threshold)
    if below.size == 0:
        frequency = float(curve.frequency[-1])
        return Crossing(threshold, None, frequency, voxel_spacing / frequency)
    i = int(below[0])
    shell = i + 1  # the curve starts at shell 1
    if i == 0:
        frequency = float(curve.frequency[0])
    else:
        f0, f1 = curve.frequency[i - 1], curve.frequency[i]
        v0, v1 = curve.values[i - 1], curve.values[i]
        frequency = float(f0 + (v0 - threshold) / (v0 - v1) * (f1 - f0))
    return Crossing(threshold, shell, frequency, voxel_spacing / frequency)


# -- The verdict ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fidelity:
    """Every fidelity figure of one codec on one volume (see the module docstring for each)."""

    mse: float
    max_abs_error: float
    data_range: float
    psnr_db: float
    ssim: float | None
    sigma: float
    added_noise_fraction: float
    worst_shell_error_fraction: float
    fsc_min_to_half_map: float | None
    fsc_crossings_angstrom: dict[float, float]
    half_map_before: Crossing | None
    half_map_after: Crossing | None

    @property
    def half_map_shift_shells(self) -> int | None:
        """Shells the half-map 0.143 crossing moved (negative: to lower resolution)."""
        if self.half_map_before is None or self.half_map_after is None:
            return None
        before = self.half_map_before.shell
        after = self.half_map_after.shell
        if before is None or after is None:
            return 0 if before == after else None
        return after - before

    @property
    def half_map_shift_angstrom(self) -> float | None:
        """Å the half-map resolution moved (positive: worse)."""
        if self.half_map_before is None or self.half_map_after is None:
            return None
        return self.half_map_after.resolution - self.half_map_before.resolution

    @property
    def safe(self) -> bool | None:
        """The study's test: ≤ 1% added noise variance, FSC(original, decoded) ≥ 0.99 in every shell up to the
        half-map resolution, and the half-map 0.143 crossing in the same shell.  None without half-volumes."""
        if self.fsc_min_to_half_map is None or self.half_map_shift_shells is None:
            return None
        return (
            self.added_noise_fraction <= SAFE_ADDED_NOISE
            and self.fsc_min_to_half_map >= SAFE_FSC
            and self.half_map_shift_shells == 0
        )


def assess(
    original: np.ndarray,
    decoded: np.ndarray,
    *,
    sigma: float,
    voxel_spacing: float,
    halves: tuple[np.ndarray, np.ndarray] | None = None,
    halves_decoded: tuple[np.ndarray, np.ndarray] | None = None,
    with_ssim: bool = True,
) -> Fidelity:
    """All fidelity figures of ``decoded`` against ``original``; half-map figures need both pairs of halves
    (each half compressed with the same codec).  SSIM, the costliest figure, is left out (None) unless
    ``with_ssim``."""
    curve = fsc(original, decoded)
    crossings = {t: crossing(curve, t, voxel_spacing).resolution for t in FSC_THRESHOLDS}
    before = after = None
    fsc_min = None
    if halves is not None and halves_decoded is not None:
        before = crossing(fsc(*halves), 0.143, voxel_spacing)
        after = crossing(fsc(*halves_decoded), 0.143, voxel_spacing)
        limit = before.frequency
        fsc_min = float(np.nanmin(curve.values[curve.frequency <= limit], initial=1.0))
    return Fidelity(
        mse=mse(original, decoded),
        max_abs_error=max_abs_error(original, decoded),
        data_range=data_range(original),
        psnr_db=psnr(original, decoded),
        ssim=ssim(original, decoded) if with_ssim else None,
        sigma=sigma,
        added_noise_fraction=added_noise_fraction(original, decoded, sigma),
        worst_shell_error_fraction=float(np.nanmax(shell_error_fraction(original, decoded).values)),
        fsc_min_to_half_map=fsc_min,
        fsc_crossings_angstrom=crossings,
        half_map_before=before,
        half_map_after=after,
    )
