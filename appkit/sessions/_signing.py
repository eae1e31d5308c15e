"""Signed, timestamped values with the standard library: HMAC-SHA256 over the payload and
the time it was signed, as ``payload.timestamp.signature`` (URL-safe base64, no padding)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = ["BadValue", "Expired", "derive_key", "sign", "unsign"]


class BadValue(ValueError):
    """The value is malformed or its signature does not match (tampered, another key)."""


class Expired(ValueError):
    """The value was signed longer ago than it may be used."""


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose, so one secret can sign several kinds of value safely."""
    return hmac.new(secret, b"appkit:" + purpose.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed_part: str) -> bytes:
    return hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest()


def sign(key: bytes, payload: bytes, now: int) -> str:
    """``payload`` signed with ``key`` at time ``now`` (seconds)."""
    signed_part = f"{_b64(payload)}.{now:x}"
    return f"{signed_part}.{_b64(_mac(key, signed_part))}"


def unsign(key: bytes, value: str, max_age: float, now: float) -> bytes:
    """The payload of a ``sign``-ed value.

    Raises:
        BadValue: malformed, or not signed with ``key``.
        Expired: signed more than ``max_age`` seconds before ``now``.
    """
    try:
        signed_part, mac_text = value.rsplit(".", 1)
        payload_text, stamp = signed_part.split(".")
        signed_part.encode("ascii")
        given = _unb64(mac_text)
    except (ValueError, binascii.Error):
        raise BadValue("malformed") from None
    if not hmac.compare_digest(given, _mac(key, signed_part)):
        raise BadValue("bad signature")
    try:
        issued = int(stamp, 16)
        payload = _unb64(payload_text)
    except (ValueError, binascii.Error):
        raise BadValue("malformed") from None
    if now - issued > max_age:
        raise Expired(f"issued {now - issued:.0f} s ago")
    return payload
