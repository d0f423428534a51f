"""The one base class of every error a user can fix.

Each user-facing error class derives from :class:`UserError` besides its own standard base (``ValueError``,
``OSError``, ...), so ``cryoet-zarr-bench`` reports any of them as one line with exit status 2 by catching
this one type.  The classes that mean "this environment cannot run that case" also derive from
``NotImplementedError``, which asv records as a skipped benchmark rather than a failure; deriving from
:class:`UserError` as well changes nothing there.
"""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """A problem the user can fix; the message says what was wrong and what to do, on one line."""
