"""The generated low-level client parses real payloads into typed objects and sends
the API key header."""

from __future__ import annotations

import httpx
import respx
from audioshake_client import AuthenticatedClient
from audioshake_client.api.models import list_models
from audioshake_client.api.tasks import create_task, get_task
from audioshake_client.models import (
    CreateTaskRequest,
    Error,
    OutputFormat,
    TargetError,
    TargetRequest,
    TargetStatus,
    Task,
)
from audioshake_client.types import Unset

from audioshake_kit.domain.spec import load_spec

EXAMPLES = load_spec()["components"]["examples"]
BASE = "https://api.audioshake.ai"


def client() -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=BASE, token="k-123", prefix="", auth_header_name="x-api-key"
    )


def test_real_completed_task_parses_into_typed_objects() -> None:
    task = Task.from_dict(EXAMPLES["RealCompletedTask"]["value"])
    assert task.id == "cmiytpb2y0004pfu6gbd73q22"
    assert task.created_at.year == 2025
    vocals, drums = task.targets
    assert vocals.status is TargetStatus.COMPLETED
    assert vocals.variant == "high_quality"
    assert vocals.cost == 1.5
    assert vocals.error is None
    assert vocals.duration == 9.485124588012695
    out = vocals.output[0]  # type: ignore[index]
    assert (out.name, out.format_, out.type_) == ("vocals_high_quality", "mp3", "audio/mpeg")
    assert drums.cost == 1
    # absent fields stay absent on the way back out (no invented nulls)
    assert isinstance(task.completed_at, Unset)
    assert "completedAt" not in task.to_dict()
    # fields the spec does not list are kept, not silently dropped
    assert vocals.to_dict()["taskId"] == task.id


def test_webhook_example_parses_with_a_processing_sibling() -> None:
    task = Task.from_dict(EXAMPLES["WebhookTask"]["value"])
    bass, drums = task.targets
    assert bass.cost == 4 and bass.duration == 200.53
    assert drums.status is TargetStatus.PROCESSING and drums.output == []


def test_target_error_parses() -> None:
    data = dict(EXAMPLES["WebhookTask"]["value"])
    data["targets"] = [
        {
            "id": "t",
            "model": "bass",
            "status": "error",
            "formats": ["wav"],
            "error": {"code": 4001, "message": "media could not be decoded"},
            "cost": 0,
        }
    ]
    target = Task.from_dict(data).targets[0]
    assert isinstance(target.error, TargetError)
    assert target.error.code == 4001


@respx.mock(base_url=BASE)
def test_requests_carry_the_api_key_header(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/models").respond(200, json={"models": []})
    models = list_models.sync(client=client())
    assert route.calls.last.request.headers["x-api-key"] == "k-123"
    assert "authorization" not in route.calls.last.request.headers
    assert models is not None and not isinstance(models, Error) and models.models == []


@respx.mock(base_url=BASE)
def test_create_task_sends_the_typed_body(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/tasks").respond(200, json=EXAMPLES["RealCompletedTask"]["value"])
    body = CreateTaskRequest(
        asset_id="a1",
        targets=[TargetRequest(model="vocals", formats=[OutputFormat.WAV], variant="high_quality")],
    )
    task = create_task.sync(client=client(), body=body)
    assert isinstance(task, Task)
    sent = route.calls.last.request
    assert sent.headers["x-api-key"] == "k-123"
    assert httpx.Response(200, content=sent.content).json() == {
        "assetId": "a1",
        "targets": [{"model": "vocals", "formats": ["wav"], "variant": "high_quality"}],
    }


@respx.mock(base_url=BASE)
def test_error_bodies_parse_into_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/tasks/nope").respond(
        404, json={"statusCode": 404, "error": "Not Found", "message": "task 'nope' not found"}
    )
    result = get_task.sync("nope", client=client())
    assert isinstance(result, Error) and result.status_code == 404
