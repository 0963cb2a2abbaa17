"""Downloading outputs through their signed links, resumable and atomic.

Planning and the retry logic are written once (``plan_downloads``, ``download_flow``,
``begin_write``); each client's driver only streams the bytes of a ``Download`` step
(``stream_sync`` / ``stream_async``).

- Each output goes to ``<dest>/<output name>.<ext>``; two outputs never share a path
  (the second gets ``_2``). Names from the service are sanitised.
- Bytes go to ``<file>.part``, are fsynced, then renamed: a file with the final name is
  always complete. An existing ``.part`` is resumed with ``Range: bytes=N-`` (a 206
  appends; a 200 starts again).
- A 403 means the link expired (1 h): the task is read again for fresh links and that
  output is retried once. Dropped connections and 5xx are retried with backoff, resuming.
- The API key is never sent to the file host.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import anyio
import httpx

from .domain.status import COMPLETED
from .errors import APIConnectionError, APIError, LinkExpiredError
from .flow import RESTART, Answer, Download, Flow, Op, Sleep
from .logs import redact_url
from .responses import error_from_response, no_answer
from .retries import retry_delay, should_retry
from .sending import send_flow

if TYPE_CHECKING:  # the generated client loads with the first request, not on import
    from audioshake_client.models import Task

__all__ = [
    "PlannedOutput",
    "ProgressCallback",
    "WritePlan",
    "begin_write",
    "download_flow",
    "plan_downloads",
    "stream_async",
    "stream_sync",
]

ProgressCallback = Callable[[Path, int, int | None], object]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_STRIP_HEADERS = ("x-api-key", "authorization")


@dataclass(frozen=True, slots=True)
class PlannedOutput:
    """One output of one target and where it goes."""

    task_id: str
    target_id: str
    name: str
    format: str
    link: str
    path: Path

    @property
    def part(self) -> Path:
        return self.path.with_name(self.path.name + ".part")


def _safe(text: str) -> str:
    """A file name part with no path separators, ``..`` or leading dots."""
    name = re.sub(r"_+", "_", _UNSAFE.sub("_", text.replace("..", "_")))
    return name.strip("._") or "output"


def plan_downloads(
    task: Task, dest_dir: Path, formats: Collection[str] | None = None
) -> list[PlannedOutput]:
    """The outputs of the task's completed targets (only ``formats`` when given), each with
    its own path in ``dest_dir``."""
    from audioshake_client.types import Unset

    wanted = {f.lower() for f in formats} if formats is not None else None
    used: set[Path] = set()
    plan = []
    for target in task.targets:
        if target.status != COMPLETED or isinstance(target.output, Unset):
            continue
        for out in target.output:
            if wanted is not None and out.format_.lower() not in wanted:
                continue
            stem, ext = _safe(out.name), _safe(out.format_)
            path, n = dest_dir / f"{stem}.{ext}", 1
            while path in used:
                n += 1
                path = dest_dir / f"{stem}_{n}.{ext}"
            used.add(path)
            plan.append(PlannedOutput(task.id, target.id, out.name, out.format_, out.link, path))
    return plan


def fresh_link(task: Task, item: PlannedOutput) -> str:
    """The current link of ``item`` in a re-read task."""
    from audioshake_client.types import Unset

    for target in task.targets:
        if target.id == item.target_id and not isinstance(target.output, Unset):
            for out in target.output:
                if out.name == item.name and out.format_ == item.format:
                    return out.link
    raise LinkExpiredError(
        f"output {item.name}.{item.format} is no longer offered by task {item.task_id}",
        status_code=403,
    )


# -- the per-output flow ---------------------------------------------------------------


def download_flow(
    item: PlannedOutput,
    refresh: Op[Task],
    *,
    on_progress: ProgressCallback | None,
    max_retries: int,
    rng: random.Random,
    clock: Callable[[], float],
) -> Flow[Path]:
    """Save one output: on a 403 read the task again with ``refresh`` (its
    ``GET /tasks/{id}``) for a fresh link, once; retry transient failures."""
    link, refreshed, attempt = item.link, False, 0
    while True:
        got = yield Download(link, item, on_progress)
        if got is None:
            return item.path
        if got == RESTART and attempt < max_retries:
            attempt += 1
            continue
        if isinstance(got, LinkExpiredError) and not refreshed:
            task = yield from send_flow(refresh, max_retries=max_retries, rng=rng, clock=clock)
            link, refreshed = fresh_link(task, item), True
            continue
        if isinstance(got, APIError) and attempt < max_retries and should_retry(got, "GET"):
            yield Sleep(retry_delay(got, attempt, rng))
            attempt += 1
            continue
        if isinstance(got, APIError):
            raise got
        raise APIConnectionError(f"could not resume {item.path.name}")


@dataclass(frozen=True, slots=True)
class WritePlan:
    """How to write an answer: ``mode`` ``"ab"`` (resume) or ``"wb"``; ``start`` bytes are
    already on disk; ``total`` is the full size when known; ``done``: nothing to write."""

    mode: Literal["ab", "wb"]
    start: int
    total: int | None
    done: bool = False


def begin_write(
    status: int, headers: Mapping[str, str], offset: int
) -> WritePlan | Literal["restart"] | None:
    """What to do with an answer to a GET sent with ``offset`` bytes already on disk:
    a ``WritePlan``, ``RESTART`` (drop the ``.part``), or None (an error status)."""
    length = headers.get("content-length")
    if status == 200:
        return WritePlan("wb", 0, int(length) if length and length.isdigit() else None)
    if status == 206:
        m = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if m is None or int(m[1]) != offset:
            return RESTART
        return WritePlan("ab", offset, None if m[3] == "*" else int(m[3]))
    if status == 416 and offset > 0:
        total = headers.get("content-range", "").rpartition("/")[2]
        return WritePlan("ab", offset, offset, done=True) if total == str(offset) else RESTART
    return None


def _request(http: httpx.Client | httpx.AsyncClient, link: str, offset: int) -> httpx.Request:
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    request = http.build_request("GET", link, headers=headers)
    for name in _STRIP_HEADERS:  # signed links need no key; never leak it to a CDN
        request.headers.pop(name, None)
    return request


def _offset(item: PlannedOutput) -> int:
    try:
        return item.part.stat().st_size
    except FileNotFoundError:
        return 0


def _restart(item: PlannedOutput) -> Literal["restart"]:
    item.part.unlink(missing_ok=True)
    return RESTART


def _status_error(status: int, content: bytes, headers: Mapping[str, str]) -> APIError:
    error = error_from_response(status, content, headers)
    if status == 403:
        return LinkExpiredError(
            error.message, status_code=403, request_id=error.request_id, headers=dict(headers)
        )
    return error


def _no_answer(item: PlannedOutput, link: str, exc: httpx.RequestError) -> APIConnectionError:
    """A download that got no answer, worded as an API call's ("download of vocals.wav:
    could not reach https://host/path?<redacted> (4 attempts over 3.1 s): connection
    refused"); the link's signature never shows."""
    return no_answer(f"download of {item.path.name}", exc, redact_url(link))


