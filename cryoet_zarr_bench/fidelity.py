"""How much a lossy codec changed a volume, judged the cryo-EM way.  numpy only (no zarr, scipy or source).

Every function takes the original volume and its decoded copy (or two half-volumes) as numpy arrays and works
in float64.  The noise σ they are judged against comes from :mod:`cryoet_zarr_bench.noise`.

Image metrics (from :mod:`.metrics`)
    :func:`mse`, :func:`max_abs_error`, :func:`psnr` (peak = the original's range, max - min, stated by
    :func:`data_range`) and :func:`ssim` (3-D, uniform cubic window).
Noise
    :func:`added_noise_fraction` is the compression error's mean square over σ²; :func:`shell_error_fraction`
    the error's power over the data's power per Fourier shell (the worst shell is reported).
Fourier shell correlation
    :func:`fsc` between two volumes (or two images: a 2-D FRC), shell by shell up to Nyquist, each shell with
    its statistical uncertainty ``1/√(independent coefficients)``; :func:`crossing` where it first falls
    below a threshold, interpolated, with that uncertainty carried to the crossing; :func:`half_map_change`
    compares the half-map FSC before and after compression shell by shell within that uncertainty and
    calls a resolution shift only beyond it.
The verdict
    :func:`assess` gathers everything for one codec; :attr:`Fidelity.verdict` is a :class:`Verdict` of named
    :class:`Criterion` results: at most 1% added noise variance; the half-map FSC unchanged within its
    uncertainty; FSC(original, decoded) >= 0.99 up to the half-map resolution.  Other criteria (what a use
    of the tomogram needs) join it with :meth:`Verdict.with_criterion`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .metrics import added_noise_fraction, data_range, max_abs_error, mse, psnr, ssim

__all__ = [
    "ADDED_NOISE",
    "FSC_THRESHOLDS",
    "GOLD_STANDARD",
    "HALF_MAP",
    "SIGNAL_KEPT",
    "Criterion",
    "Crossing",
    "Fidelity",
    "FscCurve",
    "HalfMapChange",
    "Verdict",
    "added_noise_fraction",
    "assess",
    "crossing",
    "data_range",
    "fsc",
    "half_map_change",
    "max_abs_error",
    "mse",
    "psnr",
    "shell_error_fraction",
    "shell_power",
    "ssim",
]

#: The half-bit-like thresholds the field reads FSC curves at: 0.5 and the "gold standard" 0.143.
FSC_THRESHOLDS = (0.5, 0.143)
GOLD_STANDARD = 0.143
#: The study's safety limits (see :meth:`Fidelity.safe`).
SAFE_ADDED_NOISE = 0.01
SAFE_FSC = 0.99


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)

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

    @property
    def uncertainty(self) -> np.ndarray:
        """The statistical uncertainty of each shell's value, ``1/√(independent coefficients)``: a real
        volume's coefficients come in conjugate pairs, so a shell of ``counts`` holds ``counts/2``."""
        with np.errstate(divide="ignore"):
            return 1 / np.sqrt(np.maximum(self.counts / 2, 1.0))


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
    """Where an FSC curve first falls below ``threshold``, and how sure that is.

    ``shell`` is the first shell below it (``None`` if it never does: the curve holds to Nyquist);
    ``frequency`` interpolates linearly between that shell and the one before, in cycles/voxel;
    ``resolution`` is ``voxel_spacing / frequency`` in Å.  ``frequency_uncertainty`` carries the curve's own
    uncertainty at the crossing (:attr:`FscCurve.uncertainty`) through its slope there (inf where the
    curve gives no slope: at the first shell, or when it never crosses); ``resolution_uncertainty`` is the
    same in Å.
    """

    threshold: float
    shell: int | None
    frequency: float
    resolution: float
    frequency_uncertainty: float = math.inf

    @property
    def resolution_uncertainty(self) -> float:
        return self.resolution * self.frequency_uncertainty / self.frequency


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
        return Crossing(threshold, shell, frequency, voxel_spacing / frequency)
    f0, f1 = curve.frequency[i - 1], curve.frequency[i]
    v0, v1 = curve.values[i - 1], curve.values[i]
    t = (v0 - threshold) / (v0 - v1)
    frequency = float(f0 + t * (f1 - f0))
    sigma = (1 - t) * curve.uncertainty[i - 1] + t * curve.uncertainty[i]
    slope = (v0 - v1) / (f1 - f0)
    return Crossing(threshold, shell, frequency, voxel_spacing / frequency, float(sigma / slope))


