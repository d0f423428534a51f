"""``?dtype=`` conversions that never change a value unless asked to, and say what changed when asked.

A conversion keeps every value when each one survives it: integers that fit, floats rounded to the nearest
value of the new type within its precision.  One that would change values (NaN or infinity into integers,
values outside the new type's range, fractions of floats made integers, floats too small or too large for a
narrower float) is refused with a line counting each kind, unless the source says ``lossy=yes``.  Then
values are made to fit in a stated way (into integers: rounded to the nearest, clipped to the range, NaN to
0; into floats: numpy's rounding, with overflow to ±inf) and a note in the provenance counts what changed.

The volume is checked slab by slab, so a check needs a few copies of a slab, not of the volume.
"""

from __future__ import annotations

import numpy as np

from .errors import SourceError

__all__ = ["convert"]

#: Bytes of the source checked or converted at once.
_SLAB_BYTES = 1 << 24


def _to_integers(slab: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Rounded to the nearest integer, clipped to ``dtype``'s range, NaN to 0."""
    info = np.iinfo(dtype)
    if slab.dtype.kind == "f":
        slab = np.nan_to_num(np.rint(slab), nan=0.0, posinf=info.max, neginf=info.min)
        return np.clip(slab, info.min, info.max).astype(dtype)
    source = np.iinfo(slab.dtype)
    return np.clip(slab, max(info.min, source.min), min(info.max, source.max)).astype(dtype)


def _changes(slab: np.ndarray, converted: np.ndarray, dtype: np.dtype) -> dict[str, int]:
    """How many values of ``slab`` did not survive into ``converted``, by kind."""
    original = slab.astype(np.float64)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        finite = np.isfinite(original)
        outside = finite & ((original < info.min) | (original > info.max))
        fraction = finite & ~outside & (original != np.rint(original))
        return {
            "NaN or infinite (no integer value)": int((~finite).sum()),
            f"outside {dtype}'s range {info.min} to {info.max}": int(outside.sum()),
            "with a fraction (rounded to whole numbers)": int(fraction.sum()),
        }
    back = converted.astype(np.float64)
    with np.errstate(invalid="ignore"):
        kept = (back == original) | (np.isnan(back) & np.isnan(original))
        kept |= np.abs(back - original) <= np.finfo(dtype).eps * np.abs(original)
    overflow = ~kept & np.isinf(back) & np.isfinite(original)
    return {
        f"too large for {dtype} (made infinite)": int(overflow.sum()),
        f"too small for {dtype}'s precision (made zero or less precise)": int((~kept & ~overflow).sum()),
    }


def convert(data: np.ndarray, dtype_name: str, *, lossy: bool, source: str) -> tuple[np.ndarray, str | None]:
    """``data`` as ``dtype_name`` and, for a lossy conversion, a note saying what changed.

    Raises
    ------
    SourceError
        If values would change and ``lossy`` is False; the message counts them by kind.
    """
    dtype = np.dtype(dtype_name)
    out = np.empty(data.shape, dtype=dtype)
    planes = max(1, _SLAB_BYTES // max(1, data[:1].nbytes))
    changed: dict[str, int] = {}
    for start in range(0, data.shape[0], planes):
        slab = data[start : start + planes]
        with np.errstate(over="ignore", invalid="ignore"):
            converted = _to_integers(slab, dtype) if dtype.kind in "iu" else slab.astype(dtype)
        for kind, count in _changes(slab, converted, dtype).items():
            changed[kind] = changed.get(kind, 0) + count
        out[start : start + planes] = converted
    lost = {kind: count for kind, count in changed.items() if count}
    if not lost:
        return out, None
    finite = np.isfinite(data) if data.dtype.kind == "f" else True
    low = np.min(data, where=finite, initial=np.inf)
    high = np.max(data, where=finite, initial=-np.inf)
    span = f"; its values span {low:.4g} to {high:.4g}" if low <= high else ""
    counts = ", ".join(f"{count} {kind}" for kind, count in lost.items())
    summary = f"{sum(lost.values())} of {data.size} values ({counts}){span}"
    if not lossy:
        raise SourceError(
            f"converting {source} from {data.dtype} to {dtype} would change {summary}; add &lossy=yes to the "
            "source to convert anyway, or choose a dtype that holds these values (e.g. float32)"
        )
    note = f"converted from {data.dtype} to {dtype} with lossy=yes, changing {summary}"
    if dtype.kind in "iu":
        note += " (rounded to the nearest integer, clipped to the range, NaN made 0)"
    return out, note
