"""Tenancy and auth: each key is a tenant that never sees another's tasks, assets or
outputs (404, not 403, so ids don't leak); missing or unknown keys → 401."""

from __future__ import annotations

import httpx
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import error, run, target, upload_ok, url_body


@pytest.fixture
def mine(mock: InProcessMock, make_media: MakeMedia) -> dict:
    asset = upload_ok(mock.client, make_media("wav", 1.0))
    transcript = upload_ok(mock.client, b"hello world\n", "lyrics.txt")
    task = run(mock, {"assetId": asset["id"], "targets": [target("vocals")]})
    return {"asset": asset, "transcript": transcript, "task": task}


def test_another_key_never_sees_my_tasks_or_assets(mock: InProcessMock, mine: dict) -> None:
    task_id = mine["task"]["id"]
    with mock.new_client("intruder") as other:
        message = error(other.get(f"/tasks/{task_id}"), 404)
        assert "not found" in message
        assert other.get("/tasks").json() == []
        assert other.get("/assets").json() == []
        body = {"assetId": mine["asset"]["id"], "targets": [target("vocals")]}
        error(other.post("/tasks", json=body), 404)
        body = url_body(30, target("alignment", "json", transcriptAssetId=mine["transcript"]["id"]))
        error(other.post("/tasks", json=body), 404)
        assert other.get("/tasks/statistics", params={"name": "usage"}).json() == []
        assert other.get("/tasks").json() == []  # the failed creates made nothing
    # and I still see all of it
    assert [t["id"] for t in mock.client.get("/tasks").json()] == [task_id]
    assert len(mock.client.get("/assets").json()) == 2


def test_other_tenants_ids_look_exactly_like_unknown_ids(mock: InProcessMock, mine: dict) -> None:
    with mock.new_client("intruder") as other:
        theirs = other.get(f"/tasks/{mine['task']['id']}")
        unknown = other.get("/tasks/c000000000000000000000000")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["message"].replace(mine["task"]["id"], "ID") == unknown.json()[
        "message"
    ].replace("c000000000000000000000000", "ID")


def test_tenants_have_their_own_client_ids(mock: InProcessMock, mine: dict) -> None:
    with mock.new_client("intruder") as other:
        theirs = run(mock, url_body(3, target("drums")), other)
    assert theirs["clientId"] != mine["task"]["clientId"]
    assert mine["task"]["clientId"] not in theirs["targets"][0]["output"][0]["link"]


def test_missing_or_empty_key_is_401(mock: InProcessMock) -> None:
    with httpx.Client(transport=mock.transport, base_url=mock.base_url) as keyless:
        assert "x-api-key" in error(keyless.get("/tasks"), 401)
        error(keyless.get("/tasks", headers={"x-api-key": ""}), 401)
        error(keyless.post("/tasks", json=url_body(3, target("drums"))), 401)
        error(keyless.get("/models"), 401)


def test_any_key_is_a_tenant_when_no_keys_are_configured(mock: InProcessMock) -> None:
    with mock.new_client("made-up-on-the-spot") as anyone:
        assert anyone.get("/models").status_code == 200


@pytest.mark.audioshake_mock(api_keys=["a"], api_key="a")
def test_with_configured_keys_only_those_are_accepted(mock: InProcessMock) -> None:
    assert mock.client.get("/tasks").status_code == 200
    with mock.new_client("b") as unknown:
        assert error(unknown.get("/tasks"), 401) == "invalid API key"
        error(unknown.post("/tasks", json=url_body(3, target("drums"))), 401)
    with httpx.Client(transport=mock.transport, base_url=mock.base_url) as keyless:
        error(keyless.get("/tasks"), 401)
    mock.admin.put_key("b")  # keys added with the admin API are accepted
    with mock.new_client("b") as added:
        assert added.get("/tasks").status_code == 200
