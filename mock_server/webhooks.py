"""Webhook deliveries: queue, signature, retry schedule and delivery log. Sans I/O:
the store hands out due attempts and is told how each went; ``courier`` does the HTTP."""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from audioshake_kit.domain.signing import SIGNATURE_HEADER, sign_payload

__all__ = ["Delivery", "WebhookDispatcher"]

RETRY_DELAYS_S = (10.0, 30.0, 120.0, 600.0, 1800.0)  # mock seconds; 6 attempts in all
LOG_LIMIT = 1000


@dataclass(slots=True)
class Delivery:
    id: int
    key: str
    url: str
    secret: str | None
    task_id: str
    target_id: str
    body: bytes
    source: Literal["account", "callbackUrl"]
    next_at: float
    state: Literal["pending", "delivered", "failed"] = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def headers(self, now: float) -> dict[str, str]:
        headers = {"content-type": "application/json", "user-agent": "audioshake-mock"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign_payload(self.body, self.secret, int(now))
        return headers

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "taskId": self.task_id,
            "targetId": self.target_id,
            "state": self.state,
            "attempts": self.attempts,
        }


class WebhookDispatcher:
    """Pending attempts ordered by time, and the log of every delivery."""

    def __init__(self) -> None:
        self._next_id = 1
        self.log: deque[Delivery] = deque(maxlen=LOG_LIMIT)
        self._due: list[tuple[float, int, Delivery]] = []

    def schedule(self, delivery: Delivery, at: float) -> None:
        delivery.next_at = at
        heapq.heappush(self._due, (at, delivery.id, delivery))

    def has_due(self, now: float) -> bool:
        return bool(self._due) and self._due[0][0] <= now

    def pop_due(self, now: float) -> Delivery | None:
        """The next attempt due by ``now``, or None."""
        if self._due and self._due[0][0] <= now:
            return heapq.heappop(self._due)[2]
        return None

    def enqueue(self, **kw: Any) -> Delivery:
        delivery = Delivery(id=self._next_id, **kw)
        self._next_id += 1
        self.log.append(delivery)
        return delivery

    def record(
        self, delivery: Delivery, at: float, status: int | None, error: str | None = None
    ) -> float | None:
        """Log one attempt; the time of the next attempt, or None when it is over."""
        delivery.attempts.append({"at": at, "status": status, "error": error})
        if status is not None and 200 <= status < 300:
            delivery.state = "delivered"
            return None
        n = len(delivery.attempts)
        if n > len(RETRY_DELAYS_S):
            delivery.state = "failed"
            return None
        next_at = at + RETRY_DELAYS_S[n - 1]
        self.schedule(delivery, next_at)
        return next_at

    def deliveries(self, key: str | None = None) -> list[Delivery]:
        return [d for d in self.log if key is None or d.key == key]
