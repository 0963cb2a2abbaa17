"""Webhook deliveries: parse into the generated ``Task``, verifying the signature when
you hold a secret (``domain.signing``: the mock's own scheme; the service documents none).
Use ``sign_payload`` to make signed deliveries in your own tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .domain.errors import WebhookSignatureError
from .domain.signing import (
    DEFAULT_TOLERANCE_S,
    SIGNATURE_HEADER,
    compute_signature,
    sign_payload,
    verify,
)

if TYPE_CHECKING:
    from audioshake_client.models import Task

__all__ = ["SIGNATURE_HEADER", "compute_signature", "sign_payload", "verify", "verify_and_parse"]


def verify_and_parse(
    body: bytes,
    header: str | None = None,
    secret: str | None = None,
    *,
    tolerance_s: float | None = DEFAULT_TOLERANCE_S,
    now: Callable[[], float] = time.time,
) -> Task:
    """Parse a delivery (the full Task) with the generated model; verify its signature
    first when ``secret`` is given.

    The service documents no webhook signature: without a secret nothing is verified.
    With one, a delivery without the header is refused (``WebhookSignatureError``), as is
    a wrong, malformed or stale signature. The mock signs for keys that registered a
    secret (``domain.signing``)."""
    if secret is not None:
        if not header:
            raise WebhookSignatureError(
                f"missing {SIGNATURE_HEADER} header: a secret was given, so the delivery must"
                " be signed (pass secret=None to accept unsigned deliveries; the service"
                " documents no signature)"
            )
        verify(body, header, secret, tolerance_s=tolerance_s, now=now)
    from audioshake_client.models import Task

    try:
        return Task.from_dict(json.loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookSignatureError(f"payload is not a Task: {exc}") from exc
