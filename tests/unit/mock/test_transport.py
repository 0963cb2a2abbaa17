"""The in-process transport: ordinary bodies are collected; a ``FileResponse`` uses the
``http.response.pathsend`` extension and its file is read on the caller's thread. The app
runs on the calling thread's own loop (no thread hand-off), or, from a thread that is
running a loop, on the one shared loop thread; a given portal is used when given."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from mock_server.transport import ASGIPortalTransport

DATA = bytes(range(256)) * 20_000  # 5 MB, several read chunks


@pytest.fixture(params=["own loop", "portal"])
def client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    target = tmp_path / "data.bin"
    target.write_bytes(DATA)
    seen: list[object] = []

    async def file(request: Request) -> Response:
        seen.append(request.scope["extensions"])
        return FileResponse(target)

    async def text(request: Request) -> Response:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/file", file), Route("/text", text)])
    if request.param == "own loop":
        with httpx.Client(transport=ASGIPortalTransport(app), base_url="http://mock") as c:
            c.seen = seen  # type: ignore[attr-defined]
            yield c
        return
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


# -- where the app runs -------------------------------------------------------------------


async def _where(request: Request) -> Response:
    loop = asyncio.get_running_loop()
    return PlainTextResponse(f"{threading.get_ident()} {id(loop)}")


def _where_client() -> httpx.Client:
    app = Starlette(routes=[Route("/where", _where)])
    return httpx.Client(transport=ASGIPortalTransport(app), base_url="http://mock")


def _where_of(c: httpx.Client) -> tuple[int, int]:
    thread, loop = c.get("/where").text.split()
    return int(thread), int(loop)


def test_the_app_runs_on_the_calling_thread_on_one_loop_kept_for_that_thread() -> None:
    with _where_client() as c:
        first, second = _where_of(c), _where_of(c)
    assert first[0] == threading.get_ident()
    assert first == second  # the same loop, kept


def test_from_a_running_loop_the_app_runs_on_the_shared_loop_thread() -> None:
    async def call() -> tuple[int, int]:
        with _where_client() as c:
            return _where_of(c)

    thread_a, loop_a = asyncio.run(call())
    thread_b, loop_b = asyncio.run(call())
    assert thread_a != threading.get_ident()
    assert (thread_a, loop_a) == (thread_b, loop_b)  # one shared loop for the process


def test_threads_each_use_their_own_loop_and_it_closes_when_the_thread_ends() -> None:
    loops: dict[int, asyncio.AbstractEventLoop] = {}

    async def record(request: Request) -> Response:
        loops[threading.get_ident()] = asyncio.get_running_loop()
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", record)])
    client = httpx.Client(transport=ASGIPortalTransport(app), base_url="http://mock")

    threads = 6
    together = threading.Barrier(threads, timeout=30)  # six threads at once, not one reused

    def work() -> list[int]:
        together.wait()
        return [client.get("/").status_code for _ in range(20)]

    with client, concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: work(), range(threads)))
    assert results == [[200] * 20] * threads
    assert len({id(loop) for loop in loops.values()}) == len(loops) == threads
    gc.collect()
    assert all(loop.is_closed() for loop in loops.values())


def test_an_async_generator_a_request_left_open_is_closed_when_its_thread_ends() -> None:
    closed: list[bool] = []

    async def numbers() -> Any:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def partial(request: Request) -> Response:
        async for _ in numbers():
            break  # left open: the loop is asked to close it later
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", partial)])
    with httpx.Client(transport=ASGIPortalTransport(app), base_url="http://mock") as client:
        thread = threading.Thread(target=lambda: client.get("/"))
        thread.start()
        thread.join(timeout=30)
    assert not thread.is_alive()
    gc.collect()
    assert closed == [True]
