"""The facade against the in-process mock: the traps of the real API, end to end.

Time is the mock's manual clock: the facade's ``sleep`` moves it, so waits and
backoffs take no wall time.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from audioshake_kit import AsyncAudioShake, AudioShake, ServerError, ValidationError
from audioshake_kit.domain.media import probe
from mock_server.harness import InProcessMock
from mock_server.synth import synth_media

TARGETS = ["vocals", ("drums", ["wav", "flac"]), "bass"]


@pytest.fixture
def mock() -> InProcessMock:
    with InProcessMock() as m:
        yield m  # type: ignore[misc]


@pytest.fixture
def song(tmp_path: Path) -> Path:
    return synth_media(tmp_path / "song.wav", 3.0, "wav", seed=3)


def charges(mock: InProcessMock, kind: str = "charge") -> list[dict[str, object]]:
    return [e for e in mock.admin.ledger() if e["kind"] == kind]


def test_separate_writes_real_stems_and_the_charge_equals_the_estimate(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    client: AudioShake = mock.facade()
    estimate = client.estimate(song, TARGETS)
    result = client.separate(song, TARGETS, tmp_path / "out")
    assert result.all_succeeded
    names = sorted(p.name for p in result.files)
    assert names == ["bass.wav", "drums.flac", "drums.wav", "vocals.wav"]
    assert {p.parent for p in result.files} == {tmp_path / "out" / song.stem}
    for path in result.files:
        info = probe(path)
        assert info.duration == pytest.approx(3.0, abs=0.01)
    assert result.cost == estimate.total
    assert sum(float(e["credits"]) for e in charges(mock)) == estimate.total  # type: ignore[arg-type]


def test_one_failed_target_never_hides_the_others(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    mock.admin.add_fault(model="drums", code=5001, message="processing failed")
    client = mock.facade()
    ended: list[str] = []
    result = client.separate(
        song, TARGETS, tmp_path / "out", on_target=lambda t: ended.append(t.model)
    )
    assert sorted(ended) == ["bass", "drums", "vocals"]  # once per target
    assert [f.target.model for f in result.failed] == ["drums"]
    assert (result.failed[0].code, result.failed[0].message) == (5001, "processing failed")
    assert sorted(t.model for t in result.succeeded) == ["bass", "vocals"]
    assert sorted(p.name for p in result.files) == ["bass.wav", "vocals.wav"]
    assert not result.all_succeeded
    # a mid-processing failure (5001) is charged as if it completed, as AudioShake's FAQ
    # implies; the result says so, and that support may refund it
    assert sorted(str(e["model"]) for e in charges(mock)) == ["bass", "drums", "vocals"]
    assert result.failed[0].charged and result.failed[0].cost == result.succeeded[0].cost
    assert f"contact support with task id {result.task.id}" in (result.refund_note or "")


def test_download_after_the_links_expired_refreshes_them(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    asset = client.upload(song)
    task = client.create_task(["vocals", "bass"], asset_id=asset.id)
    result = client.wait(task)
    first = client.download(result, tmp_path / "a", formats=None)
    assert len(first) == 2
    mock.advance(3601)  # every link in `result` is now expired (403)
    again = client.download(result, tmp_path / "b")
    assert sorted(p.name for p in again) == ["bass.wav", "vocals.wav"]
    assert all(p.read_bytes() == (tmp_path / "a" / p.name).read_bytes() for p in again)


def test_a_create_dropped_on_the_wire_after_the_server_made_it_is_paid_once(
    mock: InProcessMock, song: Path
) -> None:
    client = mock.facade()
    asset = client.upload(song)
    mock.admin.add_http_fault(method="POST", path="/tasks", drop=True, when="after", times=1)
    task = client.create_task(["vocals", "drums"], asset_id=asset.id, metadata="catalog:42")
    tasks = list(client.list_tasks())
    assert [t.id for t in tasks] == [task.id]
    assert tasks[0].metadata == "catalog:42"  # never rewritten for idempotency
    reserves = charges(mock, "reserve")
    assert len(reserves) == 2
    assert {e["task_id"] for e in reserves} == {task.id}
    creates = [r for r in mock.admin.requests() if r["operationId"] == "createTask"]
    assert len(creates) == 1  # found through GET /tasks, not re-sent


def test_a_create_refused_before_the_handler_is_sent_again_and_made_once(
    mock: InProcessMock, song: Path
) -> None:
    client = mock.facade()
    asset = client.upload(song)
    mock.admin.add_http_fault(method="POST", path="/tasks", status=503, when="before", times=1)
    task = client.create_task(["vocals"], asset_id=asset.id)
    assert [t.id for t in client.list_tasks()] == [task.id]
    assert len(charges(mock, "reserve")) == 1


def test_separate_failing_after_the_create_names_the_task_to_resume(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    # every read of a task fails: wait() gives up after its transient-error budget
    mock.admin.add_http_fault(method="GET", path="/tasks/*", status=503, times=None)
    with pytest.raises(ServerError) as caught:
        client.separate(song, ["vocals", "bass"], tmp_path / "out")
    [task] = [t for t in mock.state.store.tasks_by_id.values()]
    assert caught.value.task_id == task.id
    assert any(f"wait({task.id!r})" in note for note in caught.value.__notes__)
    mock.admin.clear_http_faults()
    result = client.wait(caught.value.task_id)  # resumed, not created again
    files = client.download(result, tmp_path / "out")
    assert sorted(p.name for p in files) == ["bass.wav", "vocals.wav"]
    assert len(mock.state.store.tasks_by_id) == 1
    assert len(charges(mock)) == 2


def test_an_error_before_the_create_names_no_task(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    mock.admin.add_http_fault(method="POST", path="/tasks", status=503, times=None)
    with pytest.raises(ServerError) as caught:
        mock.facade().separate(song, ["vocals"], tmp_path / "out")
    assert caught.value.task_id is None
    assert not mock.state.store.tasks_by_id


def test_a_burst_stays_under_the_limit_and_no_429_reaches_the_caller(
    mock: InProcessMock, song: Path
) -> None:
    client = mock.facade()
    asset = client.upload(song)
    task = client.create_task(["vocals"], asset_id=asset.id)
    for _ in range(200):
        assert client.get_task(task.id).id == task.id
    journal = mock.admin.requests()
    assert not [r for r in journal if r["status"] == 429]
    times = sorted(float(r["time"]) for r in journal)
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        assert end - start + 1 <= 60


def test_validation_errors_are_raised_before_anything_is_sent(
    mock: InProcessMock, song: Path
) -> None:
    client = mock.facade()
    asset = client.upload(song)
    seen = len(mock.admin.requests())
    bad = [
        (["vocals"], {"asset_id": asset.id, "url": "https://x.test/a.mp3"}, "url/assetId"),
        ([("vocals", ["ogg"])], {"asset_id": asset.id}, "targets[0].formats[0]"),
        (["kazoo"], {"asset_id": asset.id}, "targets[0].model"),
        (
            [{"model": "vocals", "formats": ["wav"], "variant": "n_speaker"}],
            {"asset_id": asset.id},
            "targets[0].variant",
        ),
        (["vocals"] * 21, {"asset_id": asset.id}, "targets"),
        (["vocals", "vocals"], {"asset_id": asset.id}, "targets[1]"),
        (["vocals"], {"url": "http://x.test/a.mp3"}, "url"),
    ]
    for targets, kwargs, field in bad:
        with pytest.raises(ValidationError) as info:
            client.create_task(targets, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    with pytest.raises(ValidationError):
        client.upload(song.parent / "missing.wav")
    assert len(mock.admin.requests()) == seen


def test_the_async_client_runs_the_same_flow(
    mock: InProcessMock, song: Path, tmp_path: Path
) -> None:
    async def sleep(seconds: float) -> None:
        mock.advance(seconds)

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=mock.app))
        async with AsyncAudioShake(
            mock.api_key, base_url=mock.base_url, http_client=http, clock=mock.now, sleep=sleep
        ) as client:
            result = await client.separate(song, ["vocals", "bass"], tmp_path / "async")
            assert result.all_succeeded
            assert sorted(p.name for p in result.files) == ["bass.wav", "vocals.wav"]
        await http.aclose()

    anyio.run(main)
