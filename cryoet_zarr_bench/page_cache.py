"""Evict files from the operating system's page cache, so that a read that follows comes from the disk.

A read of a store written moments before is served from memory (a *warm* read). A *cold* read needs the
store's pages gone first: :func:`evict` flushes each file and asks the kernel to drop its cached pages
(``posix_fadvise(POSIX_FADV_DONTNEED)``, which needs no privileges), and :func:`resident_bytes` says how much
of the files the cache still holds (``mincore``), so a caller can check that the eviction took. On a
filesystem that lives in memory (tmpfs) nothing can be evicted; there a cold read does not exist.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from collections.abc import Iterable
from pathlib import Path

from .errors import UserError

__all__ = ["EvictionUnavailable", "evict", "resident_bytes"]


class EvictionUnavailable(UserError, NotImplementedError):
    """The system cannot drop a file's pages from its page cache (or cannot say whether it did)."""


def evict(paths: Iterable[Path]) -> None:
    """Write back and drop the cached pages of every file in ``paths``."""
    if not hasattr(os, "posix_fadvise"):
        raise EvictionUnavailable("this system has no posix_fadvise; cold reads are measured on Linux")
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _libc() -> ctypes.CDLL:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    if libc is None or not hasattr(libc, "mincore"):
        raise EvictionUnavailable("no mincore in this system's C library; cannot see the page cache")
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = (
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long
    )
    libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
    return libc


def resident_bytes(paths: Iterable[Path]) -> int:
    """How many bytes of the files in ``paths`` the page cache holds now (whole pages)."""
    libc = _libc()
    page = mmap.PAGESIZE
    resident = 0
    for path in paths:
        size = os.path.getsize(path)
        if size == 0:
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
            if address in (None, ctypes.c_void_p(-1).value):
                raise OSError(ctypes.get_errno(), f"cannot map {path}")
            try:
                pages = ctypes.create_string_buffer(-(-size // page))
                if libc.mincore(address, size, pages) != 0:
                    raise OSError(ctypes.get_errno(), f"mincore failed on {path}")
                resident += page * sum(byte & 1 for byte in pages.raw)
            finally:
                libc.munmap(address, size)
        finally:
            os.close(fd)
    return resident
