"""The proxy's upstream client (``mock_server/proxy/upstream.py``) against a scripted peer:
a server on 127.0.0.1 that reads what the client sends and writes raw bytes chosen by each
test, so every framing case is byte-exact. Each test runs on asyncio's loop and on uvloop
(the proxy's), waits on conditions under one deadline and sleeps for no fixed time."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
import trustme
import uvloop

from mock_server.proxy.upstream import (
    HIGH_WATER,
    Answer,
    Upstream,
    UpstreamError,
    UpstreamTimeout,
)

T = TypeVar("T")
DEADLINE_S = 10.0  # every test's bound; none comes near it

# -- the scripted peer -----------------------------------------------------------------


class PeerConn:
    """One accepted connection, as a script sees it."""

    def __init__(
        self, peer: Peer, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.peer = peer
        self.index = index  # 0 for the first connection accepted
        self.reader = reader
        self.writer = writer

    async def head(self) -> bytes | None:
        """The next request's head (through its blank line), None at the client's EOF."""
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        self.peer.heads.append(raw)
        self.peer.note()
        return raw

    async def body(self, head: bytes) -> bytes:
        """The request body the head announces: by Content-Length, by chunks or none."""
        headers = header_dict(head)
        if headers.get(b"transfer-encoding") == b"chunked":
            return b"".join([chunk async for chunk in self.chunks()])
        return await self.reader.readexactly(int(headers.get(b"content-length", b"0")))

    async def chunks(self) -> AsyncIterator[bytes]:
        """A chunked body decoded strictly, chunk by chunk (trailers skipped)."""
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2], 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return
            chunk = await self.reader.readexactly(size)
            assert await self.reader.readexactly(2) == b"\r\n", "chunk not followed by CRLF"
            yield chunk

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


Script = Callable[[PeerConn], Awaitable[None]]


class Peer:
    """A scripted HTTP/1.1 server on 127.0.0.1 port 0: every connection runs ``script``.
    Counts connections, keeps every request head and notes the client's closes."""

    def __init__(
        self,
        script: Script,
        *,
        ssl_context: ssl.SSLContext | None = None,
        rcvbuf: int | None = None,
    ) -> None:
        self.script = script
        self.ssl_context = ssl_context
        self.rcvbuf = rcvbuf  # SO_RCVBUF of the accepted sockets, if set
        self.connections = 0
        self.eofs = 0  # connections the client closed (or the script ended)
        self.heads: list[bytes] = []
        self._changed = asyncio.Event()
        self.errors: list[Exception] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def origin(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def note(self) -> None:
        self._changed.set()

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait (within the test's deadline) until ``predicate`` holds after a change."""
        while not predicate():
            self._changed.clear()
            await self._changed.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.append(task)
        conn = PeerConn(self, self.connections, reader, writer)
        self.connections += 1
        self.note()
        try:
            await self.script(conn)
            if not writer.is_closing():  # the script is done: wait for the client's close
                await reader.read()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: what it saw is the test's to check
        except Exception as exc:  # a failed assertion of the script: the test fails
            self.errors.append(exc)
        finally:
            writer.close()
            self.eofs += 1
            self.note()

    async def __aenter__(self) -> Peer:
        sock = socket.socket()
        if self.rcvbuf is not None:  # set before listen: accepted sockets inherit it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.server = await asyncio.start_server(self._serve, sock=sock, ssl=self.ssl_context)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening, close every connection, let every script end (none is
        cancelled) and raise a script's failure."""
        self.server.close()
        for writer in self._writers:
            writer.transport.abort()  # at once: a script's blocked write fails, not waits
        await asyncio.gather(*self._tasks)
        if self.errors and exc[0] is None:
            raise self.errors[0]


def header_dict(head: bytes) -> dict[bytes, bytes]:
    """A request head's headers, names lowered (the last of duplicates)."""
    lines = head.split(b"\r\n")[1:]
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in lines if line)
    }


