"""Output rendering: real, decodable files that sum back to the input, and text documents."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

import av
import numpy as np
import pytest
import soundfile as sf
from numpy.typing import NDArray

from audioshake_kit.domain.catalog import get_catalog
from audioshake_kit.domain.media import probe, probe_duration
from mock_server import render
from mock_server.render import AudioPart, render_audio, render_text
from mock_server.synth import synth_media

RATE = 22050
LOSSLESS = ("wav", "flac", "aiff")
AAC_FRAME = 1024
CATALOG = get_catalog()
AUDIO_OUTPUT_FORMATS = tuple(sorted(CATALOG.audio_formats))


def decode(path: Path) -> NDArray[np.int16]:
    """Every decoded sample of ``path`` as int16, channels × samples."""
    with av.open(str(path)) as src:
        stream = src.streams.audio[0]
        layout = {1: "mono", 2: "stereo"}[stream.codec_context.channels]
        resampler = av.AudioResampler(format="s16p", layout=layout, rate=stream.sample_rate)
        frames = [o.to_ndarray() for f in src.decode(stream) for o in resampler.resample(f)]
        frames += [o.to_ndarray() for o in resampler.resample(None)]
    return np.concatenate(frames, axis=1).astype(np.int16)


def split(key: str, formats: tuple[str, ...]) -> list[AudioPart]:
    return [AudioPart(key, f, "target", key) for f in formats] + [
        AudioPart(f"{key}_residual", f, "residual", key) for f in formats
    ]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    return {
        "stereo": synth_media(d / "stereo.wav", 2.0, "wav", seed=1, sample_rate=RATE),
        "mono": synth_media(d / "mono.flac", 1.5, "flac", seed=2, channels=1, sample_rate=RATE),
        "video": synth_media(d / "clip.mp4", 2.0, "mp4", seed=3, sample_rate=RATE),
    }


@pytest.fixture(scope="module")
def stereo_out(
    inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Target and residual of the stereo input in every output format."""
    out = tmp_path_factory.mktemp("stereo_out")
    parts = split("bass", AUDIO_OUTPUT_FORMATS)
    return render_audio(inputs["stereo"], parts, out, video_input=False)


@pytest.mark.parametrize("fmt", AUDIO_OUTPUT_FORMATS)
def test_every_format_decodes_with_the_inputs_duration_rate_and_channels(
    inputs: dict[str, Path], stereo_out: dict[str, Path], fmt: str
) -> None:
    n = round(probe_duration(inputs["stereo"]) * RATE)
    for name in (f"bass.{fmt}", f"bass_residual.{fmt}"):
        info = probe(stereo_out[name])
        assert (info.sample_rate, info.channels, info.has_video) == (RATE, 2, False)
        samples = decode(stereo_out[name]).shape[1]
        if fmt == "mp4":  # AAC: the last frame is padded; the container says the truth
            assert n <= samples < n + AAC_FRAME
            assert info.duration == pytest.approx(n / RATE, abs=0.001)
        else:  # lossless, and mp3 (its LAME tag trims encoder delay and padding)
            assert samples == n
            assert round(probe_duration(stereo_out[name]) * RATE) == n


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_target_plus_residual_is_the_input_exactly(
    inputs: dict[str, Path], stereo_out: dict[str, Path], fmt: str
) -> None:
    x = decode(inputs["stereo"]).astype(np.int32)
    target, residual = decode(stereo_out[f"bass.{fmt}"]), decode(stereo_out[f"bass_residual.{fmt}"])
    assert np.array_equal(target + residual.astype(np.int32), x)
    # a real split: both parts carry sound, neither is the whole input
    assert 0 < np.abs(target).mean() < np.abs(x).mean()
    assert 0 < np.abs(residual).mean() < np.abs(x).mean()


def test_lossy_parts_still_sum_to_roughly_the_input(
    inputs: dict[str, Path], stereo_out: dict[str, Path]
) -> None:
    x = decode(inputs["stereo"]).astype(np.float64)
    mixed = decode(stereo_out["bass.mp3"]).astype(np.float64) + decode(
        stereo_out["bass_residual.mp3"]
    )
    err = np.sqrt(np.mean((mixed - x) ** 2)) / np.sqrt(np.mean(x**2))
    assert err < 0.2


