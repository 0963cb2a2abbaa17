"""The one probe: file types by content, durations, and the errors targets fail with."""

from __future__ import annotations

import codecs
import random
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import audioshake_kit.domain.probe_exact as probe_exact_module
from audioshake_kit.domain.media import (
    MEDIA_FORMATS,
    SNIFF_BYTES,
    MediaError,
    UnknownMediaType,
    probe,
    probe_duration,
    sniff_bytes,
    sniff_file,
)
from mock_server.synth import synth_media

RATE = 22050
SECONDS = 1.5
KINDS = {"mp4": "video", "mov": "video"}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One short synthetic file per input format, named ``.bin`` (names must not matter)."""
    out = tmp_path_factory.mktemp("media")
    return {
        fmt: synth_media(out / f"{fmt}.bin", SECONDS, fmt, seed=7, channels=1, sample_rate=RATE)
        for fmt in sorted(MEDIA_FORMATS)
    }


@pytest.mark.parametrize("fmt", sorted(MEDIA_FORMATS))
def test_every_format_is_sniffed_by_content(media: dict[str, Path], fmt: str) -> None:
    assert sniff_file(media[fmt]) == fmt
    assert sniff_bytes(media[fmt].read_bytes()[:SNIFF_BYTES]) == fmt


@pytest.mark.parametrize("fmt", sorted(MEDIA_FORMATS))
def test_probe_reports_duration_rate_channels_and_kind(media: dict[str, Path], fmt: str) -> None:
    info = probe(media[fmt])
    assert (info.format, info.kind) == (fmt, KINDS.get(fmt, "audio"))
    assert (info.sample_rate, info.channels, info.has_audio) == (RATE, 1, True)
    assert info.has_video == (fmt in KINDS)
    assert info.duration is not None
    if fmt in ("wav", "aiff", "flac", "mov", "mp3"):  # PCM, or mp3 with its LAME tag
        assert round(info.duration * RATE) == round(SECONDS * RATE)
    elif fmt == "aac":  # ADTS: encoder priming and padding are part of the stream
        assert 0 <= info.duration - SECONDS <= 2048 / RATE
    else:  # mp4/m4a: the container's edit list, in milliseconds
        assert info.duration == pytest.approx(SECONDS, abs=0.001)
    assert probe_duration(media[fmt]) == info.duration


@pytest.mark.parametrize("fmt", ["wav", "aiff", "flac"])
@pytest.mark.parametrize(("seconds", "channels", "rate"), [(1.5, 1, 22050), (7.3, 2, 44100)])
def test_libsndfile_and_pyav_agree(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    seconds: float,
    channels: int,
    rate: int,
) -> None:
    """The libsndfile shortcut gives what PyAV alone gives (billing depends on it)."""
    path = synth_media(tmp_path / "in", seconds, fmt, seed=3, channels=channels, sample_rate=rate)
    fast = probe(path)
    monkeypatch.setattr(probe_exact_module, "_probe_libsndfile", lambda *_: None)
    assert probe(path) == fast


def test_a_wav_libsndfile_refuses_is_still_judged_by_pyav(
    media: dict[str, Path], tmp_path: Path
) -> None:
    data = media["wav"].read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[:60])  # header, no samples
    with pytest.raises(MediaError) as err:
        probe(path)
    assert err.value.code == 4001


def test_a_name_does_not_decide_the_type(media: dict[str, Path], tmp_path: Path) -> None:
    fake = tmp_path / "song.wav"
    fake.write_bytes(media["mp3"].read_bytes())
    assert sniff_file(fake) == "mp3"
    assert probe(fake).format == "mp3"


def test_mp3_and_flac_behind_id3_and_bare_frames(media: dict[str, Path]) -> None:
    mp3 = media["mp3"].read_bytes()
    assert mp3[:3] == b"ID3"
    size = 10 + ((mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9])
    assert sniff_bytes(mp3[size : size + SNIFF_BYTES]) == "mp3"  # frame sync alone
    flac = media["flac"].read_bytes()
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"\x00" * 5
    assert sniff_bytes(tag + flac[:SNIFF_BYTES]) == "flac"


@pytest.mark.parametrize(
    ("brand", "fmt"), [(b"M4A ", "m4a"), (b"M4B ", "m4a"), (b"qt  ", "mov"), (b"isom", "mp4")]
)
def test_iso_media_brands(brand: bytes, fmt: str) -> None:
    assert sniff_bytes(b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 12) == fmt


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b'  {"lines": []}', "json"),
        (codecs.BOM_UTF8 + b"\n[1, 2]", "json"),
        (b"hello world\nsecond line\n", "txt"),
        ("caf\u00e9 \u00fcber \u3053\u3093\u306b\u3061\u306f".encode(), "txt"),
        ("x" * (SNIFF_BYTES - 1) + "\u00e9", "txt"),  # a character cut by the sniff window
        (b"", None),
        (b"   \n", None),
        (b"text with a \x00 NUL", None),
        (b"latin-1 caf\xe9", None),
        (b"RIFF\x00\x00\x00\x00AVI ", None),
    ],
)
def test_text_and_unknown_heads(head: bytes | str, fmt: str | None) -> None:
    data = head.encode() if isinstance(head, str) else head
    assert sniff_bytes(data[:SNIFF_BYTES]) == fmt


def test_random_bytes_are_unknown(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for _ in range(200):
        assert sniff_bytes(rng.randbytes(SNIFF_BYTES)) is None
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x01" + rng.randbytes(5000))
    with pytest.raises(UnknownMediaType) as err:
        probe(junk)
    assert err.value.code == 415
    assert "not a supported" in err.value.message


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp4", "m4a", "aiff"])
def test_a_corrupt_known_container_is_4001(
    media: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    data = media[fmt].read_bytes()
    broken = tmp_path / f"broken.{fmt}"
    # keep the signature, destroy the rest (mp4 loses its moov at the end)
    garbage = data[:12] + bytes(range(256)) * 4
    broken.write_bytes(data[: len(data) // 2] if fmt == "mp4" else garbage)
    assert sniff_file(broken) == fmt
    with pytest.raises(MediaError) as err:
        probe(broken)
    assert err.value.code == 4001


def test_a_video_without_audio_is_4003(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), i * 40, np.uint8), "rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 5)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(MediaError) as err:
        probe(path)
    assert err.value.code == 4003


def test_transcripts(tmp_path: Path) -> None:
    good = tmp_path / "t.txt"
    good.write_text("Hello there\nGeneral Kenobi\n", encoding="utf-8")
    info = probe(good)
    assert (info.format, info.kind, info.duration, info.has_audio) == ("txt", "text", None, False)
    assert probe(_write(tmp_path / "t.json", b'{"text": "hi"}')).format == "json"
    # invalid UTF-8 after the sniffed head, and JSON that does not parse
    for bad in (b"a" * (SNIFF_BYTES + 10) + b"\xff\xfe", b'{"text": "unterminated'):
        with pytest.raises(MediaError) as err:
            probe(_write(tmp_path / "bad", bad))
        assert err.value.code == 4005
    with pytest.raises(MediaError):
        probe_duration(good)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
