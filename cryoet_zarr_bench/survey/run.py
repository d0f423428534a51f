"""Running a survey on a ``dask.distributed`` cluster: independent tasks, rows written as they finish.

Each volume is acquired once by its own task (into the on-disk cache, where its kind is cached); its codec
tasks depend on it and check that they read the same bytes.  The client writes each finished row to the
:class:`~.table.SurveyTable` at once, so an interrupted survey loses only the tasks still running, and a rerun
submits only the rows the table lacks.  A task whose worker dies is run again on another worker by the
scheduler (``distributed.scheduler.allowed-failures`` times); a task that raises is tried again up to
``RETRIES`` times and then reported as failed, without stopping the others, except when it raised a
:class:`~cryoet_zarr_bench.sources.SourceError` (a volume that cannot be read: trying again would not help).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..sources.errors import SourceError, one_line
from .table import SurveyTable
from .tasks import SurveyTask, acquire_checksum, run_task

__all__ = ["RETRIES", "SurveyOutcome", "local_client", "print_progress", "run_survey", "survey_tasks"]

#: How often a task that raised is tried again before it is reported as failed.
RETRIES = 2


def survey_tasks(
    sources: Sequence[str],
    codecs: Sequence[str],
    *,
    chunks: tuple[int, int, int] = (64, 64, 64),
    zarr_format: int = 3,
    threads: int = 1,
    repeats: int = 3,
) -> list[SurveyTask]:
    """Every (source, codec) pair as a task, sources outermost."""
    return [SurveyTask(s, c, tuple(chunks), zarr_format, threads, repeats) for s in sources for c in codecs]


@dataclass
class SurveyOutcome:
    """What one call of :func:`run_survey` did."""

    written: int = 0
    already_done: int = 0
    failed: list[tuple[SurveyTask, str]] = field(default_factory=list)


@contextlib.contextmanager
def local_client(workers: int, *, memory_limit: str = "auto") -> Iterator[object]:
    """A client of a new ``LocalCluster`` of ``workers`` single-threaded worker processes."""
    from dask.distributed import Client, LocalCluster

    # The survey reports each failed task in one line; the workers' own logs would repeat it as tracebacks.
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=memory_limit,
        silence_logs=logging.CRITICAL,
    ) as cluster, Client(cluster) as client:
        yield client


def _dask_key(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def run_survey(
    tasks: Sequence[SurveyTask],
    table: SurveyTable,
    client: object,
    *,
    on_row: Callable[[dict, int, int], None] | None = None,
) -> SurveyOutcome:
    """Run the tasks ``table`` does not hold yet on ``client``'s cluster, appending each row as it finishes.

    ``on_row(row, finished, total)`` is called after each row is written (for progress reports).
    """
    from dask.distributed import as_completed

    done = table.done_keys()
    todo = [task for task in tasks if task.key not in done]
    outcome = SurveyOutcome(already_done=len(tasks) - len(todo))
    volumes = {
        source: client.submit(acquire_checksum, source, key=_dask_key("acquire", source), pure=False)
        for source in dict.fromkeys(task.source for task in todo)
    }

    def submit(task: SurveyTask, attempt: int) -> object:
        key = _dask_key(f"row-{attempt}", task.key)
        return client.submit(run_task, task, volumes[task.source], key=key, pure=False)

    attempts = {}
    for task in todo:
        attempts[submit(task, 0)] = (task, 0)
    finished = 0
    pending = as_completed(list(attempts))
    for future in pending:
        task, attempt = attempts.pop(future)
        if future.status != "finished":
            error = future.exception()
            if attempt < RETRIES and not isinstance(error, SourceError):
                retry = submit(task, attempt + 1)
                attempts[retry] = (task, attempt + 1)
                pending.add(retry)
            else:
                outcome.failed.append((task, one_line(error)))
            continue
        row = future.result()
        table.append(row)
        outcome.written += 1
        finished += 1
        if on_row is not None:
            on_row(row, finished, len(todo))
    return outcome


def print_progress(stream=sys.stderr) -> Callable[[dict, int, int], None]:
    """An ``on_row`` callback: a tqdm bar on a terminal, one plain line per row otherwise."""
    bar = None

    def report(row: dict, finished: int, total: int) -> None:
        nonlocal bar
        if stream.isatty():
            if bar is None:
                from tqdm import tqdm

                bar = tqdm(total=total, unit="row", desc="survey", file=stream)
            bar.update(1)
            if finished == total:
                bar.close()
        else:
            print(f"[{finished}/{total}] {row['source']} {row['codec']}: ratio {row['ratio']:.4f}", file=stream)

    return report
