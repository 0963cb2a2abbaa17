"""The pipeline every public request goes through, in the contract's order:

request id → due state changes → 401 → 429 (``Store.admit``) → HTTP faults (before) →
handler (413/415 → 400 → 403 → 404 → 402 inside) → HTTP faults (after) → headers →
journal → (test mode) response checked against the spec.

Handlers get the store, the request and the tenant: they parse, call the store, render.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import MockError, error_body
from .faults import HttpFault
from .ratelimit import Decision
from .records import Tenant
from .store import Store

if TYPE_CHECKING:
    from .state import MockState

__all__ = ["ConnectionDropped", "Handler", "JSONResponse", "plain", "public"]

Handler = Callable[[Store, Request, Tenant], Awaitable[Any]]


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app after the response started: the connection is cut.

    Over a socket uvicorn closes the connection; in process the httpx transport
    re-raises it, and as an ``httpx.RemoteProtocolError`` a client sees what it would
    see on the wire."""


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class InjectedResponse(JSONResponse):
    """An HTTP fault's status answer: deliberately outside the spec, so never checked."""


class DroppedResponse(Response):
    """Starts a response, then breaks the connection (a server sees a reset)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionDropped("mock: connection dropped (HTTP fault)")


def public(op_id: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one operation. It serves the ``MockState`` of the app it is called
    in (``app.state.mock``), so one route table serves every app of the process."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        state: MockState = request.app.state.mock
        rid = state.journal.next_request_id()
        key = request.headers.get("x-api-key")
        method: str = request.scope["method"]
        path = _path(request)
        decision: Decision | None = None
        store = state.store
        arrived: float | None = None
        try:
            # The journal dates a request when the limiter counted it, so a rolling
            # second read off the journal is the limiter's own.
            tenant, decision, arrived = store.admit(key)
            if decision is not None and not decision.allowed:
                raise MockError(
                    429,
                    f"rate limit of {decision.limit} requests per second exceeded",
                    {"Retry-After": str(decision.retry_after)},
                )
            fault = store.http_fault(method, path, key, "before")
            if fault is not None:
                response = await _apply(fault)
                if response is not None:
                    return _finish(
                        state,
                        request,
                        method,
                        path,
                        op_id,
                        response,
                        rid,
                        decision,
                        key,
                        arrived,
                        started,
                    )
            result = await handler(store, request, tenant)
            response = result if isinstance(result, Response) else JSONResponse(result)
            fault = store.http_fault(method, path, key, "after")
            if fault is not None:
                faulted = await _apply(fault)
                if faulted is not None:
                    response = faulted
        except MockError as exc:
            response = JSONResponse(error_body(exc.status, exc.message), exc.status, exc.headers)
        if arrived is None:  # refused before it was counted (401)
            arrived = store.now()
        return _finish(
            state, request, method, path, op_id, response, rid, decision, key, arrived, started
        )

    return endpoint


def _path(request: Request) -> str:
    """``request.url.path`` without building the URL (Starlette escapes only these)."""
    path: str = request.scope["path"]
    if "?" in path or "#" in path or "\\" in path:
        return request.url.path
    return path


async def _apply(fault: HttpFault) -> Response | None:
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.drop:
        return DroppedResponse()
    if fault.status is not None:
        return InjectedResponse(error_body(fault.status, "injected fault"), fault.status)
    return None


def _finish(
    state: MockState,
    request: Request,
    method: str,
    path: str,
    op_id: str,
    response: Response,
    rid: str,
    decision: Decision | None,
    key: str | None,
    arrived: float,
    started: float,
) -> Response:
    """Stamp the answer's headers and journal it. ``arrived``: when it counted (mock
    time); ``started``: ``perf_counter()`` when the endpoint began (its latency, wall
    time, injected delays included)."""
    # Raw header appends: every response here is fresh and carries none of these yet
    # (``response.headers[...] = `` builds a MutableHeaders and scans the list per header).
    raw = response.raw_headers
    raw.append((b"x-request-id", rid.encode("latin-1")))
    if decision is not None:
        raw.append((b"x-ratelimit-limit", str(decision.limit).encode("latin-1")))
        raw.append((b"x-ratelimit-remaining", str(decision.remaining).encode("latin-1")))
        raw.append((b"x-ratelimit-reset", str(decision.reset).encode("latin-1")))
    state.journal.record(
        {
            "time": arrived,
            "method": method,
            "path": path,
            "query": request.scope.get("query_string", b"").decode(),
            "operationId": op_id,
            "status": response.status_code,
            "key": key,
            "requestId": rid,
            "latencyMs": round((time.perf_counter() - started) * 1000, 3),
        }
    )
    if state.config.validate_responses and not isinstance(
        response, DroppedResponse | InjectedResponse
    ):
        state.validators.response(op_id, response.status_code, orjson.loads(response.body))
    return response


def plain(
    handler: Callable[[Store, Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A route outside the API (downloads through signed links): no key, not rate
    limited, not journaled; a request id and the error body all the same."""

    async def endpoint(request: Request) -> Response:
        state: MockState = request.app.state.mock
        rid = state.journal.next_request_id()
        try:
            response = await handler(state.store, request)
        except MockError as exc:
            response = JSONResponse(error_body(exc.status, exc.message), exc.status)
        response.headers["X-Request-Id"] = rid
        return response

    return endpoint
