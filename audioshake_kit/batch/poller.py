"""Reading the batch's processing tasks: when, and how cheaply.

- When: soon (``POLL_START_S``) after a poll that found finished tasks, backing off
  (× ``POLL_GROWTH`` up to ``POLL_MAX_S``) while none finish, and never so often that
  polls take more than ``POLL_SHARE`` of the limiter's capacity.
- How: with ``LIST_MIN`` tasks or more processing, ``GET /tasks`` pages (newest first,
  100 a page) until all are seen or the page reaches back past the oldest of them;
  one ``GET /tasks/{id}`` each for the rest. Links come fresh with every read.
- A failed poll is tried again later; ``MAX_ERRORS`` in a row stop the batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from audioshake_client.models import Task

from ..domain.status import all_finished
from ..errors import APIError, AuthenticationError, NotFoundError, PermissionDeniedError
from ..sending import CLOCK_SKEW_S, created_at
from .pacing import PacedLimiter
from .report import BatchEvent
from .steps import FileSteps, Item

if TYPE_CHECKING:
    from ..client import AudioShake

__all__ = ["LIST_MIN", "POLL_START_S", "Poller"]

POLL_START_S = 0.5
POLL_MAX_S = 10.0
POLL_GROWTH = 1.5
POLL_SHARE = 0.25
LIST_MIN = 3
MAX_ERRORS = 8  # failed polls in a row that stop the batch (run it again to go on)


class Poller:
    """Polls the tasks in ``waiting`` (task id → file) and queues the finished ones."""

    def __init__(
        self,
        client: AudioShake,
        limiter: PacedLimiter,
        steps: FileSteps,
        emit: Callable[[BatchEvent], None],
        now: float,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.steps = steps
        self.emit = emit
        self.interval = POLL_START_S
        self.next_at = now + POLL_START_S
        self.errors = 0

    def poll(self, waiting: dict[str, Item], fetch: deque[tuple[Item, Task]]) -> None:
        """Read the tasks once; move the finished ones (recorded) to ``fetch``."""
        before = self.limiter.count
        finished = 0
        try:
            tasks = self._read(waiting)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except APIError as exc:  # each read was retried already; try again later
            self.errors += 1
            if self.errors >= MAX_ERRORS:
                exc.add_note(f"the batch stopped: {MAX_ERRORS} polls failed in a row")
                raise
            self.emit(BatchEvent("poll", None, {"error": str(exc), "waiting": len(waiting)}))
        else:
            self.errors = 0
            for task in tasks:
                if task.id in waiting and all_finished(t.status for t in task.targets):
                    item = waiting.pop(task.id)
                    self.steps.record_finished(item, task)
                    fetch.append((item, task))
                    finished += 1
            self.emit(BatchEvent("poll", None, {"waiting": len(waiting), "finished": finished}))
        used = self.limiter.count - before
        grown = min(self.interval * POLL_GROWTH, POLL_MAX_S)
        self.interval = POLL_START_S if finished else grown
        cost = used / (POLL_SHARE * self.limiter.capacity)
        self.next_at = self.steps.now() + max(self.interval, cost)

    def _read(self, waiting: dict[str, Item]) -> list[Task]:
        found: dict[str, Task] = {}
        if len(waiting) >= LIST_MIN:
            since = min(_created(i) for i in waiting.values()) - CLOCK_SKEW_S
            for task in self.client.list_tasks():
                if task.id in waiting:
                    found[task.id] = task
                if len(found) == len(waiting) or created_at(task) < since:
                    break
        for task_id in [t for t in waiting if t not in found]:
            try:
                found[task_id] = self.client.get_task(task_id)
            except NotFoundError as exc:
                self.steps.fail(waiting.pop(task_id), f"task {task_id} is gone: {exc}", "api")
        return list(found.values())


def _created(item: Item) -> float:
    row = item.row
    return 0.0 if row is None or row.task_created_at is None else row.task_created_at