@dataclass(frozen=True)
class HalfMapChange:
    """How compression moved the half-map FSC (each half compressed alike), judged against its uncertainty.

    ``worst_deviation`` is the largest ``|after - before| / uncertainty`` over the shells up to the crossing
    before compression (``worst_shell`` where), ``before``/``after`` the 0.143 crossings, and
    ``shift_called`` whether the crossing moved by more than its uncertainty.
    """

    before: Crossing
    after: Crossing
    worst_deviation: float
    worst_shell: int

    @property
    def shift_angstrom(self) -> float:
        """Å the 0.143 crossing moved (positive: worse)."""
        return self.after.resolution - self.before.resolution

    @property
    def shift_uncertainty_angstrom(self) -> float:
        return max(self.before.resolution_uncertainty, self.after.resolution_uncertainty)

    @property
    def shift_called(self) -> bool:
        """Whether the crossing moved beyond its uncertainty (one crossing missing, the other not, counts)."""
        if (self.before.shell is None) != (self.after.shell is None):
            return True
        limit = max(self.before.frequency_uncertainty, self.after.frequency_uncertainty)
        return abs(self.after.frequency - self.before.frequency) > limit

    @property
    def within_uncertainty(self) -> bool:
        return self.worst_deviation <= 1.0 and not self.shift_called


def half_map_change(before: FscCurve, after: FscCurve, voxel_spacing: float) -> HalfMapChange:
    """Compare the half-map FSC before and after compression shell by shell, up to the crossing before."""
    first = crossing(before, GOLD_STANDARD, voxel_spacing)
    second = crossing(after, GOLD_STANDARD, voxel_spacing)
    upto = before.frequency <= first.frequency
    upto[0] = True
    deviation = np.abs(after.values - before.values) / before.uncertainty
    deviation = np.where(upto & np.isfinite(deviation), deviation, 0.0)
    worst = int(np.argmax(deviation))
    return HalfMapChange(first, second, float(deviation[worst]), worst + 1)


