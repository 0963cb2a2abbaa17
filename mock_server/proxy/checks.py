"""Requests and responses held to the spec with the mock's own validators
(``mock_server.validation``: jsonschema-rs says yes or no, jsonschema explains a no), so
the proxy and the mock judge alike. Each problem becomes a ``Violation``; fields the
spec's schemas do not describe become ``undocumented`` findings (the schemas leave
``additionalProperties`` open, so validation alone never sees them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from jsonschema.exceptions import best_match

from ..errors import MockError
from ..validation import SchemaValidator, SpecValidators, rust_check
from .drift import Direction, Violation
from .operations import Match

__all__ = ["NOT_JSON", "SpecChecker", "closed_schema", "json_path"]

NOT_JSON = object()  # a body that did not parse as JSON
_COMBINERS = ("allOf", "anyOf", "oneOf")


def json_path(parts: Any) -> str:
    """``$.targets[0].status`` from jsonschema's path parts."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class _Header:
    """A documented response header: its name, how its text reads, its check."""

    name: str
    key: str  # lower-cased
    kind: str | None  # "integer", "number" or another JSON type
    check: SchemaValidator


class SpecChecker:
    """The checks of one spec: ``request``, ``response``, ``unknown``."""

    def __init__(
        self, spec: Mapping[str, Any], validators: SpecValidators, *, closed_check: bool = True
    ) -> None:
        """``closed_check``: a body is first put to one jsonschema-rs check that says yes
        only when it is valid and names no undocumented field (``closed_schema``)."""
        self.validators = validators
        self.closed_check = closed_check
        self._components = spec["components"]
        self._responses: dict[str, dict[int, dict[str, Any]]] = {}
        self._request_media: dict[str, tuple[str, ...]] = {}
        self._secured: dict[str, bool] = {}
        self._shapes: dict[tuple[str, int], Shape] = {}
        self._closed: dict[tuple[str, int], Callable[[Any], bool] | None] = {}
        self._header_checks: dict[tuple[str, int], list[_Header]] = {}
        default_security = bool(spec.get("security"))
        for item in spec["paths"].values():
            for op in item.values():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                op_id = op["operationId"]
                self._secured[op_id] = bool(op.get("security", default_security))
                content = op.get("requestBody", {}).get("content", {})
                self._request_media[op_id] = tuple(content)
                self._responses[op_id] = {
                    int(code): self._resolve(resp) for code, resp in op["responses"].items()
                }

    def _resolve(self, node: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, _, section, name = node["$ref"].split("/")
            node = self._components[section][name]
        return dict(node)

    # -- which answers are JSON ---------------------------------------------------------

    def json_request(self, op: str) -> bool:
        return "application/json" in self._request_media.get(op, ())

    def json_response(self, op: str, status: int) -> bool:
        """Whether the spec documents a JSON body for this answer (buffer it to check)."""
        resp = self._responses.get(op, {}).get(status)
        return bool(resp and "application/json" in resp.get("content", {}))

    # -- requests -----------------------------------------------------------------------

    def unknown(self, method: str, path: str, match: Match) -> Violation:
        """The finding for a request the spec has no operation for."""
        if match.template is None:
            return Violation(
                "unknown", "request", "path", "path", f"{method} {path}: no such path in the spec"
            )
        return Violation(
            match.template,
            "request",
            "method",
            "method",
            f"{method} is not documented for {match.template} (documented: {', '.join(match.methods)})",
            expected=list(match.methods),
        )

    def request(
        self,
        op: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any = None,
    ) -> list[Violation]:
        """Findings on a request: the API key, query parameters, the body's media type
        and (``body``: parsed JSON, ``NOT_JSON``, or None when not read) its schema."""
        out: list[Violation] = []
        if self._secured.get(op) and not headers.get("x-api-key"):
            out.append(
                Violation(
                    op,
                    "request",
                    "header:x-api-key",
                    "security",
                    "missing (the spec requires ApiKeyAuth)",
                    "present",
                )
            )
        try:
            self.validators.query(op, query)
        except MockError as exc:
            name = exc.message.split(":", 1)[0]
            out.append(
                Violation(op, "request", f"query:{name}", "query", exc.message.split(": ", 1)[-1])
            )
        media = self._request_media.get(op, ())
        if media:
            got = _media(headers.get("content-type"))
            if got not in media:
                out.append(
                    Violation(
                        op,
                        "request",
                        "content-type",
                        "content-type",
                        f"{got or 'none'} is not one of {list(media)}",
                        list(media),
                    )
                )
            elif self.json_request(op) and body is NOT_JSON:
                out.append(Violation(op, "request", "$", "json", "body is not JSON"))
            elif self.json_request(op) and body is not None:
                out.extend(self._schema(op, "request", self.validators.bodies[op], body))
        return out

    # -- responses ----------------------------------------------------------------------

    def response(
        self, op: str, status: int, headers: Mapping[str, str], body: Any = None
    ) -> list[Violation]:
        """Findings on a response: its status, documented headers, media type and (``body``:
        parsed JSON, ``NOT_JSON``, or None when streamed) its schema and undocumented fields."""
        out, check_body = self.response_head(op, status, headers)
        return out + self.response_body(op, status, body) if check_body else out

    def response_head(
        self, op: str, status: int, headers: Mapping[str, str]
    ) -> tuple[list[Violation], bool]:
        """Findings on a response's status, documented headers and media type, and whether
        the spec documents a JSON body for it (then ``response_body`` checks the body)."""
        documented = self._responses.get(op, {})
        resp = documented.get(status)
        if resp is None:
            kind = _media(headers.get("content-type")) or "no content type"
            return [
                Violation(
                    op,
                    "response",
                    "status",
                    "status",
                    f"status {status} is not documented ({kind} body; documented: {', '.join(map(str, sorted(documented)))})",
                    sorted(documented),
                )
            ], False
        out = list(self._headers(op, status, resp, headers))
        if "application/json" not in resp.get("content", {}):
            return out, False
        got = _media(headers.get("content-type"))
        if got != "application/json":
            out.append(
                Violation(
                    op,
                    "response",
                    "content-type",
                    "content-type",
                    f"{got or 'none'} for status {status}, expected application/json",
                    "application/json",
                )
            )
        return out, True

    def response_body(self, op: str, status: int, body: Any) -> list[Violation]:
        """Findings on the JSON body of an answer whose head ``response_head`` passed to it
        (``body``: parsed JSON, ``NOT_JSON``, or None when streamed: nothing to say)."""
        if body is NOT_JSON:
            return [Violation(op, "response", "$", "json", f"status {status} body is not JSON")]
        if body is None:
            return []
        key = (op, status)
        validator = self.validators.responses[key]
        schema = cast(Mapping[str, Any], validator.full.schema)
        if key not in self._closed:
            self._closed[key] = rust_check(closed_schema(schema))
        closed = self._closed[key]
        # One call says valid with every field named; a no goes to the full check and walk.
        if self.closed_check and closed is not None and closed(body):
            return []
        out = list(self._schema(op, "response", validator, body))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = Shape.of([schema], self._components)
        out.extend(
            Violation(
                op,
                "response",
                where,
                "undocumented",
                "field not described by the spec",
                undocumented=True,
            )
            for where in shape.undocumented(body)
        )
        return out

    def _headers(
        self, op: str, status: int, resp: Mapping[str, Any], headers: Mapping[str, str]
    ) -> Iterator[Violation]:
        for header in self._documented_headers(op, status, resp):
            raw = headers.get(header.key)
            if raw is None:
                continue
            value: Any = raw
            try:
                if header.kind == "integer":
                    value = int(raw)
                elif header.kind == "number":
                    value = float(raw)
            except ValueError:
                yield Violation(
                    op,
                    "response",
                    f"header:{header.name}",
                    "type",
                    f"{raw!r} is not of type {header.kind!r}",
                    header.kind,
                )
                continue
            error = header.check.first_error(value)
            if error is not None:
                yield Violation(
                    op,
                    "response",
                    f"header:{header.name}",
                    str(error.validator),
                    error.message,
                    error.validator_value,
                )

    def _documented_headers(self, op: str, status: int, resp: Mapping[str, Any]) -> list[_Header]:
        """The headers ``resp`` documents, their checks compiled once per answer."""
        found = self._header_checks.get((op, status))
        if found is None:
            found = []
            for name, spec in resp.get("headers", {}).items():
                schema = self._resolve(spec).get("schema", {})
                check = SchemaValidator(schema, self._components)
                found.append(_Header(name, name.lower(), schema.get("type"), check))
            self._header_checks[(op, status)] = found
        return found

    @staticmethod
    def _schema(op: str, direction: Direction, validator: Any, body: Any) -> Iterator[Violation]:
        seen: set[tuple[str, str]] = set()
        for error in validator.iter_errors(body):
            error = best_match([error])
            where = json_path(error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                for name in error.validator_value:
                    path = f"{where}.{name}"
                    if name not in error.instance and (path, "required") not in seen:
                        seen.add((path, "required"))
                        yield Violation(
                            op,
                            direction,
                            path,
                            "required",
                            f"{name!r} is a required property",
                            "present",
                        )
                continue
            yield Violation(
                op,
                direction,
                where,
                str(error.validator),
                error.message,
                _plain(error.validator_value),
            )


def _plain(value: Any) -> Any:
    """``value`` if it is plain JSON (the report is JSON), else its repr."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


_OPEN = frozenset({"additionalProperties", "patternProperties", "unevaluatedProperties"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def closed_schema(node: Any) -> Any:
    """``node`` with ``unevaluatedProperties: false`` beside each ``properties`` whose
    object says nothing of other fields: a body valid under it is valid under ``node``
    and has no field the schema does not name (``Shape`` may still find none in a body
    it refuses: fields named by a sibling ``allOf`` part; the walk decides then)."""
    if isinstance(node, list):
        return [closed_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: {n: closed_schema(v) for n, v in value.items()}
        if k in _SCHEMA_MAPS and isinstance(value, dict)
        else closed_schema(value)
        for k, value in node.items()
    }
    if isinstance(node.get("properties"), dict) and not _OPEN & node.keys():
        out["unevaluatedProperties"] = False
    return out


def undocumented_fields(
    schema: Mapping[str, Any], body: Any, components: Mapping[str, Any]
) -> list[str]:
    """JSON paths of object fields in ``body`` that no (sub)schema describes. A field is
    documented when any alternative (``allOf``/``anyOf``/``oneOf``) names it; objects
    whose schema allows other properties explicitly are not searched."""
    return Shape.of([schema], components).undocumented(body)


_MAX_DEPTH = 24  # deeper than any body of the spec; a recursive schema stops here


class Shape:
    """Which fields a schema describes, compiled once: ``fields`` (None: any object
    passes, the schema names no field or allows others) and ``items`` (of an array).
    A leaf is ``LEAF``; walking a body against a shape is then dictionary lookups."""

    __slots__ = ("fields", "items")

    def __init__(self, fields: dict[str, Shape] | None, items: Shape | None) -> None:
        self.fields = fields
        self.items = items

    @classmethod
    def of(
        cls, schemas: list[Mapping[str, Any]], components: Mapping[str, Any], depth: int = 0
    ) -> Shape:
        if depth > _MAX_DEPTH:
            return LEAF
        flat = _expand(schemas, components)
        fields: dict[str, Shape] | None = None
        if not any(
            s.get("additionalProperties") not in (None, False) or "patternProperties" in s
            for s in flat
        ):
            declared: dict[str, list[Mapping[str, Any]]] = {}
            for s in flat:
                for name, sub in (s.get("properties") or {}).items():
                    declared.setdefault(name, []).append(sub)
            if declared:
                fields = {n: cls.of(subs, components, depth + 1) for n, subs in declared.items()}
        items = [s["items"] for s in flat if isinstance(s.get("items"), Mapping)]
        shape_items = cls.of(items, components, depth + 1) if items else None
        if fields is None and shape_items is None:
            return LEAF
        return cls(fields, shape_items)

    def undocumented(self, body: Any) -> list[str]:
        out: list[str] = []
        self._walk(body, "$", out)
        return sorted(out)

    def _walk(self, body: Any, path: str, out: list[str]) -> None:
        if self.fields is not None and isinstance(body, dict):
            for name, value in body.items():
                sub = self.fields.get(name)
                if sub is None:
                    out.append(f"{path}.{name}")
                elif sub is not LEAF:
                    sub._walk(value, f"{path}.{name}", out)
        elif self.items is not None and self.items is not LEAF and isinstance(body, list):
            for i, value in enumerate(body):
                self.items._walk(value, f"{path}[{i}]", out)


LEAF = Shape(None, None)


def _expand(
    schemas: list[Mapping[str, Any]], components: Mapping[str, Any], depth: int = 0
) -> list[Mapping[str, Any]]:
    flat: list[Mapping[str, Any]] = []
    for s in schemas:
        if not isinstance(s, Mapping):
            continue
        ref = s.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/") and depth < 32:
            s = {
                **components["schemas"][ref.rsplit("/", 1)[1]],
                **{k: v for k, v in s.items() if k != "$ref"},
            }
        flat.append(s)
        for word in _COMBINERS:
            if isinstance(s.get(word), list) and depth < 32:
                flat.extend(_expand(s[word], components, depth + 1))
    return flat
