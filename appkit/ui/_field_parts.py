"""Pieces the kit's form field types share: checking what was sent, the error under a
field, the URL of a route below the app's mount point."""

from __future__ import annotations

import types
import typing
import unicodedata
from typing import Any

from appkit.app.pipeline import current_connection
from appkit.errors import ConfigurationError
from appkit.html import Element, Small

__all__ = ["check_int", "clean", "described", "message", "optional", "url"]


def clean(text: Any, what: str, max_length: int) -> str:
    """``text`` stripped, if it is text without control characters, at most
    ``max_length`` characters; else a ``ValueError`` saying so."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is text, not a file or several values")
    text = text.strip()
    if len(text) > max_length:
        raise ValueError(f"{what} is at most {max_length} characters (this one has "
                         f"{len(text):,})")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise ValueError(f"{what} cannot hold control characters or line breaks")
    return text


def optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return tp, False


def check_int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(f"{what} is a whole number from {low} to {high:,}, "
                                 f"not {value!r:.40}")
    return value


def url(path: str) -> str:
    conn = current_connection()
    return (str(conn.scope.get("root_path", "")) if conn is not None else "") + path


def message(ident: str, error: str | None) -> Element:
    if error:
        return Small(error, id=f"{ident}-error", cls="error", role="alert")
    return Small("", id=f"{ident}-error", cls="help")


def described(ident: str, error: str | None, *more: str) -> str:
    return " ".join([*more, f"{ident}-error"] if error else more) or ""
