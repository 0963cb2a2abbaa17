"""The checks every layer applies to an API response it receives:

1. the body validates against the spec (jsonschema over ``openapi/audioshake.yaml``, the
   same validators the mock runs in test mode), for a status the spec documents;
2. it parses into the generated client's typed models (``audioshake_client.models``), and
   ``to_dict()`` gives back every field it came with: nothing the spec lists is dropped,
   and nothing arrives that the spec does not list (which would end up untyped in
   ``additional_properties``).

``ResponseLog`` is an httpx response hook that keeps the JSON answers of the public API,
so a test can check everything a client saw, including what a facade read for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import attrs
import httpx
from audioshake_client.models import (
    Asset,
    DistributionStatistic,
    Error,
    ModelList,
    Task,
    UsageStatistic,
    WebhookRegistration,
)

from audioshake_kit.domain.spec import load_spec
from mock_server.validation import SpecValidators

__all__ = ["ResponseLog", "SeenResponse", "check_response", "operation_id", "round_trip"]

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _statistic(data: Mapping[str, Any]) -> Any:
    return (
        UsageStatistic.from_dict(data) if "month" in data else DistributionStatistic.from_dict(data)
    )


def _many(parse: Callable[[Mapping[str, Any]], Any]) -> Callable[[Any], list[Any]]:
    return lambda data: [parse(item) for item in data]


# operationId → how the generated client reads its 2xx body
PARSERS: dict[str, Callable[[Any], Any]] = {
    "createTask": Task.from_dict,
    "getTask": Task.from_dict,
    "listTasks": _many(Task.from_dict),
    "getTaskStatistics": _many(_statistic),
    "uploadAsset": Asset.from_dict,
    "listAssets": _many(Asset.from_dict),
    "listModels": ModelList.from_dict,
    "registerWebhook": WebhookRegistration.from_dict,
}


@functools.cache
def _validators() -> SpecValidators:
    return SpecValidators(load_spec())


@functools.cache
def _routes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    out = []
    for template, item in load_spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, op in item.items():
            out.append((method.upper(), pattern, op["operationId"]))
    # literal paths first: /tasks/statistics is not /tasks/{id}
    return tuple(sorted(out, key=lambda r: "[^/]+" in r[1].pattern))


def operation_id(method: str, path: str) -> str | None:
    """The spec's operationId for a request, or None (signed file links, ``/_mock/``)."""
    for m, pattern, op_id in _routes():
        if m == method.upper() and pattern.match(path):
            return op_id
    return None


def _normal(value: Any) -> Any:
    """Compare JSON by meaning: date-times as instants, numbers as numbers."""
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, str) and _DATETIME.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _extras(obj: Any, where: str = "body") -> list[str]:
    """Where a parsed model holds fields its class does not type."""
    if isinstance(obj, list):
        return [e for i, item in enumerate(obj) for e in _extras(item, f"{where}[{i}]")]
    if not attrs.has(type(obj)):
        return []
    found = [f"{where}.{k}" for k in getattr(obj, "additional_properties", {})]
    for f in attrs.fields(type(obj)):
        if f.name != "additional_properties":
            found += _extras(getattr(obj, f.name), f"{where}.{f.name}")
    return found


def round_trip(op_id: str, status: int, data: Any) -> Any:
    """Parse ``data`` with the generated model of the answer, check nothing is lost or
    untyped, and return the parsed object."""
    parse = Error.from_dict if status >= 400 else PARSERS[op_id]
    parsed = parse(data)
    back = [p.to_dict() for p in parsed] if isinstance(parsed, list) else parsed.to_dict()
    assert _normal(back) == _normal(data), (
        f"{op_id} {status}: the generated model does not give back what it parsed\n"
        f"sent:     {data}\nreturned: {back}"
    )
    extras = _extras(parsed)
    assert not extras, f"{op_id} {status}: fields the spec does not type: {extras}"
    return parsed


def check_response(method: str, path: str, status: int, data: Any) -> Any:
    """Spec conformance and the typed round trip of one JSON answer; returns the parsed
    model (None for answers outside the public API)."""
    op_id = operation_id(method, path)
    if op_id is None:
        return None
    _validators().response(op_id, status, data)
    return round_trip(op_id, status, data)


@dataclass(frozen=True, slots=True)
class SeenResponse:
    method: str
    path: str
    status: int
    body: Any


class ResponseLog:
    """An httpx response hook that keeps every JSON answer of the public API.

    ``validate=False`` skips the jsonschema step (for answers of an in-process mock in
    test mode, which has validated each one already). An answer identical to one checked
    before (a burst of ``GET /models``) is checked once."""

    def __init__(self, *, validate: bool = True) -> None:
        self.validate = validate
        self.pending: list[SeenResponse] = []
        self.checked = 0
        self._seen: set[tuple[str, str, int, bytes]] = set()

    def hook(self, response: httpx.Response) -> None:
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        request = response.request
        if operation_id(request.method, request.url.path) is None:
            return
        key = (request.method, request.url.path, response.status_code, response.read())
        if key in self._seen:
            return
        self._seen.add(key)
        self.pending.append(SeenResponse(*key[:3], response.json()))

    def check_all(self) -> int:
        """Check what arrived since the last call; returns how many."""
        seen, self.pending = self.pending, []
        for r in seen:
            if self.validate:
                check_response(r.method, r.path, r.status, r.body)
            else:
                op_id = operation_id(r.method, r.path)
                assert op_id is not None
                round_trip(op_id, r.status, r.body)
        self.checked += len(seen)
        return len(seen)
