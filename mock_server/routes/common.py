"""Helpers shared by route modules."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from ..endpoint import Handler
from ..errors import MockError

Operations = dict[str, tuple[str, Handler]]


async def json_body(request: Request) -> Any:
    """The parsed JSON body, or 400 naming what is wrong with it."""
    raw = await request.body()
    if not raw:
        raise MockError(400, "body: a JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MockError(400, f"body: malformed JSON ({exc})") from None


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
