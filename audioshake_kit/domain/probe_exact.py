"""Exact durations: PyAV decodes (libsndfile first for wav/aiff/flac: a tenth of the
time, same answer). Needs the ``[media]`` extra; ``media.probe`` imports this module only
when it is installed. The mock bills with it."""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, Literal

import av
import soundfile

from .codes import NO_AUDIO, NOT_DECODABLE
from .sniff import VBR_TAGS, MediaError, MediaInfo

__all__ = ["probe_exact"]


def probe_exact(path: str | os.PathLike[str], fmt: str, head: bytes) -> MediaInfo:
    """``path``, of sniffed media type ``fmt`` (``head``: its first bytes, after any
    ID3 tag), decoded. Raises MediaError 4001/4003."""
    if fmt in _LIBSNDFILE_FORMATS and (info := _probe_libsndfile(path, fmt)) is not None:
        return info
    # The wav demuxer reads megabytes while probing unless told not to.
    options = {"probesize": "4096"} if fmt == "wav" else {}
    try:
        container = av.open(os.fspath(path), options=options, metadata_errors="ignore")
    except Exception as exc:  # PyAV raises many FFmpegError subclasses (and OSError)
        raise MediaError(NOT_DECODABLE, f"media could not be decoded: {fmt}: {exc}") from None
    with container:
        video = [s for s in container.streams.video if not _is_cover_art(s)]
        if not container.streams.audio:
            raise MediaError(NO_AUDIO, f"no audio stream in the {fmt} file")
        stream = container.streams.audio[0]
        # ADTS and mp3 without a VBR tag have only a bitrate estimate of their duration.
        trusted = fmt != "aac" and (fmt != "mp3" or any(t in head for t in VBR_TAGS))
        duration = _duration(path, container, stream, fmt, trusted)
        channels, rate = stream.codec_context.channels, stream.codec_context.sample_rate
    if fmt in ("mp4", "m4a"):
        fmt = "mp4" if video else "m4a"
    kind: Literal["audio", "video"] = "video" if video else "audio"
    return MediaInfo(fmt, kind, duration, channels, rate, True, bool(video))


_LIBSNDFILE_FORMATS = frozenset({"wav", "aiff", "flac"})


def _probe_libsndfile(path: str | os.PathLike[str], fmt: str) -> MediaInfo | None:
    """The header's frame count, once a first block decodes; None leaves the file (and
    the verdict on anything unusual) to PyAV."""
    try:
        with soundfile.SoundFile(path) as f:
            if f.frames <= 0 or f.samplerate <= 0 or len(f.read(1024, dtype="int16")) == 0:
                return None
            duration = float(Fraction(f.frames, f.samplerate))
            return MediaInfo(fmt, "audio", duration, f.channels, f.samplerate, True, False)
    except (RuntimeError, ValueError):  # soundfile.LibsndfileError is a RuntimeError
        return None


def _is_cover_art(stream: Any) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _duration(
    path: str | os.PathLike[str], container: Any, stream: Any, fmt: str, trusted: bool
) -> float:
    """Stream duration (if ``trusted``), else the sum of packet durations, else the
    number of decoded samples. The first frame is always decoded: a stream must be real."""
    if stream.codec_context is None or not stream.codec_context.sample_rate:
        raise MediaError(NOT_DECODABLE, f"media could not be decoded: {fmt}: unknown codec")
    exact = trusted and stream.duration is not None and stream.time_base is not None
    ticks = decoded = 0
    untimed = stream.time_base is None
    try:
        for packet in container.demux(stream):
            if not decoded:
                decoded = sum(f.samples for f in packet.decode())
            if decoded and exact:
                break
            ticks += packet.duration or 0
            untimed = untimed or bool(packet.size and not packet.duration)
        if decoded and not exact and (untimed or not ticks):  # count every sample
            with av.open(os.fspath(path)) as again:
                decoded = sum(f.samples for f in again.decode(again.streams.audio[0]))
    except av.error.FFmpegError as exc:
        raise MediaError(NOT_DECODABLE, f"media could not be decoded: {fmt}: {exc}") from None
    if not decoded:
        raise MediaError(NOT_DECODABLE, f"media could not be decoded: {fmt}: no audio frames")
    if exact:
        seconds = Fraction(stream.duration) * stream.time_base
    elif not untimed and ticks:
        seconds = Fraction(ticks) * stream.time_base
    else:
        seconds = Fraction(decoded, stream.codec_context.sample_rate)
    return float(seconds)
