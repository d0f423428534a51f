"""Peak memory of one operation, not of the process: what a write or a read adds over a baseline.

asv's ``peakmem_*`` reports the process's peak resident set, which the interpreter, the imports and the volume
dominate (and zarr 2 and 3 import different amounts). Linux lets a process reset its peak resident set
(``VmHWM``) to the current one by writing ``5`` to ``/proc/self/clear_refs``; the peak an operation reaches,
minus the resident set just before it, is then what the operation added: its buffers, the codec's scratch
memory (which ``tracemalloc`` does not see) and the array it returns.

glibc would otherwise hide memory an operation takes again: after the first large buffer is freed it raises
its threshold for serving allocations from fresh mappings, and then keeps freed buffers (in a worker thread's
arena, beyond ``malloc_trim``'s reach) for the next operation to reuse without a page fault. So before the
baseline the threshold is fixed at glibc's initial 128 KiB (buffers that large come from, and go back to, the
system) and freed heap memory is trimmed. Smaller buffers may still be reused; they are what they are in any
process. Elsewhere (macOS, Windows, musl without
``clear_refs``) there is no resettable peak: :func:`added_peak_bytes` raises :class:`PeakMemoryUnavailable`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import UserError

__all__ = ["PeakMemoryUnavailable", "added_peak_bytes"]

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


class PeakMemoryUnavailable(UserError, NotImplementedError):
    """This system cannot reset a process's peak resident set (only Linux can)."""


def _status_bytes(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", line
            return int(value) * 1024
    raise PeakMemoryUnavailable(f"{_STATUS} has no {field} line")


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
_GLIBC_INITIAL_MMAP_THRESHOLD = 128 * 1024


def _release_freed_memory() -> None:
    """Serve large buffers from fresh mappings (glibc's initial rule) and trim what the heap holds freed."""
    libc_name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_name) if libc_name else None
    if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_INITIAL_MMAP_THRESHOLD)
        libc.malloc_trim(0)


def _reset_peak() -> int:
    """Make the peak resident set the current one; return it (bytes)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError as error:
        raise PeakMemoryUnavailable(
            f"cannot reset the peak resident set through {_CLEAR_REFS} ({error}); "
            "the added peak memory of one operation is measured on Linux only"
        ) from None
    return _status_bytes("VmHWM")


def added_peak_bytes(operation: Callable[[], Any]) -> int:
    """Run ``operation`` and return the most memory (bytes) it held at once beyond what was resident before.

    What the operation returns is kept until the peak is read, so a read counts the array it produces.
    """
    gc.collect()
    _release_freed_memory()
    baseline = _reset_peak()
    result = operation()
    peak = _status_bytes("VmHWM")
    del result
    return max(0, peak - baseline)
