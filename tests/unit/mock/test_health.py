"""``GET /_mock/health``: answers without a key, under ``admin=False`` too, in the shape
the admin spec gives; neither rate limited nor journaled. And the admin spec itself:
valid OpenAPI, documenting every ``/_mock/`` route."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from starlette.routing import Route

from audioshake_kit.domain.spec import data_text
from mock_server.admin.routes import admin_routes, kit_version
from mock_server.harness import InProcessMock


def admin_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(data_text("mock-admin.yaml"))
    return spec


def health_schema() -> dict[str, Any]:
    spec = admin_spec()
    return {**spec["components"]["schemas"]["Health"], "components": spec["components"]}


def keyless(mock: InProcessMock) -> httpx.Client:
    return httpx.Client(transport=mock.transport, base_url=mock.base_url)


def test_health_answers_without_a_key_in_the_documented_shape(mock: InProcessMock) -> None:
    with keyless(mock) as client:
        r = client.get("/_mock/health")
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, health_schema())
    assert body == {
        "status": "ok",
        "version": kit_version(),
        "clock": "manual",
        "now": "2026-01-01T00:00:00.000Z",
    }
    assert r.headers["x-request-id"]
    mock.advance(60)
    assert mock.client.get("/_mock/health").json()["now"] == "2026-01-01T00:01:00.000Z"


@pytest.mark.audioshake_mock(admin=False)
def test_health_stays_when_admin_is_off(mock: InProcessMock) -> None:
    assert mock.client.get("/_mock/clock").status_code == 404
    with keyless(mock) as client:
        r = client.get("/_mock/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


@pytest.mark.audioshake_mock(rate_limit=2)
def test_health_is_neither_rate_limited_nor_journaled(mock: InProcessMock) -> None:
    for _ in range(10):
        assert mock.client.get("/_mock/health").status_code == 200
    assert mock.client.get("/_mock/requests").json() == []
    # the key's two requests per second are all still there
    assert [mock.client.get("/models").status_code for _ in range(3)] == [200, 200, 429]


def test_the_admin_spec_is_valid_openapi() -> None:
    validate(admin_spec())


def test_every_admin_route_is_documented() -> None:
    paths = admin_spec()["paths"]
    routes = admin_routes()
    served = {
        (route.path, method.lower())
        for route in routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"  # Starlette adds it to every GET route
    }
    # The dashboard's static files: one mount, documented as getDashboard (/_mock/ui).
    assert [r.path for r in routes if not isinstance(r, Route)] == ["/_mock/ui"]
    documented = {
        (path, method)
        for path, item in paths.items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert served == documented
    assert ("/_mock/health", "get") in served
