"""The one media probe: file type by content, then duration, channels and rate by PyAV
(uncompressed and FLAC files by libsndfile first: a tenth of the time, same answer).

Used by the mock (to bill and to plan target failures) and by the facade's offline
``estimate()``, so an estimate always equals the charge. Types are decided by magic
bytes, never by file name.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av
import soundfile

from .codes import NO_AUDIO, NOT_DECODABLE, TRANSCRIPT_UNREADABLE

__all__ = [
    "AUDIO_FORMATS",
    "INPUT_MIME_TYPES",
    "MEDIA_FORMATS",
    "MEDIA_SUFFIXES",
    "SNIFF_BYTES",
    "SUPPORTED_INPUTS",
    "SUPPORTED_MEDIA",
    "TEXT_FORMATS",
    "VIDEO_FORMATS",
    "MediaError",
    "MediaInfo",
    "UnknownMediaType",
    "probe",
    "probe_duration",
    "sniff_bytes",
    "sniff_file",
]

AUDIO_FORMATS = frozenset({"wav", "aiff", "flac", "mp3", "aac", "m4a"})
VIDEO_FORMATS = frozenset({"mp4", "mov"})
MEDIA_FORMATS = AUDIO_FORMATS | VIDEO_FORMATS
TEXT_FORMATS = frozenset({"txt", "json"})
SNIFF_BYTES = 4096  # how much of a file sniffing looks at

# file name suffixes that claim media (a batch reports such a file when its content is not)
MEDIA_SUFFIXES = frozenset(
    {"wav", "wave", "aif", "aiff", "aifc", "flac", "mp3", "aac", "m4a", "mp4", "m4v", "mov"}
    | {"ogg", "oga", "opus", "wma", "webm", "mkv", "caf"}  # media the service does not take
)
# what an upload of each sniffed type is sent as
INPUT_MIME_TYPES = {
    "wav": "audio/wav",
    "aiff": "audio/aiff",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "txt": "text/plain",
    "json": "application/json",
}
SUPPORTED_MEDIA = "wav, aiff, flac, mp3, aac/m4a, mp4, mov"  # for messages
SUPPORTED_INPUTS = f"{SUPPORTED_MEDIA}; txt or json transcripts"
UNSUPPORTED_TYPE = 415  # HTTP status of an upload with no known signature


class MediaError(Exception):
    """A file the service accepts but cannot use; ``code`` is the target error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnknownMediaType(MediaError):
    """No known signature: the service refuses such an upload (HTTP 415)."""

    def __init__(self, message: str = "content is not a supported audio, video or text type"):
        super().__init__(UNSUPPORTED_TYPE, message)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    format: str
    kind: Literal["audio", "video", "text"]
    duration: float | None  # seconds; None for text
    channels: int | None
    sample_rate: int | None
    has_audio: bool
    has_video: bool


# -- sniffing ----------------------------------------------------------------------------

_MPEG_BITRATES = {  # kbit/s by (version is MPEG-1, layer) for bitrate index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_VBR_TAGS = (b"Xing", b"Info", b"VBRI")
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _mpeg_frame_len(h: bytes) -> int | None:
    """Length of the MPEG audio frame whose 4-byte header is ``h``; None if not one."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    br_index, sr_index, padding = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or br_index in (0, 15) or sr_index == 3:
        return None
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, min(layer, 2) if not mpeg1 else layer)][br_index - 1] * 1000
    rate = _MPEG_RATES[version][sr_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    per = 144 if layer == 2 or mpeg1 else 72
    return per * bitrate // rate + padding


def _adts_frame_len(h: bytes) -> int | None:
    """Length of the ADTS frame whose header starts ``h``; None if not one."""
    if len(h) < 7 or h[0] != 0xFF or h[1] & 0xF6 != 0xF0 or (h[2] >> 2) & 0xF > 12:
        return None
    length = ((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5)
    return length if length >= 7 else None


def _frames_chain(head: bytes, frame_len: Callable[[bytes], int | None]) -> bool:
    """True when ``head`` starts with a frame that the next frame follows (or ends
    the file, or runs past the sniffed bytes)."""
    first = frame_len(head)
    if first is None:
        return False
    if len(head) >= first + 7:
        return frame_len(head[first : first + 8]) is not None
    return len(head) >= SNIFF_BYTES or len(head) == first


def _sniff_text(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    try:  # a full window may end inside a multi-byte character; a shorter one is the file
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return None
    if not text.strip() or any(c < " " and c not in "\t\n\r\f\v" for c in text):
        return None
    return "json" if text.lstrip()[:1] in ("{", "[") else "txt"


def sniff_bytes(head: bytes) -> str | None:
    """The file type of content starting with ``head`` (magic bytes), or None."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3" and len(head) >= 10:
        return "flac" if head[_id3_size(head) :][:4] == b"fLaC" else "mp3"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return (
            "m4a" if brand in (b"M4A ", b"M4B ", b"M4P ") else "mov" if brand == b"qt  " else "mp4"
        )
    if head[4:8] in _QUICKTIME_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return "mov"
    if _frames_chain(head, _adts_frame_len):
        return "aac"
    if _frames_chain(head, _mpeg_frame_len):
        return "mp3"
    return _sniff_text(head)


def sniff_file(path: str | os.PathLike[str]) -> str | None:
    """The file type of ``path`` by content; reads only its first ``SNIFF_BYTES``."""
    with open(path, "rb") as fh:
        return sniff_bytes(fh.read(SNIFF_BYTES))


# -- probing -----------------------------------------------------------------------------


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """What ``path`` holds. Raises UnknownMediaType, or MediaError 4001/4003/4005."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        fmt = sniff_bytes(head)
        if fmt is None:
            raise UnknownMediaType()
        if fmt == "mp3":  # the Xing/Info/VBRI tag sits in the first frame, after any ID3
            fh.seek(_id3_size(head))
            head = fh.read(SNIFF_BYTES)
    if fmt in TEXT_FORMATS:
        _check_text(path, fmt)
        return MediaInfo(fmt, "text", None, None, None, False, False)
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
        trusted = fmt != "aac" and (fmt != "mp3" or any(t in head for t in _VBR_TAGS))
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


def probe_duration(path: str | os.PathLike[str]) -> float:
    """Seconds of audio in ``path``; MediaError for text or undecodable files."""
    duration = probe(path).duration
    if duration is None:
        raise MediaError(NOT_DECODABLE, "a text file has no duration")
    return duration


def _is_cover_art(stream: Any) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _id3_size(head: bytes) -> int:
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


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


def _check_text(path: str | os.PathLike[str], fmt: str) -> None:
    """Raise 4005 unless ``path`` is UTF-8 (and, for json, parses)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts: list[str] = []
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                text = decoder.decode(chunk)
                if fmt == "json":
                    parts.append(text)
            parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise MediaError(TRANSCRIPT_UNREADABLE, f"transcript is not UTF-8 text: {exc}") from None
    if fmt == "json":
        try:
            json.loads("".join(parts))
        except ValueError as exc:
            raise MediaError(
                TRANSCRIPT_UNREADABLE, f"transcript is not valid JSON: {exc}"
            ) from None
