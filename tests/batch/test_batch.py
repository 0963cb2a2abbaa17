"""``AudioShake.batch()`` against the in-process mock (manual clock): outputs, report,
manifest, skipped and failed files, changed files, dry run, restart."""

from __future__ import annotations

import json
import os
import sqlite3
import wave
from pathlib import Path

import pytest

from audioshake_kit import APIError, ValidationError
from audioshake_kit.batch import MANIFEST_NAME, REPORT_NAME, TOKEN_PREFIX
from audioshake_kit.batch.manifest import ManifestError
from mock_server.harness import InProcessMock

from .helpers import OUTPUTS, TARGETS, assert_exactly_once, calls, ledger, make_songs, statuses


def test_every_file_is_separated_into_its_own_folder(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    client = mock.facade()
    estimate = sum(client.estimate(p, TARGETS).total for p in songs.rglob("*.wav"))
    report = client.batch(songs, TARGETS, out, recursive=True)
    assert statuses(report) == dict.fromkeys(["a.wav", "b.wav", "c.wav", "sub/d.wav"], "done")
    for stem in ("a", "b", "c", "sub/d"):
        assert sorted(p.name for p in (out / stem).iterdir()) == sorted(OUTPUTS)
    assert report.ok and report.estimated == estimate and report.spent == estimate
    assert sum(e["credits"] for e in ledger(mock, "charge")) == estimate
    assert_exactly_once(mock, report)
    saved = json.loads((out / REPORT_NAME).read_text())
    assert saved["counts"] == {"done": 4} and saved["ok"] is True
    assert {t["metadata"].split(":")[0] for t in mock.client.get("/tasks").json()} == {TOKEN_PREFIX}


def test_not_recursive_leaves_subfolders_alone(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    report = mock.facade().batch(songs, ["vocals"], tmp_path / "out")
    assert sorted(statuses(report)) == ["a.wav", "b.wav", "c.wav"]


def test_running_again_sends_nothing_when_all_is_done(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    client.batch(songs, TARGETS, tmp_path / "out", recursive=True)
    seen = len(mock.admin.requests())
    again = client.batch(songs, TARGETS, tmp_path / "out", recursive=True)
    assert again.ok and again.requests == 0 and len(mock.admin.requests()) == seen
    assert_exactly_once(mock, again)


def test_a_deleted_output_is_downloaded_again(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    client.batch(songs, TARGETS, tmp_path / "out")
    (tmp_path / "out" / "b" / "drums.mp3").unlink()
    again = client.batch(songs, TARGETS, tmp_path / "out")
    assert (tmp_path / "out" / "b" / "drums.mp3").is_file()
    assert again.ok and len(calls(mock, "POST", "/tasks")) == 3
    assert_exactly_once(mock, again)


def test_dry_run_touches_nothing(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    client = mock.facade()
    report = client.batch(songs, TARGETS, out, recursive=True, dry_run=True)
    assert mock.admin.requests() == []
    assert not out.exists()
    assert statuses(report) == dict.fromkeys(["a.wav", "b.wav", "c.wav", "sub/d.wav"], "estimated")
    assert report.estimated == sum(client.estimate(p, TARGETS).total for p in songs.rglob("*.wav"))
    out.mkdir()
    client.batch(songs, TARGETS, out, dry_run=True)
    assert list(out.iterdir()) == [] and mock.admin.requests() == []


def test_unreadable_files_are_skipped_and_the_rest_goes_on(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    (songs / "noise.wav").write_bytes(os.urandom(3000))
    (songs / "notes.txt").write_text("not media")
    with wave.open(str(songs / "empty.wav"), "wb") as w:  # a header and no audio
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    report = mock.facade().batch(songs, TARGETS, tmp_path / "out")
    got = statuses(report)
    assert got == {
        "a.wav": "done",
        "b.wav": "done",
        "c.wav": "done",
        "empty.wav": "skipped",
        "noise.wav": "skipped",
        "notes.txt": "ignored",
    }
    errors = {f.path: f.error or "" for f in report.files}
    assert "not a supported type" in errors["noise.wav"]
    assert "empty.wav" in errors["empty.wav"] and "duration" in errors["empty.wav"]
    assert not report.ok and not report.api_failed
    assert len(calls(mock, "POST", "/assets")) == 3
    assert_exactly_once(mock, report)


def test_a_failed_target_keeps_its_siblings_stems(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    mock.admin.add_fault(model="drums", code=5001, message="processing failed")
    report = mock.facade().batch(songs, TARGETS, tmp_path / "out")
    assert set(statuses(report).values()) == {"partial"}
    for f in report.files:
        assert [o.path.split("/")[-1] for o in f.outputs] == ["vocals.wav"]
        assert f.error == "drums: 5001 processing failed"
    assert (tmp_path / "out" / "a" / "vocals.wav").is_file()
    again = mock.facade().batch(songs, TARGETS, tmp_path / "out")
    assert again.requests == 0  # a failed target is reported, not paid for again
    assert_exactly_once(mock, again)


def test_a_changed_file_is_new_work(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    client = mock.facade()
    first = client.batch(songs, TARGETS, tmp_path / "out")
    make_songs(songs, ["x.wav"])
    os.replace(songs / "x.wav", songs / "b.wav")  # new content under the old name
    st = (songs / "b.wav").stat()
    os.utime(songs / "b.wav", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    second = client.batch(songs, TARGETS, tmp_path / "out")
    old = {f.path: f for f in first.files}
    new = {f.path: f for f in second.files}
    assert new["b.wav"].task_id != old["b.wav"].task_id
    assert new["b.wav"].sha256 != old["b.wav"].sha256
    assert [new[p].task_id for p in ("a.wav", "c.wav")] == [
        old[p].task_id for p in ("a.wav", "c.wav")
    ]
    assert len(calls(mock, "POST", "/tasks")) == 4
    assert len(ledger(mock, "reserve")) == 4 * 2
    assert second.ok
    with sqlite3.connect(tmp_path / "out" / MANIFEST_NAME) as db:
        states = db.execute("SELECT rel_path, state FROM files ORDER BY id").fetchall()
    assert states.count(("b.wav", "superseded")) == 1 and states.count(("b.wav", "done")) == 1


def test_a_touched_but_unchanged_file_is_not_sent_again(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    client.batch(songs, TARGETS, tmp_path / "out")
    os.utime(songs / "a.wav", ns=(1, 10**18))
    again = client.batch(songs, TARGETS, tmp_path / "out")
    assert again.ok and again.requests == 0


def test_names_that_clash_get_their_suffix(mock: InProcessMock, tmp_path: Path) -> None:
    songs = make_songs(tmp_path / "in", ["a.wav", "a.aiff.wav"])
    (songs / "a.wav").rename(songs / "a.WAV")
    make_songs(songs, ["a.wav"])
    report = mock.facade().batch(songs, ["vocals"], tmp_path / "out")
    assert {f.path: f.outputs[0].path for f in report.files} == {
        "a.WAV": "a/vocals.wav",
        "a.aiff.wav": "a.aiff/vocals.wav",
        "a.wav": "a_wav/vocals.wav",
    }


def test_restart_starts_over_and_keeps_the_old_tasks(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    first = client.batch(songs, ["vocals"], tmp_path / "out")
    second = client.batch(songs, ["vocals"], tmp_path / "out", restart=True)
    assert second.ok and len(mock.client.get("/tasks").json()) == 6
    assert {f.task_id for f in first.files}.isdisjoint(f.task_id for f in second.files)
    assert (tmp_path / "out" / (MANIFEST_NAME + ".old")).is_file()


def test_other_targets_on_the_same_out_dir_are_refused(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    client.batch(songs, ["vocals"], tmp_path / "out")
    with pytest.raises(ValidationError, match="other targets") as info:
        client.batch(songs, ["vocals", "drums"], tmp_path / "out")
    assert info.value.field == "out_dir"
    assert str(info.value).endswith(
        "; use restart=True to start a new batch there, or another out_dir"
    )
    assert "--restart" not in str(info.value) and "OUT_DIR" not in str(info.value)
    assert isinstance(info.value, ManifestError) and info.value.option == "restart"
    assert info.value.problem.endswith("than this batch (vocals, drums)")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"rate": 0}, "rate"),
        ({"timeout": -1}, "timeout"),
    ],
)
def test_bad_arguments_name_the_problem(
    mock: InProcessMock, songs: Path, tmp_path: Path, kwargs: dict[str, int], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        mock.facade().batch(songs, ["vocals"], tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert mock.admin.requests() == []


def test_bad_folders_and_targets_are_refused_before_the_network(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    with pytest.raises(ValidationError, match="does not exist"):
        client.batch(tmp_path / "nope", ["vocals"], tmp_path / "out")
    with pytest.raises(ValidationError) as info:
        client.batch(songs, ["kazoo"], tmp_path / "out")
    assert info.value.field == "targets[0].model"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="not a folder"):
        client.batch(songs, ["vocals"], tmp_path / "file")
    assert mock.admin.requests() == []


def test_an_api_error_fails_one_file_and_the_next_run_finishes_it(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    mock.admin.add_http_fault(method="POST", path="/assets", status=503, times=4)
    client = mock.facade()
    first = client.batch(songs, TARGETS, tmp_path / "out", concurrency=1)
    assert statuses(first) == {"a.wav": "failed", "b.wav": "done", "c.wav": "done"}
    assert first.api_failed and first.files[0].error_kind == "api"
    second = client.batch(songs, TARGETS, tmp_path / "out")
    assert second.ok
    assert_exactly_once(mock, second)


def test_many_failures_in_a_row_stop_the_batch(mock: InProcessMock, tmp_path: Path) -> None:
    songs = make_songs(tmp_path / "in", [f"s{i}.wav" for i in range(10)])
    mock.admin.add_http_fault(method="POST", path="/assets", status=503, times=None)
    with pytest.raises(APIError, match="503") as info:
        mock.facade(max_retries=0).batch(songs, ["vocals"], tmp_path / "out", concurrency=2)
    assert "files failed in a row" in " ".join(info.value.__notes__)
    report = json.loads((tmp_path / "out" / REPORT_NAME).read_text())
    assert report["counts"]["failed"] >= 8


def test_timeout_stops_and_the_next_run_continues(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    client = mock.facade()
    first = client.batch(songs, TARGETS, tmp_path / "out", timeout=0)
    assert first.timed_out and not first.ok
    assert set(statuses(first).values()) == {"pending"}
    second = client.batch(songs, TARGETS, tmp_path / "out")
    assert second.ok
    assert_exactly_once(mock, second)


def test_events_tell_the_story_of_each_file(mock: InProcessMock, tmp_path: Path) -> None:
    songs = make_songs(tmp_path / "in", ["only.wav"])
    seen: list[str] = []
    mock.facade().batch(songs, ["vocals"], tmp_path / "out", on_event=lambda e: seen.append(e.kind))
    story = [k for k in seen if k not in ("poll", "download_progress")]
    assert story == [
        "planned",
        "examined",
        "uploaded",
        "create_sending",
        "task_created",
        "task_finished",
        "output_downloaded",
        "file_done",
    ]


def test_a_refused_create_is_not_looked_for_later(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    mock.admin.put_key(mock.api_key, credits=0.5)  # uploads pass, a 1-credit create is 402
    client = mock.facade()
    first = client.batch(songs, ["vocals"], tmp_path / "out", concurrency=1)
    assert set(statuses(first).values()) == {"failed"}
    assert "402" in (first.files[0].error or "") or "credit" in (first.files[0].error or "")
    with sqlite3.connect(tmp_path / "out" / MANIFEST_NAME) as db:
        assert db.execute("SELECT create_token FROM files").fetchall() == [(None,)] * 3
    mock.admin.put_key(mock.api_key, unlimited=True)
    seen = len(mock.admin.requests())
    second = client.batch(songs, ["vocals"], tmp_path / "out")
    assert second.ok
    first_call = mock.admin.requests()[seen]
    assert (first_call["method"], first_call["path"]) == ("POST", "/tasks")  # no lookup first
    assert_exactly_once(mock, second, n_targets=1)


def test_out_dir_must_not_be_the_input_dir(mock: InProcessMock, songs: Path) -> None:
    with pytest.raises(ValidationError) as info:
        mock.facade().batch(songs, ["vocals"], songs)
    assert info.value.field == "out_dir"


def test_out_dir_inside_the_input_dir_is_not_scanned(mock: InProcessMock, songs: Path) -> None:
    client = mock.facade()
    client.batch(songs, ["vocals"], songs / "out", recursive=True)
    again = client.batch(songs, ["vocals"], songs / "out", recursive=True)
    assert sorted(statuses(again)) == ["a.wav", "b.wav", "c.wav", "sub/d.wav"]
    assert again.requests == 0


def test_a_symlink_loop_is_walked_once(mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    (songs / "sub" / "loop").symlink_to(songs, target_is_directory=True)
    report = mock.facade().batch(songs, ["vocals"], tmp_path / "out", recursive=True, dry_run=True)
    assert sorted(statuses(report)) == ["a.wav", "b.wav", "c.wav", "sub/d.wav"]


def test_polls_failing_again_and_again_stop_the_batch(
    mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    mock.admin.add_http_fault(method="GET", path="/tasks*", status=503, times=None)
    client = mock.facade(max_retries=0)
    with pytest.raises(APIError, match="503") as info:
        client.batch(songs, ["vocals"], tmp_path / "out")
    assert "polls failed in a row" in " ".join(info.value.__notes__)
    mock.admin.clear_http_faults()
    report = client.batch(songs, ["vocals"], tmp_path / "out")
    assert report.ok
    assert_exactly_once(mock, report, n_targets=1)


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_folder_without_media_is_a_validation_error(
    mock: InProcessMock, tmp_path: Path, dry_run: bool
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0not really")
    make_songs(folder, ["sub/a.wav"])
    with pytest.raises(ValidationError, match=r"no media files in .*recursive=True") as info:
        mock.facade().batch(folder, ["vocals"], tmp_path / "out", dry_run=dry_run)
    assert info.value.field == "input_dir"
    assert mock.admin.requests() == [] and not (tmp_path / "out").exists()
    report = mock.facade().batch(folder, ["vocals"], tmp_path / "out", recursive=True)
    assert report.ok and statuses(report) == {"cover.jpg": "ignored", "sub/a.wav": "done"}
