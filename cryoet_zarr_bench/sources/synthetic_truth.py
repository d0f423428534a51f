"""What the synthetic tomogram is made of, for a study that must know the answer:
its particles and its optics.

:func:`synthetic_volume` draws its particles from a seeded generator and passes everything through one
Fourier filter (low-pass and missing wedge).  :func:`synthetic_particles` draws the same particles again
(centres, radii, contrasts) and :func:`synthetic_transfer` returns the filter, so a study can build a
template that matches what a particle looks like in the tomogram and score picks against the truth.  Neither
generates the volume, and neither changes a byte of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .synthetic import DEFAULT_SEED, DEFAULT_SHAPE, _as_seed, _as_shape, _Filter, _particles

__all__ = ["SyntheticParticles", "synthetic_particles", "synthetic_transfer"]


@dataclass(frozen=True)
class SyntheticParticles:
    """The particles of one synthetic tomogram, in the order they were drawn.

    ``centres`` is ``(n, 3)``: each solid sphere's centre in voxels along (z, y, x), not rounded; ``radii``
    are in voxels; ``contrasts`` in units of the filtered noise's standard deviation (the spheres were
    subtracted: particles are dark).
    """

    centres: np.ndarray
    radii: np.ndarray
    contrasts: np.ndarray

    def __len__(self) -> int:
        return len(self.radii)


def synthetic_particles(
    shape: int | tuple[int, int, int] = DEFAULT_SHAPE, seed: int = DEFAULT_SEED
) -> SyntheticParticles:
    """The particles :func:`~cryoet_zarr_bench.sources.synthetic.synthetic_volume` draws for ``(shape, seed)``
    (its half-volumes and labels have the same ones)."""
    shape = _as_shape(shape)
    _, particle_rng, _ = np.random.default_rng(_as_seed(seed)).spawn(3)
    return SyntheticParticles(*_particles(shape, particle_rng))


def synthetic_transfer(shape: int | tuple[int, int, int] = DEFAULT_SHAPE) -> np.ndarray:
    """The synthetic tomogram's optics for a volume of ``shape``: the low-pass times the missing wedge, with
    the mean removed, as a real multiplier on :func:`numpy.fft.rfftn`'s half spectrum (shape
    ``(z, y, x // 2 + 1)``).  Every particle of the tomogram went through it."""
    return _Filter(_as_shape(shape)).transfer()
