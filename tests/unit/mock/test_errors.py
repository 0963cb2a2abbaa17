"""Errors: the ``{statusCode, error, message}`` body and ``X-Request-Id`` everywhere; the
order 401 → 429 → 413/415 → 400 → 404 → 402; 405 + ``Allow``; leniency towards unknown
fields and query parameters; 400 messages that name the field; gated models → 403."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import create, error, run, target, upload_ok, url_body

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


# -- leniency -------------------------------------------------------------------------


def test_unknown_query_parameters_are_ignored(mock: InProcessMock) -> None:
    create(mock.client, GOOD)
    r = mock.client.get("/tasks", params={"limit": 1, "foo": "bar", "take": 5})
    assert r.status_code == 200
    assert len(r.json()) == 1
    assert mock.client.get("/models?verbose=true").status_code == 200


def test_unknown_body_fields_are_ignored(mock: InProcessMock) -> None:
    body = {
        **GOOD,
        "callbackUrl": "https://example.test/hook",
        "foo": {"nested": [1, 2]},
        "targets": [{**target("vocals"), "bar": True}],
    }
    task = create(mock.client, body)
    assert "foo" not in task
    assert [t["model"] for t in task["targets"]] == ["vocals"]


# -- malformed createTask bodies ------------------------------------------------------

SRC = {"url": "https://x.test/a.mp3#duration=30"}
MALFORMED: list[tuple[str, Any, str]] = [
    ("url not a string", {"url": 123, "targets": [target("vocals")]}, "url"),
    ("assetId not a string", {"assetId": 5, "targets": [target("vocals")]}, "assetId"),
    ("targets not a list", {**SRC, "targets": "vocals"}, "targets"),
    ("target not an object", {**SRC, "targets": ["vocals"]}, "targets[0]"),
    (
        "model not a string",
        {**SRC, "targets": [{"model": 7, "formats": ["wav"]}]},
        "targets[0].model",
    ),
    ("model missing", {**SRC, "targets": [{"formats": ["wav"]}]}, "targets[0].model"),
    ("formats missing", {**SRC, "targets": [{"model": "vocals"}]}, "targets[0].formats"),
    (
        "formats not a list",
        {**SRC, "targets": [target("vocals") | {"formats": "wav"}]},
        "targets[0].formats",
    ),
    (
        "formats empty",
        {**SRC, "targets": [target("vocals") | {"formats": []}]},
        "targets[0].formats",
    ),
    ("format repeated", {**SRC, "targets": [target("vocals", "wav", "wav")]}, "targets[0].formats"),
    (
        "residual not a bool",
        {**SRC, "targets": [target("vocals", residual="yes")]},
        "targets[0].residual",
    ),
    ("unknown model", {**SRC, "targets": [target("kazoo")]}, "targets[0].model"),
    ("unknown format", {**SRC, "targets": [target("vocals", "ogg")]}, "targets[0].formats[0]"),
    (
        "format not offered",
        {**SRC, "targets": [target("vocals", "wav", "json")]},
        "targets[0].formats[1]",
    ),
    (
        "text format on audio model",
        {**SRC, "targets": [target("transcription", "wav")]},
        "targets[0].formats[0]",
    ),
    (
        "variant not offered",
        {**SRC, "targets": [target("drums", variant="high_quality")]},
        "targets[0].variant",
    ),
    (
        "variant of another model",
        {**SRC, "targets": [target("vocals", variant="n_speaker")]},
        "targets[0].variant",
    ),
    (
        "language not supported",
        {**SRC, "targets": [target("transcription", "json", language="xx")]},
        "targets[0].language",
    ),
    (
        "language on a stem model",
        {**SRC, "targets": [target("vocals", language="en")]},
        "targets[0].language",
    ),
    ("both sources", {**SRC, "assetId": "abc", "targets": [target("vocals")]}, "assetId"),
    ("neither source", {"targets": [target("vocals")]}, "url"),
    ("http url", {"url": "http://x.test/a.mp3", "targets": [target("vocals")]}, "url"),
    ("zero targets", {**SRC, "targets": []}, "targets"),
    (
        "21 targets",
        {
            **SRC,
            "targets": [target("vocals", variant="high_quality")]
            + [
                target(m)
                for m in [
                    "instrumental",
                    "drums",
                    "bass",
                    "guitar",
                    "guitar_electric",
                    "guitar_acoustic",
                    "piano",
                    "keys",
                    "strings",
                    "wind",
                    "vocals_lead",
                    "vocals_backing",
                    "other",
                    "other-x-guitar",
                    "dialogue",
                    "effects",
                    "music_fx",
                    "speech_denoise",
                    "speech_dereverb",
                    "vocals",
                ]
            ],
        },
        "targets",
    ),
    (
        "duplicate target",
        {**SRC, "targets": [target("drums"), target("bass"), target("drums", "mp3")]},
        "targets[2]",
    ),
    (
        "duplicate by default variant",
        {**SRC, "targets": [target("multi_voice"), target("multi_voice", variant="two_speaker")]},
        "targets[1]",
    ),
    (
        "metadata too long",
        {**SRC, "metadata": "m" * 4097, "targets": [target("vocals")]},
        "metadata",
    ),
    (
        "metadata not a string",
        {**SRC, "metadata": {"a": 1}, "targets": [target("vocals")]},
        "metadata",
    ),
    (
        "transcriptUrl on a non-alignment model",
        {**SRC, "targets": [target("vocals", transcriptUrl="https://x.test/l.txt")]},
        "targets[0].transcriptUrl",
    ),
    (
        "transcriptAssetId on transcription",
        {**SRC, "targets": [target("transcription", "json", transcriptAssetId="abc")]},
        "targets[0].transcriptAssetId",
    ),
    (
        "http transcriptUrl",
        {**SRC, "targets": [target("alignment", "json", transcriptUrl="http://x.test/l.txt")]},
        "targets[0].transcriptUrl",
    ),
    (
        "second target broken",
        {**SRC, "targets": [target("vocals"), target("drums", "srt")]},
        "targets[1].formats[0]",
    ),
    ("body is an array", [target("vocals")], "body"),
    ("body is a string", "vocals please", "body"),
]


@pytest.mark.parametrize(
    ("body", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_create_is_400_naming_the_field(
    mock: InProcessMock, body: Any, field: str
) -> None:
    message = error(mock.client.post("/tasks", json=body), 400)
    assert field in message, message
    assert mock.client.get("/tasks").json() == []


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"{'single': 'quotes'}", b"\xff\xfe", b'{"targets": [}'], ids=repr
)
def test_malformed_json_is_400_naming_the_body(mock: InProcessMock, raw: bytes) -> None:
    r = mock.client.post("/tasks", content=raw, headers={"content-type": "application/json"})
    assert "body" in error(r, 400)


def test_limits_themselves_are_accepted(mock: InProcessMock) -> None:
    twenty = [target(m) for m in ["vocals", "instrumental", "drums", "bass", "guitar"]]
    twenty += [target(m) for m in ["guitar_electric", "guitar_acoustic", "piano", "keys"]]
    twenty += [target(m) for m in ["strings", "wind", "vocals_lead", "vocals_backing"]]
    twenty += [target(m) for m in ["other", "other-x-guitar", "dialogue", "effects"]]
    twenty += [
        target("music_fx"),
        target("speech_denoise"),
        target("vocals", variant="high_quality"),
    ]
    assert len(twenty) == 20
    task = create(mock.client, {**SRC, "metadata": "m" * 4096, "targets": twenty})
    assert len(task["targets"]) == 20
    assert task["metadata"] == "m" * 4096


# -- gated models ---------------------------------------------------------------------


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


def test_test_mode_fails_loudly_on_a_response_that_breaks_the_spec(
    mock: InProcessMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mock_server.routes.models as models

    monkeypatch.setattr(models, "models_json", lambda *a: {"models": [{"id": 1}]})
    with pytest.raises(httpx.HTTPError, match="breaks the spec"):
        mock.client.get("/models")
