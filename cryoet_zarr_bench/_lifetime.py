"""How long a detached helper process lives: as long as the run that started it.

The asv suite's S3 server must outlive the benchmark process that starts it (asv runs every benchmark in a
process of its own), but not the run: :func:`run_owner` finds the process whose end is the run's end (the
``asv`` command among the caller's ancestors, or the caller itself when no asv runs it), and
:func:`is_running` tells whether that very process still runs (its id and start time, so an id the system
reused for another process does not count).  On systems without ``/proc`` only the id is compared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner", "is_running", "run_owner"]


@dataclass(frozen=True)
class Owner:
    """A process, by id and start time (clock ticks after boot; None where the system does not say)."""

    pid: int
    start: int | None = None

    def __str__(self) -> str:
        return f"{self.pid}:{'' if self.start is None else self.start}"

    @classmethod
    def parse(cls, text: str) -> Owner:
        """The inverse of ``str()``."""
        pid, _, start = text.partition(":")
        return cls(int(pid), int(start) if start else None)


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (which may hold spaces), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])  # field 22 of stat(5), counted after the name


def _parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def _is_asv(pid: int) -> bool:
    """Whether ``pid`` runs the ``asv`` command (``asv run``, ``python -m asv run``...)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return any(os.path.basename(argument) == "asv" for argument in arguments[:3])


def run_owner() -> Owner:
    """The nearest ``asv`` process among this process and its ancestors, else this process itself."""
    pid: int | None = os.getpid()
    while pid and pid > 1:
        if _is_asv(pid):
            return Owner(pid, _start_time(pid))
        pid = _parent(pid)
    return Owner(os.getpid(), _start_time(os.getpid()))


def is_running(owner: Owner) -> bool:
    """Whether ``owner`` (that very process, not another given its id since) still runs."""
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        pass
    fields = _stat_fields(owner.pid)
    if fields is not None and fields[0] == "Z":  # a zombie has ended; only its parent has not collected it
        return False
    return owner.start is None or _start_time(owner.pid) in (owner.start, None)
