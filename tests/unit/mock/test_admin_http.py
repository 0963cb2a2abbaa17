"""The ``/_mock/`` admin routes over HTTP: clock, reset, target and HTTP faults, keys,
media registry, request journal, ledger, rate limit, webhook, and both specs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import create, error, finish, get_task, run, target, url_body

START = "2026-01-01T00:00:00.000Z"


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if status == 200 else None


def test_clock_get_advance_and_set(mock: InProcessMock) -> None:
    c = mock.client
    assert ok(c.get("/_mock/clock")) == {"now": START, "mode": "manual"}
    assert ok(c.post("/_mock/clock", json={"advance": 90.5})) == {
        "now": "2026-01-01T00:01:30.500Z",
        "mode": "manual",
    }
    assert ok(c.post("/_mock/clock", json={"set": "2026-02-01T12:00:00Z"}))["now"] == (
        "2026-02-01T12:00:00.000Z"
    )
    assert mock.admin.clock()["now"] == "2026-02-01T12:00:00.000Z"


@pytest.mark.parametrize(
    "body",
    [{"advance": -1}, {"set": "2025-01-01T00:00:00Z"}, {}, {"advance": "soon"}, [1]],
)
def test_bad_clock_moves_are_400(mock: InProcessMock, body: object) -> None:
    error(mock.client.post("/_mock/clock", json=body), 400)
    assert mock.admin.clock()["now"] == START


def test_advancing_the_clock_over_http_ends_targets(mock: InProcessMock) -> None:
    task = create(mock.client, url_body(10, target("vocals")))
    ok(mock.client.post("/_mock/clock", json={"advance": 600}))
    assert get_task(mock.client, task["id"])["targets"][0]["status"] == "completed"


def test_reset_forgets_everything(mock: InProcessMock) -> None:
    mock.admin.put_key("test-key", credits=50)
    mock.admin.add_fault(model="vocals")
    task = create(mock.client, url_body(10, target("vocals")))
    assert mock.client.post("/_mock/reset").status_code == 204
    error(mock.client.get(f"/tasks/{task['id']}"), 404)
    assert mock.client.get("/tasks").json() == []
    assert mock.admin.key_info("test-key")["credits"] is None
    assert mock.admin.ledger() == []
    assert [e["operationId"] for e in mock.admin.requests()] == ["getTask", "listTasks"]
    finished = run(mock, url_body(10, target("vocals")))
    assert finished["targets"][0]["status"] == "completed"  # the fault is gone


def test_target_faults_add_and_clear(mock: InProcessMock) -> None:
    rule = ok(
        mock.client.post(
            "/_mock/faults", json={"model": "drums", "code": 4003, "message": "no audio stream"}
        )
    )
    assert rule["model"] == "drums" and rule["probability"] == 1.0
    t = run(mock, url_body(5, target("drums")))["targets"][0]
    assert t["error"] == {"code": 4003, "message": "no audio stream"}
    assert mock.client.delete("/_mock/faults").status_code == 204
    assert run(mock, url_body(5, target("drums")))["targets"][0]["status"] == "completed"


@pytest.mark.parametrize(
    "body",
    [{"model": "kazoo"}, {"probability": 2}, {"colour": "red"}, {"model": "drums", "code": "x"}],
)
def test_bad_target_faults_are_400(mock: InProcessMock, body: dict) -> None:
    error(mock.client.post("/_mock/faults", json=body), 400)


def test_http_fault_status_before_the_handler(mock: InProcessMock) -> None:
    rule = {"method": "GET", "path": "/models", "status": 503, "times": 2}
    ok(mock.client.post("/_mock/http-faults", json=rule))
    answers = [mock.client.get("/models") for _ in range(3)]
    assert [r.status_code for r in answers] == [503, 503, 200]
    assert error(answers[0], 503) == "injected fault"
    assert answers[0].headers["x-request-id"]


def test_http_fault_after_the_handler_keeps_the_side_effect(mock: InProcessMock) -> None:
    rule = {"method": "POST", "path": "/tasks", "status": 500, "when": "after"}
    ok(mock.client.post("/_mock/http-faults", json=rule))
    r = mock.client.post("/tasks", json=url_body(5, target("vocals")))
    error(r, 500)
    tasks = mock.client.get("/tasks").json()
    assert len(tasks) == 1  # the task exists though the client got the fault
    assert mock.client.post("/tasks", json=url_body(5, target("vocals"))).status_code == 200


def test_http_fault_before_the_handler_has_no_side_effect(mock: InProcessMock) -> None:
    ok(
        mock.client.post(
            "/_mock/http-faults", json={"path": "/tasks", "method": "POST", "status": 502}
        )
    )
    error(mock.client.post("/tasks", json=url_body(5, target("vocals"))), 502)
    assert mock.client.get("/tasks").json() == []


def test_http_fault_drop_breaks_the_connection(mock: InProcessMock) -> None:
    rule = {"method": "POST", "path": "/tasks", "drop": True, "when": "after"}
    ok(mock.client.post("/_mock/http-faults", json=rule))
    with pytest.raises(httpx.TransportError):
        mock.client.post("/tasks", json=url_body(5, target("vocals")))
    assert len(mock.client.get("/tasks").json()) == 1


def test_http_faults_match_path_globs_and_clear(mock: InProcessMock) -> None:
    task = create(mock.client, url_body(5, target("vocals")))
    ok(
        mock.client.post(
            "/_mock/http-faults", json={"path": "/tasks/*", "status": 503, "times": None}
        )
    )
    assert mock.client.get(f"/tasks/{task['id']}").status_code == 503
    assert mock.client.get("/tasks").status_code == 200  # not matched by /tasks/*
    assert mock.client.delete("/_mock/http-faults").status_code == 204
    assert mock.client.get(f"/tasks/{task['id']}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"path": "/tasks"},
        {"status": 500, "when": "later"},
        {"oops": 1},
        {"status": "500"},
        {"status": 1000},
    ],
)
def test_bad_http_faults_are_400(mock: InProcessMock, body: dict) -> None:
    error(mock.client.post("/_mock/http-faults", json=body), 400)


def test_keys(mock: InProcessMock) -> None:
    c = mock.client
    info = ok(c.put("/_mock/keys/k1", json={"credits": 5, "enabledModels": ["multi_voice"]}))
    assert info["credits"] == 5 and info["enabledModels"] == ["multi_voice"]
    assert ok(c.get("/_mock/keys/k1"))["clientId"] == info["clientId"]
    assert ok(c.put("/_mock/keys/k1", json={"credits": "unlimited"}))["credits"] is None
    error(c.put("/_mock/keys/k1", json={"enabledModels": ["kazoo"]}), 400)
    error(c.put("/_mock/keys/k1", json={"credits": "lots"}), 400)
    error(c.get("/_mock/keys/never-seen"), 400)
    with mock.new_client("k1") as k1:
        assert k1.post("/tasks", json=url_body(5, target("multi_voice"))).status_code == 200


def test_media_by_duration(mock: InProcessMock) -> None:
    url = "https://cdn.test/podcast.mp3"
    registered = ok(mock.client.post("/_mock/media", json={"url": url, "durationSeconds": 125}))
    assert registered["durationSeconds"] == 125
    t = run(mock, {"url": url, "targets": [target("dialogue")]})["targets"][0]
    assert t["duration"] == 125
    assert t["cost"] == 4.5  # 3 min × 1.5


def test_media_by_file(mock: InProcessMock, make_media: MakeMedia) -> None:
    url = "https://cdn.test/song.flac"
    data = make_media("flac", 2.0).read_bytes()
    r = mock.client.post("/_mock/media", data={"url": url}, files={"file": ("song.flac", data)})
    registered = ok(r)
    assert registered["format"] == "flac"
    assert registered["durationSeconds"] == pytest.approx(2.0, abs=0.001)
    t = run(mock, {"url": url, "targets": [target("bass", "wav")]})["targets"][0]
    assert t["duration"] == pytest.approx(2.0, abs=0.001)
    assert mock.client.get(t["output"][0]["link"]).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://cdn.test/a.mp3", "durationSeconds": 10},
        {"url": "https://cdn.test/a.mp3"},
        {"url": "https://cdn.test/a.mp3", "durationSeconds": 0},
    ],
)
def test_bad_media_is_400(mock: InProcessMock, body: dict) -> None:
    error(mock.client.post("/_mock/media", json=body), 400)


def test_media_file_of_unknown_type_is_400(mock: InProcessMock) -> None:
    r = mock.client.post(
        "/_mock/media",
        data={"url": "https://cdn.test/x"},
        files={"file": ("x.wav", bytes(range(256)) * 4)},
    )
    error(r, 400)


def test_request_journal_since(mock: InProcessMock) -> None:
    mock.client.get("/models")
    mock.client.get("/tasks/nope")
    mock.client.get("/_mock/clock")  # admin calls are not journaled
    entries = ok(mock.client.get("/_mock/requests"))
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/models", 200),
        ("GET", "/tasks/nope", 404),
    ]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    assert all(e["key"] == "test-key" and e["requestId"] for e in entries)
    mock.client.get("/tasks", params={"take": 3})
    newer = ok(mock.client.get("/_mock/requests", params={"since": seqs[-1]}))
    assert [(e["operationId"], e["query"]) for e in newer] == [("listTasks", "take=3")]


def test_ledger(mock: InProcessMock) -> None:
    mock.admin.put_key("test-key", credits=100)
    run(mock, url_body(61, target("vocals")))
    with mock.new_client("other") as other:
        run(mock, url_body(30, target("drums")), other)
    entries = ok(mock.client.get("/_mock/ledger", params={"key": "test-key"}))
    assert [(e["kind"], e["credits"]) for e in entries] == [
        ("grant", 100),
        ("reserve", 2),
        ("charge", 2),
    ]
    everything = ok(mock.client.get("/_mock/ledger"))
    assert len(everything) == 5


def test_rate_limit_route(mock: InProcessMock) -> None:
    assert ok(mock.client.put("/_mock/rate-limit", json={"limit": 2})) == {"limit": 2}
    assert [mock.client.get("/models").status_code for _ in range(3)] == [200, 200, 429]
    assert ok(mock.client.put("/_mock/rate-limit", json={"limit": "off"})) == {"limit": None}
    assert {mock.client.get("/models").status_code for _ in range(100)} == {200}


def test_webhook_route_and_deliveries(mock: InProcessMock) -> None:
    received: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    mock.state.webhook_transport = httpx.MockTransport(receive)
    body = {"url": "https://hooks.test/x", "secret": "s3"}
    assert mock.client.put("/_mock/webhook", json=body).status_code == 200
    task = create(mock.client, url_body(5, target("vocals")))
    finish(mock, task["id"])
    deliveries = ok(mock.client.get("/_mock/webhook/deliveries"))
    assert [(d["taskId"], d["state"]) for d in deliveries] == [(task["id"], "delivered")]
    assert len(received) == 1
    with httpx.Client(transport=mock.transport, base_url=mock.base_url) as keyless:
        error(keyless.put("/_mock/webhook", json=body), 400)


def test_both_specs_are_served(mock: InProcessMock) -> None:
    public = mock.client.get("/openapi.yaml")
    assert public.status_code == 200
    spec = yaml.safe_load(public.text)
    assert spec["openapi"].startswith("3.1")
    assert "/tasks" in spec["paths"]
    admin = mock.client.get("/_mock/openapi.yaml")
    assert admin.status_code == 200
    admin_spec = yaml.safe_load(admin.text)
    assert "/_mock/clock" in admin_spec["paths"]


@pytest.mark.audioshake_mock(admin=False)
def test_admin_routes_can_be_turned_off(mock: InProcessMock) -> None:
    error(mock.client.get("/_mock/clock"), 404)
    error(mock.client.post("/_mock/reset"), 404)
    error(mock.client.get("/_mock/openapi.yaml"), 404)
    assert mock.client.get("/openapi.yaml").status_code == 200
    assert mock.client.get("/models").status_code == 200
