"""Request ids, and the journal of public calls (``GET /_mock/requests``): bounded, each
entry numbered with ``seq``, which keeps growing across resets (a reader polling with
``since`` never misses what came after one). Not part of the service's rules, so it keeps
its own lock rather than the store's: entries are added on the event loop and read from
test threads."""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any

__all__ = ["JOURNAL_LIMIT", "Journal"]

JOURNAL_LIMIT = 5000


class Journal:
    def __init__(self, rng: random.Random, after: Journal | None = None) -> None:
        """A new, empty journal; numbered on from ``after`` (the one a reset replaces)."""
        self._rng = rng  # the state's: request ids are seeded like every other id
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LIMIT)
        self._seq = 0 if after is None else after.last_seq
        self._requests = 0

    def next_request_id(self) -> str:
        """``X-Request-Id`` of one answer: a counter and 32 seeded random bits."""
        self._requests += 1
        return f"req_{self._requests:08d}{self._rng.getrandbits(32):08x}"

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest entry ever recorded (0 before any)."""
        return self._seq

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """The entries numbered above ``seq``, oldest first."""
        with self._lock:
            return [e for e in self._entries if e["seq"] > seq]
