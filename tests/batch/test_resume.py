"""A batch stopped at any step continues where it stopped, never creating or paying a
file's task twice (in-process mock, manual clock). Crashes are simulated by raising from
``on_event`` at a step boundary, or from the manifest between send and record."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from audioshake_kit.batch import BatchEvent
from audioshake_kit.batch.manifest import Manifest
from mock_server.harness import InProcessMock

from .helpers import TARGETS, assert_exactly_once, calls, make_songs, statuses


class Crash(Exception):
    """Stands for a kill."""


def crash_at(kind: str, nth: int = 1) -> Callable[[BatchEvent], None]:
    seen = 0

    def hook(event: BatchEvent) -> None:
        nonlocal seen
        if event.kind == kind:
            seen += 1
            if seen == nth:
                raise Crash(kind)

    return hook


STEPS = [
    "planned",
    "examined",
    "uploaded",
    "create_sending",
    "task_created",
    "poll",
    "task_finished",
    "download_progress",
    "output_downloaded",
    "file_done",
]


@pytest.mark.parametrize(
    ("step", "nth"), [(s, 1) for s in STEPS] + [(s, 3) for s in STEPS if s != "planned"]
)
def test_a_crash_at_any_step_is_resumed_exactly_once(
    mock: InProcessMock, songs: Path, tmp_path: Path, step: str, nth: int
) -> None:
    client = mock.facade()
    out = tmp_path / "out"
    with pytest.raises(Crash):
        client.batch(songs, TARGETS, out, recursive=True, on_event=crash_at(step, nth))
    report = client.batch(songs, TARGETS, out, recursive=True)
    assert report.ok, statuses(report)
    assert_exactly_once(mock, report)


def test_several_crashes_in_a_row(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    client = mock.facade()
    for step in ("uploaded", "create_sending", "task_created", "output_downloaded") * 2:
        with contextlib.suppress(Crash):
            client.batch(songs, TARGETS, tmp_path / "out", recursive=True, on_event=crash_at(step))
    report = client.batch(songs, TARGETS, tmp_path / "out", recursive=True)
    assert report.ok
    assert_exactly_once(mock, report)


def test_a_kill_between_send_and_record_finds_the_task_by_its_token(
    mock: InProcessMock, songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Manifest.record_task

    def killed(self: Manifest, *args: object, **kwargs: object) -> object:
        raise Crash("after POST /tasks was answered, before the task id was recorded")

    monkeypatch.setattr(Manifest, "record_task", killed)
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(songs, TARGETS, tmp_path / "out", concurrency=1)
    assert len(calls(mock, "POST", "/tasks")) == 1
    monkeypatch.setattr(Manifest, "record_task", real)
    seen: list[BatchEvent] = []
    report = client.batch(songs, TARGETS, tmp_path / "out", on_event=seen.append)
    assert [e.path for e in seen if e.kind == "task_recovered"] == ["a.wav"]
    assert report.ok and len(calls(mock, "POST", "/tasks")) == 3
    assert_exactly_once(mock, report)


def test_a_create_lost_on_the_wire_is_found_not_sent_again(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    mock.admin.add_http_fault(method="POST", path="/tasks", drop=True, when="after", times=1)
    report = mock.facade().batch(songs, TARGETS, tmp_path / "out")
    assert report.ok
    assert_exactly_once(mock, report)


def test_a_partial_download_is_resumed(mock: InProcessMock, tmp_path: Path) -> None:
    songs = make_songs(tmp_path / "in", ["long.wav"], seconds=20.0)
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(songs, ["vocals"], tmp_path / "out", on_event=crash_at("download_progress"))
    part = tmp_path / "out" / "long" / "vocals.wav.part"
    whole = part.read_bytes()  # in process the body came in one piece: cut it, as a kill
    with part.open("r+b") as fh:  # in the middle of the write would have
        fh.truncate(len(whole) // 3)
    report = client.batch(songs, ["vocals"], tmp_path / "out")
    assert report.ok and not part.exists()
    assert (tmp_path / "out" / "long" / "vocals.wav").read_bytes() == whole
    assert_exactly_once(mock, report, n_targets=1)


def test_assets_older_than_72_hours_are_uploaded_again(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(
            songs, TARGETS, tmp_path / "out", concurrency=1, on_event=crash_at("create_sending")
        )
    assert len(calls(mock, "POST", "/assets")) == 1
    mock.advance(73 * 3600)
    report = client.batch(songs, TARGETS, tmp_path / "out", concurrency=1)
    assert report.ok
    assert len(calls(mock, "POST", "/assets")) == 4  # a.wav twice
    assert [r["status"] for r in calls(mock, "POST", "/tasks")] == [200] * 3
    assert_exactly_once(mock, report)


def test_younger_assets_are_reused(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(
            songs, TARGETS, tmp_path / "out", concurrency=1, on_event=crash_at("create_sending")
        )
    mock.advance(70 * 3600)
    report = client.batch(songs, TARGETS, tmp_path / "out", concurrency=1)
    assert report.ok and len(calls(mock, "POST", "/assets")) == 3


def test_an_asset_the_service_no_longer_has_is_uploaded_again(
    mock: InProcessMock, songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audioshake_kit.batch import steps

    monkeypatch.setattr(steps, "ASSET_MARGIN_S", -2 * 3600.0)  # trust assets for 74 h
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(
            songs, TARGETS, tmp_path / "out", concurrency=1, on_event=crash_at("create_sending")
        )
    mock.advance(73 * 3600)
    report = client.batch(songs, TARGETS, tmp_path / "out", concurrency=1)
    assert report.ok
    assert [r["status"] for r in calls(mock, "POST", "/tasks")] == [404, 200, 200, 200]
    assert_exactly_once(mock, report)


def test_expired_links_are_fetched_again_between_runs(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(songs, TARGETS, tmp_path / "out", on_event=crash_at("task_finished"))
    mock.advance(2 * 3600)
    report = client.batch(songs, TARGETS, tmp_path / "out")
    assert report.ok
    assert_exactly_once(mock, report)


def test_a_link_that_expires_before_the_download_is_refreshed(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    def late(event: BatchEvent) -> None:
        if event.kind == "task_finished":
            mock.advance(2 * 3600)  # links (1 h) expire between the poll and the download

    report = mock.facade().batch(songs, TARGETS, tmp_path / "out", concurrency=1, on_event=late)
    assert report.ok
    assert len(calls(mock, "GET", "/tasks/*")) >= 3  # one refresh per file at least
    assert_exactly_once(mock, report)


def test_outputs_gone_after_retention_are_reported(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    with pytest.raises(Crash):
        client.batch(songs, ["vocals"], tmp_path / "out", on_event=crash_at("task_finished"))
    mock.advance(73 * 3600)
    report = client.batch(songs, ["vocals"], tmp_path / "out")
    assert set(statuses(report).values()) == {"failed"}
    assert all(
        "start a new batch to run it again (--restart; restart=True in Python)" in (f.error or "")
        for f in report.files
    )
    assert len(calls(mock, "POST", "/tasks")) == 3


def test_a_rerun_says_what_it_resumes(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    client = mock.facade()
    out = tmp_path / "out"
    first: list[BatchEvent] = []

    def crash_after_first_task(event: BatchEvent) -> None:
        first.append(event)
        if event.kind == "task_created":
            raise Crash(event.kind)

    with pytest.raises(Crash):
        client.batch(songs, ["vocals"], out, concurrency=1, on_event=crash_after_first_task)
    assert first[0].kind == "planned" and first[0].data["resumed"] is False
    seen: list[BatchEvent] = []
    assert client.batch(songs, ["vocals"], out, on_event=seen.append).ok
    planned = [e.data for e in seen if e.kind == "planned"]
    assert len(planned) == 1
    counts = {k: planned[0][k] for k in ("resumed", "files", "done", "in_flight", "left")}
    assert counts == {"resumed": True, "files": 3, "done": 0, "in_flight": 1, "left": 2}
    seen.clear()
    client.batch(songs, ["vocals"], out, on_event=seen.append)
    assert [e.data["done"] for e in seen if e.kind == "planned"] == [3]
