"""The validating reverse proxy: an aiohttp server forwarding every request to the
upstream (``upstream.Upstream``, HTTP/1.1 parsed by httptools), checking each request and
response against the spec on the way.

Bodies stream both ways in bounded memory: JSON bodies (requests of operations that take
JSON; responses that are JSON, text or an error) are read up to ``MAX_JSON_BYTES`` to be
checked and recorded, and anything larger, or any other body (uploads, downloads),
passes through chunk by chunk with only its status and headers checked.

Every answer carries ``X-Spec-Violations`` (findings of this exchange, request and
response; undocumented fields are counted apart in ``X-Spec-Undocumented``). With
``strict``, a request that breaks the spec is answered 400 (the mock's error body) and
never reaches the upstream; responses are never blocked.

Why aiohttp's server, not Starlette and uvicorn like the mock: CPU per forwarded
``GET /tasks/{id}`` on the 2-core CI machine, a bare forwarder (no checks) in front of
the served mock under 32 connections: aiohttp server 306 µs, uvicorn 414 µs (both with
aiohttp's client); httpx as the client kept a tenth of aiohttp's rate. Why not aiohttp's
client: see ``upstream``. ``bench/proxy.py`` measures the proxy against the mock.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import certifi
import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from multidict import CIMultiDict

from audioshake_kit.domain.spec import load_spec

from .. import logs
from ..errors import error_body
from ..validation import spec_validators
from .cassette import CassetteWriter, MediaSink, redact_body
from .checks import NOT_JSON, SpecChecker
from .drift import DriftLog, Violation
from .memo import AnswerMemo, Judged, MemoKey
from .operations import OperationIndex
from .upstream import Answer, Upstream, UpstreamError
from .urls import LINK_PREFIX, original_link, rewrite_links, rewrite_links_raw

__all__ = ["MAX_JSON_BYTES", "AccessLogger", "ProxyConfig", "ProxyState", "build_proxy"]

MAX_JSON_BYTES = 1 << 20  # the mock's cap on JSON bodies (mock_server.routes.common)

# Hop-by-hop headers (RFC 9110 §7.6.1), those the proxy sets itself, and ``expect``
# (aiohttp's server answers 100-continue to the client itself).
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
        "expect",
    }
)
_HOP_RAW = frozenset(name.encode() for name in _HOP)
# For a signed link's host: no API key, no credentials, no cookie either.
_HOP_AND_SECRETS_RAW = _HOP_RAW | {b"x-api-key", b"authorization", b"cookie"}
_NO_QUERY: Mapping[str, str] = {}
_NO_CONTENT = (204, 304)
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
    upstream: Upstream | None = None
    memo: AnswerMemo = field(default_factory=AnswerMemo)
    index: OperationIndex = field(init=False)
    checker: SpecChecker = field(init=False)

    def __post_init__(self) -> None:
        spec = load_spec()
        self.index = OperationIndex(spec)
        self.checker = SpecChecker(spec, spec_validators())
        if self.config.record_dir is not None:
            self.recorder = CassetteWriter(
                self.config.record_dir, self.config.cassette, record_media=self.config.record_media
            )

    def finish(self) -> None:
        """Write the report and close the cassette (on shutdown; safe to call twice)."""
        if self.config.report is not None:
            self.config.report.parent.mkdir(parents=True, exist_ok=True)
            self.drift.write(self.config.report)
        if self.recorder is not None:
            self.recorder.close()


def build_proxy(state: ProxyState) -> web.Application:
    """The proxy app: one handler for every path. Starting opens the upstream's pool;
    cleaning up (on SIGINT or SIGTERM) closes it and writes the report."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _handle(state, request)

    async def start(app: web.Application) -> None:
        state.upstream = Upstream(
            ssl=ssl.create_default_context(cafile=certifi.where()),
            connect_timeout=30.0,
            read_timeout=state.config.timeout,
        )

    async def stop(app: web.Application) -> None:
        try:
            if state.upstream is not None:
                await state.upstream.close()
        finally:
            state.finish()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


class AccessLogger(AbstractAccessLogger):
    """The proxy's access log: the mock's lines (``mock_server.logs``), from aiohttp."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        logs.log_request(
            request.method,
            request.raw_path,
            b"",
            status=response.status,
            ms=time * 1000,
            request_id=response.headers.get("x-request-id"),
            key=request.headers.get("x-api-key"),
        )

    @property
    def enabled(self) -> bool:
        return logs.enabled()


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
    raw: tuple[tuple[bytes, bytes], ...], *, drop_keys: bool = False
) -> list[tuple[bytes, bytes]]:
    """The client's headers as they came, less the hop-by-hop ones (and, for a signed
    link's host, the API key and cookies), asking for bodies as they are."""
    drop = _HOP_AND_SECRETS_RAW if drop_keys else _HOP_RAW
    out = [(k, v) for k, v in raw if k.lower() not in drop]
    out.append((b"Accept-Encoding", b"identity"))  # bodies are checked as they come
    return out


