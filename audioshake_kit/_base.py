"""Everything ``AudioShake`` and ``AsyncAudioShake`` share that does no network I/O:
configuration, the checks made before anything is sent, request bodies, operations bound
to the generated functions, the flows of each call (``flow`` steps: ``sending``,
``polling``, ``downloads``), estimates and results. The clients differ only in their one
driver, which sends, sleeps and touches files.

What only some calls need (the media probe, billing, target parsing, the download flow)
is imported by the method that uses it, so ``from audioshake_kit import AudioShake``
stays cheap (``tests/unit/kit/test_startup.py``, ``python -m bench.startup``).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .domain.catalog import Catalog, get_catalog
from .errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    TaskFailedError,
    ValidationError,
)
from .flow import Answer, Flow, Op
from .logs import alog_request, alog_response, http_log, log_request, log_response, redact_url
from .polling import MIN_POLL_ERRORS, WaitPolicy, wait_flow
from .responses import aremember_response, error_from_response, remember_response
from .sending import CREATE_LOOKUP_TIMEOUT_S, KnownIds, create_flow, send_flow
from .types import Estimate, TargetLike, TaskResult

if TYPE_CHECKING:  # the generated client loads when a client is built, not on import
    from audioshake_client.client import AuthenticatedClient
    from audioshake_client.models import Asset, CreateTaskRequest, ModelList, Target, Task

    from .downloads import PlannedOutput, ProgressCallback

__all__ = [
    "API_KEY_ENV",
    "API_KEY_HEADER",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "AttemptLog",
    "BaseClient",
]

API_KEY_ENV = "AUDIOSHAKE_API_KEY"
BASE_URL_ENV = "AUDIOSHAKE_BASE_URL"
API_KEY_HEADER = "x-api-key"
DEFAULT_BASE_URL = "https://api.audioshake.ai"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

T = TypeVar("T")


def configure_http_client(
    http: httpx.Client | httpx.AsyncClient, api_key: str, base_url: str | None
) -> None:
    """Point an httpx client at the API: set its ``x-api-key`` header and base URL (the
    resolved one: argument, else the client's own, else the environment) and add one
    response hook (``responses.remember_response``) and the
    ``logs`` hooks (each request and answer on the ``audioshake_kit.http`` logger). A client given by the user is
    changed in place, so share one between facades only if they use the same key."""
    http.headers[API_KEY_HEADER] = api_key
    if base_url is not None:
        http.base_url = httpx.URL(base_url)
    is_async = isinstance(http, httpx.AsyncClient)
    wanted: dict[str, tuple[Callable[..., Any], ...]] = {
        "request": (alog_request,) if is_async else (log_request,),
        "response": (aremember_response, alog_response)
        if is_async
        else (remember_response, log_response),
    }
    for event, added in wanted.items():
        hooks = http.event_hooks[event]
        hooks.extend(hook for hook in added if hook not in hooks)


class AttemptLog:
    """What a client's driver saw while running one flow: it logs an attempt that got no
    answer and each retry (``audioshake_kit.http``), and counts the connection failures
    in a row, so that when the flow gives up its ``APIConnectionError`` says how often
    and for how long the service was tried."""

    def __init__(self, clock: Callable[[], float], base_url: str) -> None:
        self._clock = clock
        self._base_url = base_url
        self._last: Answer = None
        self._streak = 0
        self._first_failure = 0.0

    def answered(self, method: str, url: str, answer: Answer) -> None:
        """An attempt (of ``method`` on ``url``, a path of the API or a link) ended."""
        self._last = answer
        if not isinstance(answer, APIConnectionError):
            self._streak = 0
            return
        if self._streak == 0:
            self._first_failure = self._clock()
        self._streak += 1
        answer.attempts = self._streak
        answer.elapsed = self._clock() - self._first_failure
        if url.startswith("/"):
            url = self._base_url + url
        http_log.debug(
            "%s %s -> no answer: %s", method, redact_url(url), answer.reason or answer.message
        )

    def sleeping(self, seconds: float) -> None:
        """The flow sleeps: a retry when the last attempt failed (else a poll interval)."""
        last, self._last = self._last, None
        if not http_log.isEnabledFor(logging.DEBUG):
            return
        reason: object = None
        if isinstance(last, APIConnectionError) and last.reason is not None:
            reason = last.reason  # the attempt's own line named the URL
        elif isinstance(last, APIError):
            reason = last
        elif last is not None and not isinstance(last, str) and last.status_code >= 400:
            reason = error_from_response(last.status_code, last.content, last.headers)
        if reason is not None:
            http_log.debug("retrying in %.1f s after: %s", seconds, reason)


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """A file that passed the checks before upload, and the type it is sent as."""

    path: Path
    size: int
    format: str
    mime_type: str


class ProgressReader:
    """A read-only file wrapper that reports ``on_progress(bytes_read, total)`` as httpx
    reads it (and rewinds with it on a retry). It keeps ``fileno`` so httpx can send a
    Content-Length; the file is never read whole."""

    def __init__(
        self, path: Path, size: int, on_progress: Callable[[int, int], object] | None
    ) -> None:
        self._file = path.open("rb")
        self._size = size
        self._on_progress = on_progress
        self.name = path.name

    def read(self, n: int = -1) -> bytes:
        chunk = self._file.read(n)
        if self._on_progress is not None and chunk:
            self._on_progress(self._file.tell(), self._size)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


class BaseClient:
    """Configuration and I/O-free logic shared by both clients."""

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        http_client: httpx.Client | httpx.AsyncClient | None,
        clock: Callable[[], float] | None,
        max_retries: int,
        rng: random.Random | None,
        catalog: Catalog | None,
    ) -> None:
        client_key = http_client.headers.get(API_KEY_HEADER) if http_client else None
        key = api_key or client_key or os.environ.get(API_KEY_ENV)
        if not key:
            raise ConfigurationError(
                f"no API key: pass api_key= or set the {API_KEY_ENV} environment variable",
                setting="api_key",
            )
        client_url = str(http_client.base_url) if http_client is not None else ""
        url = base_url or client_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        if httpx.URL(url).scheme not in ("http", "https") or not httpx.URL(url).host:
            raise ConfigurationError(
                f"base URL must be an http(s) URL, got {url!r}", setting="base_url"
            )
        self.api_key = key
        self.base_url = url.rstrip("/")
        self.max_retries = max_retries
        self.create_lookup_timeout = CREATE_LOOKUP_TIMEOUT_S
        """Seconds a create whose answer was lost keeps looking for its task (reads that
        fail are retried with backoff); set it to change the bound."""
        self.catalog = catalog or get_catalog()
        self._clock: Callable[[], float] = clock or time.time
        self._rng = rng or random.Random()
        self._known_tasks = KnownIds()
        from audioshake_client.client import AuthenticatedClient

        self._api = AuthenticatedClient(
            base_url=self.base_url, token=key, prefix="", auth_header_name=API_KEY_HEADER
        )

    @property
    def clock(self) -> Callable[[], float]:
        """The clock every deadline, backoff and limiter of this client reads (unix s)."""
        return self._clock

    @property
    def rng(self) -> random.Random:
        """The random source of this client's backoff and poll jitter."""
        return self._rng

    # -- checks before the network -------------------------------------------------------

    def _task_body(
        self,
        targets: Sequence[TargetLike] | TargetLike,
        *,
        asset_id: str | None,
        url: str | None,
        metadata: str | None,
        callback_url: str | None,
    ) -> tuple[dict[str, Any], CreateTaskRequest]:
        """The wire body of ``POST /tasks`` and its generated model; raises
        ``ValidationError`` naming the field for anything the service would refuse."""
        from .domain.rules import check_task_request
        from .targets import targets_to_wire

        body: dict[str, Any] = {"targets": targets_to_wire(targets, self.catalog)}
        for name, value, wire in (
            ("asset_id", asset_id, "assetId"),
            ("url", url, "url"),
            ("metadata", metadata, "metadata"),
            ("callback_url", callback_url, "callbackUrl"),
        ):
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValidationError(f"must be a string, got {type(value).__name__}", field=wire)
            if not value and name != "metadata":
                raise ValidationError("must not be empty", field=wire)
            body[wire] = value
        from audioshake_client.models import CreateTaskRequest

        check_task_request(body, self.catalog)  # the https-only url rule is the domain's
        callback = body.get("callbackUrl")
        if callback is not None and not _is_web_url(callback):
            raise ValidationError(f"not a valid URL: {callback!r}", field="callbackUrl")
        return body, CreateTaskRequest.from_dict(body)

    def _check_targets(self, targets: Sequence[TargetLike] | TargetLike) -> list[dict[str, Any]]:
        """Validate targets alone (before an upload)."""
        from .targets import check_targets

        return check_targets(targets, self.catalog)

    def _check_upload(self, path: str | os.PathLike[str]) -> UploadCheck:
        p = Path(path)
        if not p.exists():
            raise ValidationError(f"no such file: {p}", field="path")
        if not p.is_file():
            raise ValidationError(f"not a regular file: {p}", field="path")
        size = p.stat().st_size
        limit = self.catalog.limits.max_upload_bytes
        if size > limit:
            raise ValidationError(
                f"{p.name} is {size} bytes; uploads are limited to {limit} bytes",
                field="path",
            )
        from .domain import media

        fmt = media.sniff_file(p)
        if fmt is None:
            raise ValidationError(
                f"{p.name}: content is not a supported type ({media.SUPPORTED_INPUTS})",
                field="path",
            )
        mime = media.INPUT_MIME_TYPES.get(fmt, "application/octet-stream")
        return UploadCheck(p, size, str(fmt), mime)

    def _estimate(
        self, path_or_seconds: str | os.PathLike[str] | float, wires: list[dict[str, Any]]
    ) -> Estimate:
        from .domain import media
        from .domain.billing import BillingTarget, billable_minutes, price_targets, task_cost

        approximate = False
        if isinstance(path_or_seconds, int | float):
            duration = float(path_or_seconds)
            if duration < 0:
                raise ValidationError("duration must not be negative", field="path_or_seconds")
        else:
            self._check_upload(path_or_seconds)
            try:
                info = media.probe(Path(path_or_seconds))
            except media.MediaError as exc:
                raise ValidationError(f"cannot read the duration: {exc}", field="path") from exc
            if info.duration is None:
                raise ValidationError(
                    "cannot read the duration: a text file has no duration", field="path"
                )
            duration, approximate = float(info.duration), not info.exact
        charges = price_targets(
            [BillingTarget(w["model"], w.get("variant")) for w in wires], duration, self.catalog
        )
        total = task_cost(c.credits for c in charges)
        return Estimate(duration, billable_minutes(duration), tuple(charges), total, approximate)

    @staticmethod
    def _task_id(task_or_id: Task | TaskResult | str) -> str:
        if isinstance(task_or_id, TaskResult):
            return task_or_id.task.id
        task_id = task_or_id if isinstance(task_or_id, str) else getattr(task_or_id, "id", None)
        if not isinstance(task_id, str) or not task_id:
            raise ValidationError("a task id must be a non-empty string", field="task_id")
        return task_id

    def _wait_policy(self, timeout: float | None) -> WaitPolicy:
        """Polls tolerate as many transient errors in a row as a call retries, and never
        fewer than ``WaitPolicy``'s default (a wait is long; its reads are idempotent)."""
        if timeout is not None and timeout < 0:
            raise ValidationError("must not be negative", field="timeout")
        return WaitPolicy(timeout=timeout, max_errors=max(MIN_POLL_ERRORS, self.max_retries))

    @staticmethod
    def _result(task: Task, raise_on_failure: bool) -> TaskResult:
        result = TaskResult.from_task(task)
        if raise_on_failure and result.failed:
            detail = "; ".join(f"{f.model}: {f.code} {f.message}" for f in result.failed)
            raise TaskFailedError(
                f"{len(result.failed)} of {len(task.targets)} targets of task {task.id} "
                f"failed ({detail})",
                result=result,
            )
        return result

    # -- the flows each client's driver runs --------------------------------------------

    def _send_flow(self, op: Op[T], retries: int | None = None) -> Flow[T]:
        n = self.max_retries if retries is None else retries
        return send_flow(op, max_retries=n, rng=self._rng, clock=self._clock)

    def _create_flow(self, body: dict[str, Any], request: CreateTaskRequest) -> Flow[Task]:
        return create_flow(
            self._op_create(request),
            self._op_list_tasks,
            body,
            known=self._known_tasks,
            catalog=self.catalog,
            max_retries=self.max_retries,
            rng=self._rng,
            clock=self._clock,
            lookup_timeout=self.create_lookup_timeout,
        )

    def _wait_flow(
        self, task_id: str, timeout: float | None, on_target: Callable[[Target], object] | None
    ) -> Flow[Task]:
        policy = self._wait_policy(timeout)
        read = self._op_get_task(task_id)
        return wait_flow(
            task_id, read, policy, clock=self._clock, rng=self._rng, on_target=on_target
        )

    def _download_flow(
        self, output: PlannedOutput, on_progress: ProgressCallback | None
    ) -> Flow[Path]:
        from .downloads import download_flow

        return download_flow(
            output,
            self._op_get_task(output.task_id),
            on_progress=on_progress,
            max_retries=self.max_retries,
            rng=self._rng,
            clock=self._clock,
        )

    # -- operations (generated functions bound to their arguments) ------------------------

    def _op_get_task(self, task_id: str) -> Op[Task]:
        from audioshake_client.api.tasks import get_task

        return _op("GET", "/tasks/{id}", get_task, id=task_id)

    def _op_list_tasks(self, skip: int, take: int) -> Op[list[Task]]:
        from audioshake_client.api.tasks import list_tasks

        return _op("GET", "/tasks", list_tasks, skip=skip, take=take)

    def _op_create(self, request: CreateTaskRequest) -> Op[Task]:
        from audioshake_client.api.tasks import create_task

        return _op("POST", "/tasks", create_task, body=request)

    def _op_upload(self, check: UploadCheck, reader: ProgressReader) -> Op[Asset]:
        from audioshake_client.api.assets import upload_asset
        from audioshake_client.models import UploadAssetBody
        from audioshake_client.types import File

        payload = File(payload=reader, file_name=check.path.name, mime_type=check.mime_type)  # type: ignore[arg-type]
        body = UploadAssetBody(file=payload)
        return _op("POST", "/assets", upload_asset, resendable=True, body=body)

    def _op_list_assets(self) -> Op[list[Asset]]:
        from audioshake_client.api.assets import list_assets

        return _op("GET", "/assets", list_assets)

    def _op_models(self) -> Op[ModelList]:
        from audioshake_client.api.models import list_models

        return _op("GET", "/models", list_models)

    def _op_usage(self, name: str) -> Op[list[Any]]:
        # Checked against the declared values: the generated enums read unknown values
        # tolerantly, but a request is written strictly.
        from audioshake_client.api.tasks import get_task_statistics
        from audioshake_client.models import GetTaskStatisticsName

        if name not in {m.value for m in GetTaskStatisticsName}:
            raise ValidationError("must be 'usage' or 'distribution'", field="name")
        return _op(
            "GET", "/tasks/statistics", get_task_statistics, name=GetTaskStatisticsName(name)
        )


def _op(method: str, path: str, module: ModuleType, resendable: bool = False, **kw: Any) -> Op[Any]:
    def call(client: AuthenticatedClient) -> Any:
        return module.sync_detailed(client=client, **kw)

    async def acall(client: AuthenticatedClient) -> Any:
        return await module.asyncio_detailed(client=client, **kw)

    return Op(method, path, call, acall, resendable)


def _is_web_url(value: str) -> bool:
    """A callback URL: ``http://`` or ``https://`` with a host."""
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)
