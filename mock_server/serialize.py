"""Records → JSON as the service shows them. Optional fields appear only when the real
service would have them (a processing target has no cost; a URL task has no assetId)."""

from __future__ import annotations

from typing import Any

from .clock import format_time
from .links import Signer, asset_path, output_path
from .records import Asset, Target, Task

__all__ = ["asset_json", "task_json"]


def task_json(task: Task, sign: Signer) -> dict[str, Any]:
    """The task as ``GET /tasks/{id}`` shows it, with freshly signed links.

    A completed task no longer changes but for its links, so its view is built once
    (links left as paths) and each read copies it down to the outputs and signs them."""
    if task.completed_at is None:
        return _task_json(task, sign)
    view = task.view
    if view is None:
        view = task.view = _task_json(task, _unsigned)
    client_id = task.client_id
    data = dict(view)
    data["targets"] = [
        {**t, "output": [{**o, "link": sign(client_id, o["link"])} for o in t["output"]]}
        for t in view["targets"]
    ]
    return data


def _unsigned(client_id: str, path: str) -> str:
    return path


def _task_json(task: Task, sign: Signer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": task.id,
        "createdAt": format_time(task.created_at),
        "updatedAt": format_time(task.updated_at),
        "clientId": task.client_id,
    }
    if task.asset_id is not None:
        data["assetId"] = task.asset_id
    else:
        data["url"] = task.url
    if task.metadata is not None:
        data["metadata"] = task.metadata
    if task.write_destination is not None:
        data["writeDestination"] = task.write_destination
    data["targets"] = [_target_json(task, t, sign) for t in task.targets]
    data["completedAt"] = format_time(task.completed_at) if task.completed_at else None
    cost = task.cost
    if cost is not None:
        data["cost"] = cost
    return data


def _target_json(task: Task, t: Target, sign: Signer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": t.id,
        "taskId": task.id,
        "createdAt": format_time(t.created_at),
        "updatedAt": format_time(t.updated_at),
        "model": t.model,
        "variant": t.variant,
        "formats": t.formats,
        "residual": t.residual,
        "language": t.language,
        "status": t.status,
        "output": [],
        "error": None,
    }
    if task.url is not None:
        data["url"] = task.url
    if t.transcript_url is not None:
        data["transcriptUrl"] = t.transcript_url
    if t.transcript_asset_id is not None:
        data["transcriptAssetId"] = t.transcript_asset_id
    if t.status == "completed":
        data["output"] = [
            {
                "name": o.name,
                "format": o.format,
                "type": o.mime,
                "link": sign(task.client_id, output_path(task, t, o.name, o.format)),
            }
            for o in t.outputs
        ]
    elif t.status == "error" and t.planned_error is not None:
        code, message = t.planned_error
        data["error"] = {"code": code, "message": message}
    if t.ended:
        data["cost"] = t.cost
        if task.media.duration is not None:
            data["duration"] = task.media.duration
    return data


def asset_json(asset: Asset, sign: Signer) -> dict[str, Any]:
    return {
        "id": asset.id,
        "format": asset.format,
        "name": asset.name,
        "link": sign(asset.client_id, asset_path(asset)),
        "createdAt": format_time(asset.created_at),
        "expiresAt": format_time(asset.expires_at),
        "size": asset.size,
    }
