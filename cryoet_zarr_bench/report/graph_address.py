"""Where the asv dashboard shows one result: the address of a benchmark's graph at its parameters.

asv's pages keep their state in the address's fragment (``format_hash_string`` in asv's ``asv.js``): the
benchmark's name, then ``key=value`` pairs.  ``p-<parameter>`` with the value as asv wrote it (``repr()``, so
``p-codec='zstd-5'``) selects the benchmark's parameters; the environment's own parameters (``machine``,
``python``, ``zarr``, ``numcodecs``; ``[none]`` where not pinned) select its line.  Keys and values are
encoded as JavaScript's ``encodeURIComponent`` encodes them, which asv decodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from .asv_results import Case, EnvironmentRun

__all__ = ["graph_address", "result_address"]

#: What ``encodeURIComponent`` leaves as it is besides letters and digits, but for the parentheses, which are
#: encoded too (asv decodes them alike) so that an address can stand in a Markdown link.
_UNRESERVED = "-_.!~*'"


def graph_address(
    benchmark: str, params: Iterable[tuple[str, str]], environment: Iterable[tuple[str, str | None]] = ()
) -> str:
    """The fragment, ``#benchmark?p-codec='zstd-5'&...&python=3.11``, that opens `benchmark`'s graph at
    `params` (``(name, value as asv wrote it)``) for the environment whose parameters are `environment`."""
    pairs = [(f"p-{name}", value) for name, value in params]
    pairs += [(key, "[none]" if value is None else value) for key, value in environment]
    query = "&".join(
        f"{quote(key, safe=_UNRESERVED)}={quote(value, safe=_UNRESERVED)}" for key, value in pairs
    )
    return f"#{benchmark}" + (f"?{query}" if query else "")


def result_address(run: EnvironmentRun, case: Case) -> str:
    """The fragment that opens the graph holding `run`'s value of `case`."""
    return graph_address(case.benchmark, run.asv_params(case), sorted(run.environment_params.items()))
