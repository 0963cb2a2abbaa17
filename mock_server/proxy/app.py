"""The validating reverse proxy: a Starlette app forwarding every request to the upstream
with aiohttp, checking each request and response against the spec on the way.

The upstream client is aiohttp's, not httpx's: in front of the served mock, under 32
concurrent connections on the 2-core CI machine, a bare forwarder (no checks) kept 2,137
requests/s with aiohttp and 235 with httpx (httpcore's pool scan and anyio's per-call
machinery; see the bench in ``bench/proxy.py``).

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

import logging
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import certifi
import orjson
from multidict import CIMultiDictProxy
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from yarl import URL

from audioshake_kit.domain.spec import load_spec

from ..errors import error_body
from ..logs import AccessLog
from ..validation import spec_validators
from .cassette import CassetteWriter, MediaSink, redact_body
from .checks import NOT_JSON, SpecChecker
from .drift import DriftLog, Violation
from .operations import OperationIndex
from .urls import LINK_PREFIX, original_link, rewrite_links, rewrite_links_raw

__all__ = ["MAX_JSON_BYTES", "ProxyConfig", "ProxyState", "build_proxy"]

MAX_JSON_BYTES = 1 << 20  # the mock's cap on JSON bodies (mock_server.routes.common)
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
_HOP_BYTES = frozenset(h.encode() for h in _HOP)
# Headers aiohttp would add on its own: the proxy forwards the client's, or none.
_NOT_ADDED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_NO_QUERY: Mapping[str, str] = {}
_TEXTUAL = ("application/json", "text/", "application/problem+json")


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
    session: aiohttp.ClientSession | None = None
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


def build_proxy(state: ProxyState) -> ASGIApp:
    """The proxy as an ASGI app (under ``AccessLog``). Its lifespan opens the upstream
    session and, on shutdown (SIGINT or SIGTERM under uvicorn), writes the report."""
    return AccessLog(ProxyApp(state))


class ProxyApp:
    """Every path is the proxy's, so there is no router: each request goes to ``_handle``
    (a Starlette app's middleware and routing cost a fifth of the proxy's CPU)."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answer = await _handle(self.state, Request(scope, receive))
            await answer(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        state = self.state
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state.session = _session(state.config.timeout)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    if state.session is not None:
                        await state.session.close()
                finally:
                    state.finish()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _session(timeout: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=64, ssl=ssl.create_default_context(cafile=certifi.where())
        ),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30.0, sock_read=timeout),
        auto_decompress=False,  # bodies pass as they come (accept-encoding: identity)
        skip_auto_headers=_NOT_ADDED,
        cookie_jar=aiohttp.DummyCookieJar(),  # a cookie is the client's, not the proxy's
        trust_env=False,
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


