"""POST/GET /tasks, GET /tasks/{id}, GET /tasks/statistics."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..serialize import task_json
from ..store import Store
from ..validation import spec_validators
from .common import base_url, json_body


async def create(store: Store, request: Request, tenant: Tenant) -> dict[str, Any]:
    body = await json_body(request)
    spec_validators().body("createTask", body)
    task = store.create_task(tenant, body)
    return store.read(task_json, task, store.link_signer(base_url(request)))


async def list_(store: Store, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    q = spec_validators().query("listTasks", request.query_params)
    sign = store.link_signer(base_url(request))
    return store.list_tasks(tenant, q["skip"], q["take"], lambda t: task_json(t, sign))


async def get(store: Store, request: Request, tenant: Tenant) -> dict[str, Any]:
    sign = store.link_signer(base_url(request))
    return store.get_task(tenant, request.path_params["id"], lambda t: task_json(t, sign))


async def statistics(store: Store, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    q = spec_validators().query("getTaskStatistics", request.query_params)
    return store.statistics(tenant, q["name"])
