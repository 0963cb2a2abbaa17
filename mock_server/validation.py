"""Request (and, in test mode, response) validation against the OpenAPI spec, with
validators compiled once per process (``spec_validators()``). Messages name the field:
``targets[0].formats[0]: …``.

Bodies and responses are first put to a yes/no check by jsonschema-rs (compiled Rust;
jsonschema builds a validator object for every subschema it enters: checking one task
cost more than serving it, and fastjsonschema's generated Python, used before, 12 times
what jsonschema-rs costs). jsonschema runs only on a no, to explain it, and decides it: a
no that jsonschema does not confirm is a yes. Both use jsonschema's format checkers, so
they read ``date-time`` and ``uri`` the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

from audioshake_kit.domain.spec import load_spec

from .errors import MockError

__all__ = ["SchemaValidator", "SpecValidators", "field_path", "rust_check", "spec_validators"]


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


_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@functools.cache
def _format_check(name: str) -> Any:
    """jsonschema's check of format ``name`` for jsonschema-rs, answers remembered per
    value (timestamps repeat on every read). A format jsonschema does not check
    (``binary``) is an annotation: anything passes."""

    @functools.lru_cache(maxsize=1 << 16)  # a poll of many tasks repeats their timestamps
    def check(value: Any) -> bool:
        return bool(_FORMATS.conforms(value, name))

    return check


def _formats_in(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            _formats_in(value, found)
    elif isinstance(node, list):
        for value in node:
            _formats_in(value, found)
    return found


def _str_keys(node: Any) -> Any:
    """``node`` with every mapping key a string (YAML reads status codes as integers;
    jsonschema-rs takes JSON, whose keys are strings)."""
    if isinstance(node, list):
        return [_str_keys(v) for v in node]
    if isinstance(node, dict):
        return {str(k): _str_keys(v) for k, v in node.items()}
    return node


def rust_check(document: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """jsonschema-rs's yes/no check of ``document`` (draft 2020-12, formats read by
    jsonschema's checkers; a value it cannot read is a no), or None when it refuses
    the schema."""
    formats = {f: _format_check(f) for f in _formats_in(document, set())}
    try:
        code = jsonschema_rs.Draft202012Validator(
            _str_keys(document), formats=formats, validate_formats=True
        )
    except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
        return None

    def check(instance: Any) -> bool:
        try:
            return bool(code.is_valid(instance))
        except (ValueError, OverflowError):
            return False

    return check


class SchemaValidator:
    """A schema: ``is_valid`` (jsonschema-rs, then jsonschema on a no) and
    ``iter_errors`` (jsonschema's). Compiled on first use."""

    def __init__(self, schema: Mapping[str, Any], components: Mapping[str, Any]) -> None:
        self._document = {**schema, "components": components}
        self.full = jsonschema.Draft202012Validator(self._document, format_checker=_FORMATS)
        self._fast: Callable[[Any], bool] | None = None

    def is_valid(self, instance: Any) -> bool:
        if self._fast is None:
            self._fast = self._compile()
        return self._fast(instance) or bool(self.full.is_valid(instance))

    def _compile(self) -> Callable[[Any], bool]:
        """jsonschema-rs's check, or jsonschema's where jsonschema-rs refuses the schema."""
        return rust_check(self._document) or self.full.is_valid

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
