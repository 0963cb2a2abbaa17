"""Durations from headers (mutagen, in the base install): what ``media.probe`` uses
when the ``[media]`` extra is not installed.

Exact for wav, aiff and flac (frame count and rate). For mp3, aac, m4a, mp4 and mov the
figure is the container's (or, for ADTS and untagged mp3, the bitrate's) and can differ
from the decoded length that the service bills, so the result says ``exact=False``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from .codes import NOT_DECODABLE
from .sniff import EXACT_FROM_HEADERS, VIDEO_FORMATS, MediaError, MediaInfo

__all__ = ["probe_headers"]


def _reader(fmt: str) -> Any:
    """The mutagen file class for a sniffed media type."""
    if fmt == "wav":
        from mutagen.wave import WAVE

        return WAVE
    if fmt == "aiff":
        from mutagen.aiff import AIFF

        return AIFF
    if fmt == "flac":
        from mutagen.flac import FLAC

        return FLAC
    if fmt == "mp3":
        from mutagen.mp3 import MP3

        return MP3
    if fmt == "aac":
        from mutagen.aac import AAC

        return AAC
    from mutagen.mp4 import MP4  # m4a, mp4 and mov share the ISO/QuickTime atom layout

    return MP4


def probe_headers(path: str | os.PathLike[str], fmt: str) -> MediaInfo:
    """``path``, of sniffed media type ``fmt``, from its headers. Raises MediaError 4001
    when they cannot be read (the ``[media]`` extra decodes instead of reading headers)."""
    from mutagen import MutagenError

    try:
        info = _reader(fmt)(path).info
    except (MutagenError, OSError, ValueError) as exc:
        raise MediaError(NOT_DECODABLE, f"media headers could not be read: {fmt}: {exc}") from None
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0:
        raise MediaError(NOT_DECODABLE, f"media headers could not be read: {fmt}: no duration")
    channels = getattr(info, "channels", None) or None
    rate = getattr(info, "sample_rate", None) or None
    kind: Literal["audio", "video"] = "video" if fmt in VIDEO_FORMATS else "audio"
    return MediaInfo(
        fmt, kind, length, channels, rate, True, kind == "video", fmt in EXACT_FROM_HEADERS
    )
