"""Client-side rate limit: a sliding window that mirrors the service's rule (at most N
requests in any rolling second), not a token bucket, whose burst would let N + burst
through in one second and earn 429s.

The limiter keeps the start times of the last ``capacity`` requests, reserved in order.
A new request starts at ``now`` or, when the window is full, one window after the start
``capacity`` requests back, whichever is later; so any window holds at most ``capacity``
starts and nobody waits longer than needed. ``capacity`` is ``per_second - margin``: the
margin absorbs network jitter between the client's start and the server's arrival.
N is the service's limit from the catalog (``limits.rate_limit_per_second``) unless given.

Thread-safe and usable from async code: one limiter may be shared by a whole batch.
Clients accept anything with ``acquire()`` (``Limiter``; ``aacquire()`` for the async
client, ``AsyncLimiter``), such as the batch's ``PacedLimiter``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

import anyio

from .domain.catalog import Catalog, get_catalog

__all__ = [
    "DEFAULT_MARGIN",
    "SERVICE_LIMIT",
    "AsyncLimiter",
    "Limiter",
    "RateLimiter",
    "ServiceLimit",
    "resolve_limiter",
]

DEFAULT_MARGIN = 1
WINDOW_S = 1.0


class Limiter(Protocol):
    """What ``AudioShake`` needs of a rate limiter."""

    def acquire(self) -> None:
        """Return when the next request may start (called right before each request)."""


class AsyncLimiter(Protocol):
    """What ``AsyncAudioShake`` needs of a rate limiter."""

    async def aacquire(self) -> None:
        """Return when the next request may start (awaited right before each request)."""


class ServiceLimit:
    """The type of ``SERVICE_LIMIT``, the clients' default ``rate_limit``: a
    ``RateLimiter`` at the service's own limit, read from the client's catalog."""

    def __repr__(self) -> str:
        return "SERVICE_LIMIT"


SERVICE_LIMIT: Final = ServiceLimit()


class RateLimiter:
    """At most ``per_second - margin`` request starts in any rolling ``window`` seconds;
    ``per_second`` defaults to the service's limit in the packaged catalog.

    ``clock`` gives seconds (any origin); ``sleep``/``async_sleep`` wait. Inject them in
    tests. Call ``acquire()`` (or ``await aacquire()``) right before each request."""

    def __init__(
        self,
        per_second: int | None = None,
        *,
        margin: int = DEFAULT_MARGIN,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if per_second is None:
            per_second = get_catalog().limits.rate_limit_per_second
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.per_second = per_second
        self.capacity = max(1, per_second - margin)
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.async_sleep = async_sleep
        self._starts: deque[float] = deque(maxlen=self.capacity)
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next start; return how long to wait before it (0 when free now)."""
        with self._lock:
            now = self.clock()
            start = now
            if len(self._starts) == self.capacity:
                start = max(now, self._starts[0] + self.window)
            self._starts.append(start)
            return start - now

    def acquire(self) -> None:
        """Book the next start and sleep until it."""
        delay = self.reserve()
        if delay > 0:
            self.sleep(delay)

    async def aacquire(self) -> None:
        """Book the next start and wait (``async_sleep``) until it."""
        delay = self.reserve()
        if delay > 0:
            await self.async_sleep(delay)


L = TypeVar("L")


def resolve_limiter(
    rate_limit: int | ServiceLimit | L | None,
    catalog: Catalog,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    async_sleep: Callable[[float], Awaitable[None]],
) -> RateLimiter | L | None:
    """A client's limiter from its ``rate_limit`` argument: ``SERVICE_LIMIT`` (the
    catalog's limit) or a number of requests per second makes a ``RateLimiter``; None
    means no limiter; a limiter is used as it is (shared)."""
    if isinstance(rate_limit, ServiceLimit):
        rate_limit = catalog.limits.rate_limit_per_second
    if isinstance(rate_limit, int):
        return RateLimiter(rate_limit, clock=clock, sleep=sleep, async_sleep=async_sleep)
    return rate_limit
