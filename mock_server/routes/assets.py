"""POST/GET /assets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..serialize import asset_json
from ..state import MockState
from ..uploads import receive_upload
from .common import base_url


async def upload(state: MockState, request: Request, tenant: Tenant) -> dict[str, Any]:
    limit = state.config.max_upload_bytes or state.catalog.limits.max_upload_bytes
    received = await receive_upload(
        request.headers, request.stream(), state.data_dir / "uploads", limit
    )
    try:
        with state.lock:
            state.store.check_can_upload(tenant)
            asset = state.store.add_asset(
                tenant, received.name, received.path, received.size, state.now()
            )
            return asset_json(asset, state.signer_for(base_url(request)))
    finally:
        received.path.unlink(missing_ok=True)


async def list_(state: MockState, request: Request, tenant: Tenant) -> list[dict[str, Any]]:
    with state.lock:
        sign = state.signer_for(base_url(request))
        return [asset_json(a, sign) for a in state.store.list_assets(tenant)]