# -- The verdict ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One test of a setting: its ``name``, whether it ``passed`` (None: it could not be judged here), the
    figure judged (``value``), what is required (``requirement``) and a one-line ``detail``."""

    name: str
    passed: bool | None
    value: float
    requirement: str
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """Every criterion a setting was judged by.  ``safe``: True when every criterion was judged and passed,
    False when any failed, None otherwise.  Other criteria (e.g. what a use of the tomogram needs) join with
    :meth:`with_criterion`, and a report shows one column per :attr:`names`."""

    criteria: tuple[Criterion, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(criterion.name for criterion in self.criteria)

    def get(self, name: str) -> Criterion | None:
        return next((c for c in self.criteria if c.name == name), None)

    def with_criterion(self, criterion: Criterion) -> Verdict:
        kept = tuple(c for c in self.criteria if c.name != criterion.name)
        return Verdict((*kept, criterion))

    @property
    def safe(self) -> bool | None:
        results = [criterion.passed for criterion in self.criteria]
        if any(result is False for result in results):
            return False
        return True if results and all(results) else None


#: The names of the noise verdict's criteria, in the order reports show them.
ADDED_NOISE = "added noise"
HALF_MAP = "half-map FSC"
SIGNAL_KEPT = "FSC(original, decoded)"


@dataclass(frozen=True)
class Fidelity:
    """Every fidelity figure of one codec on one volume (see the module docstring), and the verdict.

    For a stack of 2-D images (``images``) the FSC figures are per-image FRCs, and the worst image's are kept.
    """

    mse: float
    max_abs_error: float
    data_range: float
    psnr_db: float
    ssim: float | None
    sigma: float
    added_noise_fraction: float
    worst_shell_error_fraction: float
    worst_shell_frequency: float
    fsc_min_to_half_map: float | None
    half_map: HalfMapChange | None
    images: bool = False

    @property
    def half_map_shift_angstrom(self) -> float | None:
        """Å the half-map resolution moved (positive: worse)."""
        return None if self.half_map is None else self.half_map.shift_angstrom

    @property
    def verdict(self) -> Verdict:
        added = Criterion(
            ADDED_NOISE,
            self.added_noise_fraction <= SAFE_ADDED_NOISE,
            self.added_noise_fraction,
            f"<= {SAFE_ADDED_NOISE:.0%} of the noise variance",
            f"{100 * self.added_noise_fraction:.3g}% of σ² = {self.sigma:.3g}²",
        )
        if self.half_map is None:
            why = "no half-volumes: give ?halves=odd.mrc,even.mrc"
            return Verdict((
                added,
                Criterion(HALF_MAP, None, math.nan, "within its uncertainty", why),
                Criterion(SIGNAL_KEPT, None, math.nan, f">= {SAFE_FSC} up to the half-map resolution", why),
            ))
        change = self.half_map
        half_map = Criterion(
            HALF_MAP,
            change.within_uncertainty,
            change.worst_deviation,
            "every shell within its uncertainty 1/√n, the 0.143 crossing unmoved beyond its own",
            f"worst shell {change.worst_shell}: {change.worst_deviation:.2f} of its uncertainty; 0.143 at "
            f"{change.before.resolution:.1f} ± {change.before.resolution_uncertainty:.1f} Å, after "
            f"{change.after.resolution:.1f} Å" + (" (shift called)" if change.shift_called else ""),
        )
        kept = Criterion(
            SIGNAL_KEPT,
            self.fsc_min_to_half_map >= SAFE_FSC,
            self.fsc_min_to_half_map,
            f">= {SAFE_FSC} up to the half-map resolution",
            f"lowest {self.fsc_min_to_half_map:.4f}",
        )
        return Verdict((added, half_map, kept))

    @property
    def safe(self) -> bool | None:
        """The noise verdict (:attr:`verdict`): ≤ 1% added noise variance, the half-map FSC unchanged within
        its uncertainty, FSC(original, decoded) ≥ 0.99 up to the half-map resolution.  None without
        half-volumes (only the added noise could be judged)."""
        return self.verdict.safe


def _planes(a: np.ndarray, images: bool) -> list[np.ndarray]:
    return [a[z] for z in range(a.shape[0])] if images else [a]


def assess(
    original: np.ndarray,
    decoded: np.ndarray,
    *,
    sigma: float,
    voxel_spacing: float,
    halves: tuple[np.ndarray, np.ndarray] | None = None,
    halves_decoded: tuple[np.ndarray, np.ndarray] | None = None,
    images: bool = False,
    with_ssim: bool = True,
) -> Fidelity:
    """All fidelity figures of ``decoded`` against ``original``; half-map figures need both pairs of halves
    (each half compressed with the same codec).  ``images``: the volume is a stack of 2-D images (tilt
    images, micrographs), judged image by image with 2-D FRCs; the worst image counts.  SSIM, the costliest
    figure, is left out (None) unless ``with_ssim``."""
    change = None
    fsc_min = None
    if halves is not None and halves_decoded is not None:
        changes, minima = [], []
        pairs = zip(*(_planes(a, images) for a in (original, decoded, *halves, *halves_decoded)))
        for o, d, h1, h2, c1, c2 in pairs:
            one = half_map_change(fsc(h1, h2), fsc(c1, c2), voxel_spacing)
            curve = fsc(o, d)
            within = curve.values[curve.frequency <= one.before.frequency]
            changes.append(one)
            minima.append(float(np.nanmin(within, initial=1.0)))
        change = max(changes, key=lambda c: (not c.within_uncertainty, c.worst_deviation))
        fsc_min = min(minima)
    errors = [shell_error_fraction(o, d) for o, d in zip(_planes(original, images), _planes(decoded, images))]
    worst = max(errors, key=lambda e: np.nanmax(e.values, initial=0.0))
    at = int(np.nanargmax(worst.values)) if np.isfinite(worst.values).any() else 0
    return Fidelity(
        mse=mse(original, decoded),
        max_abs_error=max_abs_error(original, decoded),
        data_range=data_range(original),
        psnr_db=psnr(original, decoded),
        ssim=ssim(original, decoded) if with_ssim and min(original.shape) >= 7 else None,
        sigma=sigma,
        added_noise_fraction=added_noise_fraction(original, decoded, sigma),
        worst_shell_error_fraction=float(worst.values[at]),
        worst_shell_frequency=float(worst.frequency[at]),
        fsc_min_to_half_map=fsc_min,
        half_map=change,
        images=images,
    )
