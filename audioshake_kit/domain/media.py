"""The one media probe: file type by content (magic bytes, never the name), then
duration, channels and rate.

Two ways to read the duration, chosen per call by ``probe``:

- exact (``probe_exact``: PyAV, and libsndfile first for wav/aiff/flac), with the
  ``[media]`` extra (the ``[mock]`` extra includes it). The mock bills with it, so an
  estimate made with it equals the charge.
- from the file's headers (``probe_headers``: mutagen, in the base install): exact for
  wav, aiff and flac; for mp3, aac, m4a, mp4 and mov it is the container's or the
  bitrate's figure, which can differ from the decoded length, so the result says
  ``exact=False`` and an estimate made from it is approximate.
"""

from __future__ import annotations

import codecs
import functools
import json
import os

from .codes import NOT_DECODABLE, TRANSCRIPT_UNREADABLE
from .sniff import (
    AUDIO_FORMATS,
    EXACT_FROM_HEADERS,
    INPUT_MIME_TYPES,
    MEDIA_EXTRA,
    MEDIA_FORMATS,
    MEDIA_SUFFIXES,
    SNIFF_BYTES,
    SUPPORTED_INPUTS,
    SUPPORTED_MEDIA,
    TEXT_FORMATS,
    VIDEO_FORMATS,
    MediaError,
    MediaInfo,
    UnknownMediaType,
    id3_size,
    sniff_bytes,
    sniff_file,
)

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
    "VIDEO_FORMATS",
    "MediaError",
    "MediaInfo",
    "UnknownMediaType",
    "exact_probing_available",
    "probe",
    "probe_duration",
    "sniff_bytes",
    "sniff_file",
]


# -- probing -----------------------------------------------------------------------------


@functools.cache
def exact_probing_available() -> bool:
    """Whether PyAV and libsndfile (the ``[media]`` extra) can be imported."""
    try:
        import av  # noqa: F401
        import soundfile  # noqa: F401
    except (ImportError, OSError):  # OSError: soundfile without its libsndfile
        return False
    return True


def probe(path: str | os.PathLike[str], *, exact: bool | None = None) -> MediaInfo:
    """What ``path`` holds. Raises UnknownMediaType, or MediaError 4001/4003/4005.

    ``exact=None`` decodes when the ``[media]`` extra is installed and reads headers
    otherwise; ``True`` always decodes (``ImportError`` naming the extra without it);
    ``False`` always reads headers."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        fmt = sniff_bytes(head)
        if fmt is None:
            raise UnknownMediaType()
        if fmt == "mp3":  # the Xing/Info/VBRI tag sits in the first frame, after any ID3
            fh.seek(id3_size(head))
            head = fh.read(SNIFF_BYTES)
    if fmt in TEXT_FORMATS:
        _check_text(path, fmt)
        return MediaInfo(fmt, "text", None, None, None, False, False)
    if exact is None:
        exact = exact_probing_available()
    if not exact:
        from .probe_headers import probe_headers

        return probe_headers(path, fmt)
    if not exact_probing_available():
        raise ImportError(
            f"exact media probing needs PyAV and soundfile: pip install '{MEDIA_EXTRA}'"
        )
    from .probe_exact import probe_exact

    return probe_exact(path, fmt, head)


def probe_duration(path: str | os.PathLike[str], *, exact: bool | None = None) -> float:
    """Seconds of audio in ``path``; MediaError for text or undecodable files."""
    duration = probe(path, exact=exact).duration
    if duration is None:
        raise MediaError(NOT_DECODABLE, "a text file has no duration")
    return duration


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
