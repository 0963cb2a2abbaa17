"""Output files: real, decodable files of each requested format with the input's
duration; target + residual = input (exactly for wav); text models give parseable
json/srt/txt with timings inside the input; multi_voice gives one file per speaker."""

from __future__ import annotations

import io
import json
import re

import av
import numpy as np
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import by_model, run, target, upload_ok, url_body

DURATION = 3.0
AUDIO_FORMATS = ["wav", "flac", "aiff", "mp3", "mp4"]
CONTAINER = {"wav": "wav", "flac": "flac", "aiff": "aiff", "mp3": "mp3", "mp4": "mp4"}
SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"


def decode(data: bytes) -> tuple[np.ndarray, int, str, int]:
    """(int16 samples as channels × n, sample rate, container format names, video streams)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        layout = {1: "mono", 2: "stereo"}[stream.codec_context.channels]
        resampler = av.AudioResampler(format="s16", layout=layout)
        blocks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                blocks.append(out.to_ndarray().reshape(-1, stream.codec_context.channels).T)
        for out in resampler.resample(None):
            blocks.append(out.to_ndarray().reshape(-1, stream.codec_context.channels).T)
        return (
            np.concatenate(blocks, axis=1),
            stream.codec_context.sample_rate,
            container.format.name,
            len(container.streams.video),
        )


def outputs(mock: InProcessMock, t: dict) -> dict[str, bytes]:
    """``{"<name>.<format>": bytes}`` of a completed target, each download checked."""
    files = {}
    for o in t["output"]:
        r = mock.client.get(o["link"])
        assert r.status_code == 200, (o, r.text)
        assert r.headers["content-type"].startswith(o["type"])
        files[f"{o['name']}.{o['format']}"] = r.content
    return files


@pytest.fixture
def stereo_task(mock: InProcessMock, make_media: MakeMedia) -> dict:
    asset = upload_ok(mock.client, make_media("wav", DURATION))
    body = {"assetId": asset["id"], "targets": [target("vocals", *AUDIO_FORMATS, residual=True)]}
    return run(mock, body)


def test_every_audio_format_decodes_with_the_inputs_duration(
    mock: InProcessMock, stereo_task: dict
) -> None:
    t = stereo_task["targets"][0]
    files = outputs(mock, t)
    names = {f"{n}.{f}" for n in ("vocals", "vocals_residual") for f in AUDIO_FORMATS}
    assert set(files) == names
    for name, data in files.items():
        fmt = name.rsplit(".", 1)[1]
        samples, rate, container, _ = decode(data)
        assert CONTAINER[fmt] in container.split(","), (name, container)
        assert rate == 44100
        assert samples.shape[0] == 2
        tolerance = 0.001 if fmt in ("wav", "flac", "aiff") else 0.1  # lossy codecs pad
        assert samples.shape[1] / rate == pytest.approx(DURATION, abs=tolerance), name
        assert np.abs(samples).max() > 100, f"{name} is silent"
    assert t["duration"] == pytest.approx(DURATION, abs=0.001)


def test_target_plus_residual_is_the_input_for_wav(
    mock: InProcessMock, stereo_task: dict, make_media: MakeMedia
) -> None:
    files = outputs(mock, stereo_task["targets"][0])
    original, _, _, _ = decode(make_media("wav", DURATION).read_bytes())
    vocals, _, _, _ = decode(files["vocals.wav"])
    residual, _, _, _ = decode(files["vocals_residual.wav"])
    assert vocals.shape == residual.shape == original.shape
    total = vocals.astype(np.int32) + residual.astype(np.int32)
    assert np.array_equal(total, original.astype(np.int32))
    assert not np.array_equal(vocals, original)  # an actual split, not a copy
    assert not np.array_equal(residual, np.zeros_like(residual))


@pytest.mark.parametrize("fmt", ["flac", "aiff"])
def test_lossless_formats_hold_the_same_samples_as_wav(
    mock: InProcessMock, stereo_task: dict, fmt: str
) -> None:
    files = outputs(mock, stereo_task["targets"][0])
    assert np.array_equal(decode(files[f"vocals.{fmt}"])[0], decode(files["vocals.wav"])[0])


def test_mono_input_gives_mono_outputs(mock: InProcessMock, make_media: MakeMedia) -> None:
    asset = upload_ok(mock.client, make_media("wav", 1.0, channels=1))
    task = run(mock, {"assetId": asset["id"], "targets": [target("drums", "wav", "mp3")]})
    for name, data in outputs(mock, task["targets"][0]).items():
        samples, _, _, _ = decode(data)
        assert samples.shape[0] == 1, name


@pytest.mark.parametrize("source", ["mp3", "m4a", "flac"])
def test_compressed_inputs_give_outputs_of_their_duration(
    mock: InProcessMock, make_media: MakeMedia, source: str
) -> None:
    asset = upload_ok(mock.client, make_media(source, 2.0))
    task = run(mock, {"assetId": asset["id"], "targets": [target("bass", "wav")]})
    t = task["targets"][0]
    samples, rate, _, _ = decode(outputs(mock, t)["bass.wav"])
    assert samples.shape[1] / rate == pytest.approx(t["duration"], abs=0.001)
    assert t["duration"] == pytest.approx(2.0, abs=0.1)


def test_video_input_gives_mp4_with_the_video_and_new_audio(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    asset = upload_ok(mock.client, make_media("mp4", 2.0))
    task = run(mock, {"assetId": asset["id"], "targets": [target("dialogue", "mp4", "wav")]})
    files = outputs(mock, task["targets"][0])
    samples, rate, _, videos = decode(files["dialogue.mp4"])
    assert videos == 1
    assert samples.shape[1] / rate == pytest.approx(2.0, abs=0.1)
    assert decode(files["dialogue.wav"])[3] == 0


def test_url_media_gives_real_outputs(mock: InProcessMock) -> None:
    task = run(mock, url_body(2.5, target("guitar", "flac")))
    samples, rate, _, _ = decode(outputs(mock, task["targets"][0])["guitar.flac"])
    assert samples.shape[1] / rate == pytest.approx(2.5, abs=0.001)


def test_variant_names_the_output(mock: InProcessMock) -> None:
    task = run(mock, url_body(1, target("vocals", "mp3", variant="high_quality", residual=True)))
    names = [o["name"] for o in task["targets"][0]["output"]]
    assert names == ["vocals_high_quality", "vocals_high_quality_residual"]


def srt_cues(text: str) -> list[tuple[float, float]]:
    cues = []
    for m in re.finditer(rf"{SRT_TIME} --> {SRT_TIME}", text):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        cues.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000))
    return cues


def json_times(node: object) -> list[float]:
    if isinstance(node, dict):
        found = [
            float(v) for k, v in node.items() if k in ("start", "end", "start_time", "end_time")
        ]
        return found + [t for v in node.values() for t in json_times(v)]
    if isinstance(node, list):
        return [t for v in node for t in json_times(v)]
    return []


@pytest.mark.parametrize("model", ["transcription", "alignment", "music_detection"])
def test_text_models_give_parseable_documents_within_the_duration(
    mock: InProcessMock, model: str
) -> None:
    formats = ["json", "srt", "txt"] if model != "music_detection" else ["json", "txt"]
    task = run(mock, url_body(40, target(model, *formats)))
    files = outputs(mock, task["targets"][0])
    assert set(files) == {f"{model}.{f}" for f in formats}

    doc = json.loads(files[f"{model}.json"])
    times = json_times(doc)
    assert times, "the json document has timings"
    assert all(0 <= t <= 40 for t in times)

    text = files[f"{model}.txt"].decode("utf-8")
    assert text.strip()

    if "srt" in formats:
        srt = files[f"{model}.srt"].decode("utf-8")
        cues = srt_cues(srt)
        assert cues and srt.lstrip().startswith("1\n")
        assert all(0 <= start <= end <= 40 for start, end in cues)
        assert [s for s, _ in cues] == sorted(s for s, _ in cues)


def test_alignment_aligns_the_given_transcript(mock: InProcessMock) -> None:
    lyrics = upload_ok(mock.client, b"golden submarine\nwaves of thunder\n", "lyrics.txt")
    body = url_body(20, target("alignment", "txt", "json", transcriptAssetId=lyrics["id"]))
    files = outputs(mock, run(mock, body)["targets"][0])
    assert files["alignment.txt"].decode().split() == [
        "golden",
        "submarine",
        "waves",
        "of",
        "thunder",
    ]
    assert "submarine" in json.dumps(json.loads(files["alignment.json"]))


@pytest.mark.parametrize(("variant", "counts"), [("two_speaker", {2}), ("n_speaker", {2, 3, 4})])
def test_multi_voice_gives_a_file_per_speaker(
    mock: InProcessMock, make_media: MakeMedia, variant: str, counts: set[int]
) -> None:
    mock.admin.put_key("test-key", enabled_models=["multi_voice"])
    asset = upload_ok(mock.client, make_media("wav", 2.0))
    body = {"assetId": asset["id"], "targets": [target("multi_voice", "wav", variant=variant)]}
    t = by_model(run(mock, body))["multi_voice"]
    files = outputs(mock, t)
    n = len(files)
    assert n in counts
    assert sorted(files) == [f"multi_voice_speaker_{i}.wav" for i in range(1, n + 1)]
    for data in files.values():
        samples, rate, _, _ = decode(data)
        assert samples.shape[1] / rate == pytest.approx(2.0, abs=0.001)


def test_n_speaker_counts_vary_with_the_seed_within_2_to_4(make_media: MakeMedia) -> None:
    seen = set()
    for seed in range(8):
        with InProcessMock(seed=seed) as mock:
            mock.admin.put_key("test-key", enabled_models=["multi_voice"])
            body = url_body(1, target("multi_voice", "mp3", variant="n_speaker"))
            task = run(mock, body)
            seen.add(len(task["targets"][0]["output"]))
    assert seen <= {2, 3, 4}
    assert len(seen) > 1
