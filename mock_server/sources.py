"""Where task inputs come from without any network: uploaded assets, media registered
for a URL with the admin API, or seeded synthetic media for any other HTTPS URL."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urldefrag

from audioshake_kit.domain.media import MediaError, probe

from .records import MediaSource

__all__ = ["MediaRegistry", "probe_source", "synthetic_duration", "url_seed"]

MIN_SYNTH_S, MAX_SYNTH_S = 30.0, 300.0


def probe_source(path: Path) -> MediaSource:
    """A MediaSource for a stored file; undecodable media becomes a planned failure."""
    try:
        info = probe(path)
    except MediaError as exc:
        from audioshake_kit.domain.media import sniff_file

        fmt = sniff_file(path) or "bin"
        kind: Literal["audio", "text"] = "text" if fmt in ("txt", "json") else "audio"
        return MediaSource(
            kind=kind, format=fmt, duration=None, path=path, error=(exc.code, exc.message)
        )
    return MediaSource(
        kind=info.kind,
        format=info.format,
        duration=info.duration,
        channels=info.channels,
        path=path,
    )


def url_seed(url: str) -> int:
    """A stable seed for synthetic media of ``url`` (same in every process)."""
    return int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big")


def synthetic_duration(url: str) -> float:
    """``#duration=SECONDS`` when the URL has it, else drawn from the URL's hash (30–300 s)."""
    _, fragment = urldefrag(url)
    values = parse_qs(fragment).get("duration")
    if values:
        try:
            seconds = float(values[0])
        except ValueError:
            seconds = -1.0
        if 0 < seconds <= 6 * 3600:
            return seconds
    h = int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big")
    return round(MIN_SYNTH_S + (h % 1_000_000) / 1_000_000 * (MAX_SYNTH_S - MIN_SYNTH_S), 3)


class MediaRegistry:
    """URL → media, as registered with ``POST /_mock/media``."""

    def __init__(self) -> None:
        self._by_url: dict[str, MediaSource] = {}

    def register(self, url: str, source: MediaSource) -> None:
        self._by_url[url] = source

    def resolve(self, url: str) -> MediaSource:
        known = self._by_url.get(url)
        if known is not None:
            return known
        return MediaSource(
            kind="audio",
            format="wav",
            duration=synthetic_duration(url),
            channels=2,
            synth_seed=url_seed(url),
        )
