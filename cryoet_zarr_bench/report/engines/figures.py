"""The engines figure: the engines of one environment as grouped bars, a panel per timing and setting."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..panels import Panel, Series, bar_panels
from ..runs import is_number
from .model import EngineEnvironment

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["engine_figure"]


def engine_figure(environment: EngineEnvironment) -> Figure:
    """The engines of one environment as grouped bars: codecs on the x-axis, a bar per engine, in ms (``n/a``
    where skipped, ``FAILED`` where the benchmark failed).

    A row of panels per timing (write, read) and per chunk shape and Zarr format, a column per threads
    setting; the engines share each panel's codecs and concurrency, so bars side by side compare engines.
    """
    settings = [table.setting for table in environment.tables]
    codecs = list(dict.fromkeys(setting.codec for setting in settings))
    layouts = list(dict.fromkeys((setting.chunks, setting.zarr_format) for setting in settings))
    threads = list(dict.fromkeys(setting.threads for setting in settings))
    rows_by_setting = {
        (table.setting.codec, table.setting.chunks, table.setting.zarr_format, table.setting.threads): {
            row.engine: row for row in table.rows
        }
        for table in environment.tables
    }

    def series(engine: str, attribute: str, chunks: str, zarr_format: str, thread_setting: str) -> Series:
        rows = [
            rows_by_setting.get((codec, chunks, zarr_format, thread_setting), {}).get(engine)
            for codec in codecs
        ]
        values = [math.nan if row is None else getattr(row, attribute) for row in rows]
        return Series(
            label=engine,
            values=[value * 1e3 if is_number(value) else math.nan for value in values],
            notes={i: "FAILED" for i, value in enumerate(values) if value is None},
        )

    rows = [
        [
            Panel(
                title=f"{attribute}, chunks={chunks}, zarr_format={zarr_format}, threads={thread_setting}",
                series=[
                    series(engine, attribute, chunks, zarr_format, thread_setting)
                    for engine in environment.engines
                ],
            )
            for thread_setting in threads
        ]
        for attribute in ("write", "read")
        for chunks, zarr_format in layouts
    ]
    return bar_panels(
        rows,
        x_labels=codecs,
        x_title="codec",
        y_title="time (ms)",
        title=f"Engines in {environment.label}: write and read time",
        legend_title="engine",
    )
