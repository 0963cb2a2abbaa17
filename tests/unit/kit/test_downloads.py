"""Downloads: atomic, resumable, refreshed once on an expired link; and malformed bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from audioshake_client.models import Task

from audioshake_kit import (
    APIConnectionError,
    AsyncAudioShake,
    AudioShake,
    LinkExpiredError,
    UnexpectedResponseError,
)
from audioshake_kit.downloads import begin_write, plan_downloads

from .helpers import API, FILES, FakeClock, target_json, task_json

DATA = bytes(range(256)) * 40  # 10 KiB
TASK = task_json(
    targets=[
        target_json("vocals", "completed", formats=("wav", "mp3"), tid="t1"),
        target_json("drums", "error", tid="t2"),
    ]
)
WAV_URL = re.compile(rf"{FILES}/t1/vocals\.wav.*")


def serve(data: bytes = DATA) -> httpx.Response | object:
    """A file host that honours Range."""

    def handler(request: httpx.Request) -> httpx.Response:
        rng = request.headers.get("range")
        if rng:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                return httpx.Response(416, headers={"Content-Range": f"bytes */{len(data)}"})
            return httpx.Response(
                206,
                content=data[start:],
                headers={"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"},
            )
        return httpx.Response(200, content=data)

    return handler


@pytest.fixture
def files(api: respx.MockRouter) -> respx.Route:
    api.get(url__regex=rf"{FILES}/t1/vocals\.mp3.*").respond(200, content=b"mp3 bytes")
    return api.get(url__regex=WAV_URL.pattern).mock(side_effect=serve())


def test_outputs_are_written_atomically_with_progress(
    client: AudioShake, files: respx.Route, tmp_path: Path
) -> None:
    seen: list[tuple[str, int, int | None]] = []
    paths = client.download(
        Task.from_dict(TASK), tmp_path, on_progress=lambda p, d, t: seen.append((p.name, d, t))
    )
    assert [p.name for p in paths] == ["vocals.wav", "vocals.mp3"]
    assert paths[0].read_bytes() == DATA and paths[1].read_bytes() == b"mp3 bytes"
    assert not list(tmp_path.glob("*.part"))
    assert seen[-1] == ("vocals.mp3", 9, 9) and ("vocals.wav", len(DATA), len(DATA)) in seen
    request = files.calls.last.request
    assert "x-api-key" not in request.headers  # the key never goes to the file host


def test_a_part_file_is_resumed_with_range(
    client: AudioShake, files: respx.Route, tmp_path: Path
) -> None:
    (tmp_path / "vocals.wav.part").write_bytes(DATA[:1000])
    client.download(Task.from_dict(TASK), tmp_path, formats=["wav"])
    assert files.calls.last.request.headers["range"] == "bytes=1000-"
    assert (tmp_path / "vocals.wav").read_bytes() == DATA


def test_a_host_that_ignores_range_restarts_from_scratch(
    client: AudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    api.get(url__regex=WAV_URL.pattern).respond(200, content=DATA)
    (tmp_path / "vocals.wav.part").write_bytes(b"stale bytes")
    client.download(Task.from_dict(TASK), tmp_path, formats=["wav"])
    assert (tmp_path / "vocals.wav").read_bytes() == DATA


def test_a_complete_part_file_is_just_renamed(
    client: AudioShake, files: respx.Route, tmp_path: Path
) -> None:
    (tmp_path / "vocals.wav.part").write_bytes(DATA)
    client.download(Task.from_dict(TASK), tmp_path, formats=["wav"])
    assert (tmp_path / "vocals.wav").read_bytes() == DATA
    assert files.calls.last.response.status_code == 416


def test_a_dropped_download_resumes(
    client: AudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    def dropping() -> Iterator[bytes]:
        yield DATA[:4000]
        raise httpx.ReadError("connection reset")

    route = api.get(url__regex=WAV_URL.pattern)
    route.side_effect = [httpx.Response(200, content=dropping()), serve()]
    client.download(Task.from_dict(TASK), tmp_path, formats=["wav"])
    assert route.calls.last.request.headers["range"] == "bytes=4000-"
    assert (tmp_path / "vocals.wav").read_bytes() == DATA


def test_an_expired_link_is_refreshed_once(
    client: AudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    fresh = task_json(targets=[target_json("vocals", "completed", tid="t1", link_version=2)])
    api.get(f"{API}/tasks/task-1").respond(200, json=fresh)
    api.get(f"{FILES}/t1/vocals.wav", params={"v": "1"}).respond(
        403, json={"statusCode": 403, "error": "Forbidden", "message": "link expired"}
    )
    fresh_route = api.get(f"{FILES}/t1/vocals.wav", params={"v": "2"}).respond(200, content=DATA)
    client.download(Task.from_dict(TASK), tmp_path, formats=["wav"])
    assert fresh_route.called
    assert (tmp_path / "vocals.wav").read_bytes() == DATA


def test_a_link_refused_again_after_refresh_raises(
    client: AudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    api.get(f"{API}/tasks/task-1").respond(200, json=TASK)
    api.get(url__regex=WAV_URL.pattern).respond(
        403,
        json={"statusCode": 403, "error": "Forbidden", "message": "output expired"},
        headers={"X-Request-Id": "req-9"},
    )
    with pytest.raises(LinkExpiredError, match="output expired") as info:
        client.download(TASK["id"], tmp_path, formats=["wav"])
    assert info.value.request_id == "req-9"
    assert not (tmp_path / "vocals.wav").exists()


SIGNED = f"{FILES}/t1/vocals.wav?Expires=1780003600&Signature=SECRET-SIG&Key-Pair-Id=K1"


def _refused(api: respx.MockRouter) -> Task:
    """A task whose one output's signed link is on a host that refuses connections."""
    target = target_json("vocals", "completed", tid="t1")
    target["output"] = [{"name": "vocals", "format": "wav", "link": SIGNED}]
    api.get(url__regex=WAV_URL.pattern).mock(
        side_effect=httpx.ConnectError("[Errno 111] Connection refused")
    )
    return Task.from_dict(task_json(targets=[target]))


