"""Small helpers shared by the mock's rule tests (plain functions, no fixtures)."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from mock_server.harness import MockHandle

SR = 44100
HOUR = 3600.0
TTL_72H = 72 * HOUR


def write_wav(path: Path, duration: float, *, channels: int = 2, seed: int = 0) -> Path:
    """A 16-bit PCM wav: a quiet chord with a little seeded noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * SR)) / SR
    chans = [0.2 * np.sin(2 * np.pi * (220 + 55 * c) * t) for c in range(channels)]
    data = np.stack(chans, axis=1) + rng.uniform(-0.02, 0.02, (len(t), channels))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((data * 32767).astype("<i2").tobytes())
    return path


def target(model: str, *formats: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "formats": list(formats or ["wav"]), **extra}


def url_body(duration: float, *targets: dict[str, Any], name: str = "a.mp3") -> dict[str, Any]:
    """A createTask body on synthetic URL media of ``duration`` seconds."""
    return {"url": f"https://x.test/{name}#duration={duration}", "targets": list(targets)}


def upload(client: httpx.Client, data: bytes | Path, name: str | None = None) -> httpx.Response:
    if isinstance(data, Path):
        name = name or data.name
        data = data.read_bytes()
    return client.post("/assets", files={"file": (name or "upload.bin", data)})


def upload_ok(client: httpx.Client, data: bytes | Path, name: str | None = None) -> dict[str, Any]:
    r = upload(client, data, name)
    assert r.status_code == 200, r.text
    asset: dict[str, Any] = r.json()
    return asset


def create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/tasks", json=body)
    assert r.status_code == 200, r.text
    task: dict[str, Any] = r.json()
    return task


def get_task(client: httpx.Client, task_id: str) -> dict[str, Any]:
    r = client.get(f"/tasks/{task_id}")
    assert r.status_code == 200, r.text
    task: dict[str, Any] = r.json()
    return task


def finish(
    mock: MockHandle,
    task_id: str,
    client: httpx.Client | None = None,
    *,
    step: float = 5.0,
    limit: float = 3600.0,
) -> dict[str, Any]:
    """Advance mock time until the task has ended; returns it as GET shows it."""
    client = client or mock.client
    waited = 0.0
    while True:
        task = get_task(client, task_id)
        if task.get("completedAt"):
            return task
        assert waited < limit, f"task {task_id} still processing after {limit} s"
        mock.advance(step)
        waited += step


def run(
    mock: MockHandle, body: dict[str, Any], client: httpx.Client | None = None
) -> dict[str, Any]:
    """Create a task and let it finish."""
    client = client or mock.client
    return finish(mock, create(client, body)["id"], client)


def by_model(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["model"]: t for t in task["targets"]}


def error(r: httpx.Response, status: int) -> str:
    """Assert an error answer of ``status`` in the contract's shape; its message."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"statusCode", "error", "message"}, body
    assert body["statusCode"] == status
    assert isinstance(body["message"], str) and body["message"]
    message: str = body["message"]
    return message
