"""Signed download links (outputs and uploaded sources). Not API calls: no key, not
rate limited, not journaled. 403 when expired, tampered or gone; ``Range`` → 206."""

from __future__ import annotations

import os

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..endpoint import JSONResponse
from ..errors import MockError, error_body
from ..state import MockState


async def download(state: MockState, request: Request) -> Response:
    rid = state.next_request_id()
    try:
        response = await _download(state, request)
    except MockError as exc:
        response = JSONResponse(error_body(exc.status, exc.message), exc.status)
    response.headers["X-Request-Id"] = rid
    return response


async def _download(state: MockState, request: Request) -> Response:
    state.tick()
    q = request.query_params
    path = request.url.path
    problem = state.signer.check(
        q.get("client", ""), path, q.get("expires", ""), q.get("sig", ""), state.now()
    )
    if problem is not None:
        raise MockError(403, problem)
    parts = path.split("/")[2:]  # ["outputs", client, task, target, file] or ["assets", client, id]
    with state.lock:
        if parts[0] == "assets" and len(parts) == 3:
            tenant = state.store.tenants_by_client.get(parts[1])
            asset = tenant.assets.get(parts[2]) if tenant else None
            if asset is None:
                raise MockError(403, "asset expired")
            return FileResponse(asset.path, filename=asset.name)
        if parts[0] != "outputs" or len(parts) != 5:
            raise MockError(403, "invalid link")
        _, client_id, task_id, target_id, filename = parts
        task = state.store.tasks_by_id.get(task_id)
        if task is None or task.client_id != client_id:
            raise MockError(403, "invalid link")
        if task.outputs_expired:
            raise MockError(403, "output expired (outputs are kept 72 h after the task completes)")
        target = next((t for t in task.targets if t.id == target_id), None)
        output = next(
            (o for o in (target.outputs if target else []) if f"{o.name}.{o.format}" == filename),
            None,
        )
        if target is None or output is None or target.status != "completed":
            raise MockError(403, "invalid link")
    file = state.outputs.path(task, target, filename)

    def render_and_stat() -> os.stat_result:
        state.outputs.ensure(task, target)
        try:
            return os.stat(file)
        except FileNotFoundError:  # retention ended while this request was on its way
            raise MockError(403, "output expired") from None

    # one worker-thread hop for the render and the stat FileResponse would do itself
    return FileResponse(
        file, media_type=output.mime, stat_result=await run_in_threadpool(render_and_stat)
    )
