"""Errors: the ``{statusCode, error, message}`` body and ``X-Request-Id`` everywhere; the
order 401 → 429 → 413/415 → 400 → 404 → 402 (gated 403 after 400); 405 + ``Allow``;
responses checked against the spec in test mode."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import error, run, target, upload_ok, url_body

GOOD = url_body(30, target("vocals"))


def exhaust(mock: InProcessMock) -> None:
    for _ in range(60):
        assert mock.client.get("/models").status_code == 200


def declared(
    client: httpx.Client, length: int, content_type: str, body: bytes = b""
) -> httpx.Response:
    """POST /assets with a Content-Length header that says ``length``."""
    request = client.build_request(
        "POST", "/assets", content=body, headers={"content-type": content_type}
    )
    request.headers["content-length"] = str(length)
    return client.send(request)


# -- shape and request ids ------------------------------------------------------------


def test_every_response_carries_a_unique_request_id(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    asset = upload_ok(mock.client, make_media("wav", 1.0))
    task = run(mock, {"assetId": asset["id"], "targets": [target("drums")]})
    with httpx.Client(transport=mock.transport, base_url=mock.base_url) as keyless:
        answers = [
            mock.client.get("/models"),
            mock.client.get("/tasks"),
            mock.client.get(f"/tasks/{task['id']}"),
            mock.client.get("/tasks/nope"),
            mock.client.post("/tasks", json={}),
            mock.client.delete("/tasks"),
            mock.client.get("/no/such/route"),
            mock.client.get(task["targets"][0]["output"][0]["link"]),
            mock.client.get(task["targets"][0]["output"][0]["link"] + "x"),
            mock.client.options(
                "/tasks",
                headers={"origin": "https://a.test", "access-control-request-method": "GET"},
            ),
            keyless.get("/tasks"),
        ]
    ids = [r.headers.get("x-request-id") for r in answers]
    assert all(ids), [
        (r.request.url, r.status_code) for r in answers if "x-request-id" not in r.headers
    ]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/tasks/unknown", {}, 404),
        ("POST", "/tasks", {"content": b"{not json"}, 400),
        ("DELETE", "/tasks", {}, 405),
        ("GET", "/not-a-route", {}, 404),
        ("POST", "/assets", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
        ("GET", "/tasks", {"headers": {"x-api-key": ""}}, 401),
    ],
)
def test_error_bodies_have_the_contract_shape(
    mock: InProcessMock, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    r = mock.client.request(method, path, **kwargs)
    error(r, status)
    assert r.json()["error"] == HTTPStatus(status).phrase
    assert r.headers["content-type"].startswith("application/json")


# -- order of checks ----------------------------------------------------------------


def test_401_before_429(mock: InProcessMock) -> None:
    exhaust(mock)
    assert mock.client.get("/models").status_code == 429
    error(mock.client.get("/models", headers={"x-api-key": ""}), 401)


@pytest.mark.audioshake_mock(api_keys=["a", "b"], api_key="a")
def test_401_before_429_with_configured_keys(mock: InProcessMock) -> None:
    exhaust(mock)
    with mock.new_client("not-a-key") as stranger:
        assert error(stranger.get("/models"), 401) == "invalid API key"


def test_429_before_413_415_and_400(mock: InProcessMock) -> None:
    exhaust(mock)
    error(declared(mock.client, 3_000_000_000, "multipart/form-data; boundary=x"), 429)
    error(mock.client.post("/assets", content=b"x", headers={"content-type": "text/plain"}), 429)
    error(mock.client.post("/tasks", content=b"{broken"), 429)
    error(mock.client.get("/tasks?take=0"), 429)


def test_413_before_400(mock: InProcessMock) -> None:
    # no boundary (a 400) and a declared size over the limit (a 413)
    error(declared(mock.client, 3_000_000_000, "multipart/form-data"), 413)


def test_415_before_400(mock: InProcessMock) -> None:
    # not multipart (415) and not a well-formed body either
    error(declared(mock.client, 10, "application/json", b"{truncated"), 415)


def test_400_before_404(mock: InProcessMock) -> None:
    body = {"assetId": "no-such-asset", "targets": [target("vocals", "ogg")]}
    assert "targets[0].formats[0]" in error(mock.client.post("/tasks", json=body), 400)
    body = {"assetId": "no-such-asset", "targets": [target("kazoo")]}
    assert "targets[0].model" in error(mock.client.post("/tasks", json=body), 400)


def test_404_before_402(mock: InProcessMock) -> None:
    mock.admin.put_key("test-key", credits=0)
    body = {"assetId": "no-such-asset", "targets": [target("vocals")]}
    assert "assetId" in error(mock.client.post("/tasks", json=body), 404)
    body = url_body(30, target("alignment", "json", transcriptAssetId="gone"))
    assert "transcriptAssetId" in error(mock.client.post("/tasks", json=body), 404)
    error(mock.client.post("/tasks", json=GOOD), 402)


def test_400_before_402(mock: InProcessMock) -> None:
    mock.admin.put_key("test-key", credits=0)
    error(mock.client.post("/tasks", json={**GOOD, "targets": []}), 400)


def test_gated_403_sits_between_400_and_404(mock: InProcessMock) -> None:
    gated_bad_format = {"url": GOOD["url"], "targets": [target("multi_voice", "json")]}
    error(mock.client.post("/tasks", json=gated_bad_format), 400)
    gated_unknown_asset = {"assetId": "nope", "targets": [target("multi_voice")]}
    error(mock.client.post("/tasks", json=gated_unknown_asset), 403)


def test_the_same_request_gets_the_same_status_every_time(mock: InProcessMock) -> None:
    body = {"assetId": "nope", "url": "http://x", "targets": []}
    answers = [mock.client.post("/tasks", json=body) for _ in range(5)]
    assert {r.status_code for r in answers} == {400}
    assert len({r.json()["message"] for r in answers}) == 1


# -- 405 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/tasks", {"GET", "POST"}),
        ("PUT", "/tasks/abc", {"GET"}),
        ("POST", "/models", {"GET"}),
        ("PATCH", "/assets", {"GET", "POST"}),
        ("GET", "/webhooks", {"POST"}),
        ("POST", "/tasks/statistics", {"GET"}),
    ],
)
def test_wrong_method_is_405_with_allow(
    mock: InProcessMock, method: str, path: str, allowed: set[str]
) -> None:
    r = mock.client.request(method, path)
    assert method in error(r, 405)
    listed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed <= listed
    assert method not in listed


def test_head_on_a_get_route_is_answered(mock: InProcessMock) -> None:
    assert mock.client.head("/models").status_code == 200


def test_test_mode_fails_loudly_on_a_response_that_breaks_the_spec(
    mock: InProcessMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mock_server.routes.models as models

    monkeypatch.setattr(models, "models_json", lambda *a: {"models": [{"id": 1}]})
    with pytest.raises(httpx.HTTPError, match="breaks the spec"):
        mock.client.get("/models")
