"""A tolerant reader: no value the service may add breaks the generated client.

Property: any response body the spec allows, with every enum opened up to arbitrary
strings and unknown fields added anywhere, parses with the generated models; unknown
values are kept (``str(status) == "failed"``) and unknown fields land in
``additional_properties``. The enum behaviour comes from the generator template override
``openapi/templates/str_enum.py.jinja`` (never from hand edits of ``generated/``).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openapi_python_client
import pytest
from audioshake_client import models
from audioshake_client.models import OutputFormat, TargetRequest, TargetStatus, Task
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audioshake_kit.domain.spec import load_spec

SCHEMAS = load_spec()["components"]["schemas"]
RESPONSE_MODELS = ["Task", "Asset", "ModelList", "WebhookRegistration", "Error"]
UNKNOWN_KEY = "x_added_by_the_service"  # never a field of the spec


def _opened(node: Any) -> Any:
    """The schema with $refs inlined, enums opened to any string, and one unknown field
    required on every object (so each generated example carries it)."""
    if isinstance(node, list):
        return [_opened(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _opened(SCHEMAS[node["$ref"].rsplit("/", 1)[1]])
    out = {k: _opened(v) for k, v in node.items() if k not in ("enum", "properties")}
    if "properties" in node:
        props = {k: _opened(v) for k, v in node["properties"].items()}
        out["properties"] = {**props, UNKNOWN_KEY: {"type": "integer"}}
        out["required"] = [*out.get("required", []), UNKNOWN_KEY]
    return out


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=12),
    "integer": st.integers(-(2**31), 2**31),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "boolean": st.booleans(),
    "null": st.none(),
}


def _strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of the subset of JSON Schema the spec's response bodies use (type, type
    lists, properties/required, items, oneOf). Optional properties are sometimes left
    out. (hypothesis-jsonschema 0.23 does not run on this Hypothesis.)"""
    if "oneOf" in schema:
        return st.one_of([_strategy(s) for s in schema["oneOf"]])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return st.one_of([_strategy({**schema, "type": k}) for k in kind])
    if kind == "array":
        return st.lists(_strategy(schema.get("items", {})), max_size=3)
    if kind == "object":
        props = schema.get("properties")
        if props is None:
            return st.dictionaries(st.text(max_size=6), JSON_SCALARS, max_size=3)
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: _strategy(v) for k, v in props.items() if k in required},
            optional={k: _strategy(v) for k, v in props.items() if k not in required},
        )
    return SCALARS[kind]


def _documents(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return _strategy(_opened(copy.deepcopy(SCHEMAS[name])))


DATE_FIELDS = {"createdAt", "updatedAt", "completedAt", "expiresAt"}


def _with_dates(doc: Any) -> Any:
    """Date-time fields get valid timestamps (the generator does not check formats we
    dropped, and a date is not an enum: it must still be a date)."""
    if isinstance(doc, list):
        return [_with_dates(d) for d in doc]
    if isinstance(doc, dict):
        return {
            k: ("2026-11-29T12:00:00Z" if k in DATE_FIELDS and v is not None else _with_dates(v))
            for k, v in doc.items()
        }
    return doc


def _unknown_fields_kept(obj: Any, doc: Any) -> None:
    """Every parsed object kept the unknown field of its source document."""
    if isinstance(doc, list):
        for o, d in zip(obj, doc, strict=True):
            _unknown_fields_kept(o, d)
        return
    if not isinstance(doc, dict) or not hasattr(obj, "additional_properties"):
        return
    assert obj.additional_properties.get(UNKNOWN_KEY) == doc[UNKNOWN_KEY]
    for key, value in doc.items():
        attr = getattr(obj, _snake(key), None)
        if isinstance(value, dict | list) and attr is not None:
            _unknown_fields_kept(attr, value)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.mark.parametrize("name", RESPONSE_MODELS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_allowed_body_with_unknown_values_and_fields_parses(
    name: str, data: st.DataObject
) -> None:
    doc = _with_dates(data.draw(_documents(name)))
    parse: Callable[[dict[str, Any]], Any] = getattr(models, name).from_dict
    parsed = parse(doc)
    _unknown_fields_kept(parsed, doc)
    if name == "Task":
        statuses = [str(t.status) for t in parsed.targets]
        assert statuses == [t["status"] for t in doc["targets"]]


def test_an_unknown_status_is_kept_and_round_trips() -> None:
    raw = {
        "id": "t1",
        "createdAt": "2026-11-29T12:00:00Z",
        "clientId": "c",
        "targets": [{"id": "a", "model": "vocals", "status": "failed", "formats": ["wav"]}],
    }
    task = Task.from_dict(raw)
    status = task.targets[0].status
    assert status == "failed" and str(status) == "failed"
    assert isinstance(status, TargetStatus)
    assert status not in list(TargetStatus)  # not added to the documented members
    assert task.to_dict()["targets"][0]["status"] == "failed"


def test_a_target_request_takes_plain_strings() -> None:
    request = TargetRequest(model="vocals", formats=["wav", "mp3"])  # type: ignore[list-item]
    assert request.to_dict() == {"model": "vocals", "formats": ["wav", "mp3"]}
    typed = TargetRequest(model="vocals", formats=[OutputFormat.WAV])
    assert typed.to_dict() == {"model": "vocals", "formats": ["wav"]}


def test_a_value_that_is_not_a_string_is_still_rejected() -> None:
    with pytest.raises(ValueError, match="is not a valid TargetStatus"):
        TargetStatus(3)  # type: ignore[arg-type]


TEMPLATES = Path(__file__).resolve().parents[2] / "openapi" / "templates"
UPSTREAM = Path(openapi_python_client.__file__).parent / "templates"


def _changed_lines(name: str) -> tuple[list[str], list[str]]:
    diff = difflib.unified_diff(
        (UPSTREAM / name).read_text().splitlines(), (TEMPLATES / name).read_text().splitlines()
    )
    lines = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return [x[1:] for x in lines if x[0] == "-"], [x[1:] for x in lines if x[0] == "+"]


def test_the_enum_template_only_adds_the_tolerant_lookup() -> None:
    removed, added = _changed_lines("str_enum.py.jinja")
    assert removed == []
    assert any("def _missing_" in line for line in added)


def test_the_enum_property_template_only_sends_str_of_the_value() -> None:
    removed, added = _changed_lines("property_templates/enum_property.py.jinja")
    assert [line.strip() for line in removed] == [
        '{% set transformed = source + ".value" %}',
        'files.append(({{ name }},  (None, str({{ source }}.value).encode(), "text/plain")))',
    ]
    code = [line for line in added if not line.lstrip().startswith("{#")]
    assert len(code) == 2 and all("str(" in line and ".value" not in line for line in code)
