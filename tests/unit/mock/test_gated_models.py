"""Gated models (``access: request_access``) → 403 "model requires access" unless the
admin API enables them for the key; ``GET /models`` shows them without pricing until then."""

from __future__ import annotations

from mock_server.harness import InProcessMock

from .helpers import create, error, target, url_body


def test_gated_model_is_403_until_enabled_for_the_key(mock: InProcessMock) -> None:
    body = url_body(30, target("vocals"), target("multi_voice"))
    message = error(mock.client.post("/tasks", json=body), 403)
    assert "targets[1].model" in message and "requires access" in message
    models = {m["id"]: m for m in mock.client.get("/models").json()["models"]}
    assert models["multi_voice"]["access"] == "request_access"
    assert "creditsPerMinute" not in models["multi_voice"]

    mock.admin.put_key("test-key", enabled_models=["multi_voice"])
    assert create(mock.client, body)["targets"][1]["model"] == "multi_voice"
    models = {m["id"]: m for m in mock.client.get("/models").json()["models"]}
    assert models["multi_voice"]["access"] == "enabled"
    assert models["multi_voice"]["creditsPerMinute"] == 10.0

    with mock.new_client("other-key") as other:
        error(other.post("/tasks", json=body), 403)  # enabled for one key only
