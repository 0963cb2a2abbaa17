"""The fast check (jsonschema-rs, jsonschema on a no) says what jsonschema says: on
random schemas, on random instances, and on the spec's own bodies and responses, valid
and broken."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.validation import SchemaValidator, spec_validators
from tests.support.json_paths import json_paths

FC = jsonschema.Draft202012Validator.FORMAT_CHECKER
KEYS = ["a", "b", "c"]


def fast(schema: Any) -> Any:
    if not isinstance(schema, dict):
        schema = {"allOf": [schema]}
    return SchemaValidator(schema, {}).is_valid


def slow(schema: Any) -> Any:
    return jsonschema.Draft202012Validator(schema, format_checker=FC).is_valid


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 1.5, -2.0])
    | st.sampled_from(["", "a", "ab", "x1", "2026-01-01T00:00:00Z", "not a date", "https://a.b/c"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=8,
)

TYPES = ["string", "object", "array", "boolean", "null", "number", "integer"]
leaf_schemas = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1, unique=True),
        "enum": st.lists(st.sampled_from(["", "a", "ab"]), min_size=1),
        "minLength": st.integers(0, 2),
        "maxLength": st.integers(0, 2),
        "pattern": st.sampled_from(["^a", "b$", "[0-9]"]),
        "format": st.sampled_from(["date-time", "uri", "binary", "email"]),
        "minimum": st.integers(-2, 2),
        "maximum": st.integers(-2, 2) | st.just(1.5),
        "exclusiveMinimum": st.integers(-2, 2),
        "exclusiveMaximum": st.integers(-2, 2),
        "minItems": st.integers(0, 2),
        "maxItems": st.integers(0, 2),
        "uniqueItems": st.booleans(),
        "const": st.sampled_from([1, True, "a"]),
        "description": st.just("annotation"),
        "x-source": st.just("ignored"),
    },
)


def _composite(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(TYPES),
            "properties": st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
            "required": st.lists(st.sampled_from(KEYS), unique=True, max_size=2),
            "additionalProperties": st.booleans() | inner,
            "items": inner,
            "allOf": st.lists(inner, min_size=1, max_size=2),
            "anyOf": st.lists(inner, min_size=1, max_size=2),
            "oneOf": st.lists(inner, min_size=1, max_size=2),
            "not": inner,
        },
    )


schemas = st.recursive(leaf_schemas | st.booleans(), _composite, max_leaves=6)


@settings(max_examples=500, deadline=None)
@given(schema=schemas, instance=json_values)
def test_random_schemas_and_instances_agree_with_jsonschema(schema: Any, instance: Any) -> None:
    assert fast(schema)(instance) == slow(schema)(instance)


def test_bool_is_not_an_integer_and_a_whole_float_is() -> None:
    check = fast({"type": "integer"})
    assert [check(v) for v in (1, 1.0, 1.5, True, "1")] == [True, True, False, False, False]
    either = fast({"type": ["integer", "null"]})
    assert [either(v) for v in (1, 1.0, True, None, "1")] == [True, True, False, True, False]
    plain = fast({"type": ["string", "null", "boolean"]})
    assert [plain(v) for v in ("a", None, True, 0, [])] == [True, True, True, False, False]


def test_one_of_means_exactly_one_any_of_at_least_one_not_none() -> None:
    two = [{"type": "integer"}, {"type": "number"}]
    assert [fast({"oneOf": two})(v) for v in (1, 1.5, "a")] == [False, True, False]
    assert [fast({"anyOf": two})(v) for v in (1, 1.5, "a")] == [True, True, False]
    assert [fast({"not": {"anyOf": two}})(v) for v in (1, 1.5, "a")] == [False, False, True]


def test_format_answers_remembered_for_strings_stay_each_strings_own() -> None:
    schema = {"format": "date-time"}
    check, truth = fast(schema), slow(schema)
    values = ["2026-01-01T00:00:00Z", "nope", 5, None, "2026-13-01T00:00:00Z"] * 3
    assert [check(v) for v in values] == [truth(v) for v in values]
    assert [check(v) for v in values[:5]] == [True, False, True, True, False]


def test_unique_items_and_refs() -> None:
    check = fast({"type": "array", "uniqueItems": True})
    assert check([1, 2]) and not check([1, 1])
    assert not fast({"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}})(1)


def test_a_ref_beside_other_keywords_keeps_its_2020_12_meaning() -> None:
    """Draft 2020-12 applies keywords beside a $ref (draft 7 ignored them)."""
    schema = {"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}, "maxLength": 1}
    assert [fast(schema)(v) for v in ("a", "ab", 1)] == [slow(schema)(v) for v in ("a", "ab", 1)]


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"prefixItems": [{"type": "string"}]}, [1]),
        ({"dependentRequired": {"a": ["b"]}}, {"a": 1}),
        ({"type": "object", "unevaluatedProperties": False}, {"a": 1}),
        ({"items": {"prefixItems": [{"type": "string"}]}}, [[1]]),
    ],
)
def test_a_draft_2020_12_keyword_is_checked(schema: Any, instance: Any) -> None:
    assert slow(schema)(instance) is False
    assert fast(schema)(instance) is False


def test_a_no_that_jsonschema_does_not_confirm_is_a_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    class RefuseEverything:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def is_valid(self, instance: Any) -> bool:
            return False

    monkeypatch.setattr(jsonschema_rs, "Draft202012Validator", RefuseEverything)
    assert fast({"type": "string"})("a") is True
    assert fast({"type": "string"})(1) is False


# -- the spec's own schemas -------------------------------------------------------------

TASK = {
    "id": "t1",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "clientId": "c1",
    "targets": [
        {
            "id": "x1",
            "model": "vocals",
            "status": "completed",
            "formats": ["wav"],
            "output": [
                {
                    "name": "vocals",
                    "format": "wav",
                    "type": "audio/wav",
                    "link": "https://audioshake.mock/files/o?e=1",
                }
            ],
        }
    ],
}


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_task_with_one_part_replaced_is_judged_as_jsonschema_judges_it(data: Any) -> None:
    validator = spec_validators().responses[("getTask", 200)]
    assert validator.is_valid(TASK)
    path = data.draw(st.sampled_from(json_paths(TASK)))
    broken = _replace(TASK, path, data.draw(json_values))
    assert validator.is_valid(broken) == validator.full.is_valid(broken)


def test_every_spec_schema_agrees_on_random_instances() -> None:
    validators = spec_validators()
    every = [*validators.bodies.values(), *validators.responses.values()]

    @settings(max_examples=300, deadline=None)
    @given(instance=json_values, which=st.sampled_from(range(len(every))))
    def agree(instance: Any, which: int) -> None:
        v = every[which]
        assert v.is_valid(instance) == v.full.is_valid(instance)

    agree()
