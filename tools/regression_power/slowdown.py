"""A test-only slowdown of one numcodecs codec, injected into a throwaway commit by ``regression_power.py``.

Importing this module makes every ``encode`` and ``decode`` of the named numcodecs codec class take
``FRACTION`` longer than it did: the call runs, then the thread spins (holding the CPU, as real work would)
for ``FRACTION`` of the time the call took.  Nothing else changes: the bytes written and read are the
codec's own.  It is never part of the package; the tool copies it into a scratch clone.
"""

from __future__ import annotations

import functools
import importlib
import time

#: Filled in by the tool when it copies this file: the codec class (``module:Class``) and the fraction.
CODEC_CLASS = "numcodecs.zstd:Zstd"
FRACTION = 0.10


def slowed(method, fraction: float, clock=time.perf_counter):
    """``method``, taking ``fraction`` more of its own time on every call."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        start = clock()
        result = method(*args, **kwargs)
        until = clock() + fraction * (clock() - start)
        while clock() < until:
            pass
        return result

    return wrapper


def install(codec_class: str = CODEC_CLASS, fraction: float = FRACTION) -> None:
    """Slow ``codec_class``'s ``encode`` and ``decode`` down by ``fraction``."""
    module_name, class_name = codec_class.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    for name in ("encode", "decode"):
        setattr(cls, name, slowed(getattr(cls, name), fraction))
