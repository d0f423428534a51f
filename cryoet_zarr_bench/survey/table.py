"""The survey's results: a Parquet dataset with one file per finished row,
so a survey resumes where it stopped.

``<table>/<key>.parquet`` holds the row of the task with that key (:attr:`SurveyTask.key`).  Each file is
written to a temporary name and renamed into place (:func:`~cryoet_zarr_bench._atomic.write_file`), so a row
is complete or absent, and a key is a file name, so it is there at most once, whatever was interrupted.  The
directory reads as one table with any Parquet reader (``pyarrow.parquet.read_table``,
``pandas.read_parquet``), which skip the hidden temporary files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .._atomic import write_file
from ..errors import UserError

__all__ = ["SurveyError", "SurveyTable"]


class SurveyError(UserError):
    """A survey cannot run as asked (its table, its cluster); the message says why and what to do."""


class SurveyTable:
    """A survey's rows on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SurveyTable({str(self.path)!r})"

    def _parts(self) -> list[Path]:
        return sorted(self.path.glob("[!._]*.parquet")) if self.path.is_dir() else []

    def check_writable(self) -> None:
        """Raise :class:`SurveyError` unless rows can be written (checked before any task runs)."""
        if self.path.exists() and not self.path.is_dir():
            raise SurveyError(
                f"{self.path} is a file, not a survey table (a directory of Parquet files); choose another "
                "--table"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=self.path).close()
        except OSError as error:
            raise SurveyError(
                f"cannot write the survey table {self.path} ({error.strerror or error}); choose another "
                "--table"
            ) from None

    def done_keys(self) -> set[str]:
        """Keys of the rows already in the table."""
        return {part.stem for part in self._parts()}

    def append(self, row: dict[str, Any]) -> None:
        """Add one row (it must carry its ``key``); a row with the same key is replaced."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([row])
        try:
            write_file(self.path / f"{row['key']}.parquet", lambda stream: pq.write_table(table, stream))
        except OSError as error:
            raise SurveyError(
                f"cannot write a row to the survey table {self.path} ({error.strerror or error}); the rows "
                "written so far are kept: make room and run the survey again to add the others"
            ) from None

    def rows(self) -> list[dict[str, Any]]:
        """Every row, ordered by source, codec and the remaining settings."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = self._parts()
        if not parts:
            return []
        table = pa.concat_tables([pq.read_table(part) for part in parts], promote_options="default")
        settings = ("source", "codec", "chunks", "zarr_format", "threads")
        return sorted(table.to_pylist(), key=lambda row: tuple(str(row.get(name)) for name in settings))
