"""Running a survey on a ``dask.distributed`` cluster: independent tasks, rows written as they finish.

Each volume is acquired once by its own task (into the on-disk cache, where its kind is cached); its codec
tasks depend on it and check that they read the same bytes.  The client writes each finished row to the
:class:`~.table.SurveyTable` at once, so an interrupted survey loses only the tasks still running, and a rerun
submits only the rows the table lacks.  A task whose worker dies is run again on another worker by the
scheduler (``distributed.scheduler.allowed-failures`` times); a task that raises is tried again up to
``RETRIES`` times and then reported as failed, without stopping the others, except when it raised a
:class:`~cryoet_zarr_bench.errors.UserError` (a volume that cannot be read, a codec that cannot store it:
trying again would not help).

A local cluster's workers run in a directory of the survey's own (their temporary files and Dask's scratch
space), removed once they are closed, and outside the terminal's process group (:mod:`.worker_setup`), so
Ctrl-C or SIGTERM stops the survey in order and leaves nothing behind.  An existing cluster
(``--scheduler``) is checked to answer within Dask's connect timeout before anything is submitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .._orphans import owner_tag, remove_orphans
from ..errors import UserError
from ..progress import Counter
from ..sources.errors import one_line
from .table import SurveyError, SurveyTable
from .tasks import SurveyTask, acquire_checksum, run_task

__all__ = [
    "RETRIES",
    "SurveyOutcome",
    "connect",
    "local_client",
    "print_progress",
    "run_survey",
    "survey_tasks",
]

#: How often a task that raised is tried again before it is reported as failed.
RETRIES = 2
#: Name prefix of a local cluster's working directory (with the owner's process id, see ``_orphans``).
WORKDIR_PREFIX = "cryoet-zarr-bench-survey-"


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
def _interrupts_ignored() -> Iterator[None]:
    """Ctrl-C ignored in this process meanwhile, so the worker processes it starts inherit that (until their
    :mod:`.worker_setup` takes them out of the process group)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def local_client(workers: int, *, memory_limit: str = "auto") -> Iterator[object]:
    """A client of a new ``LocalCluster`` of ``workers`` single-threaded worker processes (see the module
    docstring for their directory and process group)."""
    import dask.config
    from dask.distributed import Client, LocalCluster

    temporary = Path(tempfile.gettempdir())
    remove_orphans(temporary, WORKDIR_PREFIX)
    workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{owner_tag()}", dir=temporary))
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(dask.config.set({"temporary-directory": str(workdir)}))  # Dask's scratch
            with _interrupts_ignored():
                # The survey reports each failed task in one line; workers' logs would repeat it.
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        memory_limit=memory_limit,
                        silence_logs=logging.CRITICAL,
                        env={"TMPDIR": str(workdir)},
                        preload=[f"{__package__}.worker_setup"],
                    )
                )
            yield stack.enter_context(Client(cluster))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def connect(address: str, *, timeout: float | None = None) -> object:
    """A client of the existing Dask scheduler at ``address``, once it has answered a handshake.

    ``timeout`` (default: Dask's ``distributed.comm.timeouts.connect``) bounds the whole check, the
    handshake included, which Dask's own client would wait for forever.

    Raises
    ------
    SurveyError
        If the address is malformed, or nothing there answers as a Dask scheduler in time.
    """
    import dask.config
    from dask.distributed import Client
    from dask.utils import parse_timedelta
    from distributed.comm import connect as open_comm

    if timeout is None:
        timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")

    async def handshake() -> None:
        comm = await asyncio.wait_for(open_comm(address, timeout=timeout), timeout)
        await comm.close()

    try:
        asyncio.run(handshake())
    except (ValueError, TypeError) as error:
        raise SurveyError(
            f"--scheduler {address!r} is not a Dask address ({one_line(error)}); write tcp://HOST:PORT"
        ) from None
    except (OSError, TimeoutError) as error:
        raise SurveyError(
            f"no Dask scheduler answered at {address} within {timeout:g} s ({one_line(error)}); check the "
            "address and that the scheduler runs (DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT waits longer)"
        ) from None
    return Client(address, timeout=timeout)


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
            if attempt < RETRIES and not isinstance(error, UserError):
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


def print_progress(stream=None) -> Callable[[dict, int, int], None]:
    """An ``on_row`` callback: a tqdm bar on a terminal, one plain line per row otherwise (on ``stream``,
    by default the standard error of the moment)."""
    counter = None

    def report(row: dict, finished: int, total: int) -> None:
        nonlocal counter
        if counter is None:
            counter = Counter(total, "survey", unit="row", stream=stream, line=_row_line)
        counter(row)
        if finished == total:
            counter.close()

    return report


def _row_line(finished: int, total: int, row: dict) -> str:
    return f"[{finished}/{total}] {row['source']} {row['codec']}: ratio {row['ratio']:.4f}"
