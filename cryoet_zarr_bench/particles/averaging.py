"""Subtomogram averaging at known positions, and the gold-standard half-set FSC with its uncertainty.
numpy only.

Averaging
    :func:`half_set_averages` cuts a cube of ``box`` voxels around each known centre (a particle whose cube
    would leave the volume is left out), shifts it by the centre's sub-voxel offset in Fourier space (exact
    for a band-limited volume, so no interpolation blurs the average), and averages the odd-numbered particles
    into one half and the even-numbered into the other.  Each half average is multiplied by a soft spherical
    mask (1 up to ``mask_radius``, a cosine fall to 0 over :data:`MASK_EDGE` voxels), as averages are before
    their FSC, so that neighbours around the particle do not count as its signal.
Half-set FSC
    :func:`half_set_fsc`: the Fourier shell correlation of the two masked halves (``fidelity.fsc``).  Its
    uncertainty per shell is 1 / √(independent coefficients), counted as the shell's coefficients (a complex
    coefficient and its conjugate give two independent real products) times the mask's share of the box,
    (Σm²)² / Σm⁴ ÷ box³, to the power 2/3: a shell is one coefficient thick, so the mask correlates its
    coefficients across the shell's surface only.  On pure noise this predicts the spread of the FSC within
    about 20 %, slightly high (``tests/test_particles.py``).
The 0.143 crossing
    :meth:`HalfSetFsc.crossing` interpolates linearly between the last shell at or above 0.143 and the first
    below it; its uncertainty is the shells' FSC uncertainty divided by the curve's slope there.  A curve
    that never falls below 0.143 holds to Nyquist; its uncertainty then comes from the slope of its last two
    shells (how far below Nyquist a slightly lower curve would cross).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fidelity import FscCurve, fsc

__all__ = ["MASK_EDGE", "Crossing", "HalfSetFsc", "half_set_averages", "half_set_fsc", "soft_sphere"]

#: Width in voxels of the cosine edge of the soft spherical mask.
MASK_EDGE = 2.0
#: The gold-standard threshold for half-set FSC.
GOLD_STANDARD = 0.143


def soft_sphere(box: int, radius: float, edge: float = MASK_EDGE) -> np.ndarray:
    """A ``box``³ mask centred on voxel ``box // 2``:
    1 within ``radius``, cosine to 0 at ``radius + edge``."""
    grid = np.ogrid[:box, :box, :box]
    r = np.sqrt(sum((axis - box // 2) ** 2 for axis in grid))
    fall = np.clip((r - radius) / edge, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * fall))


def half_set_averages(
    volume: np.ndarray, centres: np.ndarray, box: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The two half-set averages (unmasked ``box``³ arrays) and how many particles each holds."""
    data = np.asarray(volume, dtype=np.float64)
    if data.ndim != 3:
        raise ValueError(f"subtomogram averaging needs a 3-D volume, got shape {data.shape}")
    shape = np.asarray(data.shape)
    frequencies = np.meshgrid(
        np.fft.fftfreq(box), np.fft.fftfreq(box), np.fft.rfftfreq(box), indexing="ij", sparse=True
    )
    sums = [np.zeros((box, box, box // 2 + 1), dtype=np.complex128) for _ in range(2)]
    counts = [0, 0]
    for centre in np.asarray(centres, dtype=np.float64).reshape(-1, 3):
        low = np.rint(centre).astype(int) - box // 2
        if (low < 0).any() or (low + box > shape).any():
            continue
        cube = data[low[0] : low[0] + box, low[1] : low[1] + box, low[2] : low[2] + box]
        offset = centre - (low + box // 2)  # the particle sits this far from the cube's centre voxel
        phase = sum(k * d for k, d in zip(frequencies, offset, strict=True))
        half = (counts[0] + counts[1]) % 2
        sums[half] += np.fft.rfftn(cube) * np.exp(2j * np.pi * phase)
        counts[half] += 1
    if min(counts) == 0:
        raise ValueError(
            f"{sum(counts)} particle(s) fit a {box}-voxel box inside the {tuple(data.shape)} volume; "
            "half-set averaging needs at least two"
        )
    first, second = (np.fft.irfftn(s / n, s=(box,) * 3, axes=(0, 1, 2)) for s, n in zip(sums, counts))
    return first, second, (counts[0], counts[1])


@dataclass(frozen=True)
class Crossing:
    """Where a half-set FSC falls below 0.143: ``frequency`` in cycles/voxel ± ``uncertainty`` (one standard
    deviation), ``resolution`` in Å ± ``resolution_uncertainty``; ``holds`` if it never falls (Nyquist)."""

    frequency: float
    uncertainty: float
    holds: bool
    voxel_spacing: float

    @property
    def resolution(self) -> float:
        return self.voxel_spacing / self.frequency

    @property
    def resolution_uncertainty(self) -> float:
        return self.voxel_spacing * self.uncertainty / self.frequency**2


@dataclass(frozen=True)
class HalfSetFsc:
    """The half-set FSC of an average: the curve, each shell's uncertainty and the particles per half."""

    curve: FscCurve
    sigma: np.ndarray
    particles: tuple[int, int]
    voxel_spacing: float

    def crossing(self, threshold: float = GOLD_STANDARD) -> Crossing:
        """The interpolated crossing of ``threshold`` and its uncertainty (see the module docstring)."""
        f, v, s = self.curve.frequency, np.nan_to_num(self.curve.values, nan=0.0), self.sigma
        below = np.flatnonzero(v < threshold)
        if below.size == 0:
            slope = (v[-2] - v[-1]) / (f[-1] - f[-2]) if len(v) > 1 else 0.0
            spread = s[-1] / slope if slope > 0 else 0.0
            return Crossing(float(f[-1]), float(min(spread, f[-1])), True, self.voxel_spacing)
        i = int(below[0])
        if i == 0:  # below the threshold from the first shell on: as coarse as the box can say
            return Crossing(float(f[0]), float(f[0]), False, self.voxel_spacing)
        slope = (v[i - 1] - v[i]) / (f[i] - f[i - 1])
        frequency = f[i - 1] + (v[i - 1] - threshold) / slope
        spread = 0.5 * (s[i - 1] + s[i]) / slope
        return Crossing(float(frequency), float(min(spread, f[-1])), False, self.voxel_spacing)


def half_set_fsc(
    volume: np.ndarray, centres: np.ndarray, *, box: int, mask_radius: float, voxel_spacing: float
) -> HalfSetFsc:
    """Average the particles at ``centres`` in two halves and correlate the masked halves
    (module docstring)."""
    first, second, particles = half_set_averages(volume, centres, box)
    mask = soft_sphere(box, mask_radius)
    curve = fsc(first * mask, second * mask)
    kept = float(np.sum(mask**2) ** 2 / np.sum(mask**4)) / box**3
    independent = np.maximum(curve.counts * kept ** (2 / 3), 1.0)
    return HalfSetFsc(curve, 1.0 / np.sqrt(independent), particles, voxel_spacing)
