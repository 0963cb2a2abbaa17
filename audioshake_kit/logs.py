"""What the clients say through :mod:`logging`, silent unless asked.

Logger names (``audioshake_kit`` has a ``NullHandler``: nothing is printed until the
program configures logging, e.g. ``logging.basicConfig(level=logging.DEBUG)``):

- ``audioshake_kit.http`` (DEBUG): each request and its answer: method, URL, status,
  time in ms, the ``X-Request-Id``; an attempt that got no answer; each retry, its wait
  and its reason. API keys are never logged (no headers are), and a query string other
  than the API's own paging and statistics parameters (a signed download link's
  signature) shows as ``?<redacted>``.

``audioshake -v`` attaches a stderr handler to ``audioshake_kit`` at DEBUG.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx loads with the client, not with this module (the CLI's -v)
    import httpx

__all__ = [
    "HTTP_LOGGER",
    "LOGGER",
    "PLAIN_PARAMETERS",
    "alog_request",
    "alog_response",
    "log_request",
    "log_response",
    "redact_url",
]

LOGGER = "audioshake_kit"
"""The root logger of the kit."""
HTTP_LOGGER = "audioshake_kit.http"
"""Requests, answers and retries (DEBUG)."""

logging.getLogger(LOGGER).addHandler(logging.NullHandler())
http_log = logging.getLogger(HTTP_LOGGER)

_STARTED = "audioshake_started"  # request.extensions key: perf_counter at send


PLAIN_PARAMETERS = frozenset({"skip", "take", "name"})
"""Query parameters of the API's own requests, logged as they are."""


def redact_url(url: httpx.URL | str) -> str:
    """``url`` as logged: a query string with any parameter other than
    ``PLAIN_PARAMETERS`` (a signed link's ``expires`` and signature) becomes
    ``?<redacted>``."""
    text = str(url)
    base, sep, query = text.partition("?")
    keys = {part.partition("=")[0] for part in query.split("&") if part}
    if not sep or keys <= PLAIN_PARAMETERS:
        return text
    return f"{base}?<redacted>"


def log_request(request: httpx.Request) -> None:
    """httpx request hook (sync clients): note when the request was sent."""
    request.extensions[_STARTED] = time.perf_counter()


def log_response(response: httpx.Response) -> None:
    """httpx response hook (sync clients): log the request and its answer."""
    if not http_log.isEnabledFor(logging.DEBUG):
        return
    request = response.request
    rid = response.headers.get("x-request-id")
    http_log.debug(
        "%s %s -> %d in %s%s",
        request.method,
        redact_url(request.url),
        response.status_code,
        _elapsed(request),
        f" (request id {rid})" if rid else "",
    )


async def alog_request(request: httpx.Request) -> None:
    """httpx request hook (async clients)."""
    log_request(request)


async def alog_response(response: httpx.Response) -> None:
    """httpx response hook (async clients)."""
    log_response(response)


def _elapsed(request: httpx.Request) -> str:
    started = request.extensions.get(_STARTED)
    if not isinstance(started, float):
        return "? ms"
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"
