"""Real output files: audio split from the input, and seeded text documents.

Which outputs exist, their formats and MIME types come from the catalog (planned in
the store); this module makes the files. Audio parts are 16-bit and sum back to the input: ``target + residual`` (and the
speakers of a multi-voice target) equal the input's 16-bit samples exactly before
encoding, so the lossless formats (wav, flac, aiff) hold that exactly. The input is
decoded, split and encoded in blocks, never held whole. Every part has the probed
input's duration, sample rate and channels.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from numpy.typing import NDArray

from audioshake_kit.domain.catalog import ModelSpec
from audioshake_kit.domain.media import probe

from .synth import AudioWriter, given_lines, timed_lines

__all__ = ["AudioPart", "render_audio", "render_text"]

Int16s = NDArray[np.int16]
Int32s = NDArray[np.int32]
_BLOCK = 1 << 17  # samples decoded before a split (~3 s at 44.1 kHz)


@dataclass(frozen=True, slots=True)
class AudioPart:
    """One audio output: ``key`` (the model id) picks the split, ``role`` the share."""

    name: str
    format: str
    role: Literal["target", "residual", "speaker"]
    key: str
    index: int = 0  # speaker number (0-based)
    count: int = 1  # speakers in all

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}"


# -- splitting ---------------------------------------------------------------------------

_TAPS, _NFFT = 511, 1 << 14
_DELAY, _HOP = _TAPS // 2, _NFFT - _TAPS + 1
# model id → pass band in Hz (None: open end); "stop": the band is removed instead
_BANDS: dict[str, tuple[float, float | None, bool]] = {
    "bass": (0.0, 250.0, False),
    "drums": (4000.0, None, False),
    "vocals": (250.0, 4000.0, False),
    "vocals_lead": (300.0, 3500.0, False),
    "vocals_backing": (500.0, 6000.0, False),
    "instrumental": (250.0, 4000.0, True),
    "dialogue": (200.0, 4000.0, False),
    "speech_denoise": (100.0, 7000.0, False),
    "music_fx": (200.0, 4000.0, True),
    "music_removal": (150.0, 5000.0, False),
}


def _band(key: str) -> tuple[float, float | None, bool]:
    if key in _BANDS:
        return _BANDS[key]
    h = zlib.crc32(key.encode())
    lo = 60.0 * 2 ** ((h & 0xFF) / 64)  # 60 Hz … 960 Hz
    return lo, lo * 2 ** (2 + (h >> 8 & 0xFF) / 64), False  # two to six octaves wide


def _fir(key: str, rate: int) -> NDArray[np.float64]:
    """Linear-phase windowed-sinc filter for ``key``'s band at ``rate``."""
    lo, hi, stop = _band(key)
    n = np.arange(_TAPS) - _DELAY
    window = np.blackman(_TAPS)

    def lowpass(fc: float | None) -> NDArray[np.float64]:
        f = 0.5 if fc is None else min(fc / rate, 0.5)
        return np.asarray(2 * f * np.sinc(2 * f * n) * window, dtype=np.float64)

    h = lowpass(hi) - lowpass(lo)
    if stop:
        h = -h
        h[_DELAY] += 1.0
    return h


def _share(x: Int32s, want: NDArray[np.floating[Any]]) -> Int32s:
    """``want`` rounded and clipped so that both it and ``x`` minus it fit in int16."""
    share: Int32s = np.clip(np.rint(want), -32768, 32767).astype(np.int32)
    rest = x - share
    if rest.size and (rest.min() < -32768 or rest.max() > 32767):  # rare: near full scale
        share = np.clip(share, np.maximum(x - 32767, -32768), np.minimum(x + 32768, 32767))
    return share


