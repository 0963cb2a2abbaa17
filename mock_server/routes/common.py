"""Helpers shared by route modules."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from ..endpoint import Handler
from ..errors import MockError
from ..uploads import declares_more_than

Operations = dict[str, tuple[str, Handler]]

MAX_JSON_BYTES = 1 << 20  # a 20-target task with 4 KiB of metadata is under 10 KiB


async def read_body(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The body, up to ``limit`` bytes: 413 from a larger Content-Length before reading,
    or as soon as the bytes read pass the limit (the rest is never buffered)."""
    if declares_more_than(request.headers, limit):
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> MockError:
    return MockError(413, f"body: larger than the {limit}-byte limit for JSON bodies")


async def json_body(request: Request) -> Any:
    """The parsed JSON body, or 400 naming what is wrong with it (413 above 1 MiB)."""
    raw = await read_body(request)
    if not raw:
        raise MockError(400, "body: a JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MockError(400, f"body: malformed JSON ({exc})") from None


_BASE_URLS: dict[tuple[Any, ...], str] = {}
_BASE_URLS_MAX = 1024


def base_url(request: Request) -> str:
    """Starlette's ``request.base_url`` without the slash, cached by everything it is
    built from (building it parses two URLs, a visible cost on every read of a task)."""
    scope = request.scope
    server = scope.get("server")
    key = (
        scope.get("scheme"),
        request.headers.get("host"),
        None if server is None else tuple(server),
        scope.get("app_root_path", scope.get("root_path", "")),
    )
    url = _BASE_URLS.get(key)
    if url is None:
        url = str(request.base_url).rstrip("/")
        if len(_BASE_URLS) < _BASE_URLS_MAX:
            _BASE_URLS[key] = url
    return url
