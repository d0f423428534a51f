"""Whether the timings a page shows are single samples, said in one sentence at the top of the page.

``asv run --quick`` (and ``cryoet-zarr-bench bench --quick``) times every case once: asv records
``stats_repeat`` = 1 (and ``stats_number`` = 1) for it, where a full run records every sample it took
(:attr:`~cryoet_zarr_bench.report.asv_results.EnvironmentRun.sample_counts`).  A single sample has no spread
and no confidence interval, so a page must not let it pass for a measurement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from .asv_results import EnvironmentRun, Results
from .pages import Notice

__all__ = ["single_sample_note", "single_sample_notices"]


def single_sample_note(
    results: Results | Iterable[EnvironmentRun], benchmarks: Collection[str] | None = None
) -> str | None:
    """One sentence saying that (or how many of) the timings are single samples; None when none is.

    Parameters
    ----------
    results : Results or iterable of EnvironmentRun
        The results, or the runs a page shows.
    benchmarks : collection of str, optional
        Only these benchmarks' timings count (those the page shows); by default every benchmark's.
    """
    runs = results.runs if isinstance(results, Results) else results
    counts = [
        count
        for run in runs
        for case, count in run.sample_counts.items()
        if benchmarks is None or case.benchmark in benchmarks
    ]
    single = sum(count <= 1 for count in counts)
    if single == 0:
        return None
    which = (
        "Every timing here is a single sample"
        if single == len(counts)
        else f"{single} of the {len(counts)} timings here are single samples"
    )
    return (
        f"{which} (asv --quick: one run per case, so no spread and no confidence "
        "interval; one slow run can move a value by 2x or more): rank nothing on it. Run "
        "`cryoet-zarr-bench bench` without --quick for asv's full sampling."
    )


def single_sample_notices(
    results: Results | Iterable[EnvironmentRun], benchmarks: Collection[str] | None = None
) -> list[Notice]:
    """The page's notice of :func:`single_sample_note`, at the top of the page; none when no timing is a
    single sample."""
    note = single_sample_note(results, benchmarks)
    return [Notice("note", "Single samples", note, id="single-samples")] if note else []
