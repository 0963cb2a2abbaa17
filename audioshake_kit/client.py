"""``AudioShake``: the synchronous client. Its twin is ``async_client.AsyncAudioShake``;
everything they share lives in ``_base`` and the flows it builds (``flow``); the one
driver, ``_run``, is where this client sends, sleeps and writes files."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx

from ._base import (
    DEFAULT_TIMEOUT,
    AttemptLog,
    BaseClient,
    ProgressReader,
    configure_http_client,
)
from .domain.catalog import Catalog
from .errors import after_task_created
from .flow import Answer, Flow, Op, Send, Sleep
from .ratelimit import SERVICE_LIMIT, Limiter, ServiceLimit, resolve_limiter
from .responses import ATTEMPT_ERRORS, LAST_RESPONSE, failed_attempt
from .retries import MAX_RETRIES
from .sending import LIST_PAGE_SIZE
from .types import Estimate, Layout, TargetLike, TaskResult, outputs_dir

if TYPE_CHECKING:  # the generated client loads when a client is built, not on import
    from audioshake_client.models import (
        Asset,
        DistributionStatistic,
        Model,
        Target,
        Task,
        UsageStatistic,
    )

    from .batch import BatchEvent, BatchReport
    from .downloads import PlannedOutput, ProgressCallback

__all__ = ["AudioShake"]

T = TypeVar("T")


class AudioShake(BaseClient):
    """Client of the AudioShake Tasks API.

    - ``api_key``: else ``AUDIOSHAKE_API_KEY`` (else an ``x-api-key`` header already on
      ``http_client``); ``ConfigurationError`` when none is found.
    - ``base_url``: else ``http_client``'s own base URL, else ``AUDIOSHAKE_BASE_URL``, else
      https://api.audioshake.ai.
    - ``http_client``: your ``httpx.Client`` (transport, proxies, a mock). The client sets
      its ``x-api-key`` header and base URL and adds one response hook; ``close()`` leaves
      it open. ``timeout`` applies only to the client made when none is given.
    - ``clock`` (unix seconds, default ``time.time``) and ``sleep`` (default
      ``time.sleep``): all timing goes through them: deadlines, backoff, the rate limiter,
      and dating ``POST /tasks`` against the service's ``createdAt``.
    - ``rate_limit``: ``ratelimit.SERVICE_LIMIT`` (the default: the catalog's requests per
      second), another number of requests per rolling second, ``None`` (no limiter), or
      a limiter shared with other clients (a ``RateLimiter``, or anything with
      ``acquire()``).
    - ``max_retries``: per request, for reads, uploads and 429s.

    ``clock``, ``sleep``, ``rng``, ``limiter`` and ``http_client`` read back what it uses.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        rate_limit: int | Limiter | ServiceLimit | None = SERVICE_LIMIT,
        max_retries: int = MAX_RETRIES,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        rng: random.Random | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._sleep = sleep or time.sleep
        super().__init__(
            api_key,
            base_url=base_url,
            http_client=http_client,
            clock=clock,
            max_retries=max_retries,
            rng=rng,
            catalog=catalog,
        )
        self._limiter: Limiter | None = resolve_limiter(
            rate_limit, self.catalog, clock=self._clock, sleep=self._sleep, async_sleep=anyio.sleep
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        configure_http_client(self._http, self.api_key, self.base_url)
        self._api.set_httpx_client(self._http)

    @property
    def http_client(self) -> httpx.Client:
        """The httpx client every request goes through (yours, or the one made)."""
        return self._http

    @property
    def sleep(self) -> Callable[[float], None]:
        """How this client waits: backoff, polling, the rate limiter."""
        return self._sleep

    @property
    def limiter(self) -> Limiter | None:
        """The rate limiter every API request passes (None: no limiter)."""
        return self._limiter

    # -- the one driver of the I/O-free flows ----------------------------------------------

    def _run(self, flow: Flow[T]) -> T:
        """Run ``flow`` to its end, answering each step (see ``flow``)."""
        answer: Answer = None
        seen = AttemptLog(self._clock, self.base_url)
        while True:
            try:
                step = flow.send(answer)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if isinstance(step, Send):
                answer = self._attempt(step.op)
                seen.answered(step.op.method, step.op.path, answer)
            elif isinstance(step, Sleep):
                seen.sleeping(step.seconds)
                self._sleep(step.seconds)
                answer = None
            else:
                from .downloads import stream_sync

                answer = stream_sync(self._http, step.link, step.output, step.on_progress)
                seen.answered("GET", step.link, answer)

    def _attempt(self, op: Op[Any]) -> Answer:
        if self._limiter is not None:
            self._limiter.acquire()
        LAST_RESPONSE.set(None)
        try:
            return op.sync(self._api)
        except ATTEMPT_ERRORS as exc:
            return failed_attempt(op, exc, self.base_url)

    def _send(self, op: Op[T]) -> T:
        return self._run(self._send_flow(op))

    # -- the API --------------------------------------------------------------------------

    def upload(
        self,
        path: str | os.PathLike[str],
        *,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> Asset:
        """Upload a file (checked first: exists, type by content, ≤ 2 GiB), streamed from
        disk. ``on_progress(bytes_sent, total)`` is called as it goes."""
        check = self._check_upload(path)
        reader = ProgressReader(check.path, check.size, on_progress)
        try:
            return self._send(self._op_upload(check, reader))
        finally:
            reader.close()

    def create_task(
        self,
        targets: Sequence[TargetLike] | TargetLike,
        *,
        asset_id: str | None = None,
        url: str | None = None,
        metadata: str | None = None,
        callback_url: str | None = None,
    ) -> Task:
        """Create a task from one source (``asset_id`` or an HTTPS ``url``) and 1–20
        targets, validated against the catalog first. Never creates (and bills) two tasks
        for one call: after an ambiguous failure it looks for the task before re-sending."""
        body, request = self._task_body(
            targets, asset_id=asset_id, url=url, metadata=metadata, callback_url=callback_url
        )
        return self._run(self._create_flow(body, request))

    def get_task(self, task_id: str) -> Task:
        """The task now (with fresh output links, valid 1 h)."""
        return self._send(self._op_get_task(self._task_id(task_id)))

    def list_tasks(self) -> Iterator[Task]:
        """Every task of the account, newest first, fetched 100 at a time."""
        seen: set[str] = set()
        skip = 0
        while True:
            page = self._send(self._op_list_tasks(skip, LIST_PAGE_SIZE))
            for task in page:
                if task.id not in seen:  # a task created meanwhile shifts the pages
                    seen.add(task.id)
                    yield task
            if len(page) < LIST_PAGE_SIZE:
                return
            skip += len(page)

    def list_assets(self) -> list[Asset]:
        """The account's live (unexpired) assets, newest first."""
        return self._send(self._op_list_assets())

    def models(self) -> list[Model]:
        """The models available to the account, with its rates."""
        return self._send(self._op_models()).models

    def usage(self, name: str = "usage") -> list[UsageStatistic | DistributionStatistic]:
        """Statistics: ``"usage"`` per month or ``"distribution"`` per model."""
        return self._send(self._op_usage(name))

    def wait(
        self,
        task_or_id: Task | TaskResult | str,
        *,
        timeout: float | None = None,
        on_target: Callable[[Target], object] | None = None,
        raise_on_failure: bool = False,
    ) -> TaskResult:
        """Poll until every target is completed or error (see ``polling``). Returns even
        when targets failed (check ``result.failed``) unless ``raise_on_failure``;
        ``WaitTimeoutError`` (with ``.task``) after ``timeout`` seconds."""
        flow = self._wait_flow(self._task_id(task_or_id), timeout, on_target)
        return self._result(self._run(flow), raise_on_failure)

    def download(
        self,
        result_or_task: TaskResult | Task | str,
        dest_dir: str | os.PathLike[str],
        *,
        formats: Collection[str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Path]:
        """Save the outputs of the completed targets to ``dest_dir`` (see ``downloads``):
        atomically, resuming ``.part`` files, refreshing expired links once.
        ``on_progress(path, bytes_done, total_or_None)``."""
        if isinstance(result_or_task, str):
            task = self.get_task(result_or_task)
        else:
            task = result_or_task.task if isinstance(result_or_task, TaskResult) else result_or_task
        from .downloads import plan_downloads

        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        return [
            self.download_output(out, on_progress) for out in plan_downloads(task, dest, formats)
        ]

    def download_output(
        self, output: PlannedOutput, on_progress: ProgressCallback | None = None
    ) -> Path:
        """Save one output planned by ``downloads.plan_downloads`` to ``output.path`` (its
        folder must exist), as ``download`` does: atomically, resuming its ``.part`` file,
        refreshing an expired link once. Returns the path."""
        return self._run(self._download_flow(output, on_progress))

    def separate(
        self,
        path: str | os.PathLike[str],
        targets: Sequence[TargetLike] | TargetLike,
        dest_dir: str | os.PathLike[str],
        *,
        metadata: str | None = None,
        timeout: float | None = None,
        on_target: Callable[[Target], object] | None = None,
        raise_on_failure: bool = False,
        layout: Layout = "song",
    ) -> TaskResult:
        """Upload → create → wait → download, in one call. Targets are checked before the
        upload. The outputs go to ``dest_dir/<file stem>/`` (``layout="song"``, the
        default: as ``audioshake separate -o DIR`` and ``batch()`` write them), or into
        ``dest_dir`` itself with ``layout="flat"`` (the default of 0.1). The result's
        ``files`` are the saved outputs of the targets that succeeded."""
        wires = self._check_targets(targets)
        out = outputs_dir(path, dest_dir, layout)
        asset = self.upload(path)
        task = self.create_task(wires, asset_id=asset.id, metadata=metadata)
        with after_task_created(task.id):
            result = self.wait(task, timeout=timeout, on_target=on_target)
            files = self.download(result, out)
        result = replace(result, files=tuple(files))
        if raise_on_failure:
            self._result(result.task, raise_on_failure=True)
        return result

    def estimate(
        self,
        path_or_seconds: str | os.PathLike[str] | float,
        targets: Sequence[TargetLike] | TargetLike,
    ) -> Estimate:
        """Credits the targets would cost on this file (or this many seconds), by the
        probe and billing rules the service's mock uses. Sends nothing."""
        return self._estimate(path_or_seconds, self._check_targets(targets))

    def batch(
        self,
        input_dir: str | os.PathLike[str],
        targets: Sequence[TargetLike] | TargetLike,
        out_dir: str | os.PathLike[str],
        *,
        recursive: bool = False,
        concurrency: int = 4,
        rate: int | None = None,
        dry_run: bool = False,
        restart: bool = False,
        timeout: float | None = None,
        on_event: Callable[[BatchEvent], object] | None = None,
    ) -> BatchReport:
        """Run the targets on every media file of ``input_dir`` (``recursive``: and its
        subfolders), outputs to ``out_dir/<relative path without suffix>/``. Resumable:
        a manifest in ``out_dir`` records each step, so calling again continues (after a
        crash too) and no file's task is created or paid twice; ``restart`` starts a new
        manifest (tasks already created are kept). ``concurrency`` workers upload and
        download; every request goes through one limiter: this client's, or a new one
        at ``rate`` per second. The batch owns its tasks' ``metadata`` (an idempotency
        token). ``dry_run`` estimates and sends nothing. ``timeout`` (seconds) stops
        early; ``on_event`` sees each step (from worker threads). Sync only; see
        ``audioshake_kit.batch``."""
        from .batch import run_batch  # loaded on first use: most programs never batch

        return run_batch(
            self,
            input_dir,
            targets,
            out_dir,
            recursive=recursive,
            concurrency=concurrency,
            rate=rate,
            dry_run=dry_run,
            restart=restart,
            timeout=timeout,
            on_event=on_event,
        )

    def close(self) -> None:
        """Close the httpx client if this client made it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AudioShake:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
