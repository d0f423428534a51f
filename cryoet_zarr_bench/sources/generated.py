"""The ``synthetic`` source kind: the volume :func:`.synthetic.synthetic_volume` generates, within the memory
there is, cropped as the source asks; registered (:mod:`.kinds`)."""

from __future__ import annotations

import math

from .._memory import require_memory
from ..volume import Volume
from .errors import SourceError
from .kinds import BeforeReading, SourceKind, register
from .spec import SourceSpec
from .synthetic import DEFAULT_SEED, DEFAULT_SHAPE, synthetic_volume

__all__ = ["SYNTHETIC_WORKING_COPIES", "read_synthetic"]

#: Peak memory of generating a synthetic volume, in float32 copies of it (measured: 2.1 to 2.5).
SYNTHETIC_WORKING_COPIES = 3


def read_synthetic(
    spec: SourceSpec, *, progress: bool = False, before_reading: BeforeReading = None
) -> Volume:
    """Generate the volume of a ``synthetic`` source, and crop it."""
    assert spec.shape is not None and spec.seed is not None  # filled in by SourceSpec
    require_memory(
        SYNTHETIC_WORKING_COPIES * 4 * math.prod(spec.shape),
        f"generating {spec}",
        "choose a smaller shape",
        error=SourceError,
    )
    try:
        generated = synthetic_volume(shape=spec.shape, seed=spec.seed)
    except ValueError as error:
        raise SourceError(str(error)) from None
    if spec.crop is None:
        return generated
    bounds = spec.crop.bounds(generated.shape)
    cropped = generated.data[tuple(slice(start, stop) for start, stop in bounds)].copy()
    provenance = {
        **generated.provenance,
        "full_shape": list(generated.shape),
        "crop": [list(b) for b in bounds],
    }
    return Volume(cropped, generated.voxel_spacing, str(spec), provenance)


register(
    SourceKind(
        "synthetic",
        syntax="synthetic",
        options=("shape", "seed", "crop", "dtype", "lossy", "sigma"),
        read=read_synthetic,
        defaults={"shape": DEFAULT_SHAPE, "seed": DEFAULT_SEED},
        generated=True,
    )
)
