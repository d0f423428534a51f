"""Run in each local survey worker as it starts (a Dask preload): it leaves the terminal's process group.

Ctrl-C and ``kill -- -PGID`` then reach only the survey's own process, which closes its cluster (so no
worker prints a ``KeyboardInterrupt`` traceback) and removes what the workers wrote.  A worker still exits
with the survey: it watches its parent (Dask's nanny does).  A worker busy with a task when the cluster
closes is killed outright after Dask's timeout; its locks are made unnamed (the ``fork`` start method, which
the worker never uses to start anything), so the killed worker leaves no named semaphore behind for
multiprocessing's resource tracker to warn about.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

__all__ = ["dask_setup"]


def dask_setup(worker: object) -> None:
    """Dask's preload hook: leave the process group, ignore Ctrl-C should one still arrive, and make the
    locks libraries create (numcodecs' Blosc lock) unnamed."""
    multiprocessing.set_start_method("fork", force=True)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to ignore there
        pass
    try:
        os.setsid()
    except OSError:  # already a session leader
        pass
