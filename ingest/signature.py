"""Stripe-Signature verification over the raw body (pure: hmac and the clock passed in).

Header: `t=<unix seconds>,v1=<hex hmac-sha256 of "t.body">[,v1=…][,v0=…]`. Only `v1` counts
(v0 is Stripe's test scheme). Several secrets are accepted at once so that the signing secret
can be rotated without a moment in which real events fail.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

TOLERANCE_SECONDS = 300
# Unix seconds have 10 digits until the year 2286; int() refuses over 4300 (a 500 found by
# tests/property): anything this long is malformed, not a time.
MAX_TIMESTAMP_DIGITS = 20


class SignatureError(ValueError):
    """Why a webhook is refused, in words safe to return to the caller and to log."""


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    now: float,
) -> int:
    """Return the signed timestamp, or raise SignatureError."""
    if not header or not header.strip():
        raise SignatureError("missing Stripe-Signature header")
    timestamp, signatures = _parse(header)
    if not signatures:
        raise SignatureError("no v1 signature in Stripe-Signature header")
    if timestamp < now - TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp is more than {TOLERANCE_SECONDS} s old")
    if timestamp > now + TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp is more than {TOLERANCE_SECONDS} s in the future")
    signed = str(timestamp).encode() + b"." + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(
            hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in signatures
        ):
            return timestamp
    raise SignatureError("No signatures found matching the expected signature for payload")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError("malformed Stripe-Signature header")
        if key == "t":
            if not (value.isascii() and value.isdigit()) or len(value) > MAX_TIMESTAMP_DIGITS:
                raise SignatureError("malformed timestamp in Stripe-Signature header")
            timestamp = int(value)
        elif key == "v1" and value.isascii():
            # A hex digest is ASCII; anything else can never match (and a lone surrogate
            # would not even encode: a 500 found by fuzz/, kept in fuzz/crashes/).
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in Stripe-Signature header")
    return timestamp, signatures


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The header Stripe would send; for the local stack's sample events and for tests."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"
