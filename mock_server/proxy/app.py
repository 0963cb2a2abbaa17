"""The validating reverse proxy: a Starlette app forwarding every request to the upstream
with httpx, checking each request and response against the spec on the way.

Bodies stream both ways in bounded memory: JSON bodies (requests of operations that take
JSON; responses that are JSON, text or an error) are read up to ``MAX_JSON_BYTES`` to be
checked and recorded, and anything larger, or any other body (uploads, downloads),
passes through chunk by chunk with only its status and headers checked.

Every answer carries ``X-Spec-Violations`` (findings of this exchange, request and
response; undocumented fields are counted apart in ``X-Spec-Undocumented``). With
``strict``, a request that breaks the spec is answered 400 (the mock's error body) and
never reaches the upstream; responses are never blocked.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from audioshake_kit.domain.spec import load_spec

from ..errors import error_body
from ..logs import AccessLog
from ..validation import spec_validators
from .cassette import CassetteWriter, MediaSink, redact_body
from .checks import NOT_JSON, SpecChecker
from .drift import DriftLog, Violation
from .operations import OperationIndex
from .urls import LINK_PREFIX, original_link, rewrite_links

__all__ = ["MAX_JSON_BYTES", "ProxyConfig", "ProxyState", "build_proxy"]

MAX_JSON_BYTES = 1 << 20  # the mock's cap on JSON bodies (mock_server.routes.common)
# httpcore scans every connection of a pool on each request: under 32 concurrent
# requests, one pool cost about 3 times the CPU per request of 8 pools taking turns
# (measured against the served mock; see bench/proxy.py).
CLIENT_SHARDS = 8
log = logging.getLogger("mock_server.proxy")

# Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself.
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "accept-encoding",
    }
)
_TEXTUAL = ("application/json", "text/", "application/problem+json")
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass
class ProxyConfig:
    """How the proxy runs. ``public_base_url``: its own address, for rewritten links."""

    upstream: str
    public_base_url: str = "http://127.0.0.1:8080"
    strict: bool = False
    keep_links: bool = False
    record_dir: Path | None = None
    cassette: str = "proxy-session"
    record_media: bool = False
    report: Path | None = None
    timeout: float = 300.0

    def __post_init__(self) -> None:
        self.upstream = self.upstream.rstrip("/")
        if not self.upstream.startswith(("http://", "https://")):
            raise ValueError(f"upstream {self.upstream!r}: an http:// or https:// URL")


@dataclass
class ProxyState:
    """What one proxy holds: its checks, the drift seen, the recorder, the upstream client."""

    config: ProxyConfig
    drift: DriftLog = field(default_factory=DriftLog)
    recorder: CassetteWriter | None = None
    origins: set[str] = field(default_factory=set)
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    _turn: int = 0
    _index: OperationIndex | None = None
    _checker: SpecChecker | None = None

    def __post_init__(self) -> None:
        spec = load_spec()
        self._index = OperationIndex(spec)
        self._checker = SpecChecker(spec, spec_validators())
        if self.config.record_dir is not None:
            self.recorder = CassetteWriter(
                self.config.record_dir, self.config.cassette, record_media=self.config.record_media
            )

    def client(self) -> httpx.AsyncClient:
        """The next upstream client, in turn (see ``CLIENT_SHARDS``)."""
        self._turn = (self._turn + 1) % len(self.clients)
        return self.clients[self._turn]

    @property
    def index(self) -> OperationIndex:
        assert self._index is not None
        return self._index

    @property
    def checker(self) -> SpecChecker:
        assert self._checker is not None
        return self._checker

    def finish(self) -> None:
        """Write the report and close the cassette (on shutdown; safe to call twice)."""
        if self.config.report is not None:
            self.config.report.parent.mkdir(parents=True, exist_ok=True)
            self.drift.write(self.config.report)
        if self.recorder is not None:
            self.recorder.close()


def build_proxy(state: ProxyState) -> Starlette:
    """The proxy app; its lifespan opens the upstream client and, on shutdown (SIGINT or
    SIGTERM under uvicorn), writes the report."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tls = httpx.create_ssl_context()  # one CA bundle load for every shard
        state.clients = [
            httpx.AsyncClient(
                verify=tls,
                timeout=httpx.Timeout(state.config.timeout, connect=30.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                follow_redirects=False,
                trust_env=False,
            )
            for _ in range(CLIENT_SHARDS)
        ]
        try:
            yield
        finally:
            for client in state.clients:
                await client.aclose()
            state.finish()

    async def endpoint(request: Request) -> Response:
        return await _handle(state, request)

    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=_METHODS)],
        middleware=[Middleware(AccessLog)],
        lifespan=lifespan,
    )


