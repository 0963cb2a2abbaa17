"""One limiter for the whole batch, that no 429 gets past, and a count of its requests.

Every API request of the batch (uploads, creates, polls, link refreshes) passes two
gates:

1. ``inner``: the facade's sliding window of request *starts* (``RateLimiter``): the
   client's own when it is one and no ``rate`` is given (so a limiter shared with
   other clients stays shared), else a new one at ``rate`` (default: the service's
   limit, from the catalog) minus its margin.
2. A window of request *ends*: the service counts a request when it reaches it, which
   is some time between our start and the answer; jitter on the way (a busy server, a
   descheduled thread) can squeeze starts that were a second apart into one of its
   windows, and that is a 429. Counting each request from its start until one window
   after its answer arrives is an upper bound of the service's count, whatever the
   jitter: a request is let through only while that bound is under the limit. The
   answer's arrival is seen by an httpx response hook; a request that got no answer is
   ended when its thread next asks (threads send one request at a time).

Downloads through signed links are not counted by the service and are not paced.

``PacedLimiter`` is a ``ratelimit.Limiter`` (``acquire()``), built around a
``RateLimiter``, not a kind of it: the batch is sync, so it has no ``aacquire()``.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

from ..ratelimit import RateLimiter

if TYPE_CHECKING:
    from ..client import AudioShake

__all__ = ["PacedLimiter", "paced_client"]

STALE_S = 120.0  # a request still open after this long is taken as ended (a lost hook)
_TICKET = "audioshake_batch_ticket"


class PacedLimiter:
    """``inner``'s start window plus a window of request ends at ``limit`` per
    ``inner.window`` (the service's own limit: the bound needs no margin). ``count``:
    requests let through. Sync only (the batch runs on threads)."""

    def __init__(self, inner: RateLimiter, limit: int | None = None) -> None:
        self.inner = inner
        self.limit = limit or inner.per_second
        self.window = inner.window
        self.count = 0
        self._clock = inner.clock
        self._sleep = inner.sleep
        self._open: dict[int, tuple[float, int]] = {}  # ticket → (start, thread)
        self._ended: deque[float] = deque()  # end times, oldest first
        self._cond = threading.Condition()
        self._local = threading.local()
        self._tickets = itertools.count(1)

    @property
    def capacity(self) -> int:
        """Request starts ``inner`` lets through per window."""
        return self.inner.capacity

    def stamp(self) -> tuple[float, int]:
        """The time and ``count`` together: the requests let through by that time."""
        with self._cond:
            return self._clock(), self.count

    def acquire(self) -> None:
        """Return when a request may start under both windows; it counts from now."""
        me = threading.get_ident()
        while True:
            with self._cond:
                now = self._clock()
                self._forget(now, me)
                if len(self._open) + len(self._ended) < self.limit:
                    ticket = next(self._tickets)
                    self._open[ticket] = (now, me)
                    self._local.ticket = ticket
                    self.count += 1
                    break
                if not self._ended:  # all in flight: wait for an answer
                    self._cond.wait(0.05)
                    continue
                wait = self._ended[0] + self.window - now
            self._sleep(max(wait, 0.0))
        self.inner.acquire()

    def _forget(self, now: float, me: int) -> None:
        while self._ended and self._ended[0] <= now - self.window:
            self._ended.popleft()
        for ticket, (start, thread) in list(self._open.items()):
            if thread == me or start < now - STALE_S:  # no answer came (an error)
                del self._open[ticket]
                self._ended.append(now)

    # -- httpx event hooks -----------------------------------------------------------------

    def on_request(self, request: httpx.Request) -> None:
        """httpx request hook: tag the request this thread acquired for."""
        ticket = getattr(self._local, "ticket", None)
        if ticket is not None:
            self._local.ticket = None
            request.extensions[_TICKET] = ticket

    def on_response(self, response: httpx.Response) -> None:
        """httpx response hook: the tagged request has ended (its answer arrived)."""
        ticket = response.request.extensions.get(_TICKET)
        if ticket is None:
            return
        with self._cond:
            if self._open.pop(ticket, None) is not None:
                self._ended.append(self._clock())
                self._cond.notify_all()


@contextmanager
def paced_client(client: AudioShake, rate: int | None) -> Iterator[tuple[AudioShake, PacedLimiter]]:
    """A client like ``client`` (same class, key, base URL, httpx client, clock, sleep,
    retries, rng and catalog) whose requests all go through one ``PacedLimiter``. Its
    hooks are taken off ``client``'s httpx client afterwards, which stays open."""
    inner = client.limiter
    if rate is not None or not isinstance(inner, RateLimiter):
        per_second = rate if rate is not None else client.catalog.limits.rate_limit_per_second
        inner = RateLimiter(per_second, clock=client.clock, sleep=client.sleep)
    limiter = PacedLimiter(inner, rate)
    http = client.http_client
    paced = type(client)(
        client.api_key,
        base_url=client.base_url,
        http_client=http,
        clock=client.clock,
        sleep=client.sleep,
        rate_limit=limiter,
        max_retries=client.max_retries,
        rng=client.rng,
        catalog=client.catalog,
    )
    paced.create_lookup_timeout = client.create_lookup_timeout
    http.event_hooks["request"].append(limiter.on_request)
    http.event_hooks["response"].insert(0, limiter.on_response)
    try:
        yield paced, limiter
    finally:
        http.event_hooks["request"].remove(limiter.on_request)
        http.event_hooks["response"].remove(limiter.on_response)