def _answer_headers(
    raw: tuple[tuple[bytes, bytes], ...], *, buffered: bool
) -> list[tuple[bytes, bytes]]:
    """The upstream's headers for the client's answer: hop-by-hop ones dropped, and the
    length when the proxy sets it (a buffered body, links rewritten)."""
    drop = _HOP_BYTES | {b"content-length"} if buffered else _HOP_BYTES
    return [(k.lower(), v) for k, v in raw if k.lower() not in drop]


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
        found += checker.request(op, _query(request, query), request.headers, parsed)
        if stream is not None:
            found.append(
                Violation(op, "request", "$", "size", "JSON body larger than 1 MiB (not checked)")
            )
    else:
        if op is not None:
            found += checker.request(op, _query(request, query), request.headers)
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
    assert state.session is not None, "the proxy's lifespan opens the session"
    try:
        upstream = await state.session.request(
            method,
            URL(url, encoded=True),  # a signed link's query must reach its host byte for byte
            headers=headers,
            data=content or None,
            allow_redirects=False,
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        if on_fail is not None:
            on_fail()
        state.drift.add(found)
        message = f"upstream {state.config.upstream} failed: {_describe(exc)}"
        return _json_answer(error_body(502, message), 502, len(found))
    status = upstream.status
    content_type = upstream.headers.get("content-type")
    length = upstream.headers.get("content-length")
    small = length is None or (length.isdigit() and int(length) <= MAX_JSON_BYTES)
    encoded = upstream.headers.get("content-encoding", "identity").lower() != "identity"
    buffer = (
        method != "HEAD" and small and not encoded and (_textual(content_type) or status >= 400)
    )
    body: bytes | None = None
    rest: AsyncIterator[bytes] | None = None
    if buffer:
        try:
            body, rest = await _read_upto(upstream.content.iter_any(), MAX_JSON_BYTES)
        except (aiohttp.ClientError, TimeoutError) as exc:
            upstream.close()
            state.drift.add(found)
            message = f"upstream {state.config.upstream} failed mid-answer: {_describe(exc)}"
            return _json_answer(error_body(502, message), 502, len(found))
        if rest is None:
            upstream.release()
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
    marks = [
        (b"x-spec-violations", str(violations).encode()),
        (b"x-spec-undocumented", str(len(found) - violations).encode()),
    ]

    def record(response_body: bytes | str | Callable[[], bytes | str]) -> None:
        """Add this exchange to the cassette, when recording (a callable body is made
        only then: redaction walks the whole answer)."""
        if state.recorder is None:
            return
        query = request.url.query
        state.recorder.add(
            method=method,
            uri=f"{state.config.public_base_url}{request.url.path}"
            + (f"?{query}" if query else ""),
            request_headers=request.headers.items(),
            request_body=record_request(),
            status=status,
            response_headers=_str_items(upstream.headers),
            response_body=response_body() if callable(response_body) else response_body,
        )

    if body is not None and rest is None:  # buffered: links rewritten, recorded now
        out_body = body
        if (
            not state.config.keep_links
            and checked_body is not NOT_JSON
            and checked_body is not None
            and b'"link"' in body  # most answers have none: skip the walk
        ):
            base = state.config.public_base_url
            raw = rewrite_links_raw(body, base, state.origins)
            if raw is not None:
                out_body = raw
            else:
                rewritten = rewrite_links(checked_body, base, state.origins)
                if rewritten != checked_body:
                    out_body = orjson.dumps(rewritten)
        json_body = checked_body not in (None, NOT_JSON)
        record((lambda: redact_body(out_body)) if json_body else out_body)
        answer = Response(out_body, status, media_type=None)
        answer.raw_headers.extend(_answer_headers(upstream.raw_headers, buffered=True))
        answer.raw_headers.extend(marks)
        return answer

    # streamed: media (or an oversized JSON body) passes through chunk by chunk
    sink = state.recorder.media_sink() if state.recorder is not None and method != "HEAD" else None
    chunks = rest if rest is not None else upstream.content.iter_any()

    async def relay() -> AsyncIterator[bytes]:
        done = False
        try:
            async for chunk in chunks:
                if sink is not None:
                    sink.feed(chunk)
                yield chunk
            done = True
        finally:
            if done:
                upstream.release()
            else:
                upstream.close()  # the connection is mid-body: not reusable
            if sink is not None and not done:
                sink.discard()
            if sink is not None and done:
                record(sink.finish())

    if method == "HEAD":
        record(b"")
    answer = StreamingResponse(relay(), status)
    answer.raw_headers = _answer_headers(upstream.raw_headers, buffered=rest is not None)
    answer.raw_headers.extend(marks)
    return answer


def _query(request: Request, query: str) -> Mapping[str, str]:
    return request.query_params if query else _NO_QUERY


def _describe(exc: BaseException) -> str:
    """What went wrong upstream, in words (a timeout's ``str`` is often empty)."""
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"{type(exc).__name__}: no answer in time"
    return f"{type(exc).__name__}: {exc}"


def _str_items(headers: CIMultiDictProxy[str]) -> list[tuple[str, str]]:
    return list(headers.items())


def _json_answer(body: dict[str, object], status: int, violations: int) -> Response:
    answer = Response(orjson.dumps(body), status, media_type="application/json")
    answer.raw_headers.append((b"x-spec-violations", str(violations).encode()))
    return answer
