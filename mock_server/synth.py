"""Media and transcripts made without a network: seeded music-like audio (chords, a
melody and drums) in every input format the service takes, plus the encoder that
``render`` uses for its outputs. Also seeded words and word timings for text models.
"""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SYNTH_FORMATS",
    "AudioWriter",
    "given_lines",
    "synth_media",
    "synth_transcript",
    "timed_lines",
    "transcript_words",
]

# format → (muxer, audio codec)
_CONTAINERS = {
    "wav": ("wav", "pcm_s16le"),
    "aiff": ("aiff", "pcm_s16be"),
    "flac": ("flac", "flac"),
    "mp3": ("mp3", "libmp3lame"),
    "mp4": ("mp4", "aac"),
    "m4a": ("ipod", "aac"),
    "aac": ("adts", "aac"),
    "mov": ("mov", "pcm_s16le"),
}
SYNTH_FORMATS = frozenset(_CONTAINERS)
Int16s = NDArray[np.int16]
Floats = NDArray[np.floating[Any]]

# -- encoding ----------------------------------------------------------------------------


class AudioWriter:
    """Encodes 16-bit blocks (channels × samples) into one file, as they come."""

    def __init__(
        self, path: Path, fmt: str, *, sample_rate: int, layout: str, video: Any = None
    ) -> None:
        """``video``: an input video stream to copy into the file (mp4/mov only)."""
        self._layout, self._rate, self._pts = layout, sample_rate, 0
        self.video: Any = None
        try:
            self.container, self.stream, self.video = _open(path, fmt, sample_rate, layout, video)
        except (av.error.FFmpegError, ValueError):
            if video is None:
                raise
            # The muxer refuses this video codec: deliver the audio alone.
            self.container, self.stream, _ = _open(path, fmt, sample_rate, layout, None)

    def write(self, block: Int16s) -> None:
        """Encode ``block`` (channels × samples, int16)."""
        if not block.shape[1]:
            return
        data = np.ascontiguousarray(block)
        frame = av.AudioFrame.from_ndarray(data, format="s16p", layout=self._layout)
        frame.sample_rate = self._rate
        frame.time_base = Fraction(1, self._rate)
        frame.pts = self._pts
        self._pts += block.shape[1]
        self.container.mux(self.stream.encode(frame))

    def mux_video(self, packet: Any) -> None:
        if self.video is not None:
            packet.stream = self.video
            self.container.mux(packet)

    def close(self) -> None:
        if self.container is not None:
            try:
                self.container.mux(self.stream.encode(None))
            finally:
                self.container.close()
                self.container = None

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is None:
            self.close()
        elif self.container is not None:
            self.container.close()


def _open(path: Path, fmt: str, rate: int, layout: str, video: Any) -> tuple[Any, Any, Any]:
    muxer, codec = _CONTAINERS[fmt]
    container = av.open(str(path), "w", format=muxer)
    try:
        copy = container.add_stream_from_template(video) if video is not None else None
        # lame -q 7: twice as fast as its default and still clean at 192 kbit/s
        options = {"compression_level": "7"} if codec == "libmp3lame" else {}
        stream: Any = container.add_stream(
            codec, rate=_rate_for(codec, rate), layout=layout, options=options
        )
        if codec == "libmp3lame":
            stream.bit_rate = 192_000
        if copy is not None:
            container.start_encoding()  # fails now, not mid-file, if the muxer refuses it
    except BaseException:
        container.close()
        raise
    return container, stream, copy


def _rate_for(codec: str, rate: int) -> int:
    """``rate``, or the nearest one the encoder takes (mp3 stops at 48 kHz)."""
    rates = av.Codec(codec, "w").audio_rates
    return rate if not rates or rate in rates else min(rates, key=lambda r: abs(r - rate))


# -- music -------------------------------------------------------------------------------

_PROGRESSIONS = (  # (semitones above the key's root, minor?) per bar
    ((0, False), (7, False), (9, True), (5, False)),
    ((9, True), (5, False), (0, False), (7, False)),
    ((0, False), (5, False), (7, False), (5, False)),
    ((0, True), (8, False), (3, False), (10, False)),
)
_PENTATONIC = np.array([0, 2, 4, 7, 9, 12, 14, 16])
_VIDEO_SIZE, _VIDEO_FPS = 32, 5


def _hz(midi: Any) -> Any:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69) / 12)


