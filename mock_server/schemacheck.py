"""A fast yes/no for "is this instance valid against this JSON Schema?", compiled once
into nested closures.

jsonschema builds a validator object for every subschema it descends into, which made
checking one task (``GET /tasks/{id}`` in test mode) cost more than serving it. The
compiled check answers the common case, a valid instance, in a fraction of that time;
jsonschema stays the authority: ``SpecValidators`` asks it for the error whenever this
check says no, and a subschema with a keyword this module does not implement is checked
by jsonschema itself (``fallback``). So a yes here is always jsonschema's yes.

Implemented (draft 2020-12 semantics, as jsonschema applies them): ``type``, ``enum``
(of strings), ``properties``, ``required``, ``additionalProperties``, ``items`` (one
schema), ``minItems``, ``maxItems``, ``minLength``, ``maxLength``, ``pattern``
(``re.search``), ``format`` (through the same ``FormatChecker``), ``minimum``,
``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``allOf``, ``anyOf``, ``oneOf``,
``not``. Words jsonschema does not apply (``description``, ``examples``, ``x-…`` …) are
ignored, as jsonschema ignores them.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

__all__ = ["Check", "compile_check"]

Check = Callable[[Any], bool]
Fallback = Callable[[Mapping[str, Any]], Check]

# What jsonschema applies (anything else in a schema is an annotation it ignores), and
# the keywords that change how references resolve.
_APPLIED = frozenset(Draft202012Validator.VALIDATORS)
_RESOLUTION = frozenset({"$id", "$schema", "$anchor", "$dynamicAnchor", "$defs", "$vocabulary"})
_KNOWN = frozenset(
    {
        "type",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    "integer": _is_integer,
}


# Types a plain isinstance decides (bool is no int here: "integer"/"number" are not in it).
_PLAIN: dict[str, type] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": type(None),
}


def _always(x: Any) -> bool:
    return True


def _never(x: Any) -> bool:
    return False


def compile_check(
    schema: Any, *, format_checker: FormatChecker | None, fallback: Fallback
) -> Check:
    """``schema`` as a check; ``fallback(subschema)`` checks what is not implemented
    here (jsonschema over that subschema)."""
    return _Compiler(format_checker, fallback).node(schema)


class _Compiler:
    def __init__(self, format_checker: FormatChecker | None, fallback: Fallback) -> None:
        self.formats = format_checker
        self.fallback = fallback
        self.conforms = _conforms(format_checker) if format_checker is not None else None

    def node(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            return self.fallback(schema)
        keys = {k for k in schema if k in _APPLIED or k in _RESOLUTION}
        if not keys <= _KNOWN or not self._supported(schema):
            return self.fallback(schema)
        parts = [
            p
            for p in (
                self._type(schema),
                self._enum(schema),
                self._string(schema),
                self._number(schema),
                self._array(schema),
                self._object(schema),
                *self._combinators(schema),
            )
            if p is not None
        ]
        return _all(parts)

    def _supported(self, schema: Mapping[str, Any]) -> bool:
        types = schema.get("type", [])
        names = [types] if isinstance(types, str) else types
        if not isinstance(names, list) or any(n not in _TYPES for n in names):
            return False
        if "enum" in schema and not all(isinstance(v, str) for v in schema["enum"]):
            return False  # jsonschema's enum equality (1 vs True, 1 vs 1.0): not here
        items = schema.get("items", True)
        additional = schema.get("additionalProperties", True)
        return isinstance(items, bool | dict) and isinstance(additional, bool | dict)

    def _type(self, schema: Mapping[str, Any]) -> Check | None:
        if "type" not in schema:
            return None
        t = schema["type"]
        names = [t] if isinstance(t, str) else list(t)
        if len(names) == 1:
            return _TYPES[names[0]]
        if all(n in _PLAIN for n in names):  # one isinstance: ["string", "null"] …
            plain = tuple(_PLAIN[n] for n in names)
            return lambda x: isinstance(x, plain)
        checks = [_TYPES[n] for n in names]
        return lambda x: any(c(x) for c in checks)

    def _enum(self, schema: Mapping[str, Any]) -> Check | None:
        if "enum" not in schema:
            return None
        allowed = frozenset(schema["enum"])
        return lambda x: isinstance(x, str) and x in allowed

    def _string(self, schema: Mapping[str, Any]) -> Check | None:
        low = schema.get("minLength")
        high = schema.get("maxLength")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        fmt = schema.get("format")
        if self.formats is None or fmt not in self.formats.checkers:
            fmt = None  # jsonschema: no checker, no assertion
        if low is None and high is None and pattern is None and fmt is None:
            return None
        conforms = self.conforms

        def check(x: Any) -> bool:
            if fmt is not None and conforms is not None and not conforms(x, fmt):
                return False  # (a format checker decides which types it applies to)
            if not isinstance(x, str):
                return True
            if low is not None and len(x) < low:
                return False
            if high is not None and len(x) > high:
                return False
            return pattern is None or pattern.search(x) is not None

        return check

    def _number(self, schema: Mapping[str, Any]) -> Check | None:
        bounds = [
            (schema[k], op)
            for k, op in (
                ("minimum", operator.ge),
                ("maximum", operator.le),
                ("exclusiveMinimum", operator.gt),
                ("exclusiveMaximum", operator.lt),
            )
            if k in schema
        ]
        if not bounds:
            return None
        return lambda x: not _is_number(x) or all(op(x, b) for b, op in bounds)

    def _array(self, schema: Mapping[str, Any]) -> Check | None:
        low, high = schema.get("minItems"), schema.get("maxItems")
        item = self.node(schema["items"]) if "items" in schema else None
        if low is None and high is None and item is None:
            return None

        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return True
            if low is not None and len(x) < low:
                return False
            if high is not None and len(x) > high:
                return False
            if item is not None:
                for v in x:
                    if not item(v):
                        return False
            return True

        return check

    def _object(self, schema: Mapping[str, Any]) -> Check | None:
        props = [(name, self.node(sub)) for name, sub in schema.get("properties", {}).items()]
        required = tuple(schema.get("required", ()))
        extra: Check | None = None
        known: frozenset[str] = frozenset()
        if "additionalProperties" in schema and schema["additionalProperties"] is not True:
            extra = self.node(schema["additionalProperties"])
            known = frozenset(schema.get("properties", {}))
        if not props and not required and extra is None:
            return None
        missing = object()

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name in required:
                if name not in x:
                    return False
            for name, sub in props:
                v = x.get(name, missing)
                if v is not missing and not sub(v):
                    return False
            if extra is not None:
                for name, v in x.items():
                    if name not in known and not extra(v):
                        return False
            return True

        return check

    def _combinators(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "allOf" in schema:
            out.append(_all([self.node(s) for s in schema["allOf"]]))
        if "anyOf" in schema:
            any_of = [self.node(s) for s in schema["anyOf"]]
            out.append(lambda x: any(c(x) for c in any_of))
        if "oneOf" in schema:
            one_of = [self.node(s) for s in schema["oneOf"]]
            out.append(lambda x: sum(1 for c in one_of if c(x)) == 1)
        if "not" in schema:
            negated = self.node(schema["not"])
            out.append(lambda x: not negated(x))
        return out


def _conforms(formats: FormatChecker) -> Callable[[Any, Any], bool]:
    """``formats.conforms``, remembered for strings (timestamps repeat on every read of
    a record; a checker's answer for a string never changes). One cache per compiled
    schema."""

    @functools.lru_cache(maxsize=4096)
    def remembered(x: str, fmt: str) -> bool:
        return formats.conforms(x, fmt)

    def conforms(x: Any, fmt: Any) -> bool:
        return remembered(x, fmt) if type(x) is str else formats.conforms(x, fmt)

    return conforms


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> bool:
        for c in checks:  # noqa: SIM110 (a loop: all() over a generator costs more here)
            if not c(x):
                return False
        return True

    return check
