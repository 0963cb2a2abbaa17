"""CORS on every public route (``*`` by default, configurable): preflights answered
without a key, simple requests carry ``Access-Control-Allow-Origin`` and expose the
headers a web client needs (``X-Request-Id``, ``Retry-After``, rate-limit headers)."""

from __future__ import annotations

import httpx
import pytest

from mock_server.harness import InProcessMock

ORIGIN = "https://app.example"


def preflight(
    mock: InProcessMock, path: str = "/tasks", origin: str = ORIGIN, method: str = "POST"
) -> httpx.Response:
    return mock.client.options(
        path,
        headers={
            "origin": origin,
            "access-control-request-method": method,
            "access-control-request-headers": "x-api-key, content-type",
            "x-api-key": "",  # a browser sends no credentials with a preflight
        },
    )


def listed(value: str) -> set[str]:
    return {v.strip().lower() for v in value.split(",")}


@pytest.mark.parametrize("path", ["/tasks", "/assets", "/tasks/abc", "/models", "/webhooks"])
def test_preflight_is_answered_for_any_origin(mock: InProcessMock, path: str) -> None:
    r = preflight(mock, path)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "post" in listed(r.headers["access-control-allow-methods"])
    assert {"x-api-key", "content-type"} <= listed(r.headers["access-control-allow-headers"])


def test_preflights_are_not_counted_by_the_rate_limit(mock: InProcessMock) -> None:
    assert {preflight(mock).status_code for _ in range(80)} == {200}
    assert mock.client.get("/models").status_code == 200
    assert [e["operationId"] for e in mock.admin.requests()] == ["listModels"]  # not journaled


def test_simple_requests_carry_allow_origin_and_expose_headers(mock: InProcessMock) -> None:
    r = mock.client.get("/models", headers={"origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = listed(r.headers["access-control-expose-headers"])
    assert {"x-request-id", "retry-after", "x-ratelimit-remaining"} <= exposed


def test_error_answers_carry_cors_headers_too(mock: InProcessMock) -> None:
    r = mock.client.get("/tasks/unknown", headers={"origin": ORIGIN})
    assert r.status_code == 404
    assert r.headers["access-control-allow-origin"] == "*"
    r = mock.client.get("/tasks", headers={"origin": ORIGIN, "x-api-key": ""})
    assert r.status_code == 401
    assert r.headers["access-control-allow-origin"] == "*"


@pytest.mark.audioshake_mock(cors_origins=["https://allowed.test"])
def test_origins_can_be_restricted(mock: InProcessMock) -> None:
    good = preflight(mock, origin="https://allowed.test")
    assert good.status_code == 200
    assert good.headers["access-control-allow-origin"] == "https://allowed.test"
    bad = preflight(mock, origin="https://evil.test")
    assert bad.status_code == 400
    assert "access-control-allow-origin" not in bad.headers
    simple = mock.client.get("/models", headers={"origin": "https://evil.test"})
    assert "access-control-allow-origin" not in simple.headers
