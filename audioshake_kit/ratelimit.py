"""Client-side rate limit: a sliding window that mirrors the service's rule (at most N
requests in any rolling second), not a token bucket, whose burst would let N + burst
through in one second and earn 429s.

The limiter keeps the start times of the last ``capacity`` requests, reserved in order.
A new request starts at ``now`` or, when the window is full, one window after the start
``capacity`` requests back, whichever is later; so any window holds at most ``capacity``
starts and nobody waits longer than needed. ``capacity`` is ``per_second - margin``: the
margin absorbs network jitter between the client's start and the server's arrival.

Thread-safe and usable from async code: one limiter may be shared by a whole batch.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

__all__ = ["DEFAULT_MARGIN", "RateLimiter"]

DEFAULT_MARGIN = 1
WINDOW_S = 1.0


class RateLimiter:
    """At most ``per_second - margin`` request starts in any rolling ``window`` seconds.

    ``clock`` gives seconds (any origin); ``sleep``/``async_sleep`` wait. Inject them in
    tests. Call ``acquire()`` (or ``await aacquire()``) right before each request."""

    def __init__(
        self,
        per_second: int = 60,
        *,
        margin: int = DEFAULT_MARGIN,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.per_second = per_second
        self.capacity = max(1, per_second - margin)
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._starts: deque[float] = deque(maxlen=self.capacity)
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next start; return how long to wait before it (0 when free now)."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._starts) == self.capacity:
                start = max(now, self._starts[0] + self.window)
            self._starts.append(start)
            return start - now

    def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)

    async def aacquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await self._async_sleep(delay)
