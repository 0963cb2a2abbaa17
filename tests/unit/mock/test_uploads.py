"""Upload limits: a declared Content-Length over 2 GiB (+ multipart overhead) → 413
before the body is read; otherwise the size is enforced while streaming (413, partial
file deleted); a truncated multipart or a missing ``file`` field → 400; a body that is
not multipart → 415."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.harness import InProcessMock, ServedMock

from .conftest import MakeMedia
from .helpers import error, upload, upload_ok

BOUNDARY = "----audioshake-test-boundary"
LIMIT = 50_000


def multipart(fields: list[tuple[str, str | None, bytes]], *, close: bool = True) -> bytes:
    """A multipart/form-data body of (name, filename, data) parts."""
    out = b""
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def post_raw(client: httpx.Client, body: bytes | Iterator[bytes]) -> httpx.Response:
    return client.post(
        "/assets",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def leftovers(mock: InProcessMock) -> list[Path]:
    uploads = mock.state.data_dir / "uploads"
    return [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []


def read_http_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


@pytest.mark.slow
def test_a_declared_size_over_2_gib_is_refused_before_the_body_is_sent() -> None:
    with ServedMock() as mock, socket.create_connection(("127.0.0.1", mock.port), timeout=5) as s:
        s.sendall(
            b"POST /assets HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{mock.port}\r\n".encode()
            + b"x-api-key: test-key\r\n"
            + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n".encode()
            + b"Content-Length: 3000000000\r\n\r\n"
        )  # ... and not one byte of the 3 GB body
        status, headers, body = read_http_response(s)
    assert status == 413
    assert headers["x-request-id"]
    assert json.loads(body)["statusCode"] == 413


def test_just_over_the_limit_plus_overhead_is_refused_early(mock: InProcessMock) -> None:
    limit = mock.state.catalog.limits.max_upload_bytes
    assert limit == 2 * 1024**3
    request = mock.client.build_request(
        "POST",
        "/assets",
        content=b"",
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    request.headers["content-length"] = str(limit + 64 * 1024 + 1)
    error(mock.client.send(request), 413)
    request.headers["content-length"] = str(limit + 64 * 1024)  # allowed to start
    assert mock.client.send(request).status_code == 400  # ... then the body is empty


@pytest.mark.audioshake_mock(max_upload_bytes=LIMIT)
def test_a_body_over_the_limit_is_413_and_leaves_no_partial_file(mock: InProcessMock) -> None:
    big = b"text " * (LIMIT // 5 + 100)  # a valid txt, over the limit
    error(upload(mock.client, big, "big.txt"), 413)
    assert leftovers(mock) == []
    assert mock.client.get("/assets").json() == []


@pytest.mark.audioshake_mock(max_upload_bytes=LIMIT)
def test_a_streamed_body_without_content_length_is_counted(mock: InProcessMock) -> None:
    body = multipart([("file", "big.txt", b"words " * (LIMIT // 3))])

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    error(post_raw(mock.client, chunks()), 413)
    assert leftovers(mock) == []


@pytest.mark.audioshake_mock(max_upload_bytes=LIMIT)
def test_at_the_limit_is_accepted(mock: InProcessMock) -> None:
    exact = (b"la " * LIMIT)[:LIMIT]
    asset = upload_ok(mock.client, exact, "exact.txt")
    assert asset["size"] == LIMIT
    assert leftovers(mock) == []


def test_a_truncated_multipart_body_is_400(mock: InProcessMock, make_media: MakeMedia) -> None:
    data = make_media("wav", 1.0).read_bytes()
    whole = multipart([("file", "song.wav", data)])
    error(post_raw(mock.client, whole[: len(whole) // 2]), 400)
    error(post_raw(mock.client, multipart([("file", "song.wav", data)], close=False)), 400)
    assert leftovers(mock) == []
    assert mock.client.get("/assets").json() == []
    assert post_raw(mock.client, whole).status_code == 200  # the whole body is fine


def test_a_missing_file_field_is_400_naming_it(mock: InProcessMock) -> None:
    body = multipart([("upload", "song.txt", b"hello"), ("name", None, b"x")])
    assert "file" in error(post_raw(mock.client, body), 400)


def test_only_the_file_field_counts(mock: InProcessMock) -> None:
    body = multipart([("note", None, b"ignored"), ("file", "lyrics.txt", b"hello world\n")])
    r = post_raw(mock.client, body)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["format"], r.json()["size"]) == ("lyrics.txt", "txt", 12)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"file": "song.wav"}'),
        ("audio/wav", b"RIFF\x00\x00\x00\x00WAVE"),
        ("application/x-www-form-urlencoded", b"file=song.wav"),
        (None, b"raw bytes"),
    ],
)
def test_a_body_that_is_not_multipart_is_415(
    mock: InProcessMock, content_type: str | None, body: bytes
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    error(mock.client.post("/assets", content=body, headers=headers), 415)
