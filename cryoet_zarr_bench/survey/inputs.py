"""What a survey runs over: source strings, whole portal datasets, and folders of tomogram files."""

from __future__ import annotations

import re
from pathlib import Path

from ..sources import SourceError, parse_source
from ..sources.kinds import KINDS

__all__ = ["expand_inputs"]

_PORTAL_DATASET = re.compile(r"portal:(\d+)/?$")


def _tomogram_suffixes() -> tuple[str, ...]:
    """File names a folder input picks up, each kind's (OME-Zarr directories are recognised by their suffix
    too)."""
    return tuple(suffix for kind in KINDS.values() for suffix in kind.survey_suffixes)


def _split(item: str) -> tuple[str, str]:
    base, _, options = item.partition("?")
    return base, options


def _with_options(base: str, options: str) -> str:
    return f"{base}?{options}" if options else base


def _folder_sources(folder: Path, options: str) -> list[str]:
    suffixes = _tomogram_suffixes()
    found = sorted(path for path in folder.iterdir() if path.name.lower().endswith(suffixes))
    for path in found:
        if path.is_symlink() and not path.exists():
            raise SourceError(
                f"{path} is a symbolic link that leads nowhere (a loop, or a missing target); remove it, or "
                "survey the other files by name"
            )
    if not found:
        raise SourceError(
            f"the folder {folder} holds no tomograms (files or directories ending in "
            f"{', '.join(suffixes)})"
        )
    return [_with_options(str(path.resolve()), options) for path in found]


def _is_zarr_directory(path: Path) -> bool:
    return path.suffix == ".zarr" or any(
        (path / name).exists() for name in (".zarray", ".zgroup", "zarr.json")
    )


def expand_inputs(items: list[str]) -> list[str]:
    """Canonical source strings for ``items``, in order, each once.

    An item is a source string (see :mod:`cryoet_zarr_bench.sources.spec`), ``portal:DATASET`` (every run of
    the dataset; options such as ``?processing=raw&crop=centre:128`` apply to each run), or a local folder
    (every ``.mrc``/``.rec``/``.map``/``.npy`` file and ``.zarr`` directory in it; options apply to each).
    """
    from ..sources.portal import list_runs

    sources: list[str] = []
    for item in items:
        base, options = _split(item.strip())
        dataset = _PORTAL_DATASET.fullmatch(base)
        if dataset:
            expanded = [
                _with_options(f"portal:{dataset[1]}/{run}", options) for run in list_runs(int(dataset[1]))
            ]
        elif Path(base).is_dir() and not _is_zarr_directory(Path(base)):
            expanded = _folder_sources(Path(base), options)
        else:
            expanded = [item]
        sources.extend(str(parse_source(source).with_absolute_path()) for source in expanded)
    if not sources:
        raise SourceError("a survey needs at least one source, portal dataset or folder")
    return list(dict.fromkeys(sources))
