"""The few settings of an asv configuration file that this project's commands need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["AsvConfig", "AsvConfigError"]


class AsvConfigError(ValueError):
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
        if not path.is_file():
            raise AsvConfigError(f"no asv configuration at {path}; run from the repository root or pass --config")
        try:
            import json5  # a dependency of asv
        except ImportError:
            raise AsvConfigError("reading asv configurations needs asv: pip install 'cryoet-zarr-bench[bench]'") from None
        try:
            settings = json5.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise AsvConfigError(f"cannot parse asv configuration {path}: {error}") from None
        base = path.parent
        return cls(
            path=path,
            repo=base / settings.get("repo", "."),
            results_dir=base / settings.get("results_dir", "results"),
            html_dir=base / settings.get("html_dir", "html"),
            benchmark_dir=base / settings.get("benchmark_dir", "benchmarks"),
        )
