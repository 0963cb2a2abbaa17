"""Which operation of the spec a request is: ``(method, path)`` → operationId, from the
spec's path templates (``/tasks/{id}``); literal paths win over templated ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Match", "OperationIndex"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True, slots=True)
class Match:
    """What ``OperationIndex.find`` knows of a request: the operation (None when the path
    or the method is not in the spec) and the methods the path has (empty: unknown path)."""

    operation: str | None
    template: str | None
    methods: tuple[str, ...]


class OperationIndex:
    """The spec's paths compiled to regular expressions, literal paths first."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        entries: list[tuple[bool, str, re.Pattern[str], dict[str, str]]] = []
        for template, item in spec["paths"].items():
            ops = {m.upper(): op["operationId"] for m, op in item.items() if m in _METHODS}
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            entries.append(("{" in template, template, re.compile(f"^{pattern}/?$"), ops))
        entries.sort(key=lambda e: e[0])  # literal before templated: /tasks/statistics
        self._entries = entries

    def find(self, method: str, path: str) -> Match:
        for _, template, pattern, ops in self._entries:
            if pattern.match(path):
                return Match(ops.get(method.upper()), template, tuple(sorted(ops)))
        return Match(None, None, ())
