"""Assets: the type is decided by content (not by name; no known signature → 415);
``GET /assets`` lists newest first; an asset expires 72 h after upload, then it is
gone (404 for tasks, absent from the list) and its file is deleted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mock_server.clock import format_time, parse_time
from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import TTL_72H, error, run, target, upload, upload_ok

TEXT = {"txt": b"first line of the lyrics\nsecond line\n", "json": b'{"lines": ["hello"]}'}


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "aiff", "m4a", "mp4", "mov"])
def test_media_types_are_detected_by_content(
    mock: InProcessMock, make_media: MakeMedia, fmt: str
) -> None:
    data = make_media(fmt, 1.0).read_bytes()
    asset = upload_ok(mock.client, data, "upload.bin")  # the name says nothing
    assert asset["format"] == fmt
    assert asset["name"] == "upload.bin"
    assert asset["size"] == len(data)


@pytest.mark.parametrize("fmt", ["txt", "json"])
def test_transcripts_are_detected_by_content(mock: InProcessMock, fmt: str) -> None:
    assert upload_ok(mock.client, TEXT[fmt], "transcript")["format"] == fmt


def test_the_name_does_not_decide_the_type(mock: InProcessMock, make_media: MakeMedia) -> None:
    asset = upload_ok(mock.client, make_media("mp3", 1.0).read_bytes(), "x.wav")
    assert (asset["format"], asset["name"]) == ("mp3", "x.wav")
    asset = upload_ok(mock.client, make_media("wav", 1.0).read_bytes(), "x.mp3")
    assert asset["format"] == "wav"


@pytest.mark.parametrize(
    "data",
    [
        random.Random(1).randbytes(8192),
        b"\x00" * 1024,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + random.Random(2).randbytes(2048),
        b"",
    ],
    ids=["random", "zeros", "pdf", "empty"],
)
def test_unknown_content_is_415(mock: InProcessMock, data: bytes) -> None:
    error(upload(mock.client, data, "song.wav"), 415)
    assert mock.client.get("/assets").json() == []


def test_the_stored_asset_is_the_uploaded_file(mock: InProcessMock, make_media: MakeMedia) -> None:
    data = make_media("flac", 1.0).read_bytes()
    asset = upload_ok(mock.client, data, "song.flac")
    assert parse_time(asset["expiresAt"]) - parse_time(asset["createdAt"]) == TTL_72H
    assert asset["createdAt"] == format_time(mock.now())
    r = mock.client.get(asset["link"])
    assert r.status_code == 200
    assert r.content == data


def test_list_is_newest_first(mock: InProcessMock) -> None:
    ids = []
    for i in range(4):
        ids.append(upload_ok(mock.client, TEXT["txt"], f"t{i}.txt")["id"])
        if i != 1:  # assets 1 and 2 share a createdAt
            mock.advance(2)
    listed = mock.client.get("/assets").json()
    assert [a["id"] for a in listed] == ids[::-1]
    assert [a["name"] for a in listed] == ["t3.txt", "t2.txt", "t1.txt", "t0.txt"]


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_asset_expires_after_72_hours_and_its_file_is_deleted(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    data = make_media("wav", 1.0).read_bytes()
    asset = upload_ok(mock.client, data, "song.wav")
    stored = [p for p in files_under(mock.state.data_dir) if p.read_bytes() == data]
    assert len(stored) == 1
    body = {"assetId": asset["id"], "targets": [target("vocals")]}

    mock.advance(TTL_72H - 1)
    assert [a["id"] for a in mock.client.get("/assets").json()] == [asset["id"]]
    run(mock, body)  # still usable a second before expiry (the run takes a few seconds)

    mock.advance(TTL_72H)  # well past 72 h + 1 s after upload
    assert mock.client.get("/assets").json() == []
    message = error(mock.client.post("/tasks", json=body), 404)
    assert "assetId" in message
    assert not stored[0].exists()
    assert mock.client.get(asset["link"]).status_code == 403


def test_expiry_is_exactly_72_hours(mock: InProcessMock) -> None:
    asset = upload_ok(mock.client, TEXT["txt"], "t.txt")
    mock.advance(TTL_72H - 0.5)
    assert len(mock.client.get("/assets").json()) == 1
    mock.advance(1.5)
    assert mock.client.get("/assets").json() == []
    body = {"url": "https://x.test/a.mp3", "targets": [target("alignment", "json")]}
    body["targets"][0]["transcriptAssetId"] = asset["id"]
    message = error(mock.client.post("/tasks", json=body), 404)
    assert "targets[0].transcriptAssetId" in message


def test_a_task_made_before_expiry_keeps_working(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    asset = upload_ok(mock.client, make_media("wav", 2.0))
    from .helpers import create, finish

    task = create(mock.client, {"assetId": asset["id"], "targets": [target("vocals")]})
    mock.advance(TTL_72H + 1)
    done = finish(mock, task["id"])
    assert done["targets"][0]["status"] == "completed"
    assert mock.client.get(done["targets"][0]["output"][0]["link"]).status_code == 200
