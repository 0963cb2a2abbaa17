"""POST /webhooks (unverified on the real service): set the account's webhook URL."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..state import MockState
from .common import json_body


async def register(state: MockState, request: Request, tenant: Tenant) -> dict[str, Any]:
    body = await json_body(request)
    state.validators.body("registerWebhook", body)
    with state.lock:
        tenant.webhook_url = body["url"]
        tenant.webhook_secret = tenant.webhook_secret or f"whsec_{secrets.token_hex(16)}"
        return {"url": tenant.webhook_url, "secret": tenant.webhook_secret}