def answering(*answers: bytes) -> Script:
    """A script answering the requests of a connection with ``answers`` in turn (the last
    one again and again), reading each request's body first."""

    async def script(conn: PeerConn) -> None:
        n = 0
        while (head := await conn.head()) is not None:
            await conn.body(head)
            await conn.send(answers[min(n, len(answers) - 1)])
            n += 1

    return script


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def until(predicate: Callable[[], bool]) -> None:
    """Wait for the client's own state (no event to wait on), a loop turn at a time."""
    while not predicate():
        await asyncio.sleep(0)


async def get(upstream: Upstream, url: str, method: str = "GET") -> tuple[int, bytes]:
    answer = await upstream.request(method, url, [])
    body = await answer.read()
    answer.release()
    return answer.status, body


async def next_request_reuses_it(
    up: Upstream, peer: Peer, expected: tuple[int, bytes] = (200, b"ok")
) -> None:
    """The next request gets ``expected`` over the one connection already open."""
    assert await get(up, peer.origin + "/") == expected
    await up.close()
    assert peer.connections == 1


# -- running each test on both loops ---------------------------------------------------

Run = Callable[[Coroutine[Any, Any, T]], T]


@pytest.fixture(params=[None, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run[Any]:
    """Run a coroutine to its end on a fresh loop of the parametrized kind, bounded."""

    def run(coro: Coroutine[Any, Any, T]) -> T:
        async def bounded() -> T:
            async with asyncio.timeout(DEADLINE_S):
                return await coro

        with asyncio.Runner(loop_factory=request.param) as runner:
            return runner.run(bounded())

    return run


# -- 1. the request's bytes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [("/path?q=a%2Fb", b"/path?q=a%2Fb"), ("", b"/"), ("?x=1", b"/?x=1")],
)
def test_request_head_is_line_host_and_given_headers_byte_for_byte(
    run: Run[None], path: str, target: bytes
) -> None:
    async def main() -> None:
        async with Peer(answering(OK)) as peer:
            up = Upstream()
            headers = [(b"X-Mixed-Case", b"Va lue"), (b"accept", b"*/*"), (b"X-Mixed-Case", b"2")]
            answer = await up.request("GET", peer.origin + path, headers)
            assert await answer.read() == b"ok"
            await up.close()
        authority = f"127.0.0.1:{peer.port}".encode()
        assert peer.heads == [
            b"GET " + target + b" HTTP/1.1\r\nHost: " + authority + b"\r\n"
            b"X-Mixed-Case: Va lue\r\naccept: */*\r\nX-Mixed-Case: 2\r\n\r\n"
        ]

    run(main())


@pytest.mark.parametrize("size", [5, 100_000], ids=["small", "above-64KiB"])
def test_bytes_body_is_sent_with_its_own_content_length(run: Run[None], size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    received: list[bytes] = []

    async def script(conn: PeerConn) -> None:
        head = await conn.head()
        assert head is not None
        received.append(await conn.body(head))
        await conn.send(OK)

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            wrong = [(b"Content-Length", b"999"), (b"X-A", b"1")]
            assert (await up.request("POST", peer.origin + "/up", wrong, body)).status == 200
            await up.close()
        lines = peer.heads[0].split(b"\r\n")
        assert [line for line in lines if line.lower().startswith(b"content-length")] == [
            b"Content-Length: %d" % size
        ]
        assert b"X-A: 1" in lines
        assert received == [body]

    run(main())


def test_streamed_body_without_length_goes_chunked(run: Run[None]) -> None:
    parts = (b"ab", b"", b"cde", bytes(70_000), b"z")  # an empty part must not end the body
    received: list[list[bytes]] = []

    async def script(conn: PeerConn) -> None:
        head = await conn.head()
        assert head is not None and header_dict(head)[b"transfer-encoding"] == b"chunked"
        received.append([chunk async for chunk in conn.chunks()])
        await conn.send(OK)

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            answer = await up.request("POST", peer.origin + "/", [], stream(*parts))
            assert await answer.read() == b"ok"
            await up.close()
        assert b"content-length" not in peer.heads[0].lower()

    run(main())
    assert received == [[part for part in parts if part]]


def test_streamed_body_with_content_length_is_sent_as_is(run: Run[None]) -> None:
    received: list[bytes] = []

    async def script(conn: PeerConn) -> None:
        while (head := await conn.head()) is not None:
            received.append(await conn.body(head))  # by its length: chunk framing would show
            await conn.send(OK)

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            headers = [(b"content-length", b"7")]
            for _ in range(2):  # the second request finds the connection in step
                answer = await up.request(
                    "PUT", peer.origin + "/", headers, stream(b"abc", b"defg")
                )
                assert await answer.read() == b"ok"
                answer.release()
            await up.close()
        assert b"transfer-encoding" not in peer.heads[0].lower()
        assert b"\r\ncontent-length: 7\r\n" in peer.heads[0]
        assert peer.connections == 1

    run(main())
    assert received == [b"abcdefg", b"abcdefg"]


def test_bodiless_request_drops_a_given_content_length(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(answering(OK)) as peer:
            up = Upstream()
            headers = [(b"Content-Length", b"5"), (b"X-A", b"1")]
            assert (await up.request("GET", peer.origin + "/", headers)).status == 200
            await up.close()
        assert peer.heads[0].endswith(b"\r\nX-A: 1\r\n\r\n")
        assert b"content-length" not in peer.heads[0].lower()

    run(main())


# -- 2. answers ---------------------------------------------------------------------------


def test_content_length_body(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(answering(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello")) as p:
            up = Upstream()
            assert await get(up, p.origin + "/") == (201, b"hello")
            await next_request_reuses_it(up, p, (201, b"hello"))

    run(main())


def test_chunked_body_with_trailer(run: Run[None]) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n1\r\nh\r\n0\r\nX-Trailer: t\r\n\r\n"
    )

    async def main() -> None:
        async with Peer(answering(chunked)) as peer:
            up = Upstream()
            assert await get(up, peer.origin + "/") == (200, b"abcdefgh")
            await next_request_reuses_it(up, peer, (200, b"abcdefgh"))  # trailer consumed

    run(main())


def test_body_delimited_by_the_connections_close(run: Run[None]) -> None:
    async def script(conn: PeerConn) -> None:
        await conn.head()
        await conn.send(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the ")
        await conn.send(b"end")
        conn.close()

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            assert await get(up, peer.origin + "/") == (200, b"until the end")
            assert await get(up, peer.origin + "/") == (200, b"until the end")
            await up.close()
            assert peer.connections == 2

    run(main())


def test_head_answer_has_no_body_and_the_connection_is_reused(run: Run[None]) -> None:
    head_answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"

    async def main() -> None:
        async with Peer(answering(head_answer, OK)) as peer:
            up = Upstream()
            answer = await up.request("HEAD", peer.origin + "/", [])
            assert answer.headers["content-length"] == "1234"
            assert await answer.read() == b""
            answer.release()
            await next_request_reuses_it(up, peer)

    run(main())


@pytest.mark.parametrize("status", [b"204 No Content", b"304 Not Modified"])
def test_204_and_304_have_no_body_and_the_connection_is_reused(
    run: Run[None], status: bytes
) -> None:
    async def main() -> None:
        async with Peer(answering(b"HTTP/1.1 " + status + b"\r\nETag: x\r\n\r\n", OK)) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            assert answer.status == int(status[:3])
            assert await answer.read() == b""
            answer.release()
            await next_request_reuses_it(up, peer)

    run(main())


def test_informational_answers_are_skipped(run: Run[None]) -> None:
    answer_bytes = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Real: 1\r\n\r\nok"
    )

    async def main() -> None:
        async with Peer(answering(answer_bytes, OK)) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            assert answer.status == 200
            assert list(answer.headers.items()) == [("Content-Length", "2"), ("X-Real", "1")]
            assert await answer.read() == b"ok"
            answer.release()
            await next_request_reuses_it(up, peer)

    run(main())


def test_headers_keep_their_case_and_order_and_are_case_insensitive(run: Run[None]) -> None:
    answer_bytes = (
        b"HTTP/1.1 200 OK\r\nX-CamelCase: One\r\ncontent-length: 2\r\n"
        b"Set-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nok"
    )

    async def main() -> None:
        async with Peer(answering(answer_bytes)) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            assert list(answer.headers.items()) == [
                ("X-CamelCase", "One"),
                ("content-length", "2"),
                ("Set-Cookie", "a=1"),
                ("set-cookie", "b=2"),
            ]
            assert answer.headers["x-camelcase"] == answer.headers["X-CAMELCASE"] == "One"
            assert answer.headers.getall("SET-COOKIE") == ["a=1", "b=2"]
            await up.close()

    run(main())


# -- 3. keep-alive ------------------------------------------------------------------------


def test_sequential_requests_reuse_one_connection(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(answering(OK)) as peer:
            up = Upstream()
            for _ in range(3):
                assert await get(up, peer.origin + "/") == (200, b"ok")
            await up.close()
            assert (peer.connections, len(peer.heads)) == (1, 3)

    run(main())


def test_connection_close_answer_is_not_reused(run: Run[None]) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"

    async def main() -> None:  # the peer keeps the connection open: the client must not
        async with Peer(answering(closing)) as peer:
            up = Upstream()
            assert await get(up, peer.origin + "/") == (200, b"ok")
            assert await get(up, peer.origin + "/") == (200, b"ok")
            await up.close()
            assert peer.connections == 2

    run(main())


@pytest.mark.parametrize("done", ["close", "release"])
def test_answer_with_unread_body_drops_its_connection(run: Run[None], done: str) -> None:
    async def main() -> None:
        async with Peer(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            getattr(answer, done)()
            await peer.until(lambda: peer.eofs == 1)  # the client closed it
            assert await get(up, peer.origin + "/") == (200, b"hello")
            await up.close()
            assert peer.connections == 2

    run(main())


def test_idle_connections_are_capped_at_max_idle(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(answering(OK)) as peer:
            up = Upstream(max_idle=2)
            answers = await asyncio.gather(*(up.request("GET", peer.origin, []) for _ in range(3)))
            assert peer.connections == 3
            for answer in answers:
                assert await answer.read() == b"ok"
                answer.release()
            await peer.until(lambda: peer.eofs == 1)  # the third one closed, two kept
            again = await asyncio.gather(*(get(up, peer.origin) for _ in range(2)))
            assert again == [(200, b"ok")] * 2
            assert (peer.connections, peer.eofs) == (3, 1)
            await up.close()

    run(main())


# -- 4. a kept-alive connection the peer closed: the retry --------------------------------


def closes_on_second_request(conn: PeerConn) -> Awaitable[None]:
    """The first connection answers one request, then closes on reading the next one
    (the client cannot have seen the close before reusing it); later ones answer all."""

    async def script() -> None:
        head = await conn.head()
        assert head is not None
        await conn.body(head)
        await conn.send(OK)
        if (await conn.head()) is not None:
            conn.close()

    return script() if conn.index == 0 else answering(OK)(conn)


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", b"data"), ("DELETE", None)],
)
def test_idempotent_request_on_a_closed_kept_alive_connection_is_sent_again(
    run: Run[None], method: str, body: bytes | None
) -> None:
    async def main() -> None:
        async with Peer(closes_on_second_request) as peer:
            up = Upstream()
            assert await get(up, peer.origin + "/first") == (200, b"ok")
            answer = await up.request(method, peer.origin + "/again", [], body)
            assert (answer.status, await answer.read()) == (200, b"ok")
            await up.close()
            assert peer.connections == 2
            assert [h.split(b" ")[1] for h in peer.heads] == [b"/first", b"/again", b"/again"]

    run(main())


@pytest.mark.parametrize(
    ("method", "streamed"),
    [("POST", True), ("PUT", True), ("POST", False)],
    ids=["POST-streamed", "PUT-streamed", "POST-bytes"],
)
def test_non_replayable_request_on_a_closed_kept_alive_connection_fails(
    run: Run[None], method: str, streamed: bool
) -> None:
    async def main() -> None:
        async with Peer(closes_on_second_request) as peer:
            up = Upstream()
            assert await get(up, peer.origin + "/first") == (200, b"ok")
            body = stream(b"part1", b"part2") if streamed else b"payload"
            with pytest.raises(UpstreamError, match="closed the connection"):
                await up.request(method, peer.origin + "/once", [], body)
            await up.close()
            assert peer.connections == 1

    run(main())


def test_fresh_connection_closed_before_an_answer_is_not_retried(run: Run[None]) -> None:
    async def script(conn: PeerConn) -> None:
        await conn.head()
        conn.close()

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            with pytest.raises(
                UpstreamError, match=re.escape(f"{peer.origin} closed the connection")
            ):
                await up.request("GET", peer.origin + "/", [])
            await up.close()
            assert peer.connections == 1

    run(main())


# -- 5. errors ----------------------------------------------------------------------------


def test_connection_refused_names_the_origin(run: Run[None]) -> None:
    with socket.socket() as sock:  # a port just freed: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        up = Upstream()
        with pytest.raises(
            UpstreamError, match=re.escape(f"cannot connect to http://127.0.0.1:{port}")
        ):
            await up.request("GET", f"http://127.0.0.1:{port}/x", [])

    run(main())


def test_garbage_instead_of_http_is_an_invalid_answer(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(answering(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")) as peer:
            up = Upstream()
            with pytest.raises(
                UpstreamError, match=re.escape(f"{peer.origin} sent an invalid answer")
            ):
                await up.request("GET", peer.origin + "/", [])
            await up.close()

    run(main())


@pytest.mark.parametrize(
    "partial",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ],
    ids=["content-length", "chunked"],
)
def test_peer_closing_mid_body_fails_the_read(run: Run[None], partial: bytes) -> None:
    async def script(conn: PeerConn) -> None:
        await conn.head()
        await conn.send(partial)
        conn.close()

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            assert answer.status == 200
            with pytest.raises(UpstreamError, match="closed the connection"):
                await answer.read()
            await up.close()

    run(main())


def stalls_after(data: bytes) -> Script:
    """A script that sends ``data`` for the first request, then nothing until closed."""

    async def script(conn: PeerConn) -> None:
        await conn.head()
        await conn.send(data)
        await conn.reader.read()  # until the client gives up

    return script


def test_no_answer_within_read_timeout_is_upstream_timeout(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(stalls_after(b"")) as peer:
            up = Upstream(read_timeout=0.2)
            with pytest.raises(
                UpstreamTimeout, match=re.escape(f"{peer.origin} sent nothing for 0.2 s")
            ):
                await up.request("GET", peer.origin + "/", [])
            await peer.until(lambda: peer.eofs == 1)  # the connection was dropped
            await up.close()

    run(main())
    assert issubclass(UpstreamTimeout, TimeoutError)


def test_body_stalling_past_read_timeout_is_upstream_timeout(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(stalls_after(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) as peer:
            up = Upstream(read_timeout=0.2)
            answer = await up.request("GET", peer.origin + "/", [])
            with pytest.raises(TimeoutError):
                await answer.read()
            await up.close()

    run(main())


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("ftp://example.com/file", "'ftp://example.com'"),
        ("http://127.0.0.1:abc/x", "'http://127.0.0.1:abc/x'"),
        ("example.com/x", "'example.com/x'"),
        ("http:///x", "'http://'"),
        ("http://[::1/x", "without its closing ']'"),
    ],
)
def test_bad_url_is_an_error_naming_it(run: Run[None], url: str, named: str) -> None:
    async def main() -> None:
        with pytest.raises(UpstreamError) as caught:
            await Upstream().request("GET", url, [])
        assert named in str(caught.value)

    run(main())


@pytest.mark.parametrize("port", [0, 65536, 99999])
def test_port_out_of_range_is_an_error_naming_it(run: Run[None], port: int) -> None:
    async def main() -> None:
        with pytest.raises(UpstreamError, match=f"port {port} is out of range"):
            await Upstream().request("GET", f"http://127.0.0.1:{port}/", [])

    run(main())


def test_closing_the_pool_fails_a_pending_read(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(stalls_after(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            reading = asyncio.create_task(answer.read())
            await until(lambda: answer._waiter is not None)  # the reader waits for bytes
            await up.close()
            with pytest.raises(UpstreamError, match="closed by the proxy"):
                await reading

    run(main())


def test_closing_the_pool_does_not_complete_a_close_delimited_answer(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(stalls_after(b"HTTP/1.1 200 OK\r\n\r\npart")) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            await until(lambda: answer._buffered == 4)
            await up.close()  # not the peer's close: the body is cut short, not whole
            await peer.until(lambda: peer.eofs == 1)  # the client's connection_lost has run
            with pytest.raises(UpstreamError, match="closed by the proxy"):
                await answer.read()

    run(main())


def test_closing_an_answer_fails_a_reader_waiting_on_it(run: Run[None]) -> None:
    async def main() -> None:
        async with Peer(stalls_after(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) as peer:
            up = Upstream()
            answer = await up.request("GET", peer.origin + "/", [])
            reading = asyncio.create_task(answer.read())
            await until(lambda: answer._waiter is not None)  # the reader waits for bytes
            answer.close()  # from another task: the client went away, say
            with pytest.raises(UpstreamError, match="closed by the proxy"):
                await reading
            await up.close()

    run(main())


# -- 6. flow control ----------------------------------------------------------------------

DOWNLOAD = 8 << 20
UPLOAD = 32 << 20
PIECE = 64 << 10


def test_large_answer_read_slowly_stays_bounded_and_whole(run: Run[None]) -> None:
    body = hashlib.shake_256(b"download").digest(DOWNLOAD)

    async def script(conn: PeerConn) -> None:
        while await conn.head() is not None:
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % DOWNLOAD)
            for start in range(0, DOWNLOAD, PIECE):
                await conn.send(body[start : start + PIECE])

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            answer: Answer = await up.request("GET", peer.origin + "/big", [])
            conn = answer._conn
            parts: list[bytes] = []
            peak = 0  # the most bytes waiting when a chunk was taken
            async for chunk in answer.iter_chunks():
                parts.append(chunk)
                peak = max(peak, answer._buffered + len(chunk))
                # a slow reader: the next chunk is taken once the peer is held back
                await until(lambda: conn._paused or answer._complete)
            assert b"".join(parts) == body
            assert HIGH_WATER < peak <= HIGH_WATER + max(map(len, parts))
            answer.release()
            assert await get(up, peer.origin + "/big") == (200, body)  # reused, resumed
            await up.close()
            assert peer.connections == 1

    run(main())


def test_large_streamed_upload_follows_a_slow_peer(run: Run[None]) -> None:
    yielded = received = 0
    lag = 0  # bytes yielded by the body's generator and not yet read by the peer
    sent, got = hashlib.sha256(), hashlib.sha256()
    generator_done = False
    up: Upstream

    async def upload() -> AsyncIterator[bytes]:
        nonlocal yielded, generator_done
        for i in range(UPLOAD // PIECE):
            if i == 0:  # small kernel buffers, so what waits is mostly the client's own
                sock = next(iter(up._all)).transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIECE)
            chunk = i.to_bytes(4, "big") * (PIECE // 4)
            sent.update(chunk)
            yielded += len(chunk)
            yield chunk
        generator_done = True

    def client_blocked() -> bool:
        conn = next(iter(up._all))
        return generator_done or (conn._drain is not None and not conn._drain.done())

    async def script(conn: PeerConn) -> None:
        nonlocal received, lag
        await conn.head()
        async for chunk in conn.chunks():
            got.update(chunk)
            received += len(chunk)
            lag = max(lag, yielded - received)
            await until(client_blocked)  # a slow peer: reads once the client waits on it
        await conn.send(OK)

    async def main() -> None:
        nonlocal up
        async with Peer(script, rcvbuf=PIECE) as peer:
            up = Upstream()
            answer = await up.request("POST", peer.origin + "/up", [], upload())
            assert (answer.status, await answer.read()) == (200, b"ok")
            await up.close()

    run(main())
    assert (received, got.digest()) == (UPLOAD, sent.digest())
    assert lag <= 2 << 20, f"the body ran {lag} bytes ahead of the peer"


def test_peer_that_stops_reading_an_upload_times_out(run: Run[None]) -> None:
    async def upload() -> AsyncIterator[bytes]:
        for _ in range(UPLOAD // PIECE):
            yield bytes(PIECE)

    async def script(conn: PeerConn) -> None:
        await conn.head()
        await conn.reader.readexactly(PIECE)
        await peer_done.wait()  # then reads no more and answers nothing

    peer_done = asyncio.Event()

    async def main() -> None:
        async with Peer(script, rcvbuf=PIECE) as peer:
            up = Upstream(read_timeout=0.2)
            try:
                with pytest.raises(
                    UpstreamTimeout, match=re.escape("took no byte of the request for 0.2 s")
                ):
                    await up.request("POST", peer.origin, [], upload())
            finally:
                peer_done.set()
                await up.close()

    run(main())


# -- 7. an early answer -------------------------------------------------------------------


def test_early_answer_to_a_streamed_upload_is_returned(run: Run[None]) -> None:
    yielded = 0

    async def upload() -> AsyncIterator[bytes]:
        nonlocal yielded
        for _ in range(UPLOAD // PIECE):
            yielded += PIECE
            yield bytes(PIECE)

    async def script(conn: PeerConn) -> None:
        await conn.head()
        await conn.reader.readexactly(PIECE)  # a part of the upload, then the verdict
        await conn.send(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\n"
            b"Connection: close\r\n\r\ntoo big"
        )
        conn.close()

    async def main() -> None:
        async with Peer(script) as peer:
            up = Upstream()
            answer = await up.request("POST", peer.origin + "/up", [], upload())
            assert (answer.status, await answer.read()) == (413, b"too big")
            await up.close()
        assert yielded < UPLOAD  # the upload stopped

    run(main())


def test_early_answer_from_a_peer_that_stops_reading_is_returned(run: Run[None]) -> None:
    """The peer answers, keeps the connection open and reads no more: the answer is
    returned (not a timeout while the upload waits to drain), the upload stops and the
    connection is not reused (the peer still waits for the rest of a body)."""
    yielded = 0

    async def upload() -> AsyncIterator[bytes]:
        nonlocal yielded
        for _ in range(UPLOAD // PIECE):
            yielded += PIECE
            yield bytes(PIECE)

    async def script(conn: PeerConn) -> None:
        if conn.index > 0:  # the next request's connection
            await answering(OK)(conn)
            return
        await conn.head()
        await conn.reader.readexactly(PIECE)
        await conn.send(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\n\r\ntoo big")
        await done.wait()  # reads no more, keeps the connection open

    done = asyncio.Event()

    async def main() -> None:
        async with Peer(script, rcvbuf=PIECE) as peer:
            up = Upstream(read_timeout=30.0)  # never reached: the answer ends the wait
            try:
                answer = await up.request("POST", peer.origin + "/up", [], upload())
                assert (answer.status, await answer.read()) == (413, b"too big")
                answer.release()
                assert await get(up, peer.origin + "/next") == (200, b"ok")
                assert peer.connections == 2
            finally:
                done.set()  # the script ends, whatever happened
                await up.close()
        assert yielded < UPLOAD

    run(main())


# -- 8. https -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_peer_context() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(a server context with a certificate for 127.0.0.1 from a fresh CA, a client
    context trusting that CA)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_https_peer_verified_with_the_given_context(
    run: Run[None], tls_peer_context: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server, client = tls_peer_context

    async def main() -> None:
        async with Peer(answering(OK), ssl_context=server) as peer:
            up = Upstream(ssl=client)
            for _ in range(2):
                assert await get(up, peer.origin + "/") == (200, b"ok")
            await up.close()
            assert peer.connections == 1

    run(main())


def test_https_peer_of_an_untrusted_ca_is_refused(
    run: Run[None], tls_peer_context: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server, _ = tls_peer_context

    async def main() -> None:
        async with Peer(answering(OK), ssl_context=server) as peer:
            up = Upstream()  # the system's CAs
            with pytest.raises(
                UpstreamError, match=f"cannot connect to {peer.origin}: .*CERTIFICATE_VERIFY_FAILED"
            ):
                await up.request("GET", peer.origin + "/", [])
            assert peer.heads == []

    run(main())
