"""Progress of long commands, on stderr: a bar with an estimate on a terminal, plain lines otherwise.

A terminal gets a ``tqdm`` bar (tqdm comes with the portal extra; without it, plain lines); a pipe or a
log file gets one line per step, ``quick: 3/17 blosc-lz4-5-shuffle (6.2 s so far, about 28 s left)``, so
that nothing is overwritten in place and a log shows how far a run got.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO, TypeVar

__all__ = ["steps"]

T = TypeVar("T")


def steps(items: Sequence[T], label: str, *, stream: TextIO | None = None, bar: bool = True) -> Iterator[T]:
    """Yield `items` one by one, showing on `stream` (default stderr) which one is under way.

    The first report appears before the first item is yielded; each names the item (``str(item)``) and,
    from the second on, the time left at the average pace so far.  ``bar=False`` keeps to plain lines
    even on a terminal, for steps that print lines of their own.
    """
    stream = stream if stream is not None else sys.stderr
    if bar and stream.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            with tqdm(items, desc=label, unit="step", file=stream, leave=True) as progress_bar:
                for item in progress_bar:
                    progress_bar.set_postfix_str(str(item))
                    yield item
            return
    start = time.monotonic()
    for done, item in enumerate(items):
        elapsed = time.monotonic() - start
        left = elapsed / done * (len(items) - done) if done else None
        pace = f" ({_seconds(elapsed)} so far, about {_seconds(left)} left)" if left is not None else ""
        print(f"{label}: {done + 1}/{len(items)} {item}{pace}", file=stream, flush=True)
        yield item
    print(f"{label}: {len(items)} done in {_seconds(time.monotonic() - start)}", file=stream, flush=True)


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
