"""Per-key sliding-window rate limit: at most ``limit`` answered requests in any rolling
second. 429s are not counted. Time comes from ``Clock.window_time``."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

__all__ = ["Decision", "SlidingWindowLimiter"]

WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the oldest counted request leaves the window
    retry_after: int  # whole seconds, >= 1 (meaningful when not allowed)


class SlidingWindowLimiter:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit  # None = off
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str, now: float) -> Decision | None:
        """Count a request for ``key`` at ``now`` if it fits; None when limiting is off."""
        if self.limit is None:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW_S:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            reset = max(0.0, hits[0] + WINDOW_S - now)
            return Decision(True, self.limit, self.limit - len(hits), round(reset, 3), 1)
        wait = hits[0] + WINDOW_S - now
        return Decision(False, self.limit, 0, round(wait, 3), max(1, math.ceil(wait)))

    def reset(self) -> None:
        self._hits.clear()
