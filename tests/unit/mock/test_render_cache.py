"""Rendering is deterministic, so the same input and targets render once: a second task
gets the same bytes from the cache, and retention still removes its files."""

from __future__ import annotations

from pathlib import Path

import pytest

import mock_server.outputs as outputs
from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import run, target, upload_ok


def download_all(mock: InProcessMock, task: dict[str, object]) -> dict[str, bytes]:
    files = {}
    for t in task["targets"]:  # type: ignore[attr-defined]
        for o in t["output"]:
            r = mock.client.get(o["link"])
            assert r.status_code == 200
            files[f"{o['name']}.{o['format']}"] = r.content
    return files


def test_same_input_and_targets_render_once(
    mock: InProcessMock, make_media: MakeMedia, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    real = outputs.render_audio

    def counting(source: Path, *args: object, **kwargs: object) -> object:
        calls.append(Path(source))
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs, "render_audio", counting)
    song = make_media("wav", 2.0, seed=11)
    body_targets = [target("vocals", "wav", residual=True), target("bass", "flac")]
    first = run(mock, {"assetId": upload_ok(mock.client, song)["id"], "targets": body_targets})
    a = download_all(mock, first)
    assert len(calls) == 2  # one render per target
    # the same file uploaded again: a new asset, a new task, the same bytes, no render
    second = run(mock, {"assetId": upload_ok(mock.client, song)["id"], "targets": body_targets})
    assert download_all(mock, second) == a
    assert len(calls) == 2
    # other content renders again
    other = make_media("wav", 2.0, seed=12)
    third = run(mock, {"assetId": upload_ok(mock.client, other)["id"], "targets": body_targets})
    assert download_all(mock, third) != a
    assert len(calls) == 4
    # retention still deletes the task's own files; the cache does not keep them reachable
    mock.advance(72 * 3600 + 60)
    link = first["targets"][0]["output"]
    fresh = mock.client.get(f"/tasks/{first['id']}").json()["targets"][0]["output"][0]["link"]
    assert link  # the task still lists its outputs
    r = mock.client.get(fresh)
    assert r.status_code == 403
    assert "output expired" in r.json()["message"]
