"""A synchronous httpx transport into an ASGI app (what Starlette's TestClient does,
without its httpx2 preference). Each request blocks until the app has answered.

Where the app runs: on the calling thread, in an event loop of that thread's own (made
on first use and kept), so a request costs no hand-off between threads. A thread that is
already running a loop (async code calling the sync client) hands the request to one
process-wide loop thread instead; a transport given a ``portal`` uses that portal.

The transport offers the ASGI ``http.response.pathsend`` extension, as file-serving
servers do: a ``FileResponse`` hands over its path instead of streaming chunks through
the event loop, and the response body is read from that file on the caller's thread."""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import IO, Any, TypeVar

import anyio.from_thread
import httpx
from starlette.types import ASGIApp, Message

__all__ = ["ASGIPortalTransport", "run_blocking"]

_FILE_CHUNK = 1 << 20
T = TypeVar("T")


class _FileStream(httpx.SyncByteStream):
    """A response body read from a file opened when the app sent its path."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(_FILE_CHUNK):
            yield chunk

    def close(self) -> None:
        self._file.close()


class _OwnLoop:
    """An event loop that belongs to one thread, kept in that thread's locals: it is
    closed when the thread ends and its locals are dropped (the main thread's at exit)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        """Let what is still scheduled finish (async generators a request left open are
        closed by tasks the loop runs later), then close the loop, as ``asyncio.run``
        ends."""
        loop = self.loop
        if loop.is_running() or loop.is_closed():
            return
        try:
            loop.run_until_complete(_settle())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def __del__(self) -> None:
        self.close()


async def _settle() -> None:
    for _ in range(3):  # scheduled callbacks run, the tasks they make take their steps
        await asyncio.sleep(0)
    pending = asyncio.all_tasks() - {asyncio.current_task()}
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


_LOCAL = threading.local()


def _own_loop() -> _OwnLoop:
    own: _OwnLoop | None = getattr(_LOCAL, "own", None)
    if own is None or own.loop.is_closed():
        own = _LOCAL.own = _OwnLoop()
    return own


@atexit.register
def _close_own_loop() -> None:  # atexit runs on the main thread: its loop
    own: _OwnLoop | None = getattr(_LOCAL, "own", None)
    if own is not None:
        own.close()


_SHARED_LOCK = threading.Lock()
_shared: asyncio.AbstractEventLoop | None = None


def _shared_loop() -> asyncio.AbstractEventLoop:
    """One loop thread for the whole process (a daemon, started on first use): where
    requests go from threads that are running a loop of their own."""
    global _shared
    with _SHARED_LOCK:
        if _shared is None:
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="audioshake-mock-loop", daemon=True
            ).start()
            _shared = loop
        return _shared


def run_blocking(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """``await fn(*args)`` from synchronous code, blocking until it is done: on this
    thread's own loop, or on the shared loop thread when this thread runs a loop now."""
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        shared = _shared_loop()
        if running is shared:
            raise RuntimeError("the in-process mock cannot be called from its own loop thread")
        return asyncio.run_coroutine_threadsafe(fn(*args), shared).result()
    own = _own_loop()
    task = own.loop.create_task(fn(*args))
    try:
        return own.loop.run_until_complete(task)
    except BaseException:
        if not task.done():  # interrupted mid-run (Ctrl-C): start afresh next time
            _LOCAL.own = None
        raise


class ASGIPortalTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: ASGIApp,
        portal: anyio.from_thread.BlockingPortal | None = None,
        *,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self.portal = portal
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        if self.portal is None:
            status, headers, body = run_blocking(self._call, request)
        else:
            status, headers, body = self.portal.call(self._call, request)
        if isinstance(body, bytes):
            return httpx.Response(status, headers=headers, content=body, request=request)
        return httpx.Response(status, headers=headers, stream=_FileStream(body), request=request)

    async def _call(
        self, request: httpx.Request
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes | IO[bytes]]:
        url = request.url
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": self.client,
            "root_path": "",
            "extensions": {"http.response.pathsend": {}},
        }
        chunks = iter(request.stream)  # type: ignore[arg-type]
        request_done = False
        started = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()
        file: IO[bytes] | None = None
        response_done = anyio.Event()

        async def receive() -> Message:
            nonlocal request_done
            if request_done:
                await response_done.wait()
                return {"type": "http.disconnect"}
            chunk = next(chunks, None)
            if chunk is None:
                request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: Message) -> None:
            nonlocal started, status, headers, file
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    response_done.set()
            elif message["type"] == "http.response.pathsend":
                file = open(message["path"], "rb")  # noqa: SIM115 (closed by the stream)
                response_done.set()

        try:
            try:
                await self.app(scope, receive, send)
            finally:
                response_done.set()
        except BaseException as exc:
            if file is not None:
                file.close()
            broken = isinstance(exc, Exception) and not isinstance(exc, httpx.TransportError)
            if started and broken:
                raise httpx.RemoteProtocolError(f"connection broken: {exc}") from exc
            raise
        return status, headers, bytes(body) if file is None else file
