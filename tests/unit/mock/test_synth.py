"""Synthetic media and transcripts: seeded, music-like, in every input format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audioshake_kit.domain.media import probe
from mock_server.synth import SYNTH_FORMATS, synth_media, synth_transcript


def test_same_seed_same_file_other_seed_other_music(tmp_path: Path) -> None:
    a = synth_media(tmp_path / "a.wav", 2.0, "wav", seed=11)
    b = synth_media(tmp_path / "b.wav", 2.0, "wav", seed=11)
    c = synth_media(tmp_path / "c.wav", 2.0, "wav", seed=12)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_it_sounds_like_music_not_silence(tmp_path: Path) -> None:
    x, rate = sf.read(synth_media(tmp_path / "m.wav", 3.0, "wav", seed=4), dtype="int16")
    assert x.shape == (3 * 44100, 2) and rate == 44100
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=0))
    assert (rms > 1000).all() and np.abs(x).max() < 32767  # loud enough, never clipped
    assert not np.array_equal(x[:, 0], x[:, 1])  # a stereo mix, not a copy
    # rhythm: loudness moves from one 50 ms window to the next
    windows = np.abs(x[:, 0].astype(np.float64)).reshape(-1, 2205).mean(axis=1)
    assert windows.std() > 0.2 * windows.mean()


def test_a_prefix_does_not_depend_on_the_length(tmp_path: Path) -> None:
    short, _ = sf.read(synth_media(tmp_path / "s.flac", 1.25, "flac", seed=2), dtype="int16")
    long, _ = sf.read(synth_media(tmp_path / "l.flac", 2.5, "flac", seed=2), dtype="int16")
    assert np.array_equal(short, long[: len(short)])


@pytest.mark.parametrize("channels", [1, 2, 4])
def test_channels_and_rate(tmp_path: Path, channels: int) -> None:
    path = synth_media(tmp_path / "x.aiff", 0.5, "aiff", channels=channels, sample_rate=8000)
    info = probe(path)
    assert (info.channels, info.sample_rate, info.duration) == (channels, 8000, 0.5)


def test_formats_and_bad_arguments(tmp_path: Path) -> None:
    assert {"wav", "aiff", "flac", "mp3", "m4a", "aac", "mp4", "mov"} == SYNTH_FORMATS
    with pytest.raises(ValueError, match="ogg"):
        synth_media(tmp_path / "x.ogg", 1.0, "ogg")
    with pytest.raises(ValueError, match="positive"):
        synth_media(tmp_path / "x.wav", 0, "wav")


def test_transcripts_are_seeded_lines_of_words() -> None:
    text = synth_transcript(3, words=40)
    assert text == synth_transcript(3, words=40) != synth_transcript(4, words=40)
    assert len(text.split()) == 40 and text.endswith("\n")
    assert all(line[0].isupper() for line in text.splitlines())
    assert synth_transcript(3, words=12, language="es").split()[0] != ""
