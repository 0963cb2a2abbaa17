"""Target status values and the one definition of "finished".

A target is ``processing`` until it ends ``completed`` or ``error`` (the documented
values). AudioShake's own demo also checks ``failed``: it is read as ``error``. Any other
value is one the service added after this kit was built: such a target is not finished
(``wait()`` goes on, and ends by its timeout as for ``processing``). Works on plain
strings and on the generated ``TargetStatus`` (a ``str`` enum) alike.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "COMPLETED",
    "ERROR",
    "FAILED",
    "KNOWN",
    "PROCESSING",
    "all_finished",
    "is_failed",
    "is_finished",
    "is_known",
]

PROCESSING = "processing"
COMPLETED = "completed"
ERROR = "error"
FAILED = "failed"  # not documented; AudioShake's stem-separation demo checks it
KNOWN = frozenset({PROCESSING, COMPLETED, ERROR, FAILED})


def is_failed(status: str) -> bool:
    """Whether a target with ``status`` ended in failure (``error``, or ``failed``)."""
    return status in (ERROR, FAILED)


def is_finished(status: str) -> bool:
    """Whether a target with ``status`` has ended (completed or failed)."""
    return status == COMPLETED or is_failed(status)


def all_finished(statuses: Iterable[str]) -> bool:
    """Whether every target has ended: the task has finished."""
    return all(is_finished(s) for s in statuses)


def is_known(status: str) -> bool:
    """False for a status this kit does not know (callers warn and keep waiting)."""
    return status in KNOWN
