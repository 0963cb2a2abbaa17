"""The proxy's client for the upstream: HTTP/1.1 over asyncio transports, answers parsed
by httptools (llhttp, the parser uvicorn serves with), connections kept alive per origin.

Why not aiohttp's client, which the proxy used before: CPU per ``GET`` of a 2 KiB JSON
answer from a fixed-answer server, 16 concurrent, on the 2-core CI machine: aiohttp's
``ClientSession`` 164–195 µs, aiosonic 245–290 µs, BlackSheep's client 252–272 µs, httpx
several times aiohttp; this module 30–35 µs. The proxy forwards every request once, so
its client is half of what it spends per request (``bench/proxy.py``). What a general
client does and a reverse proxy does not need (redirects, cookies, decompression,
proxies from the environment, auth, retries of non-idempotent requests) is left out.

What it does:

- one request at a time per connection; idle connections kept per (scheme, host, port)
  up to ``max_idle``, no cap on those in use (each forwarded request holds one, so the
  clients' own connections bound them); https verified with the given SSL context;
- a request body as bytes or as chunks (sent chunked unless the headers carry its
  length), written as the peer takes it (``drain``: a 2 GiB upload stays in bounded
  memory);
- the answer's head first; its body read whole (``read``) or chunk by chunk
  (``iter_chunks``), the peer paused while more than ``HIGH_WATER`` bytes wait;
- bodies delimited by length, by chunks or by the connection's close; no body after
  ``HEAD``, 1xx, 204 or 304; informational answers (1xx) skipped;
- a reused connection the peer had closed while idle: an idempotent request without a
  streamed body is sent once more on a new connection;
- ``connect_timeout`` to connect; ``read_timeout`` without a byte from the peer while an
  answer is awaited (not counted while the reader has paused it).

Failures raise ``UpstreamError`` (``UpstreamTimeout`` for the timeouts), naming the
origin and what happened.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections import deque
from collections.abc import AsyncIterator, Iterable
from functools import lru_cache
from typing import NamedTuple, cast

import httptools
from multidict import CIMultiDict

__all__ = ["HIGH_WATER", "Answer", "Upstream", "UpstreamError", "UpstreamTimeout"]

HIGH_WATER = 1 << 20  # bytes of a body waiting for its reader before the peer is paused
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT", "TRACE"})
_NO_BODY_STATUS = (204, 304)


class UpstreamError(Exception):
    """The upstream could not be reached, broke the connection or sent no valid HTTP."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """No connection, or no byte of an awaited answer, within the timeout."""


class _Disconnected(UpstreamError):
    """The peer closed the connection before its answer began."""


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@lru_cache(maxsize=256)
def _origin(prefix: str) -> tuple[Origin, bytes]:
    """``scheme://host[:port]`` -> (its origin, its ``Host`` header value)."""
    scheme, sep, authority = prefix.partition("://")
    if not sep or scheme not in ("http", "https") or not authority:
        raise UpstreamError(f"{prefix!r}: not an http:// or https:// origin")
    host, port = authority, 443 if scheme == "https" else 80
    if authority.startswith("["):  # an IPv6 literal
        end = authority.find("]")
        if end < 0:
            raise UpstreamError(f"{prefix!r}: an IPv6 address without its closing ']'")
        host, rest = authority[1:end], authority[end + 1 :]
        if rest.startswith(":"):
            port = int(rest[1:])
    elif ":" in authority:
        host, _, digits = authority.rpartition(":")
        port = int(digits)
    if not 0 < port < 65536:
        raise UpstreamError(f"{prefix!r}: port {port} is out of range")
    return Origin(scheme, host, port), authority.encode("ascii")


def split_url(url: str) -> tuple[Origin, bytes, bytes]:
    """An absolute URL, already encoded -> (origin, ``Host`` value, request target);
    the target is sent byte for byte as given (a signed link's query must be)."""
    scheme_end = url.find("://")
    slash = url.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    prefix, target = (url, "/") if slash < 0 else (url[:slash], url[slash:])
    if "?" in prefix:  # ``http://host?query``
        prefix, _, query = prefix.partition("?")
        target = "/?" + query
    try:
        origin, host = _origin(prefix)
    except ValueError as exc:  # a port that is not a number
        raise UpstreamError(f"{url!r}: {exc}") from None
    return origin, host, target.encode("latin-1")


