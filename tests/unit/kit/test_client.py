"""The rest of the client surface with respx: upload, listing, models, usage, estimate and
separate, on both clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from audioshake_kit import AsyncAudioShake, AudioShake, ValidationError
from audioshake_kit.types import Layout

from .helpers import API, FILES, FakeClock, target_json, task_json

ASSET = {"id": "asset-1", "format": "wav", "name": "song.wav"}


def test_upload_streams_the_file_with_progress(
    client: AudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    path = tmp_path / "big.wav"
    header = b"RIFF" + (300_000).to_bytes(4, "little") + b"WAVEfmt "
    path.write_bytes(header + bytes(300_000))
    route = api.post(f"{API}/assets").respond(200, json={**ASSET, "name": "big.wav"})
    progress: list[tuple[int, int]] = []
    asset = client.upload(path, on_progress=lambda done, total: progress.append((done, total)))
    assert asset.id == "asset-1"
    request = route.calls.last.request
    size = path.stat().st_size
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert int(request.headers["content-length"]) > size  # known up front, not chunked
    assert b'filename="big.wav"' in request.content and path.read_bytes() in request.content
    assert len(progress) >= 4 and progress[-1] == (size, size)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_upload_is_retried_from_the_start(
    client: AudioShake, api: respx.MockRouter, wav: Path, clock: FakeClock
) -> None:
    route = api.post(f"{API}/assets")
    route.side_effect = [httpx.ConnectError("reset"), httpx.Response(200, json=ASSET)]
    client.upload(wav)
    assert route.call_count == 2
    assert wav.read_bytes() in route.calls.last.request.content


def test_list_tasks_pages_through_everything_once(
    client: AudioShake, api: respx.MockRouter
) -> None:
    all_tasks = [task_json(f"t{i}") for i in range(230)]

    def page(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params["skip"])
        take = int(request.url.params["take"])
        body = all_tasks[skip : skip + take]
        if skip == 100:  # a task created meanwhile pushes t99 onto this page again
            body = [all_tasks[99], *body[:-1]]
        return httpx.Response(200, json=body)

    route = api.get(f"{API}/tasks").mock(side_effect=page)
    ids = [t.id for t in client.list_tasks()]
    assert len(ids) == len(set(ids))
    assert [c.request.url.params["skip"] for c in route.calls] == ["0", "100", "200"]
    assert all(c.request.url.params["take"] == "100" for c in route.calls)


def test_models_assets_and_usage(client: AudioShake, api: respx.MockRouter) -> None:
    api.get(f"{API}/models").respond(
        200,
        json={
            "models": [
                {"id": "vocals", "name": "Vocals", "access": "enabled", "outputFormats": ["wav"]}
            ]
        },
    )
    api.get(f"{API}/assets").respond(200, json=[ASSET])
    stats = api.get(f"{API}/tasks/statistics").respond(
        200, json=[{"month": "2026-05", "totalTargets": 3, "totalMinutes": "12"}]
    )
    assert [m.id for m in client.models()] == ["vocals"]
    assert [a.id for a in client.list_assets()] == ["asset-1"]
    assert client.usage()[0].to_dict()["totalMinutes"] == "12"
    assert stats.calls.last.request.url.params["name"] == "usage"
    with pytest.raises(ValidationError, match="usage"):
        client.usage("monthly")


def test_estimate_sends_nothing(client: AudioShake, api: respx.MockRouter, wav: Path) -> None:
    est = client.estimate(wav, ["vocals@high_quality", "drums", "transcription", "alignment"])
    assert est.duration == pytest.approx(3.0, abs=0.05)
    assert est.minutes == 1
    assert [(c.model, c.credits) for c in est.lines] == [
        ("vocals", 1.5),
        ("drums", 1.0),
        ("transcription", 0.75),
        ("alignment", 0.75),
    ]
    assert est.total == 4.0
    assert client.estimate(200.53, "bass").total == 4.0
    assert not api.calls
    with pytest.raises(ValidationError):
        client.estimate(-1, "bass")


def _separate_routes(api: respx.MockRouter) -> respx.Route:
    api.post(f"{API}/assets").respond(200, json=ASSET)
    create = api.post(f"{API}/tasks").respond(
        200, json=task_json(targets=[target_json("vocals"), target_json("drums")])
    )
    done = task_json(
        targets=[target_json("vocals", "completed"), target_json("drums", "error")], cost=1.0
    )
    api.get(f"{API}/tasks/task-1").respond(200, json=done)
    api.get(url__regex=rf"{FILES}/t-vocals/.*").respond(200, content=b"stem")
    return create


def test_separate_runs_the_whole_job(
    client: AudioShake, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    create = _separate_routes(api)
    result = client.separate(wav, ["vocals", "drums"], tmp_path / "out", metadata="m")
    body: dict[str, Any] = json.loads(create.calls.last.request.content)
    assert body == {
        "assetId": "asset-1",
        "metadata": "m",
        "targets": [
            {"model": "vocals", "formats": ["wav"]},
            {"model": "drums", "formats": ["wav"]},
        ],
    }
    assert [p.name for p in result.files] == ["vocals.wav"]
    assert result.files[0].read_bytes() == b"stem"
    assert [f.model for f in result.failed] == ["drums"]


@pytest.mark.parametrize(("layout", "folder"), [("song", "out/song"), ("flat", "out")])
def test_separate_saves_by_layout(
    client: AudioShake,
    api: respx.MockRouter,
    wav: Path,
    tmp_path: Path,
    layout: Layout,
    folder: str,
) -> None:
    """``dest_dir/<file stem>/`` by default, as the CLI and batch write; ``flat`` as 0.1."""
    _separate_routes(api)
    if layout == "song":  # the default
        result = client.separate(wav, ["vocals", "drums"], tmp_path / "out")
    else:
        result = client.separate(wav, ["vocals", "drums"], tmp_path / "out", layout=layout)
    assert result.files == (tmp_path / folder / "vocals.wav",)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.wav")) == [
        f"{folder}/vocals.wav",
        "song.wav",
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(("layout", "folder"), [("song", "out/song"), ("flat", "out")])
async def test_async_separate_saves_by_layout(
    aclient: AsyncAudioShake,
    api: respx.MockRouter,
    wav: Path,
    tmp_path: Path,
    layout: Layout,
    folder: str,
) -> None:
    _separate_routes(api)
    async with aclient:
        if layout == "song":  # the default
            result = await aclient.separate(wav, ["vocals", "drums"], tmp_path / "out")
        else:
            result = await aclient.separate(
                wav, ["vocals", "drums"], tmp_path / "out", layout=layout
            )
    assert result.files == (tmp_path / folder / "vocals.wav",)


def test_an_unknown_layout_is_refused_before_uploading(
    client: AudioShake, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="layout: must be 'song' or 'flat', got 'songs'"):
        client.separate(wav, ["vocals"], tmp_path, layout="songs")  # type: ignore[arg-type]
    assert not api.calls


def test_separate_checks_targets_before_uploading(
    client: AudioShake, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=r"targets\[0\]\.model"):
        client.separate(wav, ["kazoo"], tmp_path)
    assert not api.calls


@pytest.mark.anyio
async def test_async_client_surface(
    aclient: AsyncAudioShake, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    _separate_routes(api)
    api.get(f"{API}/tasks").respond(200, json=[task_json("t1"), task_json("t2")])
    api.get(f"{API}/assets").respond(200, json=[ASSET])
    api.get(f"{API}/models").respond(200, json={"models": []})
    api.get(f"{API}/tasks/statistics").respond(
        200, json=[{"model": "vocals", "totalTargets": 1, "totalMinutes": "1"}]
    )
    async with aclient:
        result = await aclient.separate(wav, ["vocals", "drums"], tmp_path)
        assert [p.name for p in result.files] == ["vocals.wav"]
        assert [t.id async for t in aclient.list_tasks()] == ["t1", "t2"]
        assert (await aclient.list_assets())[0].id == "asset-1"
        assert await aclient.models() == []
        assert len(await aclient.usage("distribution")) == 1
        assert (await aclient.estimate(wav, "drums")).total == 1.0
        assert (await aclient.get_task("task-1")).id == "task-1"
