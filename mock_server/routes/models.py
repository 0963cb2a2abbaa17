"""GET /models: the catalog as the account sees it (gated models omit pricing). The
catalog's ``mock:`` assumptions are never served."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from audioshake_kit.domain.catalog import Catalog, ModelSpec

from ..records import Tenant
from ..store import Store


async def list_(store: Store, request: Request, tenant: Tenant) -> dict[str, Any]:
    return models_json(store.catalog, frozenset(tenant.enabled_models))


# (id(catalog), enabled) -> (catalog, body). The catalog is immutable data and the body is
# only ever serialized, so each (catalog, access set) is built once, not on every request.
_CACHE: dict[tuple[int, frozenset[str]], tuple[Catalog, dict[str, Any]]] = {}
_CACHE_MAX = 256


def models_json(catalog: Catalog, enabled: frozenset[str]) -> dict[str, Any]:
    key = (id(catalog), enabled)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    data = {"models": [model_json(m, m.id in enabled) for m in catalog]}
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = (catalog, data)  # the reference keeps id(catalog) from being reused
    return data


def model_json(m: ModelSpec, enabled: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": m.id,
        "name": m.name,
        "category": m.category,
        "description": m.description,
        "access": "request_access" if m.gated and not enabled else "enabled",
        "inputs": [dict(i) for i in m.inputs],
        "outputFormats": list(m.output_formats),
        "supportsResidual": m.residual,
    }
    if data["access"] == "enabled":
        data["creditsPerMinute"] = m.credits_per_minute
    if m.max_input_duration_seconds is not None:
        data["limits"] = {"maxInputDurationSeconds": m.max_input_duration_seconds}
    if m.supported_languages:
        data["supportedLanguages"] = list(m.supported_languages)
    if m.variants:
        data["variants"] = [
            {
                "id": v.id,
                "description": v.description,
                **({"creditsPerMinute": v.credits_per_minute} if v.credits_per_minute else {}),
                **({"default": True} if v.default else {}),
            }
            for v in m.variants
        ]
    return data