class Answer:
    """The upstream's answer: status and headers, then the body from the connection.

    Read the body with ``read()`` or ``iter_chunks()``, then ``release()`` (the
    connection goes back to the pool once the body is complete) or ``close()`` (the
    connection is dropped: a body left unread)."""

    def __init__(self, conn: _Connection, method: str) -> None:
        self._conn = conn
        self.method = method
        self.status = 0
        self.headers: CIMultiDict[str] = CIMultiDict()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._done = False

    async def read(self) -> bytes:
        """The whole body (after ``HEAD``, 204 or 304: empty)."""
        if self._complete and len(self._chunks) <= 1:  # all here already (most answers)
            body = self._chunks.popleft() if self._chunks else b""
            self._buffered = 0
            self._conn.resume()
            return body
        return b"".join([chunk async for chunk in self.iter_chunks()])

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; ``UpstreamError`` if the connection breaks first."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._buffered <= HIGH_WATER // 4:
                    self._conn.resume()
                yield chunk
            elif self._error is not None:
                raise self._error
            elif self._complete:
                return
            else:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None

    def release(self) -> None:
        """Done with the answer: its connection is reused if the body was read to the
        end and the peer keeps it alive, closed otherwise."""
        if not self._done:
            self._done = True
            self._conn.finished(reusable=self._complete and not self._chunks)

    def close(self) -> None:
        """Done with the answer, its body perhaps unread: the connection is closed."""
        if not self._done:
            self._done = True
            self._conn.finished(reusable=False)

    # -- fed by the connection ------------------------------------------------------

    def _feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered > HIGH_WATER:
            self._conn.pause()
        self._wake()

    def _end(self, error: BaseException | None = None) -> None:
        if error is None:
            self._complete = True
        elif not self._complete and self._error is None:  # the first cause is the one
            self._error = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class _Connection(asyncio.Protocol):
    """One connection to an origin; one exchange at a time."""

    def __init__(self, pool: Upstream, origin: Origin) -> None:
        self.pool = pool
        self.origin = origin
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used_before = False  # taken from the pool: the peer may have closed it since
        self.keep_alive = False
        self._parser: httptools.HttpResponseParser | None = None
        self._answer: Answer | None = None
        self._head: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._delimited = False  # by length or by chunks (else by the connection's close)
        self._paused = False
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0

    # -- the exchange -----------------------------------------------------------------

    def start(self, method: str) -> asyncio.Future[Answer]:
        """Ready the parser for the answer to a request about to be written."""
        self.keep_alive = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer = Answer(self, method)
        self._headers = []
        self._delimited = False
        self._head = self.loop.create_future()
        if self.closed:
            self._head.set_exception(_Disconnected(f"{self.origin} closed the connection"))
        return self._head

    def sent(self) -> None:
        """The request is written: from now on the peer owes a byte every
        ``read_timeout`` seconds."""
        self._last_read = self.loop.time()
        self._arm_timer()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the peer takes what was written (the transport's buffer drains);
        at once if the connection is closed (the answer, or its failure, tells).
        ``UpstreamTimeout`` if the peer takes nothing for ``read_timeout`` seconds."""
        if self._write_paused and not self.closed:
            self._drain = self.loop.create_future()
            try:
                async with asyncio.timeout(self.pool.read_timeout):
                    await self._drain
            except TimeoutError:
                timeout = self.pool.read_timeout
                raise UpstreamTimeout(
                    f"{self.origin} took no byte of the request for {timeout:g} s"
                ) from None

    def _wake_drain(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause(self) -> None:
        if not self._paused and self.transport is not None and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self._last_read = self.loop.time()
            self.transport.resume_reading()

    def finished(self, *, reusable: bool) -> None:
        """The exchange is over: back to the pool, or closed (a reader still waiting on
        its answer then fails)."""
        self._cancel_timer()
        reuse = reusable and self.keep_alive and not self.closed and not self._paused
        if not reuse:
            self.abort()
        self._answer = None
        self._head = None
        self._parser = None  # any byte before the next request makes it unsound
        if reuse:
            self.pool._put(self)

    @property
    def answered(self) -> bool:
        """The answer's head has come (or the exchange failed)."""
        return self._head is None or self._head.done()

    def cut_short(self) -> None:
        """The request body was not sent whole (the peer answered first): the connection
        is in no state to be reused."""
        self.keep_alive = False

    def abort(self) -> None:
        """Close the connection; an answer still awaited or being read fails."""
        self._cancel_timer()
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()
            self._fail(UpstreamError(f"the connection to {self.origin} was closed by the proxy"))

    # -- the read timeout: a byte must arrive every ``read_timeout`` seconds -----------

    def _arm_timer(self) -> None:
        timeout = self.pool.read_timeout
        if timeout is not None and self._timer is None:
            self._timer = self.loop.call_at(self._last_read + timeout, self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if self._answer is None or self._answer._complete:
            return
        timeout = self.pool.read_timeout
        assert timeout is not None
        if self._paused or self.loop.time() < self._last_read + timeout:
            if self._paused:  # the reader holds the peer back: not the peer's delay
                self._last_read = self.loop.time()
            self._arm_timer()
            return
        self._fail(UpstreamTimeout(f"{self.origin} sent nothing for {timeout:g} s"))
        self.abort()

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._last_read = self.loop.time()
        if self._parser is None:  # bytes nobody asked for: the connection is not sound
            self.abort()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            raise  # a bug of ours: let asyncio report it
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"{self.origin} sent an invalid answer: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        was_closed, self.closed = self.closed, True
        self._cancel_timer()
        self.pool._forget(self)
        self._wake_drain()
        answer, head = self._answer, self._head
        begun = head is not None and head.done()
        closed_by_peer = not was_closed and exc is None
        if answer is not None and begun and closed_by_peer and not self._delimited:
            answer._end()  # a body delimited by the connection's close: complete
            return
        if not was_closed:
            cause = f": {exc}" if exc else ""
            kind = UpstreamError if begun else _Disconnected
            self._fail(kind(f"{self.origin} closed the connection{cause}"))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain()

    def _fail(self, error: UpstreamError) -> None:
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        elif self._answer is not None:
            self._answer._end(error)

    # -- httptools' callbacks ---------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser, answer, head = self._parser, self._answer, self._head
        assert parser is not None and answer is not None and head is not None
        status = parser.get_status_code()
        if 100 <= status < 200:  # informational: the answer follows
            self._headers = []
            return
        answer.status = status
        headers = answer.headers
        for name, value in self._headers:
            low = name.lower()
            if low in (b"content-length", b"transfer-encoding"):
                self._delimited = True
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        no_body = answer.method == "HEAD" or status in _NO_BODY_STATUS
        if no_body:
            self._delimited = True
        self.keep_alive = parser.should_keep_alive() and self._delimited
        if no_body:
            answer._end()
        if not head.done():
            head.set_result(answer)
        self._wake_drain()  # an answer before the whole request: stop sending

    def on_body(self, body: bytes) -> None:
        if self._answer is not None and not self._answer._complete:
            self._answer._feed(body)

    def on_message_complete(self) -> None:
        assert self._parser is not None
        if self._parser.get_status_code() < 200:
            return  # the end of an informational answer
        self._delimited = True
        self._cancel_timer()
        if self._answer is not None:
            self._answer._end()


class Upstream:
    """A pool of HTTP/1.1 connections to the upstream and the origins of its links."""

    def __init__(
        self,
        *,
        ssl: ssl_module.SSLContext | None = None,
        connect_timeout: float | None = 30.0,
        read_timeout: float | None = 300.0,
        max_idle: int = 64,
    ) -> None:
        self.ssl = ssl or ssl_module.create_default_context()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self._idle: dict[Origin, list[_Connection]] = {}
        self._all: set[_Connection] = set()

    async def request(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None = None,
    ) -> Answer:
        """Send ``method url`` with ``headers`` (``Host`` is added; pass no hop-by-hop
        header) and ``body``: bytes (sent with their length) or chunks (sent chunked
        unless ``headers`` give the length). The answer, once its head has come."""
        origin, host, target = split_url(url)
        streamed = body is not None and not isinstance(body, bytes)
        head = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nHost: ", host, b"\r\n"]
        has_length = False
        for name, value in headers:
            if name.lower() == b"content-length":
                has_length = True
                if not streamed:
                    continue  # the length sent is that of what is sent
            head += (name, b": ", value, b"\r\n")
        chunked = streamed and not has_length
        if isinstance(body, bytes):
            head.append(b"Content-Length: %d\r\n" % len(body))
        elif chunked:
            head.append(b"Transfer-Encoding: chunked\r\n")
        head.append(b"\r\n")
        data = b"".join(head)
        conn = await self._connection(origin)
        try:
            return await self._exchange(conn, method, data, body, chunked)
        except _Disconnected:
            if not (method in _IDEMPOTENT and not streamed and conn.used_before):
                raise
        # the peer closed a kept-alive connection as it was reused: once more, anew
        conn = await self._connection(origin, fresh=True)
        return await self._exchange(conn, method, data, body, chunked)

    async def close(self) -> None:
        """Close every connection (answers still being read fail)."""
        for conn in list(self._all):
            conn.abort()
        self._idle.clear()
        self._all.clear()

    # -- internals --------------------------------------------------------------------

    async def _exchange(
        self,
        conn: _Connection,
        method: str,
        head: bytes,
        body: bytes | AsyncIterator[bytes] | None,
        chunked: bool,
    ) -> Answer:
        answer = conn.start(method)
        try:
            if isinstance(body, bytes) and len(body) < 65536:
                conn.write(head + body)  # one write for a small request
            else:
                conn.write(head)
                if isinstance(body, bytes):
                    conn.write(body)
                elif body is not None:
                    await self._send_stream(conn, body, chunked)
            conn.sent()
            return await answer
        except BaseException:
            conn.abort()
            if answer.done() and not answer.cancelled():
                answer.exception()  # retrieved: the exception raised here says it all
            raise

    @staticmethod
    async def _send_stream(conn: _Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
        async for chunk in body:
            if conn.closed or conn.answered:
                conn.cut_short()
                return  # the peer answered (or failed) early: its answer tells
            if chunk:
                if chunked:
                    conn.write(b"%x\r\n" % len(chunk))
                conn.write(chunk)
                if chunked:
                    conn.write(b"\r\n")
                await conn.drain()
        if chunked:
            conn.write(b"0\r\n\r\n")

    async def _connection(self, origin: Origin, *, fresh: bool = False) -> _Connection:
        idle = self._idle.get(origin)
        while idle and not fresh:
            conn = idle.pop()
            if not conn.closed:
                conn.used_before = True
                return conn
        loop = asyncio.get_running_loop()
        tls = self.ssl if origin.scheme == "https" else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self, origin),
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                )
        except TimeoutError:
            raise UpstreamTimeout(
                f"cannot connect to {origin}: no answer in {self.connect_timeout:g} s"
            ) from None
        except (OSError, ssl_module.SSLError) as exc:
            raise UpstreamError(f"cannot connect to {origin}: {exc}") from None
        assert isinstance(protocol, _Connection)
        self._all.add(protocol)
        return protocol

    def _put(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.origin, [])
        if len(idle) < self.max_idle:
            idle.append(conn)
        else:
            conn.abort()

    def _forget(self, conn: _Connection) -> None:
        self._all.discard(conn)
        idle = self._idle.get(conn.origin)
        if idle and conn in idle:
            idle.remove(conn)
