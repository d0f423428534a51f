"""The one exception every source raises for bad input and faults."""

from __future__ import annotations

from ..errors import UserError

__all__ = ["SourceError", "one_line"]


class SourceError(UserError, ValueError):
    """A volume could not be acquired; the message says what was wrong and what to do, on one line."""


def one_line(error: BaseException) -> str:
    """``error`` as ``Type: message`` with whitespace runs collapsed, to quote inside a one-line message."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
