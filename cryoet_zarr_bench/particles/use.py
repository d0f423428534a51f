"""Is a lossy setting safe for what cryo-ET users do with a tomogram?  Picking and averaging, before and after.

On a volume whose particles are known (the synthetic source: :func:`known_particles`), :func:`measure_use`
picks particles by template matching (:mod:`.picking`) and averages them at their true positions
(:mod:`.averaging`); :func:`judge_use` compares the measures of the original with those of its decoded copy.

The fixed choices, all derived from the particles' radii (r_min, r_max):

- templates: spheres of the smallest, median and largest radius, through the volume's transfer; threshold
  :data:`~.picking.PICK_THRESHOLD` robust standard deviations; peaks at least r_min apart, at least r_max
  from every face;
- a pick finds a particle within :data:`MATCH_DISTANCE` voxels of its centre (less than any radius, so a pick
  inside one particle cannot find another);
- averaging: cubes of the smallest even edge ≥ 2·(r_max + 4) voxels (24 for radii up to 8), the soft mask
  1 out to r_max + 2.

A criterion is *unchanged* when the decoded volume's value lies inside the original's 95 % interval: the
Wilson interval for recall and precision, ± 1.96 standard deviations of the 0.143 crossing for resolution.
A setting is **safe for use** when all three are unchanged; a change in either direction counts (a codec that
"improves" a measure has changed the result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..volume import Volume
from .averaging import HalfSetFsc, half_set_fsc
from .picking import Z_95, PickingScore, Picks, pick, score_map, score_picks, sphere_template

__all__ = [
    "MATCH_DISTANCE",
    "Criterion",
    "KnownParticles",
    "UseMeasures",
    "UseVerdict",
    "judge_use",
    "known_particles",
    "measure_use",
]

#: A pick finds a particle whose centre lies within this many voxels.
MATCH_DISTANCE = 3.0


@dataclass(frozen=True)
class KnownParticles:
    """Particles whose truth is known: centres ``(n, 3)`` (voxels, z y x), radii (voxels), the transfer every
    particle went through (a real multiplier on the volume's rfftn half spectrum) and the voxel size (Å)."""

    centres: np.ndarray
    radii: np.ndarray
    transfer: np.ndarray
    voxel_spacing: float

    @property
    def box(self) -> int:
        """The averaging cube's edge: the smallest even number ≥ 2·(largest radius + 4)."""
        return 2 * math.ceil(float(np.max(self.radii)) + 4)

    @property
    def mask_radius(self) -> float:
        return float(np.max(self.radii)) + 2

    @property
    def margin(self) -> float:
        return float(np.max(self.radii))


def known_particles(volume: Volume) -> KnownParticles | None:
    """The particles of a synthetic volume or half-volume (shifted into a crop of one), or None for any other
    source."""
    from ..sources.synthetic_truth import synthetic_particles, synthetic_transfer

    provenance = volume.provenance
    if provenance.get("generator") != "cryoet_zarr_bench.synthetic":
        return None
    truth = synthetic_particles(tuple(provenance["shape"]), provenance["seed"])
    origin = np.array([bounds[0] for bounds in provenance.get("crop", [(0, 0)] * 3)], dtype=np.float64)
    return KnownParticles(
        centres=truth.centres - origin,
        radii=truth.radii,
        transfer=synthetic_transfer(volume.shape),
        voxel_spacing=float(volume.voxel_spacing[0]),
    )


@dataclass(frozen=True)
class UseMeasures:
    """What picking and averaging made of one volume."""

    picks: Picks
    picking: PickingScore
    average: HalfSetFsc


def measure_use(data: np.ndarray, particles: KnownParticles) -> UseMeasures:
    """Pick particles in ``data`` and average them at their known positions (see the module docstring)."""
    expected = (*data.shape[:-1], data.shape[-1] // 2 + 1)
    if data.ndim != 3 or particles.transfer.shape != expected:
        raise ValueError(
            f"the particles' transfer has shape {particles.transfer.shape}, which does not fit a volume of "
            f"shape {data.shape} (expected {expected}): give the particles of this volume"
        )
    radii = np.asarray(particles.radii, dtype=np.float64)
    smallest, largest = float(radii.min()), float(radii.max())
    templates = [
        sphere_template(data.shape, r, particles.transfer) for r in (smallest, np.median(radii), largest)
    ]
    picks = pick(score_map(data, templates), min_distance=smallest, margin=particles.margin)
    scored = score_picks(
        picks.positions, particles.centres, shape=data.shape, distance=MATCH_DISTANCE, margin=particles.margin
    )
    average = half_set_fsc(
        data,
        particles.centres,
        box=particles.box,
        mask_radius=particles.mask_radius,
        voxel_spacing=particles.voxel_spacing,
    )
    return UseMeasures(picks, scored, average)


@dataclass(frozen=True)
class Criterion:
    """One measure before and after, with the original's 95 % interval ``[low, high]``."""

    name: str
    unit: str
    before: float
    after: float
    low: float
    high: float

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def unchanged(self) -> bool:
        return bool(self.low <= self.after <= self.high)

    def __str__(self) -> str:
        verdict = "unchanged" if self.unchanged else "CHANGED"
        return (
            f"{self.name}: {self.before:.4g} -> {self.after:.4g}{' ' + self.unit if self.unit else ''} "
            f"({self.change:+.3g}; the original's "
            f"95% interval {self.low:.4g}-{self.high:.4g}): {verdict}"
        )


@dataclass(frozen=True)
class UseVerdict:
    """Per criterion, unchanged or changed and by how much; :attr:`safe` when all are unchanged."""

    recall: Criterion
    precision: Criterion
    resolution: Criterion
    before: UseMeasures
    after: UseMeasures

    @property
    def criteria(self) -> tuple[Criterion, Criterion, Criterion]:
        return self.recall, self.precision, self.resolution

    @property
    def safe(self) -> bool:
        return all(criterion.unchanged for criterion in self.criteria)

    def __str__(self) -> str:
        verdict = "safe for picking and averaging" if self.safe else "NOT safe for picking and averaging"
        return "\n".join([*(str(c) for c in self.criteria), verdict])


def judge_use(before: UseMeasures, after: UseMeasures) -> UseVerdict:
    """Compare the measures of the original (``before``) with those of the decoded copy (``after``)."""
    recall = Criterion(
        "picking recall", "", before.picking.recall, after.picking.recall, *before.picking.recall_interval
    )
    precision = Criterion(
        "picking precision",
        "",
        before.picking.precision,
        after.picking.precision,
        *before.picking.precision_interval,
    )
    crossing, crossing_after = before.average.crossing(), after.average.crossing()
    spacing, nyquist = crossing.voxel_spacing, float(before.average.curve.frequency[-1])
    finest = min(crossing.frequency + Z_95 * crossing.uncertainty, nyquist)
    coarsest = crossing.frequency - Z_95 * crossing.uncertainty
    resolution = Criterion(
        "average's half-set FSC 0.143 resolution",
        "Å",
        crossing.resolution,
        crossing_after.resolution,
        spacing / finest,
        spacing / coarsest if coarsest > 0 else math.inf,
    )
    return UseVerdict(recall, precision, resolution, before, after)
