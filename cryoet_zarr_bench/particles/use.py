"""Is a lossy setting safe for what cryo-ET users do with a tomogram?
Picking and averaging, before and after.

On a volume whose particles are known (the synthetic source: :func:`known_particles` from the volume,
:func:`source_particles` from its source string alone), :func:`measure_use` picks particles by template
matching (:mod:`.picking`) and averages them at their true positions (:mod:`.averaging`); :func:`judge_use`
compares the measures of the original with those of its decoded copy.

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
    "MIN_PARTICLES",
    "Criterion",
    "KnownParticles",
    "UseMeasures",
    "UseVerdict",
    "judge_use",
    "known_particles",
    "measure_use",
    "source_particles",
]

#: A pick finds a particle whose centre lies within this many voxels.
MATCH_DISTANCE = 3.0
#: The fewest particles inside the picking margin, and in the averaging boxes, that the measures need.
MIN_PARTICLES = 8


@dataclass(frozen=True)
class KnownParticles:
    """Particles whose truth is known in a volume of ``shape``: centres ``(n, 3)`` (voxels, z y x), radii
    (voxels), the transfer every particle went through (a real multiplier on the volume's rfftn half
    spectrum) and the voxel size (Å)."""

    shape: tuple[int, int, int]
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

    def unmeasurable(self) -> str | None:
        """Why picking and averaging cannot be measured in this volume (too few particles), or None."""
        shape = np.asarray(self.shape)
        inside = np.all((self.centres >= self.margin) & (self.centres <= shape - 1 - self.margin), axis=1)
        low = np.rint(self.centres).astype(int) - self.box // 2
        boxed = np.all((low >= 0) & (low + self.box <= shape), axis=1)
        if min(inside.sum(), boxed.sum()) < MIN_PARTICLES:
            return (
                f"a {'x'.join(map(str, self.shape))} volume holds {inside.sum()} known particles inside the "
                f"picking margin and {boxed.sum()} whole {self.box}-voxel averaging boxes; picking and "
                f"averaging need {MIN_PARTICLES} of each: use a larger volume (64³ or more)"
            )
        return None


def _synthetic(shape: tuple[int, ...], seed: int, bounds) -> KnownParticles:
    """The synthetic particles of ``(shape, seed)`` in the crop ``bounds`` ((start, stop) per axis)."""
    from ..sources.synthetic import VOXEL_SPACING
    from ..sources.synthetic_truth import synthetic_particles, synthetic_transfer

    truth = synthetic_particles(tuple(shape), seed)
    cropped = tuple(stop - start for start, stop in bounds)
    return KnownParticles(
        shape=cropped,  # type: ignore[arg-type]
        centres=truth.centres - np.array([start for start, _ in bounds], dtype=np.float64),
        radii=truth.radii,
        transfer=synthetic_transfer(cropped),
        voxel_spacing=VOXEL_SPACING,
    )


def known_particles(volume: Volume) -> KnownParticles | None:
    """The particles of a synthetic volume or half-volume (shifted into a crop of one), or None for any other
    source."""
    provenance = volume.provenance
    if provenance.get("generator") != "cryoet_zarr_bench.synthetic":
        return None
    shape = provenance["shape"]
    return _synthetic(shape, provenance["seed"], provenance.get("crop", [(0, n) for n in shape]))


def source_particles(source: str) -> KnownParticles | None:
    """The known particles of the volume a source string names, without reading or generating the volume: a
    synthetic source's (in its crop), None for any other."""
    from ..sources import parse_source

    spec = parse_source(source)
    if spec.kind != "synthetic":
        return None
    full = [(0, n) for n in spec.shape]
    return _synthetic(spec.shape, spec.seed, full if spec.crop is None else spec.crop.bounds(spec.shape))


@dataclass(frozen=True)
class UseMeasures:
    """What picking and averaging made of one volume."""

    picks: Picks
    picking: PickingScore
    average: HalfSetFsc


def measure_use(data: np.ndarray, particles: KnownParticles) -> UseMeasures:
    """Pick particles in ``data`` and average them at their known positions (see the module docstring)."""
    if tuple(data.shape) != tuple(particles.shape):
        raise ValueError(
            f"the known particles belong to a volume of shape {tuple(particles.shape)}, not {data.shape}: "
            "give the particles of this volume"
        )
    reason = particles.unmeasurable()
    if reason is not None:
        raise ValueError(reason)
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
            f"({self.change:+.3g}; the original's 95% interval {self.low:.4g}-{self.high:.4g}): {verdict}"
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
