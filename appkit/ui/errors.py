"""The UI kit's errors."""

from __future__ import annotations

from appkit.errors import AppkitError

__all__ = ["UIError", "UnknownIcon"]


class UIError(AppkitError):
    """A piece of the UI kit was asked for something it cannot make (a bad argument of a
    widget); raised where the page is built, with the value and the fix."""


class UnknownIcon(UIError, LookupError):
    """No icon has that name; the message lists the closest names there are."""
