"""The live progress of ``audioshake batch`` (``cli.batch_view.Tally``): counts and
credits right at every event, and a request rate never over the limit (in-process
mock, manual clock; events carry the batch's clock)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from rich.console import Console

from audioshake_kit.batch import BatchEvent
from audioshake_kit.cli.batch_view import Live, Tally
from mock_server.harness import InProcessMock

from .helpers import TARGETS


class Crash(Exception):
    pass


def crash_after_first_task(event: BatchEvent) -> None:
    if event.kind == "task_created":
        raise Crash(event.kind)


def test_a_rerun_counts_the_files_and_credits_it_picks_up(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    out = tmp_path / "out"
    with pytest.raises(Crash):
        client.batch(songs, ["vocals"], out, concurrency=1, on_event=crash_after_first_task)
    tally = Tally()
    frames: list[tuple[int, int, int, float, float]] = []

    lock = threading.Lock()

    def frame(event: BatchEvent) -> None:
        with lock:
            check(event)

    def check(event: BatchEvent) -> None:
        tally.apply(event)
        t = tally
        frames.append((len(t.done), len(t.failed), t.running, t.spent, t.estimated))
        assert t.spent <= t.estimated, (event, frames)
        assert t.total is not None and t.finished + t.running <= t.total
        if event.kind == "planned":  # the task created before the crash is in flight
            assert t.running == 1 and t.estimated > 0, frames

    report = client.batch(songs, ["vocals"], out, on_event=frame)
    assert report.ok and tally.total == 3
    assert frames[-1] == (3, 0, 0, report.spent, report.estimated)
    again = Tally()
    assert client.batch(songs, ["vocals"], out, on_event=again.apply).ok
    assert (len(again.done), again.running, again.spent, again.estimated) == (
        3,
        0,
        report.spent,
        report.estimated,
    )


def test_the_rate_is_never_over_the_limit(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    tally = Tally()
    rates: list[float] = []
    lock = threading.Lock()

    def frame(event: BatchEvent) -> None:  # as Live does: under a lock
        with lock:
            tally.apply(event)
            rates.append(tally.rate())

    report = mock.facade().batch(songs, TARGETS, tmp_path / "out", rate=3, on_event=frame)
    assert report.ok and report.requests > 3
    assert max(rates) <= 3 and max(rates) > 0, rates


def test_the_first_frames_rate_is_over_at_least_a_second() -> None:
    tally = Tally()
    tally.apply(BatchEvent("planned", None, {"files": 1, "requests": 0, "at": 100.0}))
    tally.apply(BatchEvent("uploaded", "a.wav", {"requests": 2, "at": 100.01}))
    assert tally.rate() == 2
    tally.apply(BatchEvent("task_created", "a.wav", {"requests": 9, "at": 102.5}))
    assert tally.rate() == 9 / 2.5
    tally.limit = 3
    assert tally.rate() == 3


def test_without_a_terminal_progress_goes_out_as_plain_lines() -> None:
    console = Console(file=io.StringIO(), force_terminal=False, width=200)
    live = Live(enabled=True, console=console, every=30.0)
    assert live.plain and not live.enabled

    def at(t: float, kind: str, path: str | None = None, **data: object) -> None:
        live.on_event(BatchEvent(kind, path, {"requests": 0, "at": t, **data}))

    at(0.0, "planned", files=2, estimates={"a.wav": 1.0, "b.wav": 1.0})
    at(5.0, "examined", "a.wav", estimate=1.0)
    at(10.0, "file_done", "a.wav")
    at(29.0, "poll")
    at(31.0, "poll")
    at(45.0, "poll")
    at(62.0, "file_failed", "b.wav")
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines == [
        "done a.wav (1/2)",
        "files 1/2 · 1 done 0 failed 0 running · 0/2 credits · 0 req/s",
        "failed b.wav (2/2)",
        "files 2/2 · 1 done 1 failed 0 running · 0/2 credits · 0 req/s",
    ]


def test_json_or_a_terminal_print_no_plain_lines() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    live = Live(enabled=False, console=console, every=0.0)
    live.on_event(BatchEvent("file_done", "a.wav", {"requests": 0, "at": 1.0}))
    assert not live.plain and console.file.getvalue() == ""  # type: ignore[attr-defined]
