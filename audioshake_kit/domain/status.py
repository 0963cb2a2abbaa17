"""Target status values and the one definition of "finished".

A target is ``processing`` until it ends ``completed`` or ``error``; a task has finished
when none of its targets is still processing. Works on plain strings and on the
generated ``TargetStatus`` (a ``str`` enum) alike.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["COMPLETED", "ERROR", "PROCESSING", "all_finished", "is_finished"]

PROCESSING = "processing"
COMPLETED = "completed"
ERROR = "error"


def is_finished(status: str) -> bool:
    """Whether a target with ``status`` has ended (completed or error)."""
    return status in (COMPLETED, ERROR)


def all_finished(statuses: Iterable[str]) -> bool:
    """Whether every target has ended: the task has finished."""
    return all(is_finished(s) for s in statuses)
