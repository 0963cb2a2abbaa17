"""POST/GET /tasks, GET /tasks/{id}, GET /tasks/statistics."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..state import MockState
from .common import base_url, json_body


async def create(state: MockState, request: Request, tenant: Tenant) -> dict[str, Any]:
    body = await json_body(request)
    state.validators.body("createTask", body)
    with state.lock:
        task = state.store.create_task(tenant, body, state.now())
        return state.task_json(task, base_url(request))


async def list_(state: MockState, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    q = state.validators.query("listTasks", request.query_params)
    with state.lock:
        tasks = state.store.list_tasks(tenant, q["skip"], q["take"])
        sign = base_url(request)
        return [state.task_json(t, sign) for t in tasks]


async def get(state: MockState, request: Request, tenant: Tenant) -> dict[str, Any]:
    with state.lock:
        task = state.store.get_task(tenant, request.path_params["id"])
        return state.task_json(task, base_url(request))


async def statistics(state: MockState, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    q = state.validators.query("getTaskStatistics", request.query_params)
    with state.lock:
        return state.ledger.statistics(tenant.client_id, q["name"])
