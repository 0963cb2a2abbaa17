"""The facade's own value types: what you ask for (``TargetSpec``) and what you get back
(``TaskResult``, ``Estimate``). Tasks, targets and assets themselves are the generated
models (``audioshake_client.models``), re-exported by ``audioshake_kit``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .domain.billing import Charge, round_credits
from .domain.status import COMPLETED, is_failed
from .domain.words import plural
from .errors import ValidationError

if TYPE_CHECKING:  # the generated models load with the first response, not on import
    from audioshake_client.models import Target, TargetRequest, Task

__all__ = [
    "LAYOUTS",
    "Estimate",
    "FailedTarget",
    "Layout",
    "TargetLike",
    "TargetSpec",
    "TaskResult",
    "outputs_dir",
]

Layout: TypeAlias = Literal["song", "flat"]
"""Where ``separate()`` saves a file's outputs in its ``dest_dir``: ``"song"`` in
``dest_dir/<file stem>/`` (as ``audioshake separate`` and ``batch`` do), ``"flat"`` in
``dest_dir`` itself (the layout of 0.1)."""

LAYOUTS: tuple[Layout, ...] = ("song", "flat")


def outputs_dir(
    path: str | os.PathLike[str], dest_dir: str | os.PathLike[str], layout: Layout = "song"
) -> Path:
    """Where the outputs of the file at ``path`` go: ``dest_dir/<file stem>/`` (layout
    ``"song"``: ``separate()``, ``audioshake separate`` and, at the top of its input
    folder, ``batch``) or ``dest_dir`` (``"flat"``)."""
    if layout not in LAYOUTS:
        raise ValidationError(f"must be 'song' or 'flat', got {layout!r}", field="layout")
    dest = Path(dest_dir)
    return dest / Path(path).stem if layout == "song" else dest


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One model to run. Empty ``formats`` means the model's default (wav for audio
    models, json for text models)."""

    model: str
    formats: tuple[str, ...] = ()
    variant: str | None = None
    residual: bool = False
    language: str | None = None
    transcript_url: str | None = None
    transcript_asset_id: str | None = None


TargetLike: TypeAlias = (
    "str | tuple[str, Sequence[str]] | TargetSpec | TargetRequest | Mapping[str, Any]"
)
"""What ``create_task`` accepts as a target: ``"vocals"`` (or the CLI syntax
``"vocals@high_quality:wav,mp3+residual"``), ``("vocals", ["wav", "mp3"])``, a
``TargetSpec``, a generated ``TargetRequest``, or a dict (camelCase or snake_case keys)."""


@dataclass(frozen=True, slots=True)
class FailedTarget:
    """A target that ended in ``error``, with the service's code and message, and what
    it was charged (``cost``; None when the service did not say).

    A target that failed before processing began (4xxx) costs nothing; one that failed
    mid-processing (5xxx) is charged as if it had completed, and AudioShake support may
    refund it given the task id (``charged`` tells which)."""

    target: Target
    code: int | None
    message: str
    cost: float | None = None

    @property
    def model(self) -> str:
        return self.target.model

    @property
    def charged(self) -> bool:
        """True when the failure was billed (a mid-processing failure): ask support."""
        return bool(self.cost)


@dataclass(frozen=True, slots=True)
class TaskResult:
    """A finished task, split by outcome. ``cost`` is ``Task.cost`` (None if not given).

    One failed target never hides the others: check ``failed`` (or ``all_succeeded``)."""

    task: Task
    succeeded: tuple[Target, ...]
    failed: tuple[FailedTarget, ...]
    cost: float | None
    files: tuple[Path, ...] = field(default=())

    @property
    def all_succeeded(self) -> bool:
        return not self.failed and len(self.succeeded) == len(self.task.targets)

    @property
    def refund_note(self) -> str | None:
        """What to tell the user when failed targets were charged, else None."""
        charged = [f for f in self.failed if f.charged]
        if not charged:
            return None
        credits = round_credits(sum(f.cost or 0.0 for f in charged))
        models = ", ".join(f.model for f in charged)
        one = len(charged) == 1
        return (
            f"{plural(len(charged), 'failed target')} ({models}) failed mid-processing and"
            f" {'was' if one else 'were'} charged {plural(credits, 'credit')}; AudioShake"
            f" support may refund {'it' if one else 'them'}: contact support with task id"
            f" {self.task.id}"
        )

    @classmethod
    def from_task(cls, task: Task) -> TaskResult:
        from audioshake_client.types import Unset

        succeeded = tuple(t for t in task.targets if t.status == COMPLETED)
        failed = tuple(_failed(t) for t in task.targets if is_failed(t.status))
        cost = None if isinstance(task.cost, Unset) else float(task.cost)
        return cls(task, succeeded, failed, cost)


def _failed(target: Target) -> FailedTarget:
    from audioshake_client.types import Unset

    err = target.error
    cost = None if isinstance(target.cost, Unset) else float(target.cost)
    if err is None or isinstance(err, Unset):
        return FailedTarget(target, None, "target failed (no error details)", cost)
    return FailedTarget(target, err.code, err.message, cost)


@dataclass(frozen=True, slots=True)
class Estimate:
    """Credits a task would cost: one line per target (``billing.Charge``) and the total.

    ``minutes`` are the billed (started) minutes of ``duration`` seconds of input.
    ``approximate`` is True when the duration was read from the file's headers, which for
    mp3, aac, m4a, mp4 and mov can differ from the decoded length the service bills: the
    ``[media]`` extra makes every estimate exact (``domain.media``)."""

    duration: float
    minutes: int
    lines: tuple[Charge, ...]
    total: float
    approximate: bool = False