class _Song:
    """A seeded loop: a bar-long chord pad, eighth-note melody, kick, snare and hats."""

    def __init__(self, seed: int, rate: int) -> None:
        rng = np.random.default_rng(seed & 0xFFFF_FFFF_FFFF_FFFF)
        self.seed, self.rate = seed & 0xFFFF_FFFF, rate
        self.beat = 60.0 / float(rng.uniform(84, 132))
        root = 45 + int(rng.integers(0, 12))
        prog = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
        self.chords = _hz([[root + r, root + r + (3 if m else 4), root + r + 7] for r, m in prog])
        self.scale = _hz(root + 12 + _PENTATONIC)

    def block(self, index: int, count: int) -> tuple[Floats, Floats]:
        """Left and right of block ``index`` (blocks are one second long)."""
        t = (index * self.rate + np.arange(count)) / self.rate  # float64: exact phases
        bar, in_bar = _split(t, 4 * self.beat)
        chord = self.chords[bar % 4]
        pad = _sine(chord[:, 0], t) + _sine(chord[:, 1], t) + _sine(chord[:, 2], t)
        pad *= 0.06 * np.minimum(1, in_bar / 0.08)
        eighth, in_eighth = _split(t, self.beat / 2)
        h = eighth.astype(np.uint64) * np.uint64(2654435761) + np.uint64(self.seed)
        h >>= np.uint64(7)
        note = self.scale[(h % np.uint64(len(self.scale))).astype(np.int64)]
        rest = (h >> np.uint64(9)) % np.uint64(5) == 0
        mel = _sine(note, t) + 0.3 * _sine(2 * note, t)
        mel *= np.where(rest, 0, 0.22 * np.exp(-5 * in_eighth) * np.minimum(1, in_eighth / 0.004))
        beat, in_beat = _split(t, self.beat)
        odd = beat % 2 == 1
        kick = np.sin(np.float32(2 * np.pi) * (45 + 60 * np.exp(-25 * in_beat)) * in_beat)
        kick *= np.where(odd, 0, 0.45 * np.exp(-9 * in_beat))
        noise = np.random.default_rng([self.seed, index]).random((2, self.rate), np.float32)
        noise = 2 * noise[:, :count] - 1
        snare = noise[0] * np.where(odd, 0.22 * np.exp(-22 * in_beat), 0)
        hats = noise[1] * 0.08 * np.exp(-70 * in_eighth)
        drums = kick + snare
        return pad + 0.8 * mel + drums + 0.6 * hats, pad + 0.5 * mel + drums + hats


