"""The mock's webhook signature scheme: sign a delivery, verify one.

Header (mock contract; the service documents none):
``X-AudioShake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from .errors import WebhookSignatureError

__all__ = ["DEFAULT_TOLERANCE_S", "SIGNATURE_HEADER", "compute_signature", "sign_payload", "verify"]

SIGNATURE_HEADER = "X-AudioShake-Signature"
DEFAULT_TOLERANCE_S = 300


def compute_signature(body: bytes, secret: str, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    msg = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def sign_payload(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The value of the ``X-AudioShake-Signature`` header for ``body``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={compute_signature(body, secret, ts)}"


def verify(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance_s: float | None = DEFAULT_TOLERANCE_S,
    now: Callable[[], float] = time.time,
) -> int:
    """Check ``header`` against ``body``; return its timestamp or raise
    ``WebhookSignatureError``. ``tolerance_s=None`` skips the freshness check."""
    if not header:
        raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} header: {header!r}")
        parts.setdefault(key, []).append(value)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError):
        raise WebhookSignatureError("signature header has no valid timestamp 't='") from None
    expected = compute_signature(body, secret, ts)
    if not any(hmac.compare_digest(expected, sig) for sig in parts.get("v1", [])):
        raise WebhookSignatureError("signature does not match the payload")
    if tolerance_s is not None and abs(now() - ts) > tolerance_s:
        raise WebhookSignatureError(f"signature timestamp {ts} is outside the tolerance")
    return ts
