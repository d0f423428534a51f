"""Particle picking by template matching, and picks scored against known particles.  numpy only.

Template
    :func:`sphere_template`: a solid sphere minus its mean over a concentric sphere 1.6 times as wide (so the
    template sums to zero and a slowly varying background or a neighbour's flank scores nothing), centred on
    the origin, passed through the tomogram's transfer (what imaging did to every particle), at unit norm.
Score map
    :func:`score_map`: for each template, the FFT cross-correlation with the volume (sign flipped for dark
    particles), minus its median, over its robust standard deviation (1.4826 · the median absolute deviation);
    the score of a voxel is its best template's.  Scores are thus in robust standard deviations of each map.
Picks (the threshold rule)
    :func:`pick`: every voxel that is the largest in its (2·3 + 1)³ neighbourhood and scores at least
    ``threshold`` (:data:`PICK_THRESHOLD` robust standard deviations), inside ``margin`` voxels of every face
    (the correlation wraps around), then, in order of score, each kept only if no kept pick lies closer than
    ``min_distance`` (non-maximum suppression).  The same templates and rule serve every volume compared.
Scoring
    :func:`score_picks`: each pick is matched to at most one particle and each particle to at most one pick,
    closest pairs first, within ``distance`` voxels of the particle's centre.  Recall = particles found ÷
    particles inside the margin; precision = matched picks ÷ picks.  Each comes with its Wilson score interval
    (:func:`wilson_interval`, 95 %), the binomial uncertainty of a proportion measured on this many particles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PICK_THRESHOLD",
    "PickingScore",
    "Picks",
    "pick",
    "score_map",
    "score_picks",
    "sphere_template",
    "wilson_interval",
]

#: The threshold rule: a pick scores at least this many robust standard deviations of its score map.
PICK_THRESHOLD = 3.5
#: A pick is a local maximum of the score within this many voxels along every axis.
PEAK_NEIGHBOURHOOD = 3
#: The template is a sphere minus its mean over a concentric sphere this many times its radius.
TEMPLATE_SUPPORT = 1.6
#: z of the two-sided 95 % intervals.
Z_95 = 1.959963984540054


def sphere_template(shape: tuple[int, ...], radius: float, transfer: np.ndarray) -> np.ndarray:
    """The matched template of a dark-or-bright solid sphere of ``radius`` voxels, as its half spectrum
    (``numpy.fft.rfftn`` of a volume of ``shape``), at unit norm; ``transfer`` multiplies that spectrum."""
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    distance2 = sum(np.minimum(axis, n - axis) ** 2 for axis, n in zip(grid, shape, strict=True))
    sphere = (distance2 <= radius**2).astype(np.float64)
    support = distance2 <= (TEMPLATE_SUPPORT * radius) ** 2
    sphere -= support * (sphere.sum() / support.sum())
    spectrum = np.fft.rfftn(sphere) * transfer
    norm = math.sqrt(float(np.sum(np.abs(spectrum) ** 2 * _conjugate_weight(shape))))
    if norm == 0.0:
        raise ValueError(
            f"a sphere of radius {radius} leaves nothing through the transfer in a {shape} volume"
        )
    return spectrum / norm


def _conjugate_weight(shape: tuple[int, ...]) -> np.ndarray:
    """Each rfftn column stands for itself and its conjugate, except x-frequency 0 and the even Nyquist."""
    kx = np.fft.rfftfreq(shape[-1])
    return np.where((kx == 0) | (kx == 0.5), 1.0, 2.0)


def score_map(volume: np.ndarray, templates: Sequence[np.ndarray], *, dark: bool = True) -> np.ndarray:
    """Each voxel's best score over ``templates`` (half spectra from :func:`sphere_template`), in robust
    standard deviations of that template's correlation map (see the module docstring)."""
    data = np.asarray(volume, dtype=np.float64)
    spectrum = np.fft.rfftn(data)
    best = None
    for template in templates:
        correlation = np.fft.irfftn(spectrum * np.conj(template), s=data.shape, axes=tuple(range(data.ndim)))
        if dark:
            correlation = -correlation
        median = float(np.median(correlation))
        spread = 1.4826 * float(np.median(np.abs(correlation - median)))
        if spread == 0.0:
            raise ValueError("the volume's correlation with the template is constant: nothing can be picked")
        score = (correlation - median) / spread
        best = score if best is None else np.maximum(best, score, out=best)
    if best is None:
        raise ValueError("no templates to match")
    return best


