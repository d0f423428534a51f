"""The few settings of an asv configuration file that this project's commands need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

__all__ = ["AsvConfig", "AsvConfigError", "parse_settings", "read_settings"]


class AsvConfigError(UserError, ValueError):
    """An asv configuration file that is missing or unreadable."""


@dataclass(frozen=True)
class AsvConfig:
    """Where an asv configuration puts things, as absolute paths (asv reads them relative to the file)."""

    path: Path
    repo: Path
    results_dir: Path
    html_dir: Path
    benchmark_dir: Path

    @classmethod
    def read(cls, path: str | Path) -> AsvConfig:
        """Parse ``path`` as asv does (JSON5: ``//`` comments and trailing commas allowed)."""
        path = Path(path).resolve()
        settings = read_settings(path)
        base = path.parent
        return cls(
            path=path,
            repo=base / settings.get("repo", "."),
            results_dir=base / settings.get("results_dir", "results"),
            html_dir=base / settings.get("html_dir", "html"),
            benchmark_dir=base / settings.get("benchmark_dir", "benchmarks"),
        )


def read_settings(path: Path) -> dict:
    """Every setting of the asv configuration file ``path``."""
    if not path.is_file():
        raise AsvConfigError(f"no asv configuration at {path}; run from the repository root or pass --config")
    return parse_settings(path.read_text(encoding="utf-8"), path)


def parse_settings(text: str, path: Path) -> dict:
    """The settings in ``text``, read as asv reads its configuration (JSON5), from ``path``."""
    try:
        import json5  # a dependency of asv
    except ImportError:
        raise AsvConfigError(
            "reading asv configurations needs asv: pip install 'cryoet-zarr-bench[bench]'"
        ) from None
    try:
        return json5.loads(text)
    except ValueError as error:
        raise AsvConfigError(f"cannot parse asv configuration {path}: {error}") from None
