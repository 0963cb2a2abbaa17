"""A synchronous httpx transport into an ASGI app, through an anyio blocking portal
(what Starlette's TestClient does, without its httpx2 preference). The app runs on the
portal's event loop thread; each request blocks until the app has answered.

The transport offers the ASGI ``http.response.pathsend`` extension, as file-serving
servers do: a ``FileResponse`` hands over its path instead of streaming chunks through
the event loop, and the response body is read from that file on the caller's thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import anyio.from_thread
import httpx
from starlette.types import ASGIApp, Message

__all__ = ["ASGIPortalTransport"]

_FILE_CHUNK = 1 << 20


class _FileStream(httpx.SyncByteStream):
    """A response body read from a file opened when the app sent its path."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(_FILE_CHUNK):
            yield chunk

    def close(self) -> None:
        self._file.close()


class ASGIPortalTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: ASGIApp,
        portal: anyio.from_thread.BlockingPortal,
        *,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self.portal = portal
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
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
