"""POST /webhooks (unverified on the real service): set the account's webhook URL."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ..records import Tenant
from ..store import Store
from ..validation import spec_validators
from .common import json_body


async def register(store: Store, request: Request, tenant: Tenant) -> dict[str, Any]:
    body = await json_body(request)
    spec_validators().body("registerWebhook", body)
    url, secret = store.register_webhook(tenant, body["url"])
    return {"url": url, "secret": secret}
