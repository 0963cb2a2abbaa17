"""The served mock's access log: one line per request on the logger ``mock_server.access``.

Each line names the method, the path (query values redacted: signed download links carry
their signature there), the status, the latency in ms, the request id (``X-Request-Id``)
and the API key as a short hash (``key=`` the first 8 hex digits of its SHA-256), never
the key itself; ``/_mock/`` admin requests are marked as such, and the dashboard's
background polls (``GET /_mock/…`` with the header ``X-Mock-Poll``) are left out, while
its actions are logged. ``audioshake-mock serve``
calls ``configure`` (human-readable lines or one JSON object per line on stderr; off with
``--quiet``). Unconfigured, the logger is below its level and ``AccessLog`` passes each
request straight through: a mock in process (the harness, the pytest plugin) logs nothing
unless a test turns the logger on.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from typing import Any, Literal, TextIO

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ACCESS_LOGGER",
    "AccessLog",
    "configure",
    "enabled",
    "key_hash",
    "log_request",
    "loggable_target",
]

ACCESS_LOGGER = "mock_server.access"
REDACTED = "***"
_KEYS_PREFIX = "/_mock/keys/"  # the only route with an API key in its path

access = logging.getLogger(ACCESS_LOGGER)
if access.level == logging.NOTSET:  # off until asked, whatever the root logger's level
    access.setLevel(logging.WARNING)

LogFormat = Literal["text", "json"]
_handler: logging.Handler | None = None  # the one configure() installed


def key_hash(key: str | bytes | None) -> str | None:
    """The first 8 hex digits of the key's SHA-256 (None without a key)."""
    if not key:
        return None
    raw = key.encode("utf-8") if isinstance(key, str) else key
    return hashlib.sha256(raw).hexdigest()[:8]


def loggable_target(path: str, query: bytes = b"") -> str:
    """``path`` and the query's names, each value replaced by ``***``; a key in a
    ``/_mock/keys/{key}`` path is replaced by its hash."""
    if path.startswith(_KEYS_PREFIX):
        path = f"{_KEYS_PREFIX}key={key_hash(path[len(_KEYS_PREFIX) :]) or ''}"
    if not query:
        return path
    names = [part.split(b"=", 1)[0] for part in query.split(b"&") if part]
    redacted = "&".join(f"{name.decode('latin-1')}={REDACTED}" for name in names)
    return f"{path}?{redacted}"


class AccessLog:
    """ASGI middleware (outermost, so it sees the request id every answer is stamped
    with): logs each HTTP request once its answer has been sent, or once it failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not enabled()
            or (
                scope["method"] == "GET"
                and scope["path"].startswith("/_mock/")
                and any(name == b"x-mock-poll" for name, _ in scope["headers"])
            )
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-request-id":
                        seen["rid"] = value.decode("latin-1")
            await send(message)

        outcome = None
        try:
            await self.app(scope, receive, watch)
        except BaseException:
            # A dropped connection (an HTTP fault) fails after its answer started.
            outcome = "dropped" if "status" in seen else "error"
            raise
        finally:
            _log(scope, seen, outcome, (time.perf_counter() - started) * 1000)


def _log(scope: Scope, seen: dict[str, Any], outcome: str | None, ms: float) -> None:
    raw_path = scope.get("raw_path")
    log_request(
        scope["method"],
        raw_path.decode("latin-1") if raw_path else scope["path"],
        scope.get("query_string", b""),
        status=seen.get("status", 500),
        ms=ms,
        request_id=seen.get("rid"),
        key=next((v for k, v in scope["headers"] if k == b"x-api-key"), None),
        outcome=outcome,
    )


def enabled() -> bool:
    """Whether the access log is on (``configure``)."""
    return access.isEnabledFor(logging.INFO)


def log_request(
    method: str,
    path: str,
    query: bytes,
    *,
    status: int,
    ms: float,
    request_id: str | None,
    key: str | bytes | None,
    outcome: str | None = None,
) -> None:
    """One access log line (``path`` as sent; a query in it or in ``query`` is redacted)."""
    path, _, in_path = path.partition("?")  # some servers keep the query in the path
    fields: dict[str, Any] = {
        "method": method,
        "path": loggable_target(path, query or in_path.encode("latin-1")),
        "status": status,
        "ms": round(ms, 2),
        "requestId": request_id,
        "key": key_hash(key),
        "admin": path.startswith("/_mock/"),
    }
    if outcome is not None:
        fields["outcome"] = outcome
    access.info(
        "%s %s %s %.1fms %s key=%s%s%s",
        fields["method"],
        fields["path"],
        fields["status"],
        ms,
        fields["requestId"] or "-",
        fields["key"] or "-",
        " admin" if fields["admin"] else "",
        f" {outcome}" if outcome else "",
        extra={"access": fields},
    )


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(message)s", "%Y-%m-%dT%H:%M:%S")
        self.converter = time.gmtime  # UTC, as the Z says


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "access", None) or {"message": record.getMessage()}
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        stamp = f"{when}.{int(record.msecs):03d}Z"
        return orjson.dumps({"time": stamp, **fields}).decode()


def configure(fmt: LogFormat | None, stream: TextIO | None = None) -> None:
    """Turn the access log on (``fmt``: ``text`` or ``json``, to ``stream``, stderr by
    default) or off (``None``). Replaces what an earlier call set up."""
    global _handler
    if _handler is not None:
        access.removeHandler(_handler)
        _handler = None
    if fmt is None:
        access.setLevel(logging.WARNING)
        access.propagate = True
        return
    _handler = logging.StreamHandler(stream or sys.stderr)
    _handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    access.addHandler(_handler)
    access.setLevel(logging.INFO)
    access.propagate = False
