"""Crops of the source syntax: ``centre:N``, ``centre:Z,Y,X``, ``z0:z1,y0:y1,x0:x1`` or ``full``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SourceError

__all__ = ["PORTAL_DEFAULT_CROP", "BoxCrop", "CentreCrop", "Crop", "parse_crop", "triple", "unsigned"]

_UNSIGNED = re.compile(r"\d+")


def unsigned(text: str, what: str) -> int:
    if not _UNSIGNED.fullmatch(text):
        raise SourceError(f"{what} must be a non-negative integer, got {text!r}")
    return int(text)


def triple(text: str, what: str) -> tuple[int, int, int]:
    """``N`` (a cube) or ``Z,Y,X`` as three positive integers."""
    parts = text.split(",")
    if len(parts) not in (1, 3):
        raise SourceError(f"{what} must be N or Z,Y,X, got {text!r}")
    sizes = tuple(unsigned(part, what) for part in parts)
    if 0 in sizes:
        raise SourceError(f"{what} must be positive, got {text!r}")
    return sizes * 3 if len(sizes) == 1 else sizes  # type: ignore[return-value]


def _formattriple(sizes: tuple[int, int, int]) -> str:
    return str(sizes[0]) if len(set(sizes)) == 1 else ",".join(map(str, sizes))


def _check_inside(bounds: tuple[tuple[int, int], ...], shape: tuple[int, ...], crop: object) -> None:
    if any(start < 0 or stop > size for (start, stop), size in zip(bounds, shape)):
        shape_text = "x".join(map(str, shape))
        raise SourceError(
            f"crop {crop} lies outside the volume of shape {shape_text} (z, y, x); "
            "choose a crop inside it, or crop=full"
        )


@dataclass(frozen=True)
class CentreCrop:
    """``size`` (z, y, x) voxels centred in the volume (an odd margin leaves the spare voxel at the end)."""

    size: tuple[int, int, int]

    def bounds(self, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """(start, stop) per axis for a volume of ``shape``; a :class:`SourceError` if it does not fit."""
        starts = [(n - s) // 2 for n, s in zip(shape, self.size)]
        bounds = tuple((start, start + s) for start, s in zip(starts, self.size))
        _check_inside(bounds, shape, self)
        return bounds

    def __str__(self) -> str:
        return f"centre:{_formattriple(self.size)}"


@dataclass(frozen=True)
class BoxCrop:
    """An explicit box: (start, stop) voxel indices per axis, (z, y, x)."""

    box: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]

    def bounds(self, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        """(start, stop) per axis; a :class:`SourceError` if the box reaches outside ``shape``."""
        _check_inside(self.box, shape, self)
        return self.box

    def __str__(self) -> str:
        return ",".join(f"{start}:{stop}" for start, stop in self.box)


Crop = CentreCrop | BoxCrop
PORTAL_DEFAULT_CROP = CentreCrop((128, 128, 128))


def parse_crop(text: str) -> Crop | None:
    """``full`` (None), ``centre:N``, ``centre:Z,Y,X`` (also ``center``) or ``z0:z1,y0:y1,x0:x1``."""
    if text == "full":
        return None
    for word in ("centre:", "center:"):
        if text.startswith(word):
            return CentreCrop(triple(text[len(word) :], "the size of a centred crop"))
    ranges = text.split(",")
    if len(ranges) != 3 or any(r.count(":") != 1 for r in ranges):
        raise SourceError(
            f"cannot read crop {text!r}: write centre:N, centre:Z,Y,X, z0:z1,y0:y1,x0:x1 or full"
        )
    box = []
    for axis, text_range in zip("zyx", ranges):
        start, stop = (unsigned(part, f"crop bound along {axis}") for part in text_range.split(":"))
        if stop <= start:
            raise SourceError(f"crop {text!r} is empty along {axis}: {start}:{stop} needs stop > start")
        box.append((start, stop))
    return BoxCrop(tuple(box))  # type: ignore[arg-type]


