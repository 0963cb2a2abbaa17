"""Builders shared by the facade's unit tests: a fake clock and task JSON as the API gives it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

API = "https://api.test"
FILES = "https://files.test"
START = 1_780_000_000.0  # a fixed "now" (2026-05-28), unix seconds


class FakeClock:
    """``now()`` for the client's clock; ``sleep(s)`` records ``s`` and moves time on."""

    def __init__(self, start: float = START) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def target_json(
    model: str,
    status: str = "processing",
    *,
    tid: str | None = None,
    formats: tuple[str, ...] = ("wav",),
    variant: str | None = None,
    error: tuple[int, str] | None = None,
    cost: float | None = None,
    link_version: int = 1,
) -> dict[str, Any]:
    """A target as the API returns it; completed ones get one output per format."""
    tid = tid or f"t-{model}"
    t: dict[str, Any] = {"id": tid, "model": model, "status": status, "formats": list(formats)}
    if variant:
        t["variant"] = variant
    if status == "completed":
        name = model + (f"_{variant}" if variant else "")
        t["output"] = [
            {"name": name, "format": f, "link": f"{FILES}/{tid}/{name}.{f}?v={link_version}"}
            for f in formats
        ]
        t["cost"] = 1.0 if cost is None else cost
    if status == "error":
        code, message = error or (5001, "processing failed")
        t["error"] = {"code": code, "message": message}
        t["cost"] = 0
    return t


def task_json(
    tid: str = "task-1",
    targets: list[dict[str, Any]] | None = None,
    *,
    created: float = START,
    asset_id: str | None = "asset-1",
    url: str | None = None,
    metadata: str | None = None,
    cost: float | None = None,
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": tid,
        "createdAt": iso(created),
        "clientId": "client-1",
        "targets": targets if targets is not None else [target_json("vocals")],
    }
    if asset_id is not None:
        task["assetId"] = asset_id
    if url is not None:
        task["url"] = url
    if metadata is not None:
        task["metadata"] = metadata
    if cost is not None:
        task["cost"] = cost
    return task


def error_json(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "error": "Error", "message": message}
