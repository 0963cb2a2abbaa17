"""The mock's state records: plain dataclasses, no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from audioshake_kit.domain.billing import round_credits, task_cost

__all__ = ["Asset", "MediaSource", "Output", "Target", "Task", "Tenant"]

TargetStatus = Literal["processing", "completed", "error"]


@dataclass(slots=True)
class MediaSource:
    """Where a task's input comes from and what probing it found.

    ``path`` is None for synthetic URL media until an output needs it
    (``synth_seed``/``duration`` make it then). ``error`` is a planned target failure
    (code, message) caused by the input itself.
    """

    kind: Literal["audio", "video", "text"]
    format: str
    duration: float | None
    channels: int | None = None
    path: Path | None = None
    synth_seed: int | None = None
    error: tuple[int, str] | None = None


@dataclass(slots=True)
class Asset:
    id: str
    client_id: str
    name: str
    format: str
    size: int
    path: Path
    created_at: float
    expires_at: float
    media: MediaSource


@dataclass(slots=True)
class Output:
    name: str
    format: str
    mime: str
    role: Literal["target", "residual", "speaker", "text"]
    index: int = 0
    count: int = 1


@dataclass(slots=True)
class Target:
    id: str
    task_id: str
    model: str
    formats: list[str]
    variant: str | None
    residual: bool | None
    language: str | None
    transcript_url: str | None
    transcript_asset_id: str | None
    created_at: float
    ends_at: float
    planned_error: tuple[int, str] | None
    planned_cost: float  # what it will cost given every sibling's planned outcome
    estimate: float  # what was reserved: its price had every target completed
    minutes: int
    outputs: list[Output]
    status: TargetStatus = "processing"
    updated_at: float = 0.0
    cost: float | None = None
    transcript_text: str | None = None
    rendered: bool = False  # its output files are on disk (``OutputFiles.ensure``)

    @property
    def ended(self) -> bool:
        return self.status != "processing"


@dataclass(slots=True)
class Task:
    id: str
    client_id: str
    key: str
    created_at: float
    asset_id: str | None
    url: str | None
    metadata: str | None
    callback_url: str | None
    write_destination: str | None
    media: MediaSource
    targets: list[Target]
    completed_at: float | None = None
    outputs_expired: bool = False
    output_dir: Path | None = None
    # serialize.task_json's view of a completed task (no longer changes), links unsigned.
    view: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def updated_at(self) -> float:
        return max([self.created_at, *(t.updated_at for t in self.targets)])

    @property
    def cost(self) -> float | None:
        if self.completed_at is None:
            return None
        return task_cost(t.cost for t in self.targets)


@dataclass(slots=True)
class Tenant:
    key: str
    client_id: str
    credits: float | None = None  # None: unlimited
    reserved: float = 0.0
    enabled_models: set[str] = field(default_factory=set)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    assets: dict[str, Asset] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)

    @property
    def available(self) -> float | None:
        return None if self.credits is None else self.credits - self.reserved

    def to_json(self) -> dict[str, Any]:
        """The key as the admin API shows it."""
        return {
            "key": self.key,
            "clientId": self.client_id,
            "credits": self.credits,
            "reserved": round_credits(self.reserved),
            "enabledModels": sorted(self.enabled_models),
            "webhookUrl": self.webhook_url,
        }