# -- bodies ---------------------------------------------------------------------------


async def _read_upto(
    chunks: AsyncIterator[bytes], cap: int
) -> tuple[bytes, AsyncIterator[bytes] | None]:
    """Up to ``cap`` bytes of ``chunks``: (all of it, None), or (what was read, the rest)
    when there is more."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > cap:

            async def rest(first: bytes = b"".join(parts)) -> AsyncIterator[bytes]:
                yield first
                async for more in chunks:
                    yield more

            return b"", rest()
    return b"".join(parts), None


def _parse(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return NOT_JSON


async def _tee(chunks: AsyncIterator[bytes], sink: MediaSink | None) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        if sink is not None:
            sink.feed(chunk)
        yield chunk


def _forward_headers(
    headers: Mapping[str, str], *, drop_keys: bool = False
) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in headers.items() if k.lower() not in _HOP]
    if drop_keys:  # a signed link's host gets no API key
        out = [(k, v) for k, v in out if k.lower() not in ("x-api-key", "authorization", "cookie")]
    out.append(("accept-encoding", "identity"))  # bodies are checked as they come
    return out


def _answer_headers(headers: httpx.Headers, *, buffered: bool) -> list[tuple[str, str]]:
    drop = _HOP | {"content-length", "content-encoding"} if buffered else _HOP
    return [(k, v) for k, v in headers.multi_items() if k.lower() not in drop]


def _textual(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith(_TEXTUAL)


# -- the exchange ---------------------------------------------------------------------


async def _handle(state: ProxyState, request: Request) -> Response:
    path: str = request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    if path.startswith(LINK_PREFIX):
        return await _link(state, request, query)
    method = request.method
    match = state.index.find(method, path)
    op = match.operation
    label = op or (f"{method} {match.template}" if match.template else "unknown")
    state.drift.count_request(label)
    checker = state.checker
    found: list[Violation] = []
    body: bytes | None = None
    stream: AsyncIterator[bytes] | None = None
    sink: MediaSink | None = None
    if op is None:
        found.append(checker.unknown(method, path, match))
    if op is not None and checker.json_request(op):
        body, stream = await _read_upto(request.stream(), MAX_JSON_BYTES)
        parsed = _parse(body) if stream is None and body else None
        found += checker.request(op, request.query_params, request.headers, parsed)
        if stream is not None:
            found.append(
                Violation(op, "request", "$", "size", "JSON body larger than 1 MiB (not checked)")
            )
    else:
        if op is not None:
            found += checker.request(op, request.query_params, request.headers)
        if method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            sink = state.recorder.media_sink() if state.recorder else None
            stream = _tee(request.stream(), sink)
    if state.config.strict and any(not v.undocumented for v in found):
        state.drift.add(found)
        if sink is not None:
            sink.discard()
        message = "request breaks the spec: " + "; ".join(str(v) for v in found)
        return _json_answer(error_body(400, message), 400, len(found))

    url = f"{state.config.upstream}{request.scope.get('raw_path', path.encode()).decode('latin-1').split('?', 1)[0]}"
    if query:
        url += f"?{query}"
    recorded_body: bytes | None = body

    def request_body_for_record() -> bytes | str | None:
        if sink is not None:
            return sink.finish()
        return redact_body(recorded_body) if recorded_body else None

    return await _exchange(
        state,
        request,
        op,
        method,
        url,
        _forward_headers(request.headers),
        content=stream if stream is not None else body,
        found=found,
        record_request=request_body_for_record,
        on_fail=sink.discard if sink is not None else None,
    )


async def _link(state: ProxyState, request: Request, query: str) -> Response:
    """A rewritten output link: forwarded to the original URL (only an origin the proxy
    rewrote a link to in this session), the answer streamed back."""
    state.drift.count_request("download")
    raw = (
        request.scope.get("raw_path", request.scope["path"].encode())
        .decode("latin-1")
        .split("?", 1)[0]
    )
    try:
        origin, url = original_link(raw, query)
    except ValueError as exc:
        return _json_answer(error_body(404, str(exc)), 404, 0)
    if origin not in state.origins:
        message = f"{origin} is not the origin of a link this proxy rewrote"
        return _json_answer(error_body(403, message), 403, 0)
    return await _exchange(
        state,
        request,
        None,
        request.method,
        url,
        _forward_headers(request.headers, drop_keys=True),
        content=None,
        found=[],
        record_request=lambda: None,
        on_fail=None,
    )


async def _exchange(
    state: ProxyState,
    request: Request,
    op: str | None,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    *,
    content: bytes | AsyncIterator[bytes] | None,
    found: list[Violation],
    record_request: Callable[[], bytes | str | None],
    on_fail: Callable[[], None] | None,
) -> Response:
    client = state.client()
    upstream_request = client.build_request(method, url, headers=headers, content=content)
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        if on_fail is not None:
            on_fail()
        state.drift.add(found)
        message = f"upstream {state.config.upstream} failed: {type(exc).__name__}: {exc}"
        return _json_answer(error_body(502, message), 502, len(found))
    status = upstream.status_code
    content_type = upstream.headers.get("content-type")
    length = upstream.headers.get("content-length")
    small = length is None or (length.isdigit() and int(length) <= MAX_JSON_BYTES)
    buffer = method != "HEAD" and small and (_textual(content_type) or status >= 400)
    body: bytes | None = None
    rest: AsyncIterator[bytes] | None = None
    if buffer:
        try:
            body, rest = await _read_upto(upstream.aiter_bytes(), MAX_JSON_BYTES)
        except httpx.HTTPError:
            await upstream.aclose()
            raise
        if rest is None:
            await upstream.aclose()
    checked_body: Any = None
    if body is not None and rest is None and _textual(content_type):
        checked_body = _parse(body) if body else NOT_JSON
    if op is not None:
        found += state.checker.response(
            op,
            status,
            upstream.headers,
            checked_body if body is not None and rest is None else None,
        )
    state.drift.add(found)
    violations = sum(1 for v in found if not v.undocumented)
    undocumented = len(found) - violations
    marks = [("x-spec-violations", str(violations)), ("x-spec-undocumented", str(undocumented))]
    record_uri = f"{state.config.public_base_url}{request.url.path}" + (
        f"?{request.url.query}" if request.url.query else ""
    )

    def record(response_body: bytes | str) -> None:
        """Add this exchange to the cassette, when recording."""
        if state.recorder is not None:
            state.recorder.add(
                method=method,
                uri=record_uri,
                request_headers=request.headers.items(),
                request_body=record_request(),
                status=status,
                response_headers=upstream.headers.multi_items(),
                response_body=response_body,
            )

    if body is not None and rest is None:  # buffered: links rewritten, recorded now
        out_body = body
        if (
            not state.config.keep_links
            and checked_body is not NOT_JSON
            and checked_body is not None
            and b'"link"' in body  # most answers have none: skip the walk
        ):
            rewritten = rewrite_links(checked_body, state.config.public_base_url, state.origins)
            if rewritten != checked_body:
                out_body = orjson.dumps(rewritten)
        record(redact_body(out_body) if checked_body not in (None, NOT_JSON) else out_body)
        answer = Response(out_body, status, media_type=None)
        answer.raw_headers.extend(
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in [*_answer_headers(upstream.headers, buffered=True), *marks]
        )
        return answer

    # streamed: media (or an oversized JSON body) passes through chunk by chunk
    sink = state.recorder.media_sink() if state.recorder is not None and method != "HEAD" else None
    chunks = rest if rest is not None else upstream.aiter_raw()

    async def relay() -> AsyncIterator[bytes]:
        done = False
        try:
            async for chunk in chunks:
                if sink is not None:
                    sink.feed(chunk)
                yield chunk
            done = True
        finally:
            await upstream.aclose()
            if sink is not None and not done:
                sink.discard()
            if sink is not None and done:
                record(sink.finish())

    if method == "HEAD":
        record(b"")
    answer = StreamingResponse(relay(), status)
    answer.raw_headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in [*_answer_headers(upstream.headers, buffered=rest is not None), *marks]
    ]
    return answer


def _json_answer(body: dict[str, object], status: int, violations: int) -> Response:
    answer = Response(orjson.dumps(body), status, media_type="application/json")
    answer.raw_headers.append((b"x-spec-violations", str(violations).encode()))
    return answer
