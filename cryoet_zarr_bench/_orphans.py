"""Temporary and partial objects named after the process that owns them,
and removal of those left by dead ones.

A run killed outright (SIGKILL, a power cut) cannot clean up after itself. So every temporary or partial
object this project makes (a store's staging directory, ``quick``'s work directory, a cache file being
written) carries ``pid<N>-`` in its name, where N is the owning process, and the next run that makes one in
the same place first removes the objects whose owner no longer exists. An object whose PID was reused by
another live process is kept until that process ends too: never removing a live run's object matters more than
prompt removal.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

__all__ = ["owner_tag", "remove_orphans"]

_OWNER = re.compile(r"(?:^|[.-])pid(\d+)-")


def owner_tag() -> str:
    """``pid<N>-`` for this process: put it in the name of every temporary or partial object."""
    return f"pid{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def remove_orphans(directory: Path, prefix: str) -> list[Path]:
    """Remove the entries of ``directory`` named ``prefix…pid<N>-…`` whose process N is gone; returns them.

    Only names starting with ``prefix`` are considered, so a sweep touches nothing but the caller's own kind
    of object. A missing or unreadable directory, or an entry another process removes first, is no error.
    """
    removed = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        owner = _OWNER.search(entry.name[len(prefix) :])
        if owner is None or _alive(int(owner.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed
