"""Judging a lossy codec by what cryo-ET users do with a tomogram: pick particles and average them.

:mod:`.picking` (template matching, picks scored against known particles), :mod:`.averaging` (subtomogram
averaging at known positions, half-set FSC and its 0.143 crossing with uncertainties) and :mod:`.use` (the
verdict: :func:`measure_use` on the original and on its decoded copy, :func:`judge_use` between them).
numpy only; no zarr.
"""

from .averaging import Crossing, HalfSetFsc, half_set_averages, half_set_fsc
from .picking import PickingScore, Picks, pick, score_map, score_picks, sphere_template, wilson_interval
from .use import (
    Criterion,
    KnownParticles,
    UseMeasures,
    UseVerdict,
    judge_use,
    known_particles,
    measure_use,
    source_particles,
)

__all__ = [
    "Criterion",
    "Crossing",
    "HalfSetFsc",
    "KnownParticles",
    "PickingScore",
    "Picks",
    "UseMeasures",
    "UseVerdict",
    "half_set_averages",
    "half_set_fsc",
    "judge_use",
    "known_particles",
    "measure_use",
    "pick",
    "score_map",
    "score_picks",
    "source_particles",
    "sphere_template",
    "wilson_interval",
]
