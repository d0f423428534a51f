"""Finding the Python interpreters the release matrix needs, wherever this machine keeps them.

asv creates a matrix environment for Python ``X.Y`` from the executable named ``pythonX.Y`` on ``PATH``.  Such
an interpreter may be the system's (Debian 13's ``python3.13``), or built under pyenv and not on ``PATH`` at
all; pyenv's shims are on ``PATH`` but fail unless that version is selected.  So a candidate counts only once
it has run and reported the right version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ._orphans import owner_tag, remove_orphans
from .errors import UserError

__all__ = ["InterpreterNotFound", "find_python", "how_to_get", "interpreters_on_path"]


#: Name prefix of the directory of interpreter links (with the owner's process id, see ``_orphans``).
PYTHONS_PREFIX = "cryoet-zarr-bench-pythons-"


class InterpreterNotFound(UserError, LookupError):
    """A Python version the matrix needs is not installed anywhere this module looks."""


def _reports_version(executable: Path, version: str) -> bool:
    """Whether ``executable`` runs and is Python ``version`` (``"3.13"``)."""
    try:
        completed = subprocess.run(
            [str(executable), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return completed.returncode == 0 and completed.stdout.strip() == version


def _pyenv_root(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _patch_key(directory: Path) -> tuple[int, ...]:
    """pyenv's ``3.13.10`` sorts after ``3.13.9``; names with letters (``3.13.0t``) sort first."""
    parts = directory.name.split(".")
    return tuple(int(part) if part.isdigit() else -1 for part in parts)


def _candidates(version: str, environ: Mapping[str, str]) -> Iterator[Path]:
    """``pythonX.Y`` on PATH, then pyenv's builds of X.Y, newest patch first."""
    name = f"python{version}"
    on_path = shutil.which(name, path=environ.get("PATH", os.defpath))
    if on_path:
        yield Path(on_path)
    builds = _pyenv_root(environ).glob(f"versions/{version}.*/bin/{name}")
    yield from sorted(builds, key=lambda path: _patch_key(path.parents[1]), reverse=True)


def find_python(version: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The first working interpreter for Python ``version`` (``"3.13"``), or None."""
    return next((path for path in _candidates(version, environ) if _reports_version(path, version)), None)


def how_to_get(version: str) -> str:
    """One line telling the user how to install Python ``version``."""
    return (
        f"no working python{version} found (looked on PATH and under pyenv); install one with "
        f"`pyenv install {version}` or, on Debian 13 and later, "
        f"`apt-get install python{version} python{version}-venv`"
    )


@contextmanager
def interpreters_on_path(
    versions: list[str], environ: Mapping[str, str] = os.environ
) -> Iterator[dict[str, str]]:
    """A copy of ``environ`` whose PATH finds ``pythonX.Y`` for every version, working ones first.

    Each interpreter is linked by its versioned name alone into a temporary directory put in front of PATH, so
    that nothing else (``python3``, ``pip``) changes meaning.  The directory's name carries this process's id,
    so one left by a run killed outright is removed by the next.

    Raises
    ------
    InterpreterNotFound
        If some version is not installed; the message says how to get it.
    """
    found = {}
    for version in versions:
        executable = find_python(version, environ)
        if executable is None:
            raise InterpreterNotFound(how_to_get(version))
        found[version] = executable
    temporary = tempfile.gettempdir()
    remove_orphans(Path(temporary), PYTHONS_PREFIX)  # those of runs killed outright
    with tempfile.TemporaryDirectory(prefix=f"{PYTHONS_PREFIX}{owner_tag()}", dir=temporary) as directory:
        for version, executable in found.items():
            (Path(directory) / f"python{version}").symlink_to(executable)
        path = environ.get("PATH", os.defpath)
        yield {**environ, "PATH": f"{directory}{os.pathsep}{path}" if path else directory}
