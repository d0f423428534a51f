"""All-or-nothing writes: a file or a directory is complete where it stands, or absent.

Temporary names carry the owning process (:mod:`._orphans`), so those left by a killed run are removed by the
next write of the same file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ._orphans import owner_tag, remove_orphans

__all__ = ["replace_directory", "write_file"]


def write_file(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` (mode 0644) through a temporary file beside it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path.parent, f".{path.name}.")
    prefix = f".{path.name}.{owner_tag()}"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def replace_directory(new: Path, target: Path) -> None:
    """Put directory ``new`` (beside ``target``) at ``target``, replacing what was there with two renames.

    If the second rename fails, the first is undone: ``target`` holds the old directory again.
    """
    if not target.exists():
        os.replace(new, target)
        return
    retired = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-{owner_tag()}"))
    try:
        os.replace(target, retired / target.name)
    except BaseException:
        retired.rmdir()
        raise
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(retired / target.name, target)
        retired.rmdir()
        raise
    shutil.rmtree(retired, ignore_errors=True)