def _check_unreachable(error: APIConnectionError, attempts: int, clock: FakeClock) -> None:
    text = str(error)
    assert sum(clock.sleeps) > 0
    assert text == (
        f"download of vocals.wav: could not reach {FILES}/t1/vocals.wav?<redacted>"
        f" ({attempts} attempts over {sum(clock.sleeps):.1f} s): connection refused"
    )
    assert "SECRET-SIG" not in text + repr(error) + str(error.url) + error.message


def test_an_unreachable_file_host_is_named_without_the_signature(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock, tmp_path: Path
) -> None:
    task = _refused(api)
    with pytest.raises(APIConnectionError) as info:
        client.download(task, tmp_path)
    assert api.routes[0].call_count == client.max_retries + 1
    _check_unreachable(info.value, client.max_retries + 1, clock)


@pytest.mark.anyio
async def test_an_unreachable_file_host_is_named_async(
    aclient: AsyncAudioShake, api: respx.MockRouter, clock: FakeClock, tmp_path: Path
) -> None:
    task = _refused(api)
    async with aclient:
        with pytest.raises(APIConnectionError) as info:
            await aclient.download(task, tmp_path)
    _check_unreachable(info.value, aclient.max_retries + 1, clock)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b'{"id": "task-1"}',  # JSON, but not a Task
        b"[1, 2",
        b"",
    ],
)
def test_malformed_body_is_unexpected_response(
    client: AudioShake, api: respx.MockRouter, body: bytes
) -> None:
    api.get(f"{API}/tasks/task-1").respond(200, content=body, headers={"X-Request-Id": "r1"})
    with pytest.raises(UnexpectedResponseError, match="does not match the API spec") as info:
        client.get_task("task-1")
    assert info.value.request_id == "r1"


def test_plan_never_gives_two_outputs_one_path(tmp_path: Path) -> None:
    task = Task.from_dict(
        task_json(
            targets=[
                target_json("vocals", "completed", tid="a"),
                {**target_json("vocals", "completed", tid="b")},
                {
                    **target_json("x", "completed", tid="c"),
                    "output": [{"name": "../../etc/passwd", "format": "wav", "link": "https://f"}],
                },
            ]
        )
    )
    names = [p.path.name for p in plan_downloads(task, tmp_path)]
    assert names == ["vocals.wav", "vocals_2.wav", "etc_passwd.wav"]
    assert all(p.path.parent == tmp_path for p in plan_downloads(task, tmp_path))


@pytest.mark.parametrize(
    ("status", "headers", "offset", "expected"),
    [
        (200, {"content-length": "10"}, 0, ("wb", 0, 10)),
        (200, {}, 5, ("wb", 0, None)),
        (206, {"content-range": "bytes 5-9/10"}, 5, ("ab", 5, 10)),
        (206, {"content-range": "bytes 0-9/10"}, 5, "restart"),
        (206, {"content-range": "bytes 5-9/*"}, 5, ("ab", 5, None)),
        (416, {"content-range": "bytes */5"}, 5, ("ab", 5, 5)),
        (416, {"content-range": "bytes */9"}, 5, "restart"),
        (404, {}, 0, None),
    ],
)
def test_begin_write(status: int, headers: dict[str, str], offset: int, expected: object) -> None:
    plan = begin_write(status, headers, offset)
    if isinstance(expected, tuple):
        assert plan is not None and not isinstance(plan, str)
        assert (plan.mode, plan.start, plan.total) == expected
    else:
        assert plan == expected


@pytest.mark.anyio
async def test_async_download_resumes_and_refreshes(
    aclient: AsyncAudioShake, api: respx.MockRouter, tmp_path: Path
) -> None:
    fresh = task_json(targets=[target_json("vocals", "completed", tid="t1", link_version=2)])
    api.get(f"{API}/tasks/task-1").respond(200, json=fresh)
    api.get(f"{FILES}/t1/vocals.wav", params={"v": "1"}).respond(403, json={"message": "expired"})
    route = api.get(f"{FILES}/t1/vocals.wav", params={"v": "2"}).mock(side_effect=serve())
    (tmp_path / "vocals.wav.part").write_bytes(DATA[:100])
    async with aclient:
        paths = await aclient.download(Task.from_dict(TASK), tmp_path, formats=["WAV"])
    assert route.calls.last.request.headers["range"] == "bytes=100-"
    assert paths[0].read_bytes() == DATA
