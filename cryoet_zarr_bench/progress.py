"""Progress of long commands, on stderr: a ``tqdm`` bar on a terminal, plain lines (or nothing) otherwise.

:func:`steps` announces each step of a list before it starts; on a pipe or in a log file, one line per step,
``quick: 3/17 blosc-lz4-5-shuffle (6.2 s so far, about 28 s left)``, so that nothing is overwritten in place
and a log shows how far a run got. :class:`Counter` counts units as they finish (the survey's rows, an
OME-Zarr read's chunks), with the line its caller writes for each, or none. Both decide on the bar in one
place, :func:`_bar`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TextIO, TypeVar

__all__ = ["Counter", "steps"]

T = TypeVar("T")

#: Where a bar is drawn: on a terminal only, on any stream (a log then holds its successive states), or never.
BarWhere = Literal["terminal", "always", "never"]


def _bar(total: int, label: str, unit: str, stream: TextIO, where: BarWhere) -> Any:
    """A tqdm bar of ``total`` units on ``stream`` where ``where`` allows one, else None (the caller writes
    plain lines or nothing). None too without tqdm: a dependency, but an install without dependencies (asv's
    environments) may lack it."""
    if where == "never" or (where == "terminal" and not stream.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=label, unit=unit, file=stream)


def steps(items: Sequence[T], label: str, *, stream: TextIO | None = None, bar: bool = True) -> Iterator[T]:
    """Yield `items` one by one, showing on `stream` (default stderr) which one is under way.

    The first report appears before the first item is yielded; each names the item (``str(item)``) and,
    from the second on, the time left at the average pace so far.  ``bar=False`` keeps to plain lines
    even on a terminal, for steps that print lines of their own.
    """
    stream = stream if stream is not None else sys.stderr
    progress_bar = _bar(len(items), label, "step", stream, "terminal" if bar else "never")
    if progress_bar is not None:
        with progress_bar:
            for item in items:
                progress_bar.set_postfix_str(str(item))
                yield item
                progress_bar.update(1)
        return
    start = time.monotonic()
    for done, item in enumerate(items):
        elapsed = time.monotonic() - start
        left = elapsed / done * (len(items) - done) if done else None
        pace = f" ({_seconds(elapsed)} so far, about {_seconds(left)} left)" if left is not None else ""
        print(f"{label}: {done + 1}/{len(items)} {item}{pace}", file=stream, flush=True)
        yield item
    print(f"{label}: {len(items)} done in {_seconds(time.monotonic() - start)}", file=stream, flush=True)


class Counter:
    """Counts ``total`` units of work as they finish, on ``stream`` (default: stderr at the time).

    Call it once per finished unit, with the unit (``counter(row)``). A bar is drawn where ``bar`` says
    (see :data:`BarWhere`); otherwise each call prints ``line(done, total, unit)``, or nothing without a
    ``line``. Use it as a context manager, or :meth:`close` it, to leave the bar's last state on screen.
    """

    def __init__(
        self,
        total: int,
        label: str,
        *,
        unit: str,
        stream: TextIO | None = None,
        line: Callable[[int, int, Any], str] | None = None,
        bar: BarWhere = "terminal",
    ) -> None:
        self.total = total
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._line = line
        self._bar = _bar(total, label, unit, self._stream, bar)

    def __call__(self, unit: Any = None) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
        elif self._line is not None:
            print(self._line(self.done, self.total, unit), file=self._stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
