"""``wait()`` written once, without I/O: a flow of steps (``flow``).

It yields ``Send(read)`` (one ``GET /tasks/{id}``) and ``Sleep(seconds)``, and returns
the finished ``Task``: finished as ``domain.status`` defines it. Each client runs it
with its one driver; tests drive it with a script of task states.

- Polls at a growing interval (1 s × 1.5 per poll, up to 10 s) with ±10 % jitter.
- A 429 waits its ``Retry-After``; other transient errors (connection, 5xx) back off and
  poll again, up to ``max_errors`` in a row (the clients pass the larger of 5 and their
  ``max_retries``). Anything else is raised.
- ``on_target(target)`` is called once per target, when it is first seen ended.
- A status the kit does not know (the service added one) is not finished: it is warned
  about once per wait (``UnknownStatusWarning``, naming it) and the wait goes on, ending
  by its timeout as for ``processing``. ``failed`` is read as ``error``.
- At the deadline it reads the task one last time, then raises ``WaitTimeoutError``
  carrying the last task seen.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .domain.status import all_finished, is_finished, is_known
from .errors import APIError, UnknownStatusWarning, WaitTimeoutError
from .flow import Flow, Op, Send, Sleep
from .responses import unwrap
from .retries import retry_delay, should_retry

if TYPE_CHECKING:  # the generated client loads with the first request, not on import
    from audioshake_client.models import Target, Task

__all__ = ["MIN_POLL_ERRORS", "WaitPolicy", "wait_flow"]

MIN_POLL_ERRORS = 5


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """How ``wait_flow`` polls: its timeout, pauses, jitter and error tolerance."""

    timeout: float | None = None  # seconds; None waits for ever
    interval: float = 1.0  # first pause between polls
    max_interval: float = 10.0
    multiplier: float = 1.5
    jitter: float = 0.1  # each pause is scaled by 1 ± jitter
    max_errors: int = MIN_POLL_ERRORS  # transient errors in a row before giving up


def wait_flow(
    task_id: str,
    read: Op[Task],
    policy: WaitPolicy,
    *,
    clock: Callable[[], float],
    rng: random.Random,
    on_target: Callable[[Target], object] | None = None,
) -> Flow[Task]:
    """Poll task ``task_id`` with ``read`` (its ``GET /tasks/{id}``) until every target
    has finished."""
    deadline = None if policy.timeout is None else clock() + policy.timeout
    interval = policy.interval
    reported: set[str] = set()
    unknown: set[str] = set()
    last: Task | None = None
    errors = 0
    while True:
        answer = yield Send(read)
        try:
            got: Task = unwrap(answer)
        except APIError as exc:
            if errors >= policy.max_errors or not should_retry(exc, "GET"):
                raise
            delay = retry_delay(exc, errors, rng, now=datetime.fromtimestamp(clock(), UTC))
            errors += 1
        else:
            errors, last = 0, got
            for target in got.targets:
                if not is_known(target.status) and target.status not in unknown:
                    unknown.add(target.status)
                    warnings.warn(
                        f"task {task_id}: target {target.id} ({target.model}) has status"
                        f" {str(target.status)!r}, which this kit does not know; it counts as"
                        " not finished, so wait() goes on until its timeout",
                        UnknownStatusWarning,
                        stacklevel=2,
                    )
                if is_finished(target.status) and target.id not in reported:
                    reported.add(target.id)
                    if on_target is not None:
                        on_target(target)
            if all_finished(t.status for t in got.targets):
                return got
            delay = interval * (1.0 + policy.jitter * (2.0 * rng.random() - 1.0))
            interval = min(interval * policy.multiplier, policy.max_interval)
        now = clock()
        if deadline is not None:
            if now >= deadline:
                raise WaitTimeoutError(_timeout_message(task_id, policy, last), task=last)
            delay = min(delay, deadline - now)
        yield Sleep(delay)


def _timeout_message(task_id: str, policy: WaitPolicy, task: Task | None) -> str:
    msg = f"task {task_id} did not finish within {policy.timeout:g} s"
    if task is None:
        return msg + " (never read successfully)"
    busy = [
        t.model if is_known(t.status) else f"{t.model}: {str(t.status)!r}"
        for t in task.targets
        if not is_finished(t.status)
    ]
    return msg + f": {len(busy)} of {len(task.targets)} targets not finished ({', '.join(busy)})"
