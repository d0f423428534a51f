"""The layout benchmarks as data: for each codec, chunk/shard layout x access pattern grids per store.

``benchmarks/access.py`` times every access pattern (an XY, XZ or YZ slice, a 64³ subvolume, the whole volume)
from every layout in every store (local disk, memory, S3 on 127.0.0.1, S3 with latency added to each request),
counts the requests and bytes each read costs over S3, and records what each layout stores (objects, bytes).
This module reads what :func:`~cryoet_zarr_bench.report.asv_results.read_results` returned and, for one
machine and commit and each environment that ran those benchmarks, builds one :class:`CodecLayouts` per codec.

Nothing here formats text or draws: :mod:`.text`, :mod:`.figures` and :mod:`.page` do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..asv_results import Case, EnvironmentRun, Results
from ..registry import (
    ACCESS_TIME,
    BYTES_TRANSFERRED,
    LAYOUT_STORED_BYTES,
    LAYOUT_STORED_OBJECTS,
    REQUESTS,
    RUN_LAYOUT_STUDY,
)
from ..runs import ReportError, ShownEnvironment, choose_runs, is_number, release_or_none

__all__ = ["CodecLayouts", "Grid", "LayoutEnvironment", "LayoutReport", "build_layout_report"]


def _lowest(named_values: Iterable[tuple[str, float | None]]) -> str | None:
    """The name with the lowest measured value (the first on a tie); None if no value is measured."""
    measured = [(value, name) for name, value in named_values if is_number(value)]
    return min(measured, key=lambda pair: pair[0])[1] if measured else None


@dataclass(frozen=True)
class Grid:
    """One quantity of one codec in one store: a value per layout (row) and access pattern (column).

    Values are NaN where the benchmark skipped the case (or it was not run), None where it failed.
    """

    layouts: tuple[str, ...]
    patterns: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    """``values[i][j]``: layout ``layouts[i]``, pattern ``patterns[j]``."""

    def value(self, layout: str, pattern: str) -> float | None:
        return self.values[self.layouts.index(layout)][self.patterns.index(pattern)]

    def best_layout(self, pattern: str) -> str | None:
        """The layout with the lowest measured value for `pattern` (the first on a tie); None if none is
        measured."""
        return _lowest((layout, self.value(layout, pattern)) for layout in self.layouts)


@dataclass(frozen=True)
class CodecLayouts:
    """Every layout of one codec: read times per store, S3 costs per reader, what each layout stores."""

    codec: str
    times: dict[str, Grid]
    """Seconds per read, by store (``local``, ``memory``, ``s3``, ``s3+latency``), in the suite's order."""
    requests: dict[str, Grid]
    """Requests per read, by S3 reader (``s3``, ``s3-obstore``)."""
    bytes_transferred: dict[str, Grid]
    """Bytes the server sent per read, by S3 reader."""
    stored_objects: dict[str, float | None]
    """Objects each layout stores (chunks, shards and metadata), by layout."""
    stored_bytes: dict[str, float | None]

    @property
    def fewest_objects(self) -> str | None:
        """The layout storing the fewest objects (the first on a tie); None if none is measured."""
        return _lowest(self.stored_objects.items())


@dataclass(frozen=True)
class LayoutEnvironment(ShownEnvironment):
    """The layout benchmarks of one asv environment."""

    codecs: list[CodecLayouts]


@dataclass(frozen=True)
class LayoutReport:
    """Everything the layout page shows, for one machine and commit."""

    machine: str
    commit: str
    environments: list[LayoutEnvironment]


def build_layout_report(
    results: Results, *, machine: str | None = None, commit: str | None = None
) -> LayoutReport:
    """Arrange the layout benchmarks of one machine and commit by environment, codec and store.

    Parameters
    ----------
    results : Results
        What :func:`~cryoet_zarr_bench.report.asv_results.read_results` read.
    machine : str, optional
        Needed only when several machines ran the layout benchmarks.
    commit : str, optional
        A commit hash or a prefix of one; by default the commit at which the most environments ran them.

    Raises
    ------
    ReportError
        If no result holds a measured access time, or the machine or commit is ambiguous or absent.
    """
    runs = [
        run
        for run in results.runs
        if any(case.benchmark == ACCESS_TIME and is_number(value) for case, value in run.values.items())
    ]
    if not runs:
        raise ReportError(
            f"the results hold no measured {ACCESS_TIME}; run the layout study: {RUN_LAYOUT_STUDY}"
        )
    machine, commit, chosen = choose_runs(results, runs, machine, commit)
    return LayoutReport(
        machine=machine,
        commit=commit,
        environments=[
            LayoutEnvironment(run=run, release=release_or_none(run), codecs=_codecs(run)) for run in chosen
        ],
    )


def _codecs(run: EnvironmentRun) -> list[CodecLayouts]:
    """One entry per codec, codecs, layouts, stores and patterns in the suite's order."""

    def values_of(benchmark: str) -> list[dict[str, str]]:
        return [dict(case.params) for case in run.values if case.benchmark == benchmark]

    timed = values_of(ACCESS_TIME)
    counted = values_of(REQUESTS)
    codecs = dict.fromkeys(params["codec"] for params in timed)
    layouts = tuple(dict.fromkeys(params["layout"] for params in timed))
    patterns = tuple(dict.fromkeys(params["pattern"] for params in timed))
    stores = dict.fromkeys(params["store"] for params in timed)
    readers = dict.fromkeys(params["store"] for params in counted)

    def grid(benchmark: str, codec: str, store: str) -> Grid:
        return Grid(
            layouts,
            patterns,
            tuple(
                tuple(
                    run.values.get(
                        Case(
                            benchmark,
                            (("codec", codec), ("layout", layout), ("store", store), ("pattern", pattern)),
                        ),
                        math.nan,
                    )
                    for pattern in patterns
                )
                for layout in layouts
            ),
        )

    def per_layout(benchmark: str, codec: str) -> dict[str, float | None]:
        return {
            layout: run.values.get(Case(benchmark, (("codec", codec), ("layout", layout))), math.nan)
            for layout in layouts
        }

    return [
        CodecLayouts(
            codec=codec,
            times={store: grid(ACCESS_TIME, codec, store) for store in stores},
            requests={reader: grid(REQUESTS, codec, reader) for reader in readers},
            bytes_transferred={reader: grid(BYTES_TRANSFERRED, codec, reader) for reader in readers},
            stored_objects=per_layout(LAYOUT_STORED_OBJECTS, codec),
            stored_bytes=per_layout(LAYOUT_STORED_BYTES, codec),
        )
        for codec in codecs
    ]
