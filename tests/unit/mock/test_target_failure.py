"""Target failure: by fault rules (model, probability, code, message; global or for one
key) or naturally (4001 undecodable, 4002 too long, 4003 no audio, 4004 > 2 channels,
4005 unreadable transcript). Each target fails alone; its siblings carry on."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import by_model, run, target, upload_ok, url_body


def assert_failed(t: dict, code: int) -> None:
    assert t["status"] == "error", t
    assert t["error"]["code"] == code, t["error"]
    assert t["error"]["message"]
    assert t["output"] == []


def assert_completed(t: dict) -> None:
    assert t["status"] == "completed", t
    assert t["error"] is None
    assert t["output"], "a completed target has outputs"


def test_fault_rule_fails_one_model_and_its_siblings_complete(mock: InProcessMock) -> None:
    rule = mock.admin.add_fault(model="drums", code=5001, message="GPU on fire")
    assert rule["model"] == "drums"
    task = run(mock, url_body(30, target("vocals"), target("drums"), target("bass", "flac")))
    targets = by_model(task)
    assert targets["drums"]["error"] == {"code": 5001, "message": "GPU on fire"}
    assert_failed(targets["drums"], 5001)
    assert_completed(targets["vocals"])
    assert_completed(targets["bass"])
    link = targets["bass"]["output"][0]["link"]
    assert mock.client.get(link).status_code == 200


def test_fault_rule_defaults_to_5001_processing_failed(mock: InProcessMock) -> None:
    mock.admin.add_fault(model="vocals")
    t = run(mock, url_body(30, target("vocals")))["targets"][0]
    assert t["error"] == {"code": 5001, "message": "processing failed"}


def test_a_global_rule_hits_every_model(mock: InProcessMock) -> None:
    mock.admin.add_fault()  # model "*"
    task = run(mock, url_body(30, target("vocals"), target("transcription", "json")))
    assert [t["status"] for t in task["targets"]] == ["error", "error"]
    assert task["cost"] == 2.0  # 5001 fails mid-processing: charged (1 min × 1 + 1 min × 1)


def test_a_global_rule_before_processing_costs_nothing(mock: InProcessMock) -> None:
    mock.admin.add_fault(code=4002, message="input too long")
    task = run(mock, url_body(30, target("vocals"), target("transcription", "json")))
    assert [t["error"]["code"] for t in task["targets"]] == [4002, 4002]
    assert task["cost"] == 0


def statuses_with_seed(seed: int) -> list[str]:
    with InProcessMock(seed=seed) as mock:
        mock.admin.add_fault(model="drums", probability=0.5)
        out = []
        for i in range(12):
            task = run(mock, url_body(30, target("drums"), target("bass"), name=f"{i}.mp3"))
            out.append(by_model(task)["drums"]["status"])
            assert by_model(task)["bass"]["status"] == "completed"
        return out


def test_probability_rules_are_reproducible_with_the_seed() -> None:
    first = statuses_with_seed(7)
    assert first == statuses_with_seed(7)
    assert {"completed", "error"} == set(first)  # p = 0.5 over 12 draws, seed 7
    assert statuses_with_seed(8) != first


def test_probability_zero_never_fires(mock: InProcessMock) -> None:
    mock.admin.add_fault(model="drums", probability=0.0)
    task = run(mock, url_body(30, target("drums")))
    assert_completed(task["targets"][0])


def test_fault_rule_for_one_key_does_not_touch_another(mock: InProcessMock) -> None:
    mock.admin.add_fault(model="vocals", key="test-key")
    mine = run(mock, url_body(30, target("vocals")))
    with mock.new_client("other-key") as other:
        theirs = run(mock, url_body(30, target("vocals")), other)
    assert_failed(mine["targets"][0], 5001)
    assert_completed(theirs["targets"][0])


def test_rules_apply_to_targets_created_after_them(mock: InProcessMock) -> None:
    from .helpers import create, finish

    earlier = create(mock.client, url_body(30, target("vocals")))
    mock.admin.add_fault(model="vocals")
    later = create(mock.client, url_body(30, target("vocals"), name="b.mp3"))
    assert_completed(finish(mock, earlier["id"])["targets"][0])
    assert_failed(finish(mock, later["id"])["targets"][0], 5001)


# -- natural failures ---------------------------------------------------------------


def test_text_file_as_media_fails_4001(mock: InProcessMock) -> None:
    asset = upload_ok(mock.client, b"just some lyrics\nla la la\n", "song.txt")
    task = run(mock, {"assetId": asset["id"], "targets": [target("vocals")]})
    assert_failed(task["targets"][0], 4001)


def test_corrupt_wav_is_accepted_and_fails_4001(mock: InProcessMock) -> None:
    garbage = bytes((i * 37 + 11) % 256 for i in range(4000))
    corrupt = b"RIFF" + struct.pack("<I", 4 + len(garbage)) + b"WAVE" + garbage
    asset = upload_ok(mock.client, corrupt, "broken.wav")
    assert asset["format"] == "wav"
    task = run(mock, {"assetId": asset["id"], "targets": [target("vocals"), target("drums")]})
    for t in task["targets"]:
        assert_failed(t, 4001)
    assert task["cost"] == 0


def test_more_than_two_channels_fails_4004(mock: InProcessMock, make_media: MakeMedia) -> None:
    asset = upload_ok(mock.client, make_media("wav", 1.0, channels=6), "surround.wav")
    task = run(mock, {"assetId": asset["id"], "targets": [target("vocals")]})
    assert_failed(task["targets"][0], 4004)
    assert "6" in task["targets"][0]["error"]["message"]


def test_mono_and_stereo_are_fine(mock: InProcessMock, make_media: MakeMedia) -> None:
    for channels in (1, 2):
        asset = upload_ok(mock.client, make_media("wav", 1.0, channels=channels))
        task = run(mock, {"assetId": asset["id"], "targets": [target("vocals")]})
        assert_completed(task["targets"][0])


def video_only_mp4(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_video_without_audio_fails_4003(mock: InProcessMock, tmp_path: Path) -> None:
    asset = upload_ok(mock.client, video_only_mp4(tmp_path / "silent-film.mp4"))
    assert asset["format"] == "mp4"
    task = run(mock, {"assetId": asset["id"], "targets": [target("vocals")]})
    assert_failed(task["targets"][0], 4003)


def test_input_longer_than_the_models_limit_fails_4002_alone(mock: InProcessMock) -> None:
    # transcription accepts at most 2700 s; vocals 10800 s
    body = url_body(3000, target("transcription", "json"), target("vocals"))
    targets = by_model(run(mock, body))
    assert_failed(targets["transcription"], 4002)
    assert "2700" in targets["transcription"]["error"]["message"]
    assert_completed(targets["vocals"])


def test_exactly_at_the_limit_is_fine(mock: InProcessMock) -> None:
    task = run(mock, url_body(2700, target("transcription", "json")))
    assert task["targets"][0]["status"] == "completed"


def test_alignment_with_an_audio_file_as_transcript_fails_4005(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    not_text = upload_ok(mock.client, make_media("wav", 1.0))
    body = url_body(
        30,
        target("alignment", "json", transcriptAssetId=not_text["id"]),
        target("transcription", "json"),
    )
    targets = by_model(run(mock, body))
    assert_failed(targets["alignment"], 4005)
    assert_completed(targets["transcription"])


@pytest.mark.parametrize("transcript", [b"hello world\nsecond line\n", b'{"text": "hello"}'])
def test_alignment_with_a_text_transcript_completes(mock: InProcessMock, transcript: bytes) -> None:
    text = upload_ok(mock.client, transcript, "lyrics")
    task = run(mock, url_body(30, target("alignment", "json", transcriptAssetId=text["id"])))
    assert_completed(task["targets"][0])
