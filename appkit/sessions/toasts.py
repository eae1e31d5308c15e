"""Toasts: short messages queued in the session and shown once, on the next full page or
htmx answer (an out-of-band swap into ``#appkit-toasts``).

    @app.post("/save")
    def save(session: Session):
        ...
        toast(session, "Saved.", "success")
        return Redirect("/")          # the next page shows it

appkit.js hides a toast after a few seconds (an error after longer) and its close button
removes it at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from appkit.html import Button, Div, Element, Span, oob
from appkit.sessions.session import Session

__all__ = ["TOAST_KINDS", "toast", "toast_region", "toast_swap"]

#: The kinds of toast, each with its own colour and icon.
TOAST_KINDS = ("info", "success", "warning", "error")
_ICONS = {"info": "\u2139", "success": "\u2713", "warning": "\u26a0", "error": "\u2715"}
_LABELS = {"info": "Note", "success": "Done", "warning": "Warning", "error": "Error"}
REGION_ID = "appkit-toasts"


def toast(session: Session, message: str, kind: str = "info") -> None:
    """Show ``message`` to the user on the next full page or htmx answer, once.

    Args:
        session: the request's session (the ``session`` handler parameter).
        message: the text to show.
        kind: ``"info"``, ``"success"``, ``"warning"`` or ``"error"``.

    Raises:
        ValueError: an unknown ``kind``.
        TypeError: ``message`` is not a str.
    """
    if kind not in TOAST_KINDS:
        raise ValueError(
            f"Unknown toast kind {kind!r}: use one of {', '.join(TOAST_KINDS)}")
    if not isinstance(message, str):
        raise TypeError(f"A toast's message is text, not {type(message).__name__}: "
                        f"{message!r}")
    session._queue_toast({"message": message, "kind": kind})


def _element(item: Mapping[str, str]) -> Element:
    kind = item["kind"] if item["kind"] in TOAST_KINDS else "info"
    return Div(
        Span(_ICONS[kind], cls="appkit-toast-icon", aria_hidden="true"),
        Span(f"{_LABELS[kind]}: ", cls="appkit-visually-hidden"),
        Span(item["message"], cls="appkit-toast-message"),
        Button("\u00d7", type="button", cls="appkit-toast-close", aria_label="Dismiss"),
        cls=f"appkit-toast appkit-toast-{kind}",
        role="alert" if kind == "error" else "status",
        data_kind=kind,
    )


def toast_region(items: Iterable[Mapping[str, str]]) -> Element:
    """The ``#appkit-toasts`` container holding ``items``, for the end of a full page."""
    return Div(*[_element(i) for i in items], id=REGION_ID, cls="appkit-toasts")


def toast_swap(items: Iterable[Mapping[str, str]]) -> Element:
    """``items`` as an out-of-band swap appended to ``#appkit-toasts`` (appkit.js makes
    the container on pages that had no toasts)."""
    return oob(toast_region(items), "beforeend")
