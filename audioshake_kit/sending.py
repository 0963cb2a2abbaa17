"""Sending API operations, written once without I/O (steps in ``flow``).

- ``send_flow``: one operation with retries (``retries.py`` decides).
- ``create_flow``: ``POST /tasks``, never re-sent blindly. After an ambiguous failure
  (no answer, timeout, 5xx, an unreadable 200) it pages ``GET /tasks`` (newest first)
  back to the moment the request was sent, allowing ``CLOCK_SKEW_S`` for the two clocks,
  and returns the newest task with the same source, targets and metadata that this client
  does not already know. Only when there is none is the request sent again, unchanged.
  The lookup is a read: when it fails (no answer, 5xx, 429) it is tried again with
  backoff for up to ``lookup_timeout`` seconds (``CREATE_LOOKUP_TIMEOUT_S`` by default),
  because a task whose id is lost is paid for and cannot be resumed. When it gives up,
  the error carries ``.lookup`` (``CreateLookup``): what to look for in ``list_tasks()``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from .domain.catalog import Catalog
from .domain.rules import effective_variant
from .domain.words import plural
from .errors import APIConnectionError, APIError, APIStatusError, UnexpectedResponseError
from .flow import Flow, Op, Send, Sleep
from .responses import unwrap
from .retries import retry_delay, should_retry

if TYPE_CHECKING:  # the generated client loads with the first request, not on import
    from audioshake_client.models import Task
    from audioshake_client.types import Unset

__all__ = [
    "CLOCK_SKEW_S",
    "CREATE_LOOKUP_TIMEOUT_S",
    "LIST_PAGE_SIZE",
    "CreateLookup",
    "KnownIds",
    "create_flow",
    "created_at",
    "send_flow",
    "task_matches",
]

T = TypeVar("T")

CLOCK_SKEW_S = 5.0
"""How far the service's clock may differ from ours (seconds), when dating a task."""
LIST_PAGE_SIZE = 100
"""Tasks per ``GET /tasks`` page."""
MAX_LOOKUP_PAGES = 20
CREATE_LOOKUP_TIMEOUT_S = 120.0
"""How long, by default, a failed create keeps looking for the task it may have made."""


@dataclass(frozen=True, slots=True)
class CreateLookup:
    """What a create whose answer was lost could not settle: a task made from ``body``
    may exist, created after ``since`` (unix seconds, skew allowed). Find it with
    ``list_tasks()`` and ``task_matches(body, task, catalog)`` before creating again."""

    body: Mapping[str, Any]
    since: float
    attempts: int
    last_error: APIError


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


def _now(clock: Callable[[], float]) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def send_flow(
    op: Op[T], *, max_retries: int, rng: random.Random, clock: Callable[[], float]
) -> Flow[T]:
    """Send ``op``; retry what ``should_retry`` allows, waiting ``retry_delay``."""
    attempt = 0
    while True:
        answer = yield Send(op)
        try:
            result: T = unwrap(answer)
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
    lookup_timeout: float = CREATE_LOOKUP_TIMEOUT_S,
) -> Flow[Task]:
    """``POST /tasks`` that never pays twice for one call (see the module docstring).

    ``body`` is the wire body sent; ``known`` holds ids this client already has, and
    gets the new one."""
    attempt = 0
    while True:
        sent_at = clock()
        answer = yield Send(create)
        try:
            task: Task = unwrap(answer)
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
        found = yield from _look_for_created(
            error,
            list_page,
            body,
            sent_at - CLOCK_SKEW_S,
            known,
            catalog,
            lookup_timeout=lookup_timeout,
            max_retries=max_retries,
            rng=rng,
            clock=clock,
        )
        if found is not None:
            known.add(found.id)
            return found
        if attempt >= max_retries:
            raise error
        attempt += 1


def _look_for_created(
    error: APIError,
    list_page: Callable[[int, int], Op[list[Task]]],
    body: Mapping[str, Any],
    since: float,
    known: KnownIds,
    catalog: Catalog,
    *,
    lookup_timeout: float,
    max_retries: int,
    rng: random.Random,
    clock: Callable[[], float],
) -> Flow[Task | None]:
    """The task the failed create made, None if there is none; a lookup that fails is
    tried again until ``lookup_timeout`` has passed, then ``error`` is raised with
    ``.lookup`` and a note saying where to look."""
    deadline = clock() + lookup_timeout
    tries = 0
    while True:
        tries += 1
        try:
            return (
                yield from _find_created(
                    list_page,
                    body,
                    since,
                    known,
                    catalog,
                    max_retries=max_retries,
                    rng=rng,
                    clock=clock,
                )
            )
        except APIError as lookup_error:
            delay = retry_delay(lookup_error, tries - 1, rng, now=_now(clock))
            if not should_retry(lookup_error, "GET") or clock() + delay > deadline:
                error.lookup = CreateLookup(body, since, tries, lookup_error)
                after = datetime.fromtimestamp(since, UTC).isoformat()
                error.add_note(
                    f"the task may exist and be billed: the create's answer was lost and"
                    f" {plural(tries, 'lookup')} over {lookup_timeout:g} s failed (last: {lookup_error})."
                    f" Find it with list_tasks(): created after {after}"
                    " with the same source and targets (error.lookup holds them); do not"
                    " create it again before you have looked"
                )
                raise error from None
            yield Sleep(delay)


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
            if created_at(task) < since:
                return None
            if task.id not in known and task_matches(body, task, catalog):
                return task
        if len(page) < LIST_PAGE_SIZE:
            return None
    return None


def created_at(task: Task) -> float:
    """When the service created ``task``, in unix seconds (a time without zone is UTC)."""
    when = task.created_at
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def task_matches(body: Mapping[str, Any], task: Task, catalog: Catalog) -> bool:
    """Whether ``task`` is what ``body`` would create: same source, metadata and targets
    (model, variant, formats, residual, language). A source the task does not report is
    no evidence against it (a real task may omit ``assetId``/``url``)."""
    from audioshake_client.types import Unset

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
    from audioshake_client.types import Unset

    return None if isinstance(value, Unset) else value