def _split(t: Floats, period: float) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Which ``period`` each time falls in, and the (float32) time into it."""
    n = np.floor(t / period)  # floor, not divmod: fmod is slow
    return n.astype(np.int64), (t - n * period).astype(np.float32)


def _sine(freq: Floats, t: Floats) -> NDArray[np.float32]:
    """sin(2π·freq·t): the phase is reduced in float64, the sine taken in (fast) float32."""
    cycles = freq * t
    phase = (cycles - np.floor(cycles)).astype(np.float32)
    out: NDArray[np.float32] = np.sin(np.float32(2 * np.pi) * phase)
    return out


def synth_media(
    path: str | Path,
    duration_s: float,
    fmt: str,
    *,
    seed: int = 0,
    channels: int = 2,
    sample_rate: int = 44100,
) -> Path:
    """Write ``duration_s`` seconds of seeded music as ``fmt`` (wav, aiff, flac, mp3,
    m4a, aac, mp4 or mov; mp4 and mov with a tiny video). Made in one-second blocks.
    Lossless formats hold exactly ``round(duration_s * sample_rate)`` samples."""
    if fmt not in _CONTAINERS:
        raise ValueError(f"cannot synthesise {fmt!r}; one of {sorted(_CONTAINERS)}")
    if duration_s <= 0 or channels < 1:
        raise ValueError("duration_s and channels must be positive")
    path = Path(path)
    total = max(1, round(duration_s * sample_rate))
    song = _Song(seed, sample_rate)
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with AudioWriter(path, fmt, sample_rate=sample_rate, layout=layout) as writer:
        video = None
        if fmt in ("mp4", "mov"):
            video = writer.container.add_stream("mpeg4", rate=_VIDEO_FPS)
            video.width = video.height = _VIDEO_SIZE
            video.pix_fmt = "yuv420p"
        frames = 0
        for index in range(math.ceil(total / sample_rate)):
            count = min(sample_rate, total - index * sample_rate)
            left, right = song.block(index, count)
            writer.write(_to_int16(left, right, channels))
            if video is not None:
                end = math.ceil((index * sample_rate + count) / sample_rate * _VIDEO_FPS)
                for i in range(frames, end):
                    writer.container.mux(video.encode(_video_frame(i, seed)))
                frames = end
        if video is not None:
            writer.container.mux(video.encode(None))
    return path


def _to_int16(left: Floats, right: Floats, channels: int) -> Int16s:
    sides = [(left + right) / 2] if channels == 1 else [left, right]
    rows = [sides[i % len(sides)] * 0.9 ** (i // 2) for i in range(channels)]
    return np.rint(np.clip(np.stack(rows) * 0.6, -1, 1) * 32767).astype(np.int16)


def _video_frame(i: int, seed: int) -> Any:
    img = np.empty((_VIDEO_SIZE, _VIDEO_SIZE, 3), np.uint8)
    img[...] = ((i * 37 + seed) % 256, (i * 91) % 256, 128)
    img[:, : i % _VIDEO_SIZE, 2] = 255  # a bar that grows, so frames differ
    frame = av.VideoFrame.from_ndarray(img, format="rgb24")
    frame.pts, frame.time_base = i, Fraction(1, _VIDEO_FPS)
    return frame


# -- words -------------------------------------------------------------------------------

_WORDS = {
    "en": "the night is young and we are running through the city lights tonight you know "
    "I feel it in my heart when the music starts again hold on never let go",
    "es": "la noche es joven y vamos corriendo por las luces de la ciudad siento tu "
    "corazón cuando empieza la música otra vez",
    "fr": "la nuit est jeune et nous courons dans les lumières de la ville je sens ton "
    "cœur quand la musique recommence encore",
    "de": "die Nacht ist jung und wir laufen durch die Lichter der Stadt ich fühle dein "
    "Herz wenn die Musik wieder beginnt",
}
Line = list[tuple[float, float, str]]  # (start, end, word)


def transcript_words(rng: random.Random, count: int, language: str | None = None) -> list[str]:
    """``count`` seeded words of ``language`` (English when it has no word list)."""
    vocab = _WORDS.get(language or "en", _WORDS["en"]).split()
    return [rng.choice(vocab) for _ in range(count)]


def given_lines(transcript: str | None) -> list[list[str]] | None:
    """The lines (as words) of a plain-text or JSON transcript; None when absent."""
    if transcript is None:
        return None
    text = transcript
    if transcript.lstrip()[:1] in ("{", "["):
        try:
            doc = json.loads(transcript)
        except ValueError:
            doc = None
        items = doc.get("lines") or [doc] if isinstance(doc, dict) else doc
        if isinstance(items, list):
            text = "\n".join(
                str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in items
            )
    lines = []
    for raw in text.splitlines():
        words = raw.split()
        lines += [words[i : i + 10] for i in range(0, len(words), 10)]
    return lines


def timed_lines(
    rng: random.Random, duration: float, given: list[list[str]] | None, language: str | None
) -> list[Line]:
    """Word timings: given lines scaled to fit ``duration``, else lines until it is full."""
    t, lines = rng.uniform(0.2, 1.2), list[Line]()
    while (len(lines) < len(given)) if given is not None else (t < duration):
        if given is not None:
            words = given[len(lines)]
        else:
            words = transcript_words(rng, rng.randint(4, 9), language)
        line: Line = []
        for word in words:
            end = t + rng.uniform(0.15, 0.5)
            if given is None and end > duration:
                break
            line.append((t, end, word))
            t = end + rng.uniform(0.02, 0.2)
        if line:
            lines.append(line)
        if given is None and len(line) < len(words):
            break
        t += rng.uniform(0.5, 1.8)
    last = max((ln[-1][1] for ln in lines), default=0.0)
    scale = min(1.0, 0.98 * duration / last) if last else 1.0
    return [[(round(s * scale, 3), round(e * scale, 3), w) for s, e, w in ln] for ln in lines]


def synth_transcript(seed: int, words: int = 60, language: str | None = None) -> str:
    """A seeded plain-text transcript: ``words`` words in lines of 5–10."""
    rng = random.Random(f"transcript/{seed}/{language}")
    lines, left = [], words
    while left > 0:
        n = min(left, rng.randint(5, 10))
        line = transcript_words(rng, n, language)
        lines.append(" ".join([line[0].capitalize(), *line[1:]]))
        left -= n
    return "\n".join(lines) + "\n"
