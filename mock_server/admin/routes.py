"""``/_mock/`` routes: each parses its request and calls one ``MockAdmin`` method (see
openapi/mock-admin.yaml) of the app it is called in (``app.state.admin``), so the routes
are built once per process. Those that may send webhooks or touch files (clock, reset,
media, seed) run in a worker thread: nothing blocking runs on the event loop."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from audioshake_kit.domain.spec import data_text

from ..endpoint import JSONResponse
from ..errors import MockError, error_body
from ..routes.common import base_url, read_body
from .api import AdminError, MockAdmin

__all__ = ["admin_routes", "health_route", "kit_version"]

Endpoint = Callable[[Request], Awaitable[Response]]
SEED_LIMIT = 32 << 20  # bytes of cassette text POST /_mock/seed reads
P = ParamSpec("P")
T = TypeVar("T")


async def _run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


@functools.cache
def admin_routes() -> tuple[BaseRoute, ...]:
    """The ``/_mock/`` routes (one tuple per process; each serves its app's admin), and
    the dashboard under ``/_mock/ui/``: static files of the package (``mock_server/ui``)
    that call these routes from the browser."""

    def wrap(fn: Callable[[MockAdmin, Request], Awaitable[Any]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            admin: MockAdmin = request.app.state.admin
            try:
                result = await fn(admin, request)
            except AdminError as exc:
                return JSONResponse(error_body(400, str(exc)), 400)
            except MockError as exc:  # e.g. a refund of a task that does not exist
                return JSONResponse(error_body(exc.status, exc.message), exc.status)
            if isinstance(result, Response):
                return result
            return JSONResponse(result) if result is not None else Response(status_code=204)

        return endpoint

    async def body(request: Request) -> dict[str, Any]:
        try:
            raw = await read_body(request)
        except MockError as exc:
            raise AdminError(exc.message) from None
        try:
            data = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError as exc:
            raise AdminError(f"body: malformed JSON ({exc})") from None
        if not isinstance(data, dict):
            raise AdminError("body: a JSON object is required")
        return data

    async def clock(admin: MockAdmin, request: Request) -> Any:
        if request.method == "GET":
            return admin.clock()
        data = await body(request)
        if "advance" in data:
            return await _run(admin.advance, _number(data["advance"], "advance"))
        if "set" in data:
            return await _run(admin.set_time, data["set"])
        raise AdminError('body: give {"advance": seconds} or {"set": "<ISO time>"}')

    async def reset(admin: MockAdmin, request: Request) -> Any:
        await _run(admin.reset, (await body(request)).get("seed"))

    async def rate_limit(admin: MockAdmin, request: Request) -> Any:
        limit = (await body(request)).get("limit")
        return admin.set_rate_limit(None if limit in (None, "off") else int(limit))

    async def faults(admin: MockAdmin, request: Request) -> Any:
        if request.method == "GET":
            return admin.faults()
        if request.method == "DELETE":
            admin.clear_faults()
            return None
        return admin.add_fault(
            **_kwargs(await body(request), ("model", "probability", "code", "message", "key"))
        )

    async def http_faults(admin: MockAdmin, request: Request) -> Any:
        if request.method == "GET":
            return admin.http_faults()
        if request.method == "DELETE":
            admin.clear_http_faults()
            return None
        data = await body(request)
        if "latencyMs" in data:
            data["latency_ms"] = data.pop("latencyMs")
        return admin.add_http_fault(
            **_kwargs(
                data,
                (
                    "method",
                    "path",
                    "status",
                    "latency_ms",
                    "drop",
                    "when",
                    "times",
                    "probability",
                    "key",
                ),
            )
        )

    async def keys(admin: MockAdmin, request: Request) -> Any:
        key = request.path_params["key"]
        if request.method == "GET":
            return admin.key_info(key)
        data = await body(request)
        credits = data.get("credits")
        return admin.put_key(
            key,
            None if credits in (None, "unlimited") else _number(credits, "credits"),
            data.get("enabledModels"),
            unlimited=credits == "unlimited",
        )

    async def key_list(admin: MockAdmin, request: Request) -> Any:
        return admin.keys()

    async def tasks(admin: MockAdmin, request: Request) -> Any:
        take = _count(request.query_params.get("take", "50"), "take", 1, 100)
        return admin.tasks(_key_param(request), take, base_url(request))

    async def assets(admin: MockAdmin, request: Request) -> Any:
        return admin.assets(_key_param(request), base_url(request))

    async def webhook(admin: MockAdmin, request: Request) -> Any:
        key = request.headers.get("x-api-key")
        if not key:
            raise AdminError("x-api-key: the webhook is set for the key in this header")
        data = await body(request)
        return admin.set_webhook(key, data.get("url"), data.get("secret"))

    async def deliveries(admin: MockAdmin, request: Request) -> Any:
        return admin.deliveries(request.headers.get("x-api-key"))

    async def media(admin: MockAdmin, request: Request) -> Any:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            url = form.get("url")
            if not isinstance(url, str) or upload is None or isinstance(upload, str):
                raise AdminError("multipart: fields 'url' and 'file' are required")
            return await _run(admin.register_media, url, data=await upload.read())
        data = await body(request)
        return await _run(
            admin.register_media,
            str(data.get("url", "")),
            duration_seconds=data.get("durationSeconds"),
        )

    async def requests(admin: MockAdmin, request: Request) -> Any:
        since = request.query_params.get("since", "0")
        return admin.requests(int(since) if since.isdigit() else 0)

    async def ledger(admin: MockAdmin, request: Request) -> Any:
        return admin.ledger(request.query_params.get("key"))

    async def refunds(admin: MockAdmin, request: Request) -> Any:
        data = await body(request)
        task_id, target_id = data.get("taskId"), data.get("targetId")
        if not isinstance(task_id, str) or not task_id:
            raise AdminError("taskId: a task id (string) is required")
        if target_id is not None and not isinstance(target_id, str):
            raise AdminError("targetId: must be a string when given")
        return await _run(admin.refund, task_id, target_id)

    async def seed(admin: MockAdmin, request: Request) -> Any:
        key = _key_param(request)
        try:
            raw = await read_body(request, SEED_LIMIT)
        except MockError as exc:
            if exc.status != 413:
                raise
            raise MockError(
                413, f"body: a cassette above {SEED_LIMIT} bytes; serve --seed-from FILE takes any"
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AdminError(f"body: the cassette is not UTF-8 text ({exc})") from None
        if not text.strip():
            raise AdminError("body: the cassette's YAML text is required")
        return await _run(admin.seed, key, text)

    async def spec(admin: MockAdmin, request: Request) -> Any:
        return PlainTextResponse(data_text("mock-admin.yaml"), media_type="application/yaml")

    return (
        Route("/_mock/clock", wrap(clock), methods=["GET", "POST"]),
        Route("/_mock/reset", wrap(reset), methods=["POST"]),
        Route("/_mock/rate-limit", wrap(rate_limit), methods=["PUT"]),
        Route("/_mock/faults", wrap(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_mock/http-faults", wrap(http_faults), methods=["GET", "POST", "DELETE"]),
        Route("/_mock/keys", wrap(key_list), methods=["GET"]),
        Route("/_mock/keys/{key}", wrap(keys), methods=["GET", "PUT"]),
        Route("/_mock/tasks", wrap(tasks), methods=["GET"]),
        Route("/_mock/assets", wrap(assets), methods=["GET"]),
        Route("/_mock/webhook", wrap(webhook), methods=["PUT"]),
        Route("/_mock/webhook/deliveries", wrap(deliveries), methods=["GET"]),
        Route("/_mock/media", wrap(media), methods=["POST"]),
        Route("/_mock/requests", wrap(requests), methods=["GET"]),
        Route("/_mock/ledger", wrap(ledger), methods=["GET"]),
        Route("/_mock/refunds", wrap(refunds), methods=["POST"]),
        Route("/_mock/seed", wrap(seed), methods=["POST"]),
        Route("/_mock/openapi.yaml", wrap(spec), methods=["GET"]),
        Route("/_mock/ui", _to_dashboard, methods=["GET"]),
        Mount("/_mock/ui", StaticFiles(packages=[("mock_server", "ui")], html=True)),
        health_route(),
    )


async def _to_dashboard(request: Request) -> Response:
    """``/_mock/ui`` → ``/_mock/ui/``: the page's relative URLs need the slash."""
    return RedirectResponse(request.url.replace(path="/_mock/ui/"))


@functools.cache
def health_route() -> Route:
    """``GET /_mock/health``: ``{"status": "ok", "version", "clock", "now"}``, without a
    key, not rate limited, not journaled. The one ``/_mock/`` route ``--no-admin`` keeps."""

    async def health(request: Request) -> Response:
        admin: MockAdmin = request.app.state.admin
        clock = admin.clock()
        return JSONResponse(
            {"status": "ok", "version": kit_version(), "clock": clock["mode"], "now": clock["now"]}
        )

    return Route("/_mock/health", health, methods=["GET"])


@functools.cache
def kit_version() -> str:
    """The installed audioshake-kit's version (``unknown`` when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("audioshake-kit")
    except PackageNotFoundError:
        return "unknown"


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdminError(f"{field}: must be a number")
    return float(value)


def _key_param(request: Request) -> str:
    key = request.query_params.get("key")
    if not key:
        raise AdminError("key: the query parameter key (an API key) is required")
    return key


def _count(value: str, field: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise AdminError(f"{field}: must be an integer from {low} to {high}")
    return int(value)


def _kwargs(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise AdminError(f"unknown fields: {', '.join(sorted(unknown))}")
    return data
