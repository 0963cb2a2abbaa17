"""The service's answers into results or ``APIError``s: the one boundary where httpx's
exceptions and the generated parser's failures become the kit's error tree.

- ``failed_attempt``: an attempt that raised (no answer, timeout, an unreadable body).
- ``unwrap``: a ``Response`` into its parsed body, or raise the matching ``APIError``.
- ``error_from_response``: the ``APIError`` of a non-2xx status, body and headers.

``LAST_RESPONSE`` keeps the raw answer of the current thread/task (set by a response hook
the clients add to their httpx client), so an answer the generated parser chokes on (a
proxy's HTML 429) is still classified by its status.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    UnexpectedResponseError,
    status_error,
)
from .flow import Answer, Op

__all__ = [
    "ATTEMPT_ERRORS",
    "LAST_RESPONSE",
    "aremember_response",
    "connect_reason",
    "error_from_response",
    "failed_attempt",
    "no_answer",
    "remember_response",
    "unwrap",
]

LAST_RESPONSE: contextvars.ContextVar[httpx.Response | None] = contextvars.ContextVar(
    "audioshake_last_response", default=None
)


def remember_response(response: httpx.Response) -> None:
    """httpx response hook (sync clients): keep the raw answer in ``LAST_RESPONSE``."""
    LAST_RESPONSE.set(response)


async def aremember_response(response: httpx.Response) -> None:
    """httpx response hook (async clients): keep the raw answer in ``LAST_RESPONSE``."""
    LAST_RESPONSE.set(response)


ATTEMPT_ERRORS = (httpx.RequestError, ValueError, KeyError, TypeError)
"""What one generated call may raise: transport errors, and parse errors of its body."""


def failed_attempt(op: Op[Any], exc: Exception, base_url: str | None = None) -> APIError:
    """The ``APIError`` an attempt of ``op`` (to ``base_url``) that raised ``exc`` became.
    A connection that could not be made names ``base_url`` and why ("GET /models: could
    not reach URL (1 attempt): connection refused"; the client counts the attempts)."""
    if isinstance(exc, httpx.RequestError):
        return no_answer(f"{op.method} {op.path}", exc, base_url)
    response = LAST_RESPONSE.get()
    if response is None:  # nothing came back: not a parse error but a bug; let it show
        raise exc
    return _unreadable(response, exc)


def no_answer(name: str, exc: httpx.RequestError, url: str | None) -> APIConnectionError:
    """The error of request ``name`` that raised ``exc``: when no connection could be made
    to ``url`` (already redacted: it goes into the message) it reads "NAME: could not
    reach URL (N attempts over S s): REASON" once the client has counted the attempts."""
    unreachable = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    where, reason = (url, connect_reason(exc)) if unreachable else (None, None)
    if isinstance(exc, httpx.TimeoutException):
        message = f"{name} timed out: {exc!r}"
        return APITimeoutError(message, url=where, request=name, reason=reason)
    message = f"{name} got no answer: {exc!r}"
    return APIConnectionError(message, url=where, request=name, reason=reason)


def connect_reason(exc: Exception) -> str:
    """Why a connection could not be made, for people: "connection refused"."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc).strip())
    if not text:
        return "connection failed"
    return text[0].lower() + text[1:]


def error_from_response(status: int, content: bytes, headers: Mapping[str, str]) -> APIError:
    """The exception for a non-2xx answer: message from the JSON body's ``message``."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = json.loads(content) if content else None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    else:
        message = content[:200].decode("utf-8", "replace").strip() or f"HTTP {status}"
    hdrs = dict(headers.items())
    request_id = next((v for k, v in hdrs.items() if k.lower() == "x-request-id"), None)
    return status_error(status, message, request_id=request_id, body=body, headers=hdrs)


def _unreadable(response: httpx.Response, exc: Exception) -> APIError:
    """A body the generated parser could not read: a status error for a non-2xx answer
    (a proxy's HTML 429 is still a 429), else ``UnexpectedResponseError``."""
    if response.status_code >= 400:
        return error_from_response(response.status_code, response.read(), response.headers)
    return UnexpectedResponseError(
        f"{response.status_code} response body does not match the API spec: {exc!r}",
        request_id=response.headers.get("x-request-id"),
    )


def unwrap(answer: Answer) -> Any:
    """The parsed body of a 2xx answer to a ``Send``, else raise the matching
    ``APIError``."""
    if isinstance(answer, APIError):
        raise answer
    if answer is None or isinstance(answer, str):  # pragma: no cover - a driver bug
        raise TypeError("a Send step must be answered with a Response or an APIError")
    if 200 <= answer.status_code < 300:
        from audioshake_client.models import Error

        if answer.parsed is None or isinstance(answer.parsed, Error):
            rid = answer.headers.get("x-request-id")
            raise UnexpectedResponseError(
                f"{int(answer.status_code)} response with no readable body", request_id=rid
            )
        return answer.parsed
    raise error_from_response(answer.status_code, answer.content, answer.headers)
