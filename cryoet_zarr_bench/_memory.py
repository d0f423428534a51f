"""Refusing up front what cannot fit: the memory a step needs, against what the machine has available.

A volume or chunk too big for the machine would otherwise be attempted and die with ``MemoryError`` (or the
kernel's OOM killer) after minutes. The estimates are deliberately rough (working copies, not allocator
overhead); they only need to catch sizes that cannot possibly fit.
"""

from __future__ import annotations

from .errors import UserError

__all__ = ["NotEnoughMemoryError", "available_memory", "format_bytes", "require_memory"]

_MEMINFO = "/proc/meminfo"


class NotEnoughMemoryError(UserError, ValueError):
    """A step would need more memory than the machine has available; the message gives both figures."""


def available_memory() -> int | None:
    """Bytes the kernel could give a new allocation without swapping (``MemAvailable``); None if unknown."""
    try:
        with open(_MEMINFO, encoding="ascii") as meminfo:
            for line in meminfo:
                name, _, value = line.partition(":")
                if name == "MemAvailable":
                    return int(value.split()[0]) * 1024  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def format_bytes(n: float) -> str:
    """``1.5 GB``-style (powers of 1000, as the tables' MB)."""
    if abs(n) < 1000:
        return f"{n:.0f} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n /= 1000
        if abs(n) < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} PB"


def require_memory(
    needed: int, purpose: str, hint: str, *, error: type[Exception] = NotEnoughMemoryError
) -> None:
    """Raise ``error`` if ``purpose`` needs about ``needed`` bytes and the machine has fewer available.

    Where the available memory cannot be read (not Linux), nothing is checked.
    """
    available = available_memory()
    if available is not None and needed > available:
        raise error(
            f"{purpose} needs about {format_bytes(needed)} of memory but this machine has "
            f"{format_bytes(available)} available; {hint}"
        )