class _BandSplit:
    """[band, rest] by an FFT (overlap-save) FIR, aligned with the input (no delay).

    Works on a fixed grid of ``_HOP`` samples, so the result does not depend on how the
    input arrives in blocks."""

    def __init__(self, key: str, rate: int, channels: int) -> None:
        self._h = np.fft.rfft(_fir(key, rate).astype(np.float32), _NFFT)
        self._hist = np.zeros((channels, _TAPS - 1), np.int16)
        self._todo = np.zeros((channels, 0), np.int16)
        self._skip = _DELAY

    def push(self, x: Int16s, *, last: bool = False) -> list[Int16s]:
        self._todo = np.concatenate([self._todo, x], axis=1)
        ready = self._todo.shape[1] if last else self._todo.shape[1] // _HOP * _HOP
        empty = np.zeros((x.shape[0], 0), np.int16)
        bands, rests = [empty], [empty]
        for i in range(0, ready, _HOP):
            seg = np.concatenate([self._hist, self._todo[:, i : min(i + _HOP, ready)]], axis=1)
            n = seg.shape[1] - (_TAPS - 1)
            self._hist = seg[:, n:]
            y = np.fft.irfft(np.fft.rfft(seg.astype(np.float32), _NFFT) * self._h, _NFFT)
            y = y[:, _TAPS - 1 : _TAPS - 1 + n]
            xs = seg[:, _DELAY : _DELAY + n].astype(np.int32)
            skip = min(self._skip, n)
            self._skip -= skip
            band = _share(xs[:, skip:], y[:, skip:])
            bands.append(band.astype(np.int16))
            rests.append((xs[:, skip:] - band).astype(np.int16))
        self._todo = self._todo[:, ready:]
        return [np.concatenate(bands, axis=1), np.concatenate(rests, axis=1)]

    def flush(self) -> list[Int16s]:
        return self.push(np.zeros((self._hist.shape[0], _DELAY), np.int16), last=True)


