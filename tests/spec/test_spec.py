"""The OpenAPI description is valid 3.1, its examples match its schemas, and the
decisions the docs leave open are marked as mock contract."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from audioshake_kit.domain.spec import load_spec

SPEC = load_spec()
OPERATIONS = {
    ("post", "/tasks"): "createTask",
    ("get", "/tasks"): "listTasks",
    ("get", "/tasks/{id}"): "getTask",
    ("get", "/tasks/statistics"): "getTaskStatistics",
    ("post", "/assets"): "uploadAsset",
    ("get", "/assets"): "listAssets",
    ("get", "/models"): "listModels",
    ("post", "/webhooks"): "registerWebhook",
}


def schema_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for a schema fragment that may $ref into the spec's components."""
    return jsonschema.Draft202012Validator(
        {**schema, "components": SPEC["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def component(name: str) -> jsonschema.Draft202012Validator:
    return schema_validator({"$ref": f"#/components/schemas/{name}"})


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        target: Any = SPEC
        for p in parts:
            target = target[p]
        node = target
    return node


def test_spec_is_valid_openapi_31() -> None:
    assert SPEC["openapi"] == "3.1.0"
    validate(SPEC)


def test_every_endpoint_has_its_stable_operation_id() -> None:
    found = {
        (method, path): op["operationId"]
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
    }
    assert found == OPERATIONS


def test_every_operation_requires_the_api_key() -> None:
    assert SPEC["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": SPEC["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    assert SPEC["security"] == [{"ApiKeyAuth": []}]
    for item in SPEC["paths"].values():
        for op in item.values():
            assert "security" not in op, f"{op['operationId']} overrides security"


def test_success_codes_are_200_as_documented() -> None:
    for item in SPEC["paths"].values():
        for op in item.values():
            success = [c for c in op["responses"] if c.startswith("2")]
            assert success == ["200"], op["operationId"]


def _examples() -> list[tuple[str, dict[str, Any], Any]]:
    out: list[tuple[str, dict[str, Any], Any]] = []
    sections = [*SPEC["paths"].items(), *SPEC["webhooks"].items()]
    for path, item in sections:
        for method, op in item.items():
            bodies = [("request", op.get("requestBody", {}))]
            bodies += [(code, resolve(r)) for code, r in op["responses"].items()]
            for where, body in bodies:
                for media in body.get("content", {}).values():
                    schema = media.get("schema", {})
                    if "example" in media:
                        out.append((f"{method} {path} {where}", schema, media["example"]))
                    for name, ex in media.get("examples", {}).items():
                        value = resolve(ex)["value"]
                        out.append((f"{method} {path} {where} {name}", schema, value))
    return out


@pytest.mark.parametrize(("where", "schema", "example"), _examples(), ids=lambda v: "")
def test_every_example_validates_against_its_schema(
    where: str, schema: dict[str, Any], example: Any
) -> None:
    errors = list(schema_validator(schema).iter_errors(example))
    assert not errors, f"{where}: {errors[0].message}"


def test_real_completed_task_and_webhook_example_are_tasks() -> None:
    task = component("Task")
    for name in ("RealCompletedTask", "WebhookTask"):
        task.validate(SPEC["components"]["examples"][name]["value"])


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (
            {"url": "https://e.com/a.mp3", "targets": [{"model": "vocals", "formats": ["wav"]}]},
            True,
        ),
        ({"assetId": "a1", "targets": [{"model": "vocals", "formats": ["wav"]}]}, True),
        (
            {
                "assetId": "a1",
                "url": "https://e.com/a",
                "targets": [{"model": "x1", "formats": ["wav"]}],
            },
            False,
        ),
        ({"targets": [{"model": "vocals", "formats": ["wav"]}]}, False),
        (
            {"url": "http://e.com/a.mp3", "targets": [{"model": "vocals", "formats": ["wav"]}]},
            False,
        ),
        ({"assetId": "a1", "targets": []}, False),
        ({"assetId": "a1", "targets": [{"model": "vocals", "formats": ["wav"]}] * 21}, False),
        ({"assetId": "a1", "targets": [{"model": "vocals", "formats": ["wav"]}] * 20}, True),
        ({"assetId": "a1", "targets": [{"model": "vocals", "formats": ["ogg"]}]}, False),
        ({"assetId": "a1", "targets": [{"model": "vocals", "formats": []}]}, False),
        (
            {
                "assetId": "a1",
                "limit": 3,
                "targets": [{"model": "vocals", "formats": ["wav"], "x": 1}],
            },
            True,
        ),
    ],
)
def test_create_task_request_rules(body: dict[str, Any], ok: bool) -> None:
    assert component("CreateTaskRequest").is_valid(body) is ok


def test_response_schemas_require_only_what_is_always_there() -> None:
    schemas = SPEC["components"]["schemas"]
    assert schemas["Task"]["required"] == ["id", "createdAt", "clientId", "targets"]
    assert schemas["Target"]["required"] == ["id", "model", "status", "formats"]
    assert schemas["Target"]["properties"]["status"] == {
        "$ref": "#/components/schemas/TargetStatus"
    }
    # model and format stay open strings in responses so a new model can't break old clients
    assert schemas["Target"]["properties"]["model"] == {"type": "string"}
    assert schemas["OutputItem"]["properties"]["format"] == {"type": "string"}


def test_undocumented_decisions_are_marked_mock_contract() -> None:
    c = SPEC["components"]
    for name in ("Error", "TargetError", "DistributionStatistic", "WebhookRegistration"):
        assert c["schemas"][name].get("x-mock-contract") is True, name
    for name in ("X-Request-Id", "X-RateLimit-Limit", "Retry-After"):
        assert c["headers"][name].get("x-mock-contract") is True, name
    for name in ("BadRequest", "Unauthorized", "PaymentRequired", "NotFound", "PayloadTooLarge"):
        assert c["responses"][name].get("x-mock-contract") is True, name
    assert SPEC["webhooks"]["targetEnded"]["post"]["x-mock-contract"] is True
    assert SPEC["paths"]["/webhooks"]["post"]["x-unverified"] is True
    assert set(c["schemas"]["TargetError"]["x-error-codes"]) == {4001, 4002, 4003, 4004, 4005, 5001}


def test_every_keyed_success_response_declares_request_id_and_rate_limit_headers() -> None:
    for item in SPEC["paths"].values():
        for op in item.values():
            headers = op["responses"]["200"]["headers"]
            assert {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(headers)
            assert "Retry-After" in resolve(op["responses"]["429"])["headers"]


def test_every_operation_and_schema_says_where_it_comes_from() -> None:
    """Each fact is traceable: a public source (``x-source``) or a decision of ours
    (``x-mock-contract``), on every operation and every schema."""
    ops = [
        (f"{method.upper()} {path}", op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]
    ops += [(f"webhook {name}", hook["post"]) for name, hook in SPEC["webhooks"].items()]
    schemas = list(SPEC["components"]["schemas"].items())
    unsourced = [
        name
        for name, node in [*ops, *schemas]
        if not node.get("x-source") and node.get("x-mock-contract") is not True
    ]
    assert unsourced == []


# What a schema object may hold: JSON Schema 2020-12's keywords, OpenAPI's additions and
# x- extensions. Anything else is a slip (a YAML flow mapping cut at a comma made the
# key "valid for one hour." once).
_SCHEMA_WORDS = set(jsonschema.Draft202012Validator.VALIDATORS) | {
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
    "example", "deprecated", "readOnly", "writeOnly", "format", "contentMediaType",
    "contentEncoding", "discriminator", "xml", "externalDocs",
}  # fmt: skip


def _schema_slips(node: Any, where: str) -> list[str]:
    if not isinstance(node, dict):
        return []
    slips = [f"{where}: {k!r}" for k in node if k not in _SCHEMA_WORDS and not k.startswith("x-")]
    for name, sub in (node.get("properties") or {}).items():
        slips += _schema_slips(sub, f"{where}.{name}")
    for word in ("items", "additionalProperties", "not"):
        slips += _schema_slips(node.get(word), f"{where}/{word}")
    for word in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(word) or []):
            slips += _schema_slips(sub, f"{where}/{word}[{i}]")
    return slips


def test_schemas_hold_only_schema_keywords() -> None:
    schemas = load_spec()["components"]["schemas"]
    assert [s for name, schema in schemas.items() for s in _schema_slips(schema, name)] == []
