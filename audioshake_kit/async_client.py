"""``AsyncAudioShake``: ``AudioShake`` for async code (asyncio or trio, through anyio).
Same methods, same arguments; it differs only in its one driver, ``_run``, where it
sends, sleeps and touches files."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
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
from .ratelimit import SERVICE_LIMIT, AsyncLimiter, ServiceLimit, resolve_limiter
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

    from .downloads import PlannedOutput, ProgressCallback

__all__ = ["AsyncAudioShake"]

T = TypeVar("T")


class AsyncAudioShake(BaseClient):
    """The async twin of ``AudioShake`` (see its docstring for the arguments).

    ``http_client`` is an ``httpx.AsyncClient``; ``sleep`` an async function (default
    ``anyio.sleep``); a shared limiter needs ``aacquire()``. ``on_progress``/``on_target`` callbacks are plain functions."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rate_limit: int | AsyncLimiter | ServiceLimit | None = SERVICE_LIMIT,
        max_retries: int = MAX_RETRIES,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        rng: random.Random | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._sleep = sleep or anyio.sleep
        super().__init__(
            api_key,
            base_url=base_url,
            http_client=http_client,
            clock=clock,
            max_retries=max_retries,
            rng=rng,
            catalog=catalog,
        )
        self._limiter: AsyncLimiter | None = resolve_limiter(
            rate_limit,
            self.catalog,
            clock=self._clock,
            sleep=_no_sync_sleep,
            async_sleep=self._sleep,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        configure_http_client(self._http, self.api_key, self.base_url)
        self._api.set_async_httpx_client(self._http)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The httpx client every request goes through (yours, or the one made)."""
        return self._http

    @property
    def sleep(self) -> Callable[[float], Awaitable[None]]:
        """How this client waits: backoff, polling, the rate limiter."""
        return self._sleep

    @property
    def limiter(self) -> AsyncLimiter | None:
        """The rate limiter every API request passes (None: no limiter)."""
        return self._limiter

    # -- the one driver of the I/O-free flows ----------------------------------------------

    async def _run(self, flow: Flow[T]) -> T:
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
                answer = await self._attempt(step.op)
                seen.answered(step.op.method, step.op.path, answer)
            elif isinstance(step, Sleep):
                seen.sleeping(step.seconds)
                await self._sleep(step.seconds)
                answer = None
            else:
                from .downloads import stream_async

                answer = await stream_async(self._http, step.link, step.output, step.on_progress)
                seen.answered("GET", step.link, answer)

    async def _attempt(self, op: Op[Any]) -> Answer:
        if self._limiter is not None:
            await self._limiter.aacquire()
        LAST_RESPONSE.set(None)
        try:
            return await op.asyncio(self._api)
        except ATTEMPT_ERRORS as exc:
            return failed_attempt(op, exc, self.base_url)

    async def _send(self, op: Op[T]) -> T:
        return await self._run(self._send_flow(op))

    # -- the API --------------------------------------------------------------------------

    async def upload(
        self,
        path: str | os.PathLike[str],
        *,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> Asset:
        """See ``AudioShake.upload``."""
        check = await anyio.to_thread.run_sync(self._check_upload, path)
        reader = ProgressReader(check.path, check.size, on_progress)
        try:
            return await self._send(self._op_upload(check, reader))
        finally:
            reader.close()

    async def create_task(
        self,
        targets: Sequence[TargetLike] | TargetLike,
        *,
        asset_id: str | None = None,
        url: str | None = None,
        metadata: str | None = None,
        callback_url: str | None = None,
    ) -> Task:
        """See ``AudioShake.create_task``."""
        body, request = self._task_body(
            targets, asset_id=asset_id, url=url, metadata=metadata, callback_url=callback_url
        )
        return await self._run(self._create_flow(body, request))

    async def get_task(self, task_id: str) -> Task:
        """See ``AudioShake.get_task``."""
        return await self._send(self._op_get_task(self._task_id(task_id)))

    async def list_tasks(self) -> AsyncIterator[Task]:
        """See ``AudioShake.list_tasks`` (``async for task in client.list_tasks()``)."""
        seen: set[str] = set()
        skip = 0
        while True:
            page = await self._send(self._op_list_tasks(skip, LIST_PAGE_SIZE))
            for task in page:
                if task.id not in seen:
                    seen.add(task.id)
                    yield task
            if len(page) < LIST_PAGE_SIZE:
                return
            skip += len(page)

    async def list_assets(self) -> list[Asset]:
        """See ``AudioShake.list_assets``."""
        return await self._send(self._op_list_assets())

    async def models(self) -> list[Model]:
        """See ``AudioShake.models``."""
        return (await self._send(self._op_models())).models

    async def usage(self, name: str = "usage") -> list[UsageStatistic | DistributionStatistic]:
        """See ``AudioShake.usage``."""
        return await self._send(self._op_usage(name))

    async def wait(
        self,
        task_or_id: Task | TaskResult | str,
        *,
        timeout: float | None = None,
        on_target: Callable[[Target], object] | None = None,
        raise_on_failure: bool = False,
    ) -> TaskResult:
        """See ``AudioShake.wait``."""
        flow = self._wait_flow(self._task_id(task_or_id), timeout, on_target)
        return self._result(await self._run(flow), raise_on_failure)

    async def download(
        self,
        result_or_task: TaskResult | Task | str,
        dest_dir: str | os.PathLike[str],
        *,
        formats: Collection[str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Path]:
        """See ``AudioShake.download``."""
        if isinstance(result_or_task, str):
            task = await self.get_task(result_or_task)
        else:
            task = result_or_task.task if isinstance(result_or_task, TaskResult) else result_or_task
        from .downloads import plan_downloads

        dest = Path(dest_dir)
        await anyio.Path(dest).mkdir(parents=True, exist_ok=True)
        return [
            await self.download_output(out, on_progress)
            for out in plan_downloads(task, dest, formats)
        ]

    async def download_output(
        self, output: PlannedOutput, on_progress: ProgressCallback | None = None
    ) -> Path:
        """See ``AudioShake.download_output``."""
        return await self._run(self._download_flow(output, on_progress))

    async def separate(
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
        """See ``AudioShake.separate``."""
        wires = self._check_targets(targets)
        out = outputs_dir(path, dest_dir, layout)
        asset = await self.upload(path)
        task = await self.create_task(wires, asset_id=asset.id, metadata=metadata)
        with after_task_created(task.id):
            result = await self.wait(task, timeout=timeout, on_target=on_target)
            files = await self.download(result, out)
        result = replace(result, files=tuple(files))
        if raise_on_failure:
            self._result(result.task, raise_on_failure=True)
        return result

    async def estimate(
        self,
        path_or_seconds: str | os.PathLike[str] | float,
        targets: Sequence[TargetLike] | TargetLike,
    ) -> Estimate:
        """See ``AudioShake.estimate`` (the file is probed in a worker thread)."""
        wires = self._check_targets(targets)
        return await anyio.to_thread.run_sync(self._estimate, path_or_seconds, wires)

    async def aclose(self) -> None:
        """Close the httpx client if this client made it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAudioShake:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _no_sync_sleep(seconds: float) -> None:  # pragma: no cover - a driver bug
    raise RuntimeError("AsyncAudioShake's rate limiter must be awaited (aacquire)")
