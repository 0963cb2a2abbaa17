"""POST/GET /assets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..serialize import asset_json
from ..store import Store
from ..uploads import receive_upload
from .common import base_url


async def upload(store: Store, request: Request, tenant: Tenant) -> dict[str, Any]:
    received = await receive_upload(
        request.headers, request.stream(), store.upload_dir, store.upload_limit
    )
    try:
        asset = store.add_asset(tenant, received.name, received.path, received.size)
    finally:
        received.path.unlink(missing_ok=True)
    return asset_json(asset, store.link_signer(base_url(request)))


async def list_(store: Store, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    sign = store.link_signer(base_url(request))
    return [asset_json(a, sign) for a in store.list_assets(tenant)]
