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
        entries: list[tuple[bool, re.Pattern[str], dict[str, Match], Match]] = []
        for template, item in spec["paths"].items():
            ops = {m.upper(): op["operationId"] for m, op in item.items() if m in _METHODS}
            methods = tuple(sorted(ops))
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            matches = {m: Match(op, template, methods) for m, op in ops.items()}
            entries.append(
                (
                    "{" in template,
                    re.compile(f"^{pattern}/?$"),
                    matches,
                    Match(None, template, methods),
                )
            )
        entries.sort(key=lambda e: e[0])  # literal before templated: /tasks/statistics
        self._entries = entries

    def find(self, method: str, path: str) -> Match:
        for _, pattern, matches, other in self._entries:
            if pattern.match(path):
                return matches.get(method.upper(), other)
        return _NOWHERE


_NOWHERE = Match(None, None, ())