def _finish(item: PlannedOutput) -> None:
    os.replace(item.part, item.path)


def stream_sync(
    http: httpx.Client, link: str, item: PlannedOutput, on_progress: ProgressCallback | None
) -> Answer:
    """One attempt at one output: the answer to a ``Download`` step."""
    offset = _offset(item)
    try:
        r = http.send(_request(http, link, offset), stream=True, follow_redirects=True)
        try:
            plan = begin_write(r.status_code, r.headers, offset)
            if plan == RESTART:
                return _restart(item)
            if not isinstance(plan, WritePlan):
                return _status_error(r.status_code, r.read(), r.headers)
            if not plan.done:
                with item.part.open(plan.mode) as f:
                    done = plan.start
                    for chunk in r.iter_bytes():
                        f.write(chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            on_progress(item.path, done, plan.total)
                    f.flush()
                    os.fsync(f.fileno())
        finally:
            r.close()
    except httpx.RequestError as exc:
        return _no_answer(item, link, exc)
    _finish(item)
    return None


async def stream_async(
    http: httpx.AsyncClient,
    link: str,
    item: PlannedOutput,
    on_progress: ProgressCallback | None,
) -> Answer:
    """``stream_sync`` for ``httpx.AsyncClient``; file writes run in worker threads."""
    offset = _offset(item)
    try:
        request = _request(http, link, offset)
        r = await http.send(request, stream=True, follow_redirects=True)
        try:
            plan = begin_write(r.status_code, r.headers, offset)
            if plan == RESTART:
                return _restart(item)
            if not isinstance(plan, WritePlan):
                return _status_error(r.status_code, await r.aread(), r.headers)
            if not plan.done:
                async with await anyio.open_file(item.part, plan.mode) as f:
                    done = plan.start
                    async for chunk in r.aiter_bytes():
                        await f.write(chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            on_progress(item.path, done, plan.total)
                    await f.flush()
                    await anyio.to_thread.run_sync(os.fsync, f.wrapped.fileno())
        finally:
            await r.aclose()
    except httpx.RequestError as exc:
        return _no_answer(item, link, exc)
    await anyio.to_thread.run_sync(_finish, item)
    return None
