"""Request (and, in test mode, response) validation against the OpenAPI spec, with
validators compiled once per process (``spec_validators()``). Messages name the field:
``targets[0].formats[0]: …``.

Bodies and responses are first put to a compiled yes/no check (``schemacheck``);
jsonschema runs only to explain a no (and decides it: the fast check never accepts what
jsonschema refuses).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from audioshake_kit.domain.spec import load_spec

from .errors import MockError
from .schemacheck import Check, compile_check

__all__ = ["SchemaValidator", "SpecValidators", "field_path", "spec_validators"]


def field_path(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_SCHEMAS = "#/components/schemas/"


def _inline(node: Any, components: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with each ``#/components/schemas/…`` $ref replaced by its schema (a ref
    met again inside itself, a recursive schema, stays a $ref)."""
    if isinstance(node, list):
        return [_inline(v, components, seen) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMAS) and ref not in seen:
        target = _inline(components["schemas"][ref[len(_SCHEMAS) :]], components, (*seen, ref))
        rest = {k: _inline(v, components, seen) for k, v in node.items() if k != "$ref"}
        return {**rest, "allOf": [target, *rest.get("allOf", [])]} if rest else target
    return {k: _inline(v, components, seen) for k, v in node.items()}


class SchemaValidator:
    """A compiled schema: ``is_valid`` (fast) and ``iter_errors`` (jsonschema's)."""

    def __init__(self, schema: Mapping[str, Any], components: Mapping[str, Any]) -> None:
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        self.full = jsonschema.Draft202012Validator(
            {**schema, "components": components}, format_checker=checker
        )

        def fallback(sub: Mapping[str, Any]) -> Check:
            # a subschema compile_check leaves to jsonschema ($refs resolve in components)
            base = {**sub, "components": components} if isinstance(sub, dict) else sub
            return jsonschema.Draft202012Validator(base, format_checker=checker).is_valid

        self.is_valid = compile_check(schema, format_checker=checker, fallback=fallback)

    def first_error(self, instance: Any) -> jsonschema.ValidationError | None:
        """None when ``instance`` is valid, else jsonschema's best match."""
        if self.is_valid(instance):
            return None
        error: jsonschema.ValidationError | None = best_match(self.full.iter_errors(instance))
        return error

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        if not self.is_valid(instance):
            yield from self.full.iter_errors(instance)

    def validate(self, instance: Any) -> None:
        """Raise jsonschema's ``ValidationError`` (best match) when ``instance`` is invalid."""
        error = self.first_error(instance)
        if error is not None:
            raise error


class SpecValidators:
    """Per operation: a body validator, query parameter schemas and response validators."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._components = spec["components"]
        self.bodies: dict[str, SchemaValidator] = {}
        self.params: dict[str, list[dict[str, Any]]] = {}
        self._param_validators: dict[tuple[str, str], jsonschema.Draft202012Validator] = {}
        self.responses: dict[tuple[str, int], SchemaValidator] = {}
        for item in spec["paths"].values():
            for op in item.values():
                op_id = op["operationId"]
                self.params[op_id] = [self._resolve(p) for p in op.get("parameters", [])]
                for p in self.params[op_id]:  # compiled once, not per request
                    if p.get("in") == "query" and "schema" in p:
                        key = (op_id, p["name"])
                        self._param_validators[key] = jsonschema.Draft202012Validator(p["schema"])
                content = op.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    self.bodies[op_id] = self._compile(content["application/json"]["schema"])
                for code, resp in op["responses"].items():
                    body = self._resolve(resp).get("content", {}).get("application/json")
                    if body:
                        self.responses[(op_id, int(code))] = self._compile(body["schema"])

    def _compile(self, schema: Mapping[str, Any]) -> SchemaValidator:
        # $refs inlined: resolving them per instance was a third of the validation time
        return SchemaValidator(_inline(schema, self._components), self._components)

    def _resolve(self, node: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, _, section, name = node["$ref"].split("/")
            node = self._components[section][name]
        return dict(node)

    def body(self, op_id: str, data: Any) -> None:
        """400 naming the first field that breaks the schema."""
        error = self.bodies[op_id].first_error(data)
        if error is None:
            return
        where = field_path(error.absolute_path)
        if not where and error.validator in ("allOf", "anyOf", "not"):
            raise MockError(400, "url/assetId: provide exactly one source, url or assetId")
        if error.validator == "required" and isinstance(error.instance, dict):
            required: list[str] = error.validator_value  # type: ignore[assignment]
            missing = next((f for f in required if f not in error.instance), None)
            where = f"{where}.{missing}" if where else str(missing)
            raise MockError(400, f"{where}: required")
        raise MockError(400, f"{where or 'body'}: {error.message}")

    def query(self, op_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """Parsed, checked query parameters with defaults; unknown ones are ignored."""
        out: dict[str, Any] = {}
        if "" in query:
            raise MockError(400, "query: a parameter has an empty name")
        for p in self.params.get(op_id, []):
            if p["in"] != "query":
                continue
            name, schema = p["name"], p["schema"]
            raw = query.get(name)
            if raw is None:
                if p.get("required") and "default" not in schema:
                    raise MockError(400, f"{name}: required query parameter")
                out[name] = schema.get("default")
                continue
            value: Any = raw
            if schema.get("type") == "integer":
                try:
                    value = int(raw)
                except ValueError:
                    raise MockError(400, f"{name}: must be an integer, got {raw!r}") from None
            error = best_match(self._param_validators[(op_id, name)].iter_errors(value))
            if error is not None:
                raise MockError(400, f"{name}: {error.message}")
            out[name] = value
        return out

    def response(self, op_id: str, status: int, data: Any) -> None:
        """Raise AssertionError when a response breaks the spec (test mode)."""
        validator = self.responses.get((op_id, status))
        if validator is None:
            raise AssertionError(f"{op_id}: status {status} is not documented in the spec")
        error = validator.first_error(data)
        if error is not None:
            where = field_path(error.absolute_path) or "body"
            raise AssertionError(f"{op_id} {status} breaks the spec at {where}: {error.message}")


@functools.cache
def spec_validators() -> SpecValidators:
    """The packaged spec's validators, compiled once per process (they hold no state)."""
    return SpecValidators(load_spec())
