"""The reads people actually do on a tomogram, each one region of the array.

=============  ===============================================================================
pattern        region of a (z, y, x) volume
=============  ===============================================================================
``xy``         the central z plane, ``[nz // 2, :, :]`` (a viewer's default slice)
``xz``         the central y plane, ``[:, ny // 2, :]``
``yz``         the central x plane, ``[:, :, nx // 2]``
``sub64``      a 64³ subvolume at a seeded random corner (a particle-picking or training crop;
               smaller along an axis shorter than 64)
``whole``      the whole volume
=============  ===============================================================================

They are read from one of :data:`STORES`:

========================  =====================================================================
store                     what serves the chunks
========================  =====================================================================
``local``                 a directory on local disk (page cache warm)
``memory``                a ``dict`` in the process (no disk: codec and zarr only)
``s3``                    an S3 server on 127.0.0.1 (moto), read anonymously through s3fs
``s3+latency``            the same with 20 ms added to every request (a cross-region round trip)
``s3-obstore``            the S3 server read through zarr 3's ``ObjectStore`` (obstore)
``s3-obstore+latency``    the same with 20 ms added to every request
========================  =====================================================================

:func:`region` gives a pattern's selection, :func:`read` reads it from an opened array and :func:`expected`
cuts it from the original data, so a benchmark can check that a read returned exactly the right values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PATTERNS", "STORES", "SUBVOLUME_EDGE", "expected", "read", "region"]

PATTERNS = ("xy", "xz", "yz", "sub64", "whole")
STORES = ("local", "memory", "s3", "s3+latency", "s3-obstore", "s3-obstore+latency")
SUBVOLUME_EDGE = 64


def region(pattern: str, shape: tuple[int, int, int], seed: int = 0) -> tuple[slice, slice, slice]:
    """The selection a pattern reads from an array of ``shape`` (z, y, x); ``seed`` places ``sub64``."""
    nz, ny, nx = shape
    everything = slice(None)
    if pattern == "xy":
        return (slice(nz // 2, nz // 2 + 1), everything, everything)
    if pattern == "xz":
        return (everything, slice(ny // 2, ny // 2 + 1), everything)
    if pattern == "yz":
        return (everything, everything, slice(nx // 2, nx // 2 + 1))
    if pattern == "sub64":
        rng = np.random.default_rng(seed)
        edges = [min(SUBVOLUME_EDGE, n) for n in shape]
        starts = [int(rng.integers(0, n - e + 1)) for n, e in zip(shape, edges)]
        return tuple(slice(s, s + e) for s, e in zip(starts, edges))  # type: ignore[return-value]
    if pattern == "whole":
        return (everything, everything, everything)
    raise ValueError(f"unknown access pattern {pattern!r}; valid: {', '.join(PATTERNS)}")


def read(array: Any, pattern: str, seed: int = 0) -> np.ndarray:
    """Read a pattern's region from an opened Zarr array (or anything indexable with a ``shape``)."""
    return np.asarray(array[region(pattern, tuple(array.shape), seed)])


def expected(data: np.ndarray, pattern: str, seed: int = 0) -> np.ndarray:
    """What :func:`read` must return for ``data``."""
    return data[region(pattern, data.shape, seed)]