def _neighbourhood_maximum(score: np.ndarray, reach: int) -> np.ndarray:
    """The maximum over each voxel's (2·reach + 1)-cube, wrapping around (one axis at a time)."""
    result = score
    for axis in range(score.ndim):
        source = result
        result = source.copy()
        for step in range(1, reach + 1):
            np.maximum(result, np.roll(source, step, axis=axis), out=result)
            np.maximum(result, np.roll(source, -step, axis=axis), out=result)
    return result


def _inside(positions: np.ndarray, shape: tuple[int, ...], margin: float) -> np.ndarray:
    upper = np.asarray(shape) - 1 - margin
    return np.all((positions >= margin) & (positions <= upper), axis=1)


@dataclass(frozen=True)
class Picks:
    """Picked positions ``(n, 3)`` in voxels (z, y, x), best first, their scores and the threshold used."""

    positions: np.ndarray
    scores: np.ndarray
    threshold: float

    def __len__(self) -> int:
        return len(self.scores)


def pick(
    score: np.ndarray, *, min_distance: float, margin: float, threshold: float = PICK_THRESHOLD
) -> Picks:
    """Peaks of a score map by the module's threshold rule (local maxima ≥ ``threshold`` inside ``margin``,
    then non-maximum suppression within ``min_distance``)."""
    peaks = score == _neighbourhood_maximum(score, PEAK_NEIGHBOURHOOD)
    peaks &= score >= threshold
    positions = np.argwhere(peaks)
    positions = positions[_inside(positions, score.shape, margin)]
    scores = score[tuple(positions.T)]
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    for i in order:
        if all(np.sum((positions[i] - positions[j]) ** 2) >= min_distance**2 for j in kept):
            kept.append(int(i))
    kept_positions = positions[kept].reshape(-1, score.ndim)
    return Picks(kept_positions, scores[kept], threshold)


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (``(0, 1)`` without trials)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PickingScore:
    """How picks compare with the known particles (see the module docstring)."""

    particles: int
    found: int
    picks: int
    matched_picks: int
    found_mask: np.ndarray
    distance: float

    @property
    def recall(self) -> float:
        return self.found / self.particles if self.particles else math.nan

    @property
    def precision(self) -> float:
        return self.matched_picks / self.picks if self.picks else math.nan

    @property
    def recall_interval(self) -> tuple[float, float]:
        return wilson_interval(self.found, self.particles)

    @property
    def precision_interval(self) -> tuple[float, float]:
        return wilson_interval(self.matched_picks, self.picks)


def score_picks(
    picks: np.ndarray, centres: np.ndarray, *, shape: tuple[int, ...], distance: float, margin: float
) -> PickingScore:
    """Match ``picks`` to the particles at ``centres`` (closest pairs first, one to one, within ``distance``).

    Recall counts the particles whose centres lie inside ``margin`` of every face (where picks are made); a
    pick matching a particle just outside still counts for precision.  ``found_mask`` marks, for every
    particle of ``centres``, whether a pick found it.
    """
    picks = np.asarray(picks, dtype=np.float64).reshape(-1, len(shape))
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, len(shape))
    separation = np.linalg.norm(picks[:, None, :] - centres[None, :, :], axis=-1)
    pick_index, particle_index = np.nonzero(separation <= distance)
    order = np.argsort(separation[pick_index, particle_index], kind="stable")
    pick_used = np.zeros(len(picks), dtype=bool)
    found = np.zeros(len(centres), dtype=bool)
    for p, c in zip(pick_index[order], particle_index[order], strict=True):
        if not pick_used[p] and not found[c]:
            pick_used[p] = found[c] = True
    counted = _inside(centres, shape, margin)
    return PickingScore(
        particles=int(counted.sum()),
        found=int((found & counted).sum()),
        picks=len(picks),
        matched_picks=int(pick_used.sum()),
        found_mask=found,
        distance=distance,
    )
