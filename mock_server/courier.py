"""Sending webhook attempts that are due: a sync httpx client on the calling thread.

The callers are a test's thread (``MockState.advance``) or a worker thread of the app (the
real clock's ticker, the ``/_mock/`` routes); never the event loop, which this would block.
Which attempts are due, and what follows an answer (retry schedule, delivery log), is the
store's and the dispatcher's business; this module only does the HTTP.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

from .webhooks import Delivery

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Courier"]

TIMEOUT_S = 5.0


class Courier:
    def __init__(self) -> None:
        # Tests swap in an httpx transport into their receiver (``MockState.webhook_transport``).
        self.transport: httpx.BaseTransport | None = None

    def send_due(self, store: Store, stop: threading.Event | None = None) -> int:
        """Apply what is due, then send every due attempt (retries that fall due too)
        until none is left or ``stop`` is set; returns how many were sent."""
        sent = 0
        client: httpx.Client | None = None
        try:
            while not (stop and stop.is_set()) and (delivery := store.next_delivery()):
                client = client or httpx.Client(transport=self.transport)
                status, error = _post(client, delivery)
                store.record_delivery(delivery, status, error)
                sent += 1
        finally:
            if client is not None:
                client.close()
        return sent


def _post(client: httpx.Client, delivery: Delivery) -> tuple[int | None, str | None]:
    """One attempt: the answer's status, or None and why there was none."""
    try:
        r = client.post(
            delivery.url,
            content=delivery.body,
            headers=delivery.headers(delivery.next_at),
            timeout=TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return r.status_code, None
