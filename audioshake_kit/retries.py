"""Retry policy: which failures to retry, how long to wait. Pure functions, no I/O.

- 429 is always retried: the service did not process the request.
- Connection errors, timeouts, 408 and 5xx are retried only for requests that are safe
  to send again: reads (``GET``) and uploads (a duplicate asset costs nothing).
- ``POST /tasks`` is never re-sent blindly after such an ambiguous failure: the client
  first looks for the task it may have created (``sending.create_flow``).
- The wait is ``Retry-After`` when the answer has one (capped), else capped exponential
  backoff with jitter.
"""

from __future__ import annotations

import random
from datetime import datetime

from .errors import APIConnectionError, APIStatusError
from .headers import parse_retry_after

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRIES",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRY_STATUSES",
    "backoff",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

MAX_RETRIES = 3
INITIAL_RETRY_DELAY = 0.5  # seconds, first backoff
MAX_RETRY_DELAY = 8.0  # seconds, backoff cap
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is clamped to this
JITTER = 0.25  # a backoff is shortened by up to this fraction, at random
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def should_retry(outcome: int | BaseException, method: str, *, resendable: bool = False) -> bool:
    """Whether a request that ended in ``outcome`` (a status code or an exception) may be
    sent again. ``resendable`` marks a non-GET request that is harmless to repeat."""
    status = outcome.status_code if isinstance(outcome, APIStatusError) else outcome
    if status == 429:
        return True
    safe = method.upper() in SAFE_METHODS or resendable
    if isinstance(status, int):
        return safe and (status in RETRY_STATUSES or status >= 500)
    return safe and isinstance(status, APIConnectionError)


def backoff(attempt: int, rng: random.Random) -> float:
    """Delay before retry number ``attempt + 1``: 0.5, 1, 2, 4, 8, 8 … seconds, each
    shortened by up to 25 % at random so that clients do not retry in step."""
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1.0 - JITTER * rng.random())


def retry_delay(
    error: BaseException, attempt: int, rng: random.Random, *, now: datetime | None = None
) -> float:
    """``Retry-After`` of ``error``'s answer when it has one (at most ``MAX_RETRY_AFTER``),
    else ``backoff(attempt, rng)``."""
    if isinstance(error, APIStatusError):
        after = parse_retry_after(error.headers, now=now)
        if after is not None:
            return min(after, MAX_RETRY_AFTER)
    return backoff(attempt, rng)
