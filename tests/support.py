"""Helpers for tests that need something outside Python (a browser, virtualenvs) or leave artifacts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: Set by CI: a missing prerequisite fails the test instead of skipping it, so CI cannot pass by skipping.
REQUIRE_ALL = os.environ.get("CRYOET_ZARR_BENCH_REQUIRE_ALL") == "1"


def require(available: bool, what: str) -> None:
    """Skip the test unless ``available``; under ``CRYOET_ZARR_BENCH_REQUIRE_ALL=1``, fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{what} (CRYOET_ZARR_BENCH_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(what)


def save_artifact(path: Path) -> None:
    """Copy ``path`` to ``$CRYOET_ZARR_BENCH_ARTIFACTS``, if set."""
    destination = os.environ.get("CRYOET_ZARR_BENCH_ARTIFACTS")
    if destination:
        Path(destination).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(destination) / path.name)
