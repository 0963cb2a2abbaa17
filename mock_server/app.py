"""``build_app(state)``: the mock as a Starlette ASGI app.

Public routes come from ``routes.PUBLIC_ROUTES`` and run through ``endpoint.public``;
downloads through signed links live under ``/files/``; test controls under ``/_mock/``
and the dashboard at ``/_mock/ui/`` (unless ``admin=False``; ``GET /_mock/health``
stays). ``logs.AccessLog`` logs each
request when ``audioshake-mock serve`` has turned the access log on. The route table is built once per process: each endpoint
serves the state of the app it is called in (``app.state.mock``, ``app.state.admin``),
so building an app per test costs little. Under a real clock a background ticker
applies due state changes and sends webhooks from a worker thread; under a manual clock
nothing moves until the clock does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audioshake_kit.domain.spec import data_text

from .admin import MockAdmin
from .admin.routes import admin_routes, health_route
from .config import MockConfig
from .endpoint import JSONResponse, plain, public
from .errors import error_body
from .logs import AccessLog
from .routes import PUBLIC_ROUTES
from .routes.common import Operations
from .routes.files import download
from .state import MockState

__all__ = ["build_app"]

TICK_INTERVAL_S = 0.05


def build_app(state: MockState | None = None, *, config: MockConfig | None = None) -> Starlette:
    """The mock serving ``state`` (a new one from ``config`` when not given)."""
    state = state or MockState(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ticker = None
        if state.clock.mode == "real":
            ticker = asyncio.create_task(_ticker(state))
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    app = Starlette(
        routes=_routes(state.config.admin),
        middleware=[
            Middleware(AccessLog),  # outermost: it sees the request id of every answer
            Middleware(
                RequestIdMiddleware,
                state=state,
                cors={
                    "allow_origins": state.config.cors_origins,
                    "allow_methods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                    "allow_headers": ["*"],
                    "expose_headers": [
                        "X-Request-Id",
                        "Retry-After",
                        "X-RateLimit-Limit",
                        "X-RateLimit-Remaining",
                        "X-RateLimit-Reset",
                    ],
                },
            ),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.mock = state
    app.state.admin = MockAdmin(state)
    return app


@functools.cache
def _routes(admin: bool) -> tuple[BaseRoute, ...]:
    """The route table, built once per process (with or without ``/_mock/``; the health
    check ``GET /_mock/health`` stays either way)."""
    routes: list[BaseRoute] = [_route(path, ops) for path, ops in PUBLIC_ROUTES]
    routes.append(Route("/files/{rest:path}", plain(download), methods=["GET", "HEAD"]))
    routes.append(Route("/openapi.yaml", _spec, methods=["GET"]))
    return (*routes, *admin_routes()) if admin else (*routes, health_route())


class RequestIdMiddleware:
    """Stamps ``X-Request-Id`` on answers no handler stamped (CORS preflights), so
    every response carries one, and applies CORS.

    Requests with an ``Origin`` header (browsers) go through Starlette's
    ``CORSMiddleware``. For the others (API clients) its only effect is ``Vary: Origin``
    on the answer, added here on the raw header list: the full middleware costs about as
    much per request as the mock's own handling of ``GET /tasks/{id}``."""

    def __init__(self, app: ASGIApp, state: MockState, cors: dict[str, Any]) -> None:
        self.app, self.state = app, state
        self.cors = CORSMiddleware(app, **cors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        browser = any(name == b"origin" for name, _ in scope["headers"])

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message["headers"] = list(message.get("headers", []))
                names = {name.lower() for name, _ in raw}
                if not browser:
                    if b"vary" in names:  # merge, as CORSMiddleware does
                        headers = MutableHeaders(scope=message)
                        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
                    else:
                        raw.append((b"vary", b"Origin"))
                if b"x-request-id" not in names:
                    rid = self.state.journal.next_request_id()
                    raw.append((b"x-request-id", rid.encode("latin-1")))
            await send(message)

        await (self.cors if browser else self.app)(scope, receive, stamped)


def _route(path: str, ops: Operations) -> Route:
    handlers = {method: public(op_id, fn) for method, (op_id, fn) in ops.items()}

    async def dispatch(request: Request) -> Response:
        # Starlette adds HEAD to every GET route (and to Allow): answer it as GET.
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))


async def _spec(request: Request) -> Response:
    return PlainTextResponse(data_text("audioshake.yaml"), media_type="application/yaml")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    state: MockState = request.app.state.mock
    message = {
        404: f"no route for {request.url.path}",
        405: f"{request.method} is not allowed here",
    }
    body = error_body(exc.status_code, message.get(exc.status_code, str(exc.detail)))
    response = JSONResponse(body, exc.status_code, dict(exc.headers or {}))
    response.headers["X-Request-Id"] = state.journal.next_request_id()
    return response


async def _ticker(state: MockState) -> None:
    """Real clock: apply due changes (in memory, on the loop) and send due webhooks from
    a worker thread (sending is blocking I/O), only when some are due: a thread hop on
    every tick would cost a busy server GIL handoffs. Cancelled at shutdown: the thread
    stops after its current attempt and is not waited for."""
    stop = threading.Event()
    try:
        while True:
            if state.store.deliveries_due():
                await anyio.to_thread.run_sync(state.run_due, stop, abandon_on_cancel=True)
            await asyncio.sleep(TICK_INTERVAL_S)
    finally:
        stop.set()
