"""The in-process transport: ordinary bodies are collected; a ``FileResponse`` uses the
``http.response.pathsend`` extension and its file is read on the caller's thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio.from_thread
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from mock_server.transport import ASGIPortalTransport

DATA = bytes(range(256)) * 20_000  # 5 MB, several read chunks


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    target = tmp_path / "data.bin"
    target.write_bytes(DATA)
    seen: list[object] = []

    async def file(request: Request) -> Response:
        seen.append(request.scope["extensions"])
        return FileResponse(target)

    async def text(request: Request) -> Response:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/file", file), Route("/text", text)])
    with anyio.from_thread.start_blocking_portal() as portal:
        transport = ASGIPortalTransport(app, portal)
        with httpx.Client(transport=transport, base_url="http://mock") as c:
            c.seen = seen  # type: ignore[attr-defined]
            yield c


def test_a_file_response_is_sent_by_path_and_read_whole(client: httpx.Client) -> None:
    r = client.get("/file")
    assert r.status_code == 200
    assert r.content == DATA
    assert r.headers["content-length"] == str(len(DATA))
    assert "http.response.pathsend" in client.seen[0]  # type: ignore[attr-defined,index]


def _open_fds(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if fd.exists() and fd.resolve() == path)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_streamed_file_response_closes_its_file_when_closed_early(
    client: httpx.Client, tmp_path: Path
) -> None:
    path = (tmp_path / "data.bin").resolve()
    with client.stream("GET", "/file") as r:
        first = next(r.iter_raw())
        assert DATA.startswith(first) and 0 < len(first) < len(DATA)
        assert _open_fds(path) == 1
    assert _open_fds(path) == 0


def test_range_requests_still_stream_through_the_app(client: httpx.Client) -> None:
    r = client.get("/file", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == DATA[10:20]


def test_an_ordinary_body_is_collected(client: httpx.Client) -> None:
    r = client.get("/text")
    assert (r.status_code, r.text) == (200, "hello")
