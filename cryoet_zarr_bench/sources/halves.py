"""A volume's noise reference from its source: the half-volumes it names and a σ it states.

The synthetic source makes its own two half-volumes (same particles and background, independent noise; see
:func:`.synthetic.synthetic_half_volumes`).  Any other source names them with ``?halves=odd.mrc,even.mrc``
(odd/even tomograms as Warp, AreTomo3 and cryoCARE workflows write them: two files of the volume's geometry),
read with the volume's crop, level and dtype.  The CryoET Data Portal's API (client 4.9) exposes no odd/even
tomograms, so a portal run's halves are given the same way, as local files.  ``?sigma=S`` states σ.
:func:`noise_estimate` hands all of it to :func:`cryoet_zarr_bench.noise.estimate_noise`.
"""

from __future__ import annotations

from ..noise import NoiseEstimate, estimate_noise
from ..volume import Volume
from .errors import SourceError
from .local import MRC_IMAGE_2D
from .spec import parse_source

__all__ = ["IMAGE_LAYOUTS", "is_image_stack", "noise_estimate", "read_halves"]

#: ``mrc_layout`` provenance values of volumes that are stacks of 2-D images, not 3-D volumes.
IMAGE_LAYOUTS = ("image stack", MRC_IMAGE_2D)


def is_image_stack(volume: Volume) -> bool:
    """Whether the volume is a stack of 2-D images (tilt images, micrographs), to be judged image by image."""
    return volume.provenance.get("mrc_layout") in IMAGE_LAYOUTS


def read_halves(volume: Volume, *, cache: bool = True) -> tuple[Volume, Volume] | None:
    """The volume's two half-volumes, or None if its source has none; a :class:`SourceError` if they cannot be
    read or do not match the volume's shape."""
    from . import acquire
    from .synthetic import synthetic_half_volumes

    spec = parse_source(volume.source)
    if spec.kind == "synthetic":
        assert spec.shape is not None and spec.seed is not None
        half1, half2, _ = synthetic_half_volumes(spec.shape, spec.seed)
        if spec.crop is None:
            return half1, half2
        box = tuple(slice(start, stop) for start, stop in spec.crop.bounds(spec.shape))
        return tuple(  # type: ignore[return-value]
            Volume(half.data[box].copy(), half.voxel_spacing, half.source, half.provenance)
            for half in (half1, half2)
        )
    if spec.halves is None:
        return None
    halves = tuple(acquire(spec.half(which), cache=cache) for which in (0, 1))
    for name, half in zip(spec.halves, halves):
        if half.shape != volume.shape:
            raise SourceError(
                f"half-volume {name} is {'x'.join(map(str, half.shape))}, the volume "
                f"{'x'.join(map(str, volume.shape))}: halves must have the volume's geometry (same file size "
                "and crop)"
            )
    return halves  # type: ignore[return-value]


def noise_estimate(volume: Volume, *, cache: bool = True) -> NoiseEstimate:
    """Every σ estimate for ``volume``: stated (``?sigma=``), from its half-volumes, spectral and MAD; the one
    used and any warnings (see :class:`~cryoet_zarr_bench.noise.NoiseEstimate`)."""
    spec = parse_source(volume.source)
    halves = read_halves(volume, cache=cache)
    arrays = None if halves is None else (halves[0].data, halves[1].data)
    return estimate_noise(volume.data, halves=arrays, stated=spec.sigma)
