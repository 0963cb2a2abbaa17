"""``POST /assets`` bodies, streamed once straight to the data dir.

python-multipart's streaming parser is fed the request stream chunk by chunk; the
``file`` part is written to a temporary file as it arrives and counted, so a body is
never buffered whole. A declared Content-Length above the limit is refused before
reading; an actual size above it stops the stream and deletes the partial file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from python_multipart.multipart import MultipartParser, parse_options_header

from audioshake_kit.domain.media import sniff_bytes

from .errors import MockError

__all__ = ["MULTIPART_OVERHEAD", "Upload", "declares_more_than", "receive_upload"]

MULTIPART_OVERHEAD = 64 * 1024
SNIFF_BYTES = 4096


@dataclass(slots=True)
class Upload:
    name: str
    path: Path
    size: int
    format: str


def declares_more_than(headers: Mapping[str, str], limit: int) -> bool:
    """Whether the request's Content-Length announces a body above ``limit`` bytes."""
    declared = headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def check_declared_size(headers: Mapping[str, str], max_bytes: int) -> None:
    """413 from the headers alone, before a byte of the body is read."""
    if declares_more_than(headers, max_bytes + MULTIPART_OVERHEAD):
        raise MockError(413, f"file: larger than the {max_bytes}-byte limit (2 GiB)")


async def receive_upload(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], tmp_dir: Path, max_bytes: int
) -> Upload:
    content_type, params = parse_options_header(headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise MockError(415, "body must be multipart/form-data with a 'file' field")
    check_declared_size(headers, max_bytes)  # 413 before any 400 (the contract's order)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MockError(400, "multipart body has no boundary")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    sink = _FileSink(tmp_dir, max_bytes)
    parser = MultipartParser(boundary, cast(Any, sink.callbacks()))
    try:
        async for chunk in stream:
            parser.write(chunk)
            if sink.too_large:
                raise MockError(413, f"file: larger than the {max_bytes}-byte limit (2 GiB)")
        parser.finalize()
        if not sink.ended:
            raise MockError(400, "multipart body is truncated")
        if sink.path is None:
            raise MockError(400, "file: required (multipart field 'file')")
        fmt = sniff_bytes(sink.head)
        if fmt is None:
            raise MockError(415, "file: content is not a supported audio, video or transcript type")
        return Upload(sink.filename or "upload", sink.path, sink.size, fmt)
    except BaseException as exc:
        sink.discard()
        if isinstance(exc, MockError):
            raise
        if isinstance(exc, Exception) and type(exc).__module__.startswith("python_multipart"):
            raise MockError(400, f"malformed multipart body: {exc}") from None
        raise
    finally:
        sink.close()


class _FileSink:
    """Parser callbacks that stream the ``file`` part to disk and ignore the rest."""

    def __init__(self, tmp_dir: Path, max_bytes: int) -> None:
        self.tmp_dir, self.max_bytes = tmp_dir, max_bytes
        self.path: Path | None = None
        self.filename: str | None = None
        self.size = 0
        self.head = b""
        self.too_large = False
        self.ended = False
        self._fh: IO[bytes] | None = None
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header_field = {}, b""

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        key = self._header_field.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def _headers_finished(self) -> None:
        self._header_field = b""
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_file = params.get(b"name") == b"file" and self._fh is None and self.path is None
        if self._in_file:
            raw = params.get(b"filename", b"upload")
            self.filename = raw.decode("utf-8", "replace")
            fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="upload-", suffix=".part")
            self.path = Path(name)
            self._fh = os.fdopen(fd, "wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self._fh is None:
            return
        chunk = memoryview(data)[start:end]  # no copy of the (up to 2 GiB) file's bytes
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.too_large = True
            return
        if len(self.head) < SNIFF_BYTES:
            self.head += bytes(chunk[: SNIFF_BYTES - len(self.head)])
        self._fh.write(chunk)

    def _part_end(self) -> None:
        if self._in_file and self._fh is not None:
            self._fh.close()
            self._fh = None
        self._in_file = False

    def _end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
