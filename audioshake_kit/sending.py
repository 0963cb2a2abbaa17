"""Calling the API, written once without I/O: flows are generators that yield ``Call(op)``
(one attempt of one generated ``*_detailed`` function; the driver sends back the
``Response`` or the ``APIError`` it became) or ``Sleep(seconds)``.

- ``send_flow``: one operation with retries (``retries.py`` decides).
- ``create_flow``: ``POST /tasks``, never re-sent blindly. After an ambiguous failure
  (no answer, timeout, 5xx, an unreadable 200) it pages ``GET /tasks`` (newest first)
  back to the moment the request was sent, allowing ``CLOCK_SKEW_S`` for the two clocks,
  and returns the newest task with the same source, targets and metadata that this client
  does not already know. Only when there is none is the request sent again, unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeAlias, TypeVar

import httpx
from audioshake_client.client import AuthenticatedClient
from audioshake_client.models import Error, Task
from audioshake_client.types import Response, Unset

from .domain.catalog import Catalog
from .domain.rules import effective_variant
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    UnexpectedResponseError,
    status_error,
)
from .polling import Sleep
from .retries import retry_delay, should_retry

__all__ = [
    "ATTEMPT_ERRORS",
    "CLOCK_SKEW_S",
    "LAST_RESPONSE",
    "Call",
    "KnownIds",
    "Op",
    "Outcome",
    "Step",
    "create_flow",
    "error_from_response",
    "failed_attempt",
    "send_flow",
    "task_matches",
    "unwrap",
]

T = TypeVar("T")

CLOCK_SKEW_S = 5.0  # how far the server's clock may differ from ours
LIST_PAGE_SIZE = 100
MAX_LOOKUP_PAGES = 20


@dataclass(frozen=True, slots=True)
class Op(Generic[T]):
    """One API operation, bound to its arguments: ``sync``/``asyncio`` call the generated
    ``sync_detailed``/``asyncio_detailed``. ``resendable`` marks a non-GET that is harmless
    to repeat (uploads)."""

    method: str
    path: str
    sync: Callable[[AuthenticatedClient], Response[T | Error]]
    asyncio: Callable[[AuthenticatedClient], Awaitable[Response[T | Error]]]
    resendable: bool = False


class KnownIds:
    """Ids of tasks this client created or found, the newest ``limit`` of them: a lookup
    never takes one of these for the task it is looking for."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: dict[str, None] = {}
        self._limit = limit

    def add(self, task_id: str) -> None:
        self._ids[task_id] = None
        if len(self._ids) > self._limit:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._ids


@dataclass(frozen=True, slots=True)
class Call:
    op: Op[Any]


Step: TypeAlias = Call | Sleep
Outcome: TypeAlias = Response[Any] | APIError
Flow: TypeAlias = Generator[Step, Outcome | None, T]


# The last raw answer of this thread/task, kept by a response hook that the clients add to
# their httpx client, so that an answer the generated parser chokes on (a proxy's HTML 429)
# is still classified by its status.
LAST_RESPONSE: contextvars.ContextVar[httpx.Response | None] = contextvars.ContextVar(
    "audioshake_last_response", default=None
)


def remember_response(response: httpx.Response) -> None:
    LAST_RESPONSE.set(response)


async def aremember_response(response: httpx.Response) -> None:
    LAST_RESPONSE.set(response)


ATTEMPT_ERRORS = (httpx.RequestError, ValueError, KeyError, TypeError)
"""What one generated call may raise: transport errors, and parse errors of its body."""


