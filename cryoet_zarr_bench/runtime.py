"""The one concurrency policy: how many threads a read or a write may use, applied the same way everywhere.

Several libraries can run a Zarr read or write concurrently, each with its own knob:

* numcodecs' Blosc compresses a buffer on ``nthreads`` internal threads (zarr 2.18 calls it chunk by chunk);
* zarr-python 3 encodes and decodes ``async.concurrency`` chunks at a time in a thread pool of
  ``threading.max_workers`` threads (and switches Blosc's internal threads off when it is imported).

A :class:`Runtime` names one number, ``threads``, and :meth:`Runtime.apply` gives it to every knob the
installed libraries have, so a timing on zarr 2.18 and one on zarr 3.x use the same number of cores.
:meth:`Runtime.settings` says what each library was actually given; every result records it.

``threads`` comes from ``--threads`` on the command line or ``CRYOET_ZARR_BENCH_THREADS`` in the asv suite
(default 1); ``all`` means every core this process may run on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import _compat

__all__ = ["MAX_THREADS", "THREADS_ENV", "Runtime", "available_cores", "parse_threads"]

THREADS_ENV = "CRYOET_ZARR_BENCH_THREADS"


def available_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: The most threads a read or write may be given: Blosc's own limit (BLOSC_MAX_THREADS); more is a typo.
MAX_THREADS = 256


def parse_threads(text: str | int) -> int:
    """A thread count from ``"1"``, ``"4"`` or ``"all"`` (every available core),
    at most :data:`MAX_THREADS`."""
    if isinstance(text, int):
        value = text
    elif str(text).strip().lower() == "all":
        return available_cores()
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise ValueError(f"threads must be a whole number of at least 1 or 'all', got {text!r}") from None
    if value < 1:
        raise ValueError(f"threads must be at least 1 (or 'all'), got {value}")
    if value > MAX_THREADS:
        raise ValueError(
            f"threads must be at most {MAX_THREADS} (Blosc's limit), got {value}; this machine has "
            f"{available_cores()} core(s), and 'all' uses every one"
        )
    return value


@dataclass(frozen=True)
class Runtime:
    """How many threads a read or a write may use."""

    threads: int = 1

    def __post_init__(self) -> None:
        parse_threads(self.threads)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Runtime:
        """The runtime ``CRYOET_ZARR_BENCH_THREADS`` names (default: one thread)."""
        text = environ.get(THREADS_ENV, "1")
        try:
            return cls(parse_threads(text))
        except ValueError as error:
            raise ValueError(f"{THREADS_ENV}={text!r}: {error}") from None

    def apply(self) -> None:
        """Give ``threads`` to every concurrency knob of the installed libraries, for the whole process."""
        _compat.set_concurrency(self.threads)

    @contextmanager
    def applied(self) -> Iterator[Runtime]:
        """Apply this runtime for the duration of a ``with`` block, then restore what was there."""
        previous = _compat.concurrency_settings()
        self.apply()
        try:
            yield self
        finally:
            _compat.restore_concurrency(previous)

    def settings(self) -> dict[str, Any]:
        """``threads`` and what each library's knob holds now (call it while this runtime is applied)."""
        return {"threads": self.threads, **_compat.concurrency_settings()}
