"""The mock's one clock. Everything time-dependent (processing, expiry, links, webhook
retries, the rate-limit window under a manual clock) reads it; nothing else in
``mock_server`` reads the wall clock.

- ``ManualClock``: moves only when told (``advance``/``set``). Tests use it.
- ``RealClock``: wall time × ``speed`` from a start point (``serve``). Its rate-limit
  window runs on unscaled wall time, so a benchmark at speed 100 still meets 60 req/s.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, Protocol

__all__ = ["Clock", "ManualClock", "RealClock", "format_time", "parse_time"]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


class Clock(Protocol):
    mode: Literal["manual", "real"]

    def now(self) -> float:
        """Mock time, unix seconds."""

    def window_time(self) -> float:
        """The time base of the rate-limit window (seconds, any origin)."""

    def advance(self, seconds: float) -> float:
        """Move mock time forward; returns the new ``now()``."""

    def set(self, when: float) -> float:
        """Jump mock time to ``when`` (never backwards); returns the new ``now()``."""


class ManualClock:
    mode: Literal["manual", "real"] = "manual"

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def window_time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        self._now += seconds
        return self._now

    def set(self, when: float) -> float:
        return self.advance(max(0.0, when - self._now))


class RealClock:
    mode: Literal["manual", "real"] = "real"

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._start = wall() if start is None else start

    def now(self) -> float:
        return self._start + (self._monotonic() - self._origin) * self.speed

    def window_time(self) -> float:
        return self._monotonic()

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        self._start += seconds
        return self.now()

    def set(self, when: float) -> float:
        return self.advance(max(0.0, when - self.now()))


@functools.lru_cache(maxsize=1 << 14)
def format_time(ts: float) -> str:
    """ISO-8601 UTC with milliseconds, as the service writes it: 2026-03-25T03:16:17.442Z.

    Cached: a record's timestamps never change, and every read of a task formats them
    again (strftime was the largest single cost of ``GET /tasks/{id}``)."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    """Unix seconds from an ISO-8601 string (``Z`` or an offset; naive means UTC)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