def _answer_headers(
    headers: CIMultiDict[str], marks: list[tuple[str, str]], *, buffered: bool
) -> CIMultiDict[str]:
    """The upstream's headers for the client's answer: hop-by-hop ones dropped, and the
    length when the proxy sets it (a buffered body, links rewritten); then ``marks``."""
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        low = name.lower()
        if low not in _HOP and not (buffered and low == "content-length"):
            out.add(name, value)
    out.extend(marks)
    return out


def _textual(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith(_TEXTUAL)


# -- the exchange ---------------------------------------------------------------------


async def _handle(state: ProxyState, request: web.Request) -> web.StreamResponse:
    raw_path, _, query = request.raw_path.partition("?")
    path = request.path
    if path.startswith(LINK_PREFIX):
        return await _link(state, request, raw_path, query)
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
    params = request.query if query else _NO_QUERY
    if op is None:
        found.append(checker.unknown(method, path, match))
    if op is not None and checker.json_request(op):
        body, stream = await _read_upto(request.content.iter_any(), MAX_JSON_BYTES)
        parsed = _parse(body) if stream is None and body else None
        found += checker.request(op, params, request.headers, parsed)
        if stream is not None:
            found.append(
                Violation(op, "request", "$", "size", "JSON body larger than 1 MiB (not checked)")
            )
    else:
        if op is not None:
            found += checker.request(op, params, request.headers)
        if method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            sink = state.recorder.media_sink() if state.recorder else None
            stream = _tee(request.content.iter_any(), sink)
    if state.config.strict and any(not v.undocumented for v in found):
        state.drift.add(found)
        if sink is not None:
            sink.discard()
        message = "request breaks the spec: " + "; ".join(str(v) for v in found)
        return _json_answer(error_body(400, message), 400, len(found))

    url = f"{state.config.upstream}{raw_path}" + (f"?{query}" if query else "")
    recorded_body: bytes | None = body

    def request_body_for_record() -> bytes | str | None:
        if sink is not None:
            return sink.finish()
        return redact_body(recorded_body) if recorded_body else None

    return await _exchange(
        state,
        request,
        op,
        url,
        _forward_headers(request.raw_headers),
        content=stream if stream is not None else body,
        found=found,
        record_request=request_body_for_record,
        on_fail=sink.discard if sink is not None else None,
    )


async def _link(
    state: ProxyState, request: web.Request, raw_path: str, query: str
) -> web.StreamResponse:
    """A rewritten output link: forwarded to the original URL (only an origin the proxy
    rewrote a link to in this session), the answer streamed back."""
    state.drift.count_request("download")
    try:
        origin, url = original_link(raw_path, query)
    except ValueError as exc:
        return _json_answer(error_body(404, str(exc)), 404, 0)
    if origin not in state.origins:
        message = f"{origin} is not the origin of a link this proxy rewrote"
        return _json_answer(error_body(403, message), 403, 0)
    return await _exchange(
        state,
        request,
        None,
        url,
        _forward_headers(request.raw_headers, drop_keys=True),
        content=None,
        found=[],
        record_request=lambda: None,
        on_fail=None,
    )


async def _exchange(
    state: ProxyState,
    request: web.Request,
    op: str | None,
    url: str,
    headers: list[tuple[bytes, bytes]],
    *,
    content: bytes | AsyncIterator[bytes] | None,
    found: list[Violation],
    record_request: Callable[[], bytes | str | None],
    on_fail: Callable[[], None] | None,
) -> web.StreamResponse:
    assert state.upstream is not None, "the proxy's start-up opens the pool"
    method = request.method
    try:
        upstream: Answer = await state.upstream.request(method, url, headers, content)
    except UpstreamError as exc:
        if on_fail is not None:
            on_fail()
        return _bad_gateway(state, found, "failed", exc)
    status = upstream.status
    content_type = upstream.headers.get("content-type")
    length = upstream.headers.get("content-length")
    small = length is None or (length.isdigit() and int(length) <= MAX_JSON_BYTES)
    encoded = upstream.headers.get("content-encoding", "identity").lower() != "identity"
    buffer = (
        method != "HEAD"
        and status not in _NO_CONTENT
        and small
        and not encoded
        and (_textual(content_type) or status >= 400)
    )
    body: bytes | None = None
    rest: AsyncIterator[bytes] | None = None
    if buffer:
        try:
            if length is not None:  # small, its length known: one read
                body = await upstream.read()
            else:
                body, rest = await _read_upto(upstream.iter_chunks(), MAX_JSON_BYTES)
        except UpstreamError as exc:
            upstream.close()
            return _bad_gateway(state, found, "failed mid-answer", exc)
        if rest is None:
            upstream.release()
    judged: Judged | None = None
    check_body = False
    if op is not None:
        head, check_body = state.checker.response_head(op, status, upstream.headers)
        found += head
    if body is not None and rest is None:  # buffered: judged (or recalled), links rewritten
        textual = _textual(content_type)
        key: MemoKey = (op, status, textual, body)
        judged = state.memo.get(key)
        if judged is None:
            judged = _judge(state, op, status, body, textual, check_body=check_body)
            state.memo.put(key, judged)
        found += judged.findings
    state.drift.add(found)
    violations = sum(1 for v in found if not v.undocumented)
    marks = [
        ("X-Spec-Violations", str(violations)),
        ("X-Spec-Undocumented", str(len(found) - violations)),
    ]

    def record(response_body: bytes | str | Callable[[], bytes | str]) -> None:
        """Add this exchange to the cassette, when recording (a callable body is made
        only then: redaction walks the whole answer)."""
        if state.recorder is None:
            return
        state.recorder.add(
            method=method,
            uri=f"{state.config.public_base_url}{request.raw_path}",
            request_headers=request.headers.items(),
            request_body=record_request(),
            status=status,
            response_headers=list(upstream.headers.items()),
            response_body=response_body() if callable(response_body) else response_body,
        )

    if judged is not None:
        out_body = judged.out_body
        record((lambda: redact_body(out_body)) if judged.json else out_body)
        return web.Response(
            body=out_body,
            status=status,
            headers=_answer_headers(upstream.headers, marks, buffered=True),
        )

    # streamed: media (or an oversized JSON body) passes through chunk by chunk
    sink = state.recorder.media_sink() if state.recorder is not None and method != "HEAD" else None
    answer = web.StreamResponse(
        status=status, headers=_answer_headers(upstream.headers, marks, buffered=False)
    )
    done = False
    try:
        await answer.prepare(request)
        if method != "HEAD":
            async for chunk in rest if rest is not None else upstream.iter_chunks():
                if sink is not None:
                    sink.feed(chunk)
                await answer.write(chunk)
        await answer.write_eof()
        done = True
    finally:
        if done:
            upstream.release()
        else:
            upstream.close()  # the connection is mid-body: not reusable
        if sink is not None and not done:
            sink.discard()
    record(sink.finish() if sink is not None else b"")
    return answer


def _judge(
    state: ProxyState, op: str | None, status: int, body: bytes, textual: bool, *, check_body: bool
) -> Judged:
    """Check a buffered answer's body (when the spec documents one for it) and rewrite
    its links through the proxy (unless ``keep_links``)."""
    parsed: Any = (_parse(body) if body else NOT_JSON) if textual else None
    findings = state.checker.response_body(op, status, parsed) if op and check_body else []
    is_json = parsed is not None and parsed is not NOT_JSON
    out_body = body
    if not state.config.keep_links and is_json and b'"link"' in body:
        base = state.config.public_base_url
        raw = rewrite_links_raw(body, base, state.origins)
        if raw is not None:
            out_body = raw
        else:
            rewritten = rewrite_links(parsed, base, state.origins)
            if rewritten != parsed:
                out_body = orjson.dumps(rewritten)
    return Judged(tuple(findings), out_body, is_json)


def _bad_gateway(
    state: ProxyState, found: list[Violation], what: str, exc: BaseException
) -> web.Response:
    """The 502 for an upstream that ``what`` (its request's findings still counted),
    naming what went wrong (a timeout's ``str`` is often empty)."""
    state.drift.add(found)
    if isinstance(exc, TimeoutError) and not str(exc):
        cause = f"{type(exc).__name__}: no answer in time"
    else:
        cause = f"{type(exc).__name__}: {exc}"
    message = f"upstream {state.config.upstream} {what}: {cause}"
    return _json_answer(error_body(502, message), 502, len(found))


def _json_answer(body: dict[str, object], status: int, violations: int) -> web.Response:
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        content_type="application/json",
        headers={"X-Spec-Violations": str(violations)},
    )
