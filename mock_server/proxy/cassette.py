"""Recording: every exchange through the proxy appended to one VCR.py cassette per
session (``DIR/NAME.yaml``), in the YAML format VCR.py and pytest-recording replay.

Secrets never reach the file: the ``x-api-key``, ``Authorization``, ``Cookie`` and
``Set-Cookie`` headers are replaced by ``REDACTED``, and so are the signature and key
parameters of signed URLs, in request URIs and in every string of a JSON body
(``urls.redact_url``: a replayed client reads a redacted link and asks for the same
redacted URI, so playback still matches). Media bodies (uploads and downloads) become a
placeholder naming their size and SHA-256; with ``record_media`` the bytes are written
beside the cassette as ``NAME.media/<sha256>`` (never inline).

The file is appended to, one interaction at a time, so a proxy that is killed leaves a
cassette of everything answered so far: ``interactions:`` is written before the first
one and ``version: 1`` goes first, so the partial file is valid YAML at every step.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from .urls import REDACTED, redact_json, redact_url

__all__ = ["SECRET_HEADERS", "CassetteWriter", "MediaSink", "placeholder"]

SECRET_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
_DROPPED = frozenset({"transfer-encoding", "connection", "keep-alive", "content-encoding"})
PLACEHOLDER_PREFIX = "<media "


def placeholder(size: int, sha256: str, file: str | None = None) -> str:
    """The text standing for a media body in a cassette."""
    where = f", file {file}" if file else ", not recorded"
    return f"{PLACEHOLDER_PREFIX}{size} bytes, sha256 {sha256}{where}>"


class MediaSink:
    """Size and SHA-256 of a streamed body; with ``into`` (a folder), the bytes too, in a
    temporary file renamed to ``<sha256>`` by ``finish``."""

    def __init__(self, into: Path | None) -> None:
        self.size = 0
        self._hash = hashlib.sha256()
        self._into = into
        self._file: Any = None
        if into is not None:
            into.mkdir(parents=True, exist_ok=True)
            self._file = tempfile.NamedTemporaryFile(dir=into, prefix=".part-", delete=False)  # noqa: SIM115 (kept open across feeds)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._hash.update(chunk)
        if self._file is not None:
            self._file.write(chunk)

    def finish(self) -> str:
        """The placeholder for the body (the file, if kept, is in place)."""
        digest = self._hash.hexdigest()
        if self._file is None or self._into is None:
            return placeholder(self.size, digest)
        self._file.close()
        final = self._into / digest
        os.replace(self._file.name, final)
        self._file = None
        return placeholder(self.size, digest, f"{self._into.name}/{digest}")

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            Path(self._file.name).unlink(missing_ok=True)
            self._file = None


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in items:
        low = name.lower()
        if low in _DROPPED:
            continue
        if low in SECRET_HEADERS:
            value = REDACTED
        elif low in ("location", "content-location"):
            value = redact_url(value)
        out.setdefault(low, []).append(value)
    return out


def _text(body: bytes | str | None) -> str | bytes | None:
    if body is None or isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # YAML !!binary: vcrpy loads it as bytes


def redact_body(body: bytes, json_body: Any = None) -> bytes:
    """A JSON body with its secrets redacted (``json_body``: already parsed), else as is."""
    import orjson

    if json_body is None:
        try:
            json_body = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
    return orjson.dumps(redact_json(json_body))


class CassetteWriter:
    """Appends interactions to ``folder/name.yaml``; media files go to ``folder/name.media/``."""

    def __init__(self, folder: Path, name: str, *, record_media: bool = False) -> None:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"cassette name {name!r}: a plain file name, without folders")
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{name}.yaml"
        if self.path.exists():
            raise FileExistsError(f"{self.path} exists: choose another cassette name")
        self.media_dir = folder / f"{name}.media" if record_media else None
        self.count = 0
        self._lock = threading.Lock()
        self.path.write_text("version: 1\n", "utf-8")

    def media_sink(self) -> MediaSink:
        return MediaSink(self.media_dir)

    def add(
        self,
        *,
        method: str,
        uri: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes | str | None,
        status: int,
        response_headers: Iterable[tuple[str, str]],
        response_body: bytes | str,
    ) -> None:
        """One exchange. Bodies given here are written as they are (redact JSON with
        ``redact_body``, replace media with a ``MediaSink`` placeholder first)."""
        response = _headers(response_headers)
        size = len(response_body.encode() if isinstance(response_body, str) else response_body)
        response["content-length"] = [str(size)]
        request = _headers(request_headers)
        request.pop("content-length", None)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        interaction: Mapping[str, Any] = {
            "request": {
                "method": method,
                "uri": redact_url(uri),
                "body": _text(request_body),
                "headers": request,
            },
            "response": {
                "status": {"code": status, "message": reason},
                "headers": response,
                "body": {"string": _text(response_body)},
            },
        }
        text = yaml.safe_dump([interaction], default_flow_style=False, allow_unicode=True)
        with self._lock:
            with self.path.open("a", encoding="utf-8") as fh:
                if self.count == 0:
                    fh.write("interactions:\n")
                fh.write(text)
                fh.flush()
            self.count += 1

    def close(self) -> None:
        """An empty session still leaves a loadable cassette (no interactions)."""
        with self._lock:
            if self.count == 0:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write("interactions: []\n")
                self.count = -1  # closed
