"""The closed check (one jsonschema-rs call on the spec's schema with every named object
closed) says yes only where the full judgement finds nothing: on the spec's own example
answers and on random changes to them (a field added anywhere, a value replaced, a field
removed). And it does say yes to a plain valid answer, or it would save nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioshake_kit.domain.spec import load_spec
from mock_server.proxy.checks import SpecChecker, closed_schema
from mock_server.validation import rust_check, spec_validators
from tests.support.json_paths import json_paths

SPEC = load_spec()
FAST = SpecChecker(SPEC, spec_validators())
SLOW = SpecChecker(SPEC, spec_validators(), closed_check=False)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        _, _, section, name = node["$ref"].split("/")
        node = SPEC["components"][section][name]
    return node


def _examples() -> list[tuple[str, int, Any]]:
    out = []
    for item in SPEC["paths"].values():
        for op in item.values():
            for code, resp in op["responses"].items():
                media = _resolve(resp).get("content", {}).get("application/json", {})
                if "example" in media:
                    out.append((op["operationId"], int(code), media["example"]))
                for ex in media.get("examples", {}).values():
                    out.append((op["operationId"], int(code), _resolve(ex)["value"]))
    return out


EXAMPLES = _examples()


def test_the_spec_has_examples_to_start_from() -> None:
    assert len(EXAMPLES) >= 5
    assert {op for op, _, _ in EXAMPLES} >= {"getTask", "listModels"}


@pytest.mark.parametrize(("op", "status", "body"), EXAMPLES)
def test_a_valid_example_passes_in_one_call(op: str, status: int, body: Any) -> None:
    assert SLOW.response_body(op, status, body) == []
    closed = rust_check(
        closed_schema(SLOW.validators.responses[(op, status)].full.schema)  # type: ignore[arg-type]
    )
    assert closed is not None and closed(body) is True


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


# A fresh copy each draw: a shared {} added into itself would make the body endless.
VALUES = st.sampled_from([None, 1, 1.5, "x", "2026-01-01T00:00:00Z", True, [], {}, {"a": 1}]).map(
    copy.deepcopy
)


@st.composite
def changed(draw: st.DrawFn) -> tuple[str, int, Any]:
    op, status, body = draw(st.sampled_from(EXAMPLES))
    body = copy.deepcopy(body)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(json_paths(body)))
        target = _at(body, where)
        kind = draw(st.sampled_from(["add", "replace", "remove"]))
        if kind == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(["surprise", "id", "status", "link", "x"]))] = draw(VALUES)
        elif kind == "replace" and where:
            _at(body, where[:-1])[where[-1]] = draw(VALUES)
        elif kind == "remove" and where and isinstance(_at(body, where[:-1]), dict):
            del _at(body, where[:-1])[where[-1]]
    return op, status, body


@settings(max_examples=300, deadline=None)
@given(changed())
def test_the_closed_check_never_hides_a_finding(case: tuple[str, int, Any]) -> None:
    op, status, body = case
    assert FAST.response_body(op, status, body) == SLOW.response_body(op, status, body)
