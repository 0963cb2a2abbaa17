"""Webhook deliveries: verify (``domain.signing``) and parse into the generated ``Task``.
The mock signs with ``domain.signing``; use ``sign_payload`` to make valid deliveries in
your own tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from audioshake_client.models import Task

from .domain.errors import WebhookSignatureError
from .domain.signing import (
    DEFAULT_TOLERANCE_S,
    SIGNATURE_HEADER,
    compute_signature,
    sign_payload,
    verify,
)

__all__ = ["SIGNATURE_HEADER", "compute_signature", "sign_payload", "verify", "verify_and_parse"]


def verify_and_parse(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance_s: float | None = DEFAULT_TOLERANCE_S,
    now: Callable[[], float] = time.time,
) -> Task:
    """Verify a delivery and parse its payload (the full Task) with the generated model."""
    verify(body, header, secret, tolerance_s=tolerance_s, now=now)
    try:
        return Task.from_dict(json.loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookSignatureError(f"payload is not a Task: {exc}") from exc
