"""What a file is, by its content (magic bytes, never its name), and the types the
probe answers with. ``media`` is the module to use; this one holds what the two ways of
reading a duration (``probe_exact``, ``probe_headers``) share."""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUDIO_FORMATS",
    "EXACT_FROM_HEADERS",
    "INPUT_MIME_TYPES",
    "MEDIA_EXTRA",
    "MEDIA_FORMATS",
    "MEDIA_SUFFIXES",
    "SNIFF_BYTES",
    "SUPPORTED_INPUTS",
    "SUPPORTED_MEDIA",
    "TEXT_FORMATS",
    "VBR_TAGS",
    "VIDEO_FORMATS",
    "MediaError",
    "MediaInfo",
    "UnknownMediaType",
    "id3_size",
    "sniff_bytes",
    "sniff_file",
]

AUDIO_FORMATS = frozenset({"wav", "aiff", "flac", "mp3", "aac", "m4a"})
VIDEO_FORMATS = frozenset({"mp4", "mov"})
MEDIA_FORMATS = AUDIO_FORMATS | VIDEO_FORMATS
TEXT_FORMATS = frozenset({"txt", "json"})
SNIFF_BYTES = 4096  # how much of a file sniffing looks at
# durations the base install reads exactly from headers; the others need the extra
EXACT_FROM_HEADERS = frozenset({"wav", "aiff", "flac"})
MEDIA_EXTRA = "audioshake-kit[media]"  # what makes every duration exact

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
    """What a file holds. ``exact`` is False when the duration was read from headers that
    can differ from the decoded length (see the module docstring)."""

    format: str
    kind: Literal["audio", "video", "text"]
    duration: float | None  # seconds; None for text
    channels: int | None
    sample_rate: int | None
    has_audio: bool
    has_video: bool
    exact: bool = True


# -- sniffing ----------------------------------------------------------------------------

_MPEG_BITRATES = {  # kbit/s by (version is MPEG-1, layer) for bitrate index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
VBR_TAGS = (b"Xing", b"Info", b"VBRI")
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
        return "flac" if head[id3_size(head) :][:4] == b"fLaC" else "mp3"
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


def id3_size(head: bytes) -> int:
    """Bytes of the ID3v2 tag ``head`` starts with (0 if none)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)