@pytest.mark.parametrize("key", ["vocals", "instrumental", "drums", "some_new_model"])
def test_exact_at_full_scale_for_any_model(tmp_path: Path, key: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(-32768, 32768, (4000, 2)).astype(np.int16)
    x[:500:2], x[1:500:2] = 32767, -32768  # a full-scale square wave: filters overshoot
    sf.write(tmp_path / "loud.wav", x, 8000, subtype="PCM_16")
    out = render_audio(tmp_path / "loud.wav", split(key, ("wav",)), tmp_path, video_input=False)
    total = decode(out[f"{key}.wav"]).astype(np.int32) + decode(out[f"{key}_residual.wav"])
    assert np.array_equal(total, x.T)


def test_mono_stays_mono(inputs: dict[str, Path], tmp_path: Path) -> None:
    parts = split("vocals", ("flac", "mp3", "mp4"))
    out = render_audio(inputs["mono"], parts, tmp_path, video_input=False)
    n = round(1.5 * RATE)
    for path in out.values():
        info = probe(path)
        assert (info.channels, info.sample_rate) == (1, RATE)
        assert n <= decode(path).shape[1] < n + AAC_FRAME


def test_mp4_from_a_video_keeps_the_video(inputs: dict[str, Path], tmp_path: Path) -> None:
    parts = [*split("dialogue", ("mp4",)), AudioPart("dialogue", "wav", "target", "dialogue")]
    out = render_audio(inputs["video"], parts, tmp_path, video_input=True)
    with av.open(str(inputs["video"])) as src:
        frames = sum(1 for p in src.demux(video=0) if p.size)
    for name in ("dialogue.mp4", "dialogue_residual.mp4"):
        info = probe(out[name])
        assert (info.kind, info.has_audio, info.has_video, info.channels) == (
            "video",
            True,
            True,
            2,
        )
        assert info.duration == pytest.approx(2.0, abs=0.001)
        with av.open(str(out[name])) as got:
            assert sum(1 for p in got.demux(video=0) if p.size) == frames
    assert probe(out["dialogue.wav"]).has_video is False


def test_speakers_sum_to_the_input(inputs: dict[str, Path], tmp_path: Path) -> None:
    parts = [
        AudioPart(f"multi_voice_speaker_{i + 1}", "wav", "speaker", "multi_voice", i, 3)
        for i in range(3)
    ]
    out = render_audio(inputs["stereo"], parts, tmp_path, video_input=False)
    voices = [decode(out[p.filename]).astype(np.int32) for p in parts]
    assert np.array_equal(sum(voices), decode(inputs["stereo"]))
    assert all(np.abs(v).max() > 1000 for v in voices)  # each speaker gets a turn


def test_blocks_do_not_change_the_result(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [*split("bass", ("wav",)), AudioPart("s", "wav", "speaker", "multi_voice", 0, 2)]
    whole = render_audio(inputs["stereo"], parts, tmp_path / "a", video_input=False)
    monkeypatch.setattr(render, "_BLOCK", 3000)  # many small blocks, split mid-filter
    blocks = render_audio(inputs["stereo"], parts, tmp_path / "b", video_input=False)
    for name, path in whole.items():
        assert path.read_bytes() == blocks[name].read_bytes()


# -- text --------------------------------------------------------------------------------

SRT_CUE = re.compile(r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n.+\n")


def _secs(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


@pytest.mark.parametrize("model", ["transcription", "alignment"])
def test_lyrics_json_has_increasing_timings_inside_the_duration(model: str) -> None:
    doc = json.loads(render_text(CATALOG[model], "json", 42.5, seed=3, language="en"))
    assert doc["lines"] and doc["text"] == " ".join(line["text"] for line in doc["lines"])
    times = [t for line in doc["lines"] for w in line["words"] for t in (w["start"], w["end"])]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= 42.5
    for line in doc["lines"]:
        assert line["text"] == " ".join(w["text"] for w in line["words"])
        words = line["words"]
        assert (line["start"], line["end"]) == (words[0]["start"], words[-1]["end"])


def test_alignment_uses_the_given_transcript() -> None:
    transcript = "Hello darkness my old friend\nI've come to talk with you again\n"
    doc = json.loads(render_text(CATALOG["alignment"], "json", 5.0, seed=1, transcript=transcript))
    assert [line["text"] for line in doc["lines"]] == transcript.strip().split("\n")
    assert doc["lines"][-1]["end"] <= 5.0  # squeezed to fit a short input
    as_json = json.dumps({"lines": [{"text": "one two"}, {"text": "three"}]})
    doc = json.loads(render_text(CATALOG["alignment"], "json", 60.0, seed=1, transcript=as_json))
    assert doc["text"] == "one two three"


def test_srt_and_txt() -> None:
    srt = render_text(CATALOG["transcription"], "srt", 30.0, seed=9).decode()
    cues = SRT_CUE.findall(srt)
    assert cues and srt == "\n".join(m.group(0) for m in SRT_CUE.finditer(srt))
    assert [int(c[0]) for c in cues] == list(range(1, len(cues) + 1))
    ends = [(_secs(*c[1:5]), _secs(*c[5:9])) for c in cues]
    assert all(0 <= a <= b <= 30.0 for a, b in ends)
    txt = render_text(CATALOG["transcription"], "txt", 30.0, seed=9).decode()
    doc = json.loads(render_text(CATALOG["transcription"], "json", 30.0, seed=9))
    assert txt.splitlines() == [line["text"] for line in doc["lines"]]


def test_music_detection_covers_the_duration_in_ten_second_steps() -> None:
    rows = json.loads(render_text(CATALOG["music_detection"], "json", 25.3, seed=4))
    assert [(r["start_time"], r["end_time"]) for r in rows] == [(0, 10), (10, 20), (20, 25.3)]
    assert all(0 <= r["confidence"] <= 1 for r in rows)
    lines = render_text(CATALOG["music_detection"], "txt", 25.3, seed=4).decode().splitlines()
    assert len(lines) == 3 and lines[2].split("\t")[:2] == ["20.000", "25.300"]


def test_outputs_are_deterministic(inputs: dict[str, Path], tmp_path: Path) -> None:
    docs: list[tuple[str, Literal["json", "srt", "txt"]]] = [
        ("transcription", "json"),
        ("alignment", "srt"),
        ("music_detection", "json"),
    ]
    for model, fmt in docs:
        spec = CATALOG[model]
        assert render_text(spec, fmt, 33.0, seed=5) == render_text(spec, fmt, 33.0, seed=5)
        assert render_text(spec, fmt, 33.0, seed=5) != render_text(spec, fmt, 33.0, seed=6)
    a = render_audio(inputs["stereo"], split("drums", ("wav",)), tmp_path / "a", video_input=False)
    b = render_audio(inputs["stereo"], split("drums", ("wav",)), tmp_path / "b", video_input=False)
    assert a["drums.wav"].read_bytes() == b["drums.wav"].read_bytes()