def failed_attempt(op: Op[Any], exc: Exception) -> APIError:
    """The one boundary where httpx's and the parser's exceptions become ``APIError``s."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{op.method} {op.path} timed out: {exc!r}")
    if isinstance(exc, httpx.RequestError):
        return APIConnectionError(f"{op.method} {op.path} got no answer: {exc!r}")
    response = LAST_RESPONSE.get()
    if response is None:  # nothing came back: not a parse error but a bug; let it show
        raise exc
    return unreadable(response, exc)


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


def unreadable(response: httpx.Response, exc: Exception) -> APIError:
    """A body the generated parser could not read: a status error for a non-2xx answer
    (a proxy's HTML 429 is still a 429), else ``UnexpectedResponseError``."""
    if response.status_code >= 400:
        return error_from_response(response.status_code, response.read(), response.headers)
    return UnexpectedResponseError(
        f"{response.status_code} response body does not match the API spec: {exc!r}",
        request_id=response.headers.get("x-request-id"),
    )


def unwrap(outcome: Outcome | None) -> Any:
    """The parsed body of a 2xx answer, else raise the matching ``APIError``."""
    if isinstance(outcome, APIError):
        raise outcome
    if outcome is None:  # pragma: no cover - a driver bug
        raise TypeError("a Call step must be answered with a Response or an APIError")
    if 200 <= outcome.status_code < 300:
        if outcome.parsed is None or isinstance(outcome.parsed, Error):
            rid = outcome.headers.get("x-request-id")
            raise UnexpectedResponseError(
                f"{int(outcome.status_code)} response with no readable body", request_id=rid
            )
        return outcome.parsed
    raise error_from_response(outcome.status_code, outcome.content, outcome.headers)


def _now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def send_flow(
    op: Op[T], *, max_retries: int, rng: random.Random, clock: Callable[[], float]
) -> Flow[T]:
    """Send ``op``; retry what ``should_retry`` allows, waiting ``retry_delay``."""
    attempt = 0
    while True:
        outcome = yield Call(op)
        try:
            result: T = unwrap(outcome)
            return result
        except APIError as exc:
            if attempt >= max_retries or not should_retry(exc, op.method, resendable=op.resendable):
                raise
            yield Sleep(retry_delay(exc, attempt, rng, now=_now(clock)))
            attempt += 1


def create_flow(
    create: Op[Task],
    list_page: Callable[[int, int], Op[list[Task]]],
    body: Mapping[str, Any],
    *,
    known: KnownIds,
    catalog: Catalog,
    max_retries: int,
    rng: random.Random,
    clock: Callable[[], float],
) -> Flow[Task]:
    """``POST /tasks`` that never pays twice for one call (see the module docstring).

    ``body`` is the wire body sent; ``known`` holds ids this client already has, and
    gets the new one."""
    attempt = 0
    while True:
        sent_at = clock()
        outcome = yield Call(create)
        try:
            task: Task = unwrap(outcome)
        except APIError as exc:
            error = exc
        else:
            known.add(task.id)
            return task
        if should_retry(error, "POST"):  # 429: the service did not process it
            if attempt >= max_retries:
                raise error
            yield Sleep(retry_delay(error, attempt, rng, now=_now(clock)))
            attempt += 1
            continue
        if not _ambiguous(error):
            raise error
        yield Sleep(retry_delay(error, attempt, rng, now=_now(clock)))  # let it settle
        try:
            found = yield from _find_created(
                list_page,
                body,
                sent_at - CLOCK_SKEW_S,
                known,
                catalog,
                max_retries=max_retries,
                rng=rng,
                clock=clock,
            )
        except APIError as lookup_error:
            error.add_note(
                f"looking for the task afterwards failed too ({lookup_error}): it may exist"
                " and be billed; find it with list_tasks() before creating it again"
            )
            raise error from None
        if found is not None:
            known.add(found.id)
            return found
        if attempt >= max_retries:
            raise error
        attempt += 1


def _ambiguous(error: APIError) -> bool:
    """The request may have been processed: no answer, a timeout, a 5xx, or a success
    whose body could not be read."""
    if isinstance(error, UnexpectedResponseError | APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and (
        error.status_code >= 500 or error.status_code == 408
    )


def _find_created(
    list_page: Callable[[int, int], Op[list[Task]]],
    body: Mapping[str, Any],
    since: float,
    known: KnownIds,
    catalog: Catalog,
    **retry: Any,
) -> Flow[Task | None]:
    for page_no in range(MAX_LOOKUP_PAGES):
        op = list_page(page_no * LIST_PAGE_SIZE, LIST_PAGE_SIZE)
        page: list[Task] = yield from send_flow(op, **retry)
        for task in page:
            if _timestamp(task.created_at) < since:
                return None
            if task.id not in known and task_matches(body, task, catalog):
                return task
        if len(page) < LIST_PAGE_SIZE:
            return None
    return None


def _timestamp(when: datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def task_matches(body: Mapping[str, Any], task: Task, catalog: Catalog) -> bool:
    """Whether ``task`` is what ``body`` would create: same source, metadata and targets
    (model, variant, formats, residual, language). A source the task does not report is
    no evidence against it (a real task may omit ``assetId``/``url``)."""
    for key, seen in (("assetId", task.asset_id), ("url", task.url)):
        if not isinstance(seen, Unset) and seen is not None and seen != body.get(key):
            return False
    metadata = None if isinstance(task.metadata, Unset) else task.metadata
    if metadata != body.get("metadata"):
        return False
    wanted = sorted(_target_key(catalog, t) for t in body["targets"])
    got = sorted(
        _target_key(
            catalog,
            {
                "model": t.model,
                "variant": _opt(t.variant),
                "formats": t.formats,
                "residual": _opt(t.residual),
                "language": _opt(t.language),
            },
        )
        for t in task.targets
    )
    if len(wanted) != len(got):
        return False
    return all(_same_target(w, g) for w, g in zip(wanted, got, strict=True))


_TargetKey: TypeAlias = tuple[str, str, tuple[str, ...], bool, str]


def _target_key(catalog: Catalog, t: Mapping[str, Any]) -> _TargetKey:
    model = str(t["model"])
    variant = t.get("variant")
    if model in catalog:
        variant = effective_variant(catalog, model, variant)
    formats = tuple(sorted(str(f) for f in t.get("formats") or ()))
    return (model, variant or "", formats, bool(t.get("residual")), t.get("language") or "")


def _same_target(wanted: _TargetKey, got: _TargetKey) -> bool:
    # A language left out of the request may come back filled in (auto-detected).
    return wanted[:4] == got[:4] and wanted[4] in ("", got[4])


def _opt(value: T | Unset | None) -> T | None:
    return None if isinstance(value, Unset) else value