class _SpeakerSplit:
    """``count`` speakers taking turns (0.25–2.5 s, short enough that each gets one,
    with 50 ms cross-fades); they sum to the input."""

    def __init__(self, key: str, count: int, rate: int, channels: int, total: int) -> None:
        self._n, self._pos, self._channels = count, 0, channels
        self._turn = int(min(2.5 * rate, max(0.25 * rate, total / (2 * count))))
        self._fade = max(1, min(int(rate * 0.05), self._turn // 4))
        self._first = zlib.crc32(key.encode()) % count

    def push(self, x: Int16s) -> list[Int16s]:
        t = np.arange(self._pos, self._pos + x.shape[1])
        self._pos += x.shape[1]
        turn, at = np.divmod(t, self._turn)
        w = np.ones(t.size, np.float32)
        fading = (at < self._fade) & (turn > 0)
        w[fading] = 0.5 - 0.5 * np.cos(np.pi * at[fading] / self._fade)
        now, before = (turn + self._first) % self._n, (turn - 1 + self._first) % self._n
        rest, parts = x.astype(np.int32), []
        for speaker in range(self._n - 1):
            gain = np.where(now == speaker, w, 0) + np.where(before == speaker, 1 - w, 0)
            part = _share(rest, x * gain)
            rest = rest - part
            parts.append(part.astype(np.int16))
        return [*parts, rest.astype(np.int16)]

    def flush(self) -> list[Int16s]:
        return [np.zeros((self._channels, 0), np.int16)] * self._n


def _splitter(part: AudioPart, rate: int, channels: int, total: int) -> tuple[tuple[str, ...], Any]:
    if part.role == "speaker":
        split = _SpeakerSplit(part.key, part.count, rate, channels, total)
        return ("speakers", part.key, str(part.count)), split
    return ("band", part.key), _BandSplit(part.key, rate, channels)


# -- the pipeline ------------------------------------------------------------------------


def render_audio(
    input_path: str | Path, parts: Sequence[AudioPart], out_dir: Path, *, video_input: bool
) -> dict[str, Path]:
    """Write every part to ``out_dir``; returns ``{"<name>.<format>": path}``."""
    info = probe(input_path)
    assert info.duration is not None and info.sample_rate and info.channels
    rate, total = info.sample_rate, round(info.duration * info.sample_rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    splits: dict[tuple[str, ...], Any] = {}
    routes: list[tuple[tuple[str, ...], int]] = []
    for part in parts:
        sid, split = _splitter(part, rate, info.channels, total)
        splits.setdefault(sid, split)
        routes.append((sid, 1 if part.role == "residual" else part.index))
    with ExitStack() as stack:
        options = {"probesize": "4096"} if info.format == "wav" else {}  # as in probe()
        src = stack.enter_context(av.open(str(input_path), options=options))
        audio = src.streams.audio[0]
        layout = _layout(audio.codec_context)
        want_video = video_input and any(p.format == "mp4" for p in parts)
        videos = (
            [s for s in src.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
            if want_video
            else []
        )
        writers = [
            stack.enter_context(
                AudioWriter(
                    out_dir / p.filename,
                    p.format,
                    sample_rate=rate,
                    layout=layout,
                    video=videos[0] if videos and p.format == "mp4" else None,
                )
            )
            for p in parts
        ]
        video_writers = [w for w in writers if w.video is not None]

        def emit(outs: dict[tuple[str, ...], list[Int16s]]) -> None:
            for writer, (sid, i) in zip(writers, routes, strict=True):
                writer.write(outs[sid][i])

        for item in _decode(src, audio, videos[:1] if video_writers else [], layout, total):
            if isinstance(item, np.ndarray):
                emit({sid: s.push(item) for sid, s in splits.items()})
            else:
                for w in video_writers:
                    w.mux_video(item)
        emit({sid: s.flush() for sid, s in splits.items()})
    return {p.filename: out_dir / p.filename for p in parts}


def _layout(ctx: Any) -> str:
    """The input's channel layout; an unspecified one of 1 or 2 channels as mono/stereo."""
    return str({1: "mono", 2: "stereo"}.get(ctx.channels, ctx.layout.name))


def _decode(src: Any, audio: Any, videos: list[Any], layout: str, total: int) -> Iterator[Any]:
    """Audio as int16 blocks (channels × samples), exactly ``total`` samples in all,
    interleaved with the packets of ``videos`` in file order."""
    resampler = av.AudioResampler(
        format="s16p", layout=layout, rate=audio.codec_context.sample_rate
    )
    channels = audio.codec_context.channels
    pending: list[Int16s] = []
    have = done = 0
    for packet in itertools.chain(src.demux(audio, *videos), [None]):
        if packet is not None and packet.stream.type == "video":
            if packet.dts is not None:
                yield packet
            continue
        try:
            frames = packet.decode() if packet is not None else [None]
        except av.error.FFmpegError:  # a corrupt packet: skip it (the tail is padded)
            frames = []
        for frame in frames:
            for out in resampler.resample(frame):
                pending.append(np.asarray(out.to_ndarray(), np.int16))
                have += out.samples
        if pending and (have >= _BLOCK or packet is None):
            block = np.concatenate(pending, axis=1)[:, : max(0, total - done)]
            done += block.shape[1]
            pending, have = [], 0
            yield block
    if done < total:
        yield np.zeros((channels, total - done), np.int16)


# -- text --------------------------------------------------------------------------------


def render_text(
    model: ModelSpec,
    fmt: Literal["json", "srt", "txt"],
    duration: float,
    *,
    seed: int,
    language: str | None = None,
    transcript: str | None = None,
) -> bytes:
    """A seeded document for a text model: intervals where the catalog says so
    (``mock: {document: intervals}``), else timed lyrics (the words of ``transcript``
    when given). Timings lie in [0, duration]."""
    if not model.text_output:
        raise ValueError(f"{model.id} is not a text model")
    rng = random.Random(f"{model.id}/{seed}/{language}")
    duration = max(0.0, duration)
    if model.mock_document == "intervals":
        return _intervals(fmt, duration, rng)
    lines = timed_lines(rng, duration, given_lines(transcript), language)
    texts = [" ".join(w for _, _, w in line) for line in lines]
    if fmt == "json":
        doc: dict[str, Any] = {"text": " ".join(texts)}
        if language:
            doc["language"] = language
        doc["lines"] = [
            {
                "start": line[0][0],
                "end": line[-1][1],
                "text": text,
                "words": [{"start": s, "end": e, "text": w} for s, e, w in line],
            }
            for line, text in zip(lines, texts, strict=True)
        ]
        return json.dumps(doc, ensure_ascii=False, indent=2).encode()
    if fmt == "srt":
        cues = [
            f"{i}\n{_srt_time(line[0][0])} --> {_srt_time(line[-1][1])}\n{text}\n"
            for i, (line, text) in enumerate(zip(lines, texts, strict=True), 1)
        ]
        return "\n".join(cues).encode()
    if fmt == "txt":
        return "".join(f"{t}\n" for t in texts).encode()
    raise ValueError(f"unknown text format: {fmt}")


def _intervals(fmt: str, duration: float, rng: random.Random) -> bytes:
    spans = [
        (float(i * 10), round(min(duration, (i + 1) * 10.0), 3), round(rng.uniform(0.05, 0.99), 2))
        for i in range(math.ceil(duration / 10))
    ]
    if fmt == "json":
        rows = [{"start_time": s, "end_time": e, "confidence": c} for s, e, c in spans]
        return json.dumps(rows, indent=2).encode()
    if fmt == "txt":
        return "".join(f"{s:.3f}\t{e:.3f}\t{c:.2f}\n" for s, e, c in spans).encode()
    if fmt == "srt":
        return "\n".join(
            f"{i}\n{_srt_time(s)} --> {_srt_time(e)}\nmusic {c:.2f}\n"
            for i, (s, e, c) in enumerate(spans, 1)
        ).encode()
    raise ValueError(f"unknown text format: {fmt}")


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
