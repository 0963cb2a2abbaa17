"""A synchronous httpx transport into an ASGI app, through an anyio blocking portal
(what Starlette's TestClient does, without its httpx2 preference). The app runs on the
portal's event loop thread; each request blocks until the app has answered."""

from __future__ import annotations

from typing import Any

import anyio.from_thread
import httpx
from starlette.types import ASGIApp, Message

__all__ = ["ASGIPortalTransport"]


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
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _call(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
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
            "extensions": {},
        }
        chunks = iter(request.stream)  # type: ignore[arg-type]
        request_done = False
        started = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()
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
            nonlocal started, status, headers
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    response_done.set()

        try:
            try:
                await self.app(scope, receive, send)
            finally:
                response_done.set()
        except httpx.TransportError:
            raise
        except Exception as exc:
            if started:
                raise httpx.RemoteProtocolError(f"connection broken: {exc}") from exc
            raise
        return status, headers, bytes(body)
