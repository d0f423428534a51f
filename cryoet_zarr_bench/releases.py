"""Which zarr/numcodecs releases are running, and whether they are the ones the asv environment pinned.

asv installs each matrix requirement with pip, then this project without dependencies.  Should anything still
move a pin (a dependency's constraint, a stale wheel), results would be filed under the wrong release; so the
benchmarks compare what is imported with what asv recorded in ``$ASV_ENV_DIR/asv-env-info.json`` and refuse to
run on a mismatch.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from ._compat import library_versions
from .errors import UserError

__all__ = [
    "PINNED",
    "RELEASE_BENCHMARKS",
    "TRACKED",
    "PinMismatchError",
    "asv_pins",
    "release_text",
    "verify_pins",
    "version_number",
]

#: The libraries whose releases the matrix compares.
TRACKED = ("zarr", "numcodecs")
#: The libraries every matrix environment pins and every benchmark checks: the compared ones, and numpy, whose
#: release decides the synthetic volume's bits.
PINNED = (*TRACKED, "numpy")
#: The asv benchmarks (``benchmarks/releases.py``) recording each tracked library's release as a
#: :func:`version_number`.
RELEASE_BENCHMARKS = {name: f"releases.Releases.track_{name}_release" for name in TRACKED}


class PinMismatchError(UserError, RuntimeError):
    """An asv environment imports a release other than the one its matrix entry pins."""


def asv_pins(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The :data:`PINNED` libraries' versions pinned by the asv environment running us ({} outside asv)."""
    env_dir = environ.get("ASV_ENV_DIR")
    if not env_dir:
        return {}
    info_file = Path(env_dir) / "asv-env-info.json"
    if not info_file.is_file():
        return {}
    requirements = json.loads(info_file.read_text()).get("requirements", {})
    return {name: str(requirements[name]) for name in PINNED if requirements.get(name)}


def verify_pins(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Raise :class:`PinMismatchError` unless every pinned library (:data:`PINNED`) is the imported one.

    Returns the imported versions of the :data:`PINNED` libraries.
    """
    imported = {name: library_versions()[name] for name in PINNED}
    wrong = [
        f"{name} {imported[name]} (pinned {pinned})"
        for name, pinned in asv_pins(environ).items()
        if imported[name] != pinned
    ]
    if wrong:
        raise PinMismatchError(
            f"asv environment {environ.get('ASV_ENV_NAME', '?')} imports {', '.join(wrong)}; "
            "results would be filed under the wrong release. Remove the environment (.asv/env) and rerun."
        )
    return imported


def version_number(version: str) -> int:
    """A release as one sortable integer for asv's graphs: ``"3.1.6"`` -> 30106, ``"2.18.7"`` -> 21807."""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        raise ValueError(f"cannot read a release number from {version!r}")
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major * 10000 + minor * 100 + patch


def release_text(number: int) -> str:
    """The inverse of :func:`version_number`: ``30106`` -> ``"3.1.6"``."""
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"
