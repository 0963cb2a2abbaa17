"""Drift from the spec: what one check found (``Violation``) and what a proxy session
found (``DriftLog``: per-operation request counts, each distinct finding with its count,
logged the first time it is seen, written as the JSON report).

A finding is distinct per (operation, direction, path, kind), array indices folded
(``$.targets[0].status`` and ``$.targets[2].status`` are one finding, ``$.targets[*].status``),
so a poll loop reading the same drift a thousand times logs it once and counts it."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["DRIFT_LOGGER", "DriftLog", "Violation"]

DRIFT_LOGGER = "mock_server.proxy.drift"
log = logging.getLogger(DRIFT_LOGGER)

Direction = Literal["request", "response"]
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request or response breaks the spec (``undocumented``: a field the spec
    does not describe, reported apart from violations).

    ``path`` is a JSON path into the body (``$.targets[0].status``), or ``status``,
    ``header:<name>``, ``query:<name>``, ``content-type`` for the rest of the message."""

    operation: str
    direction: Direction
    path: str
    kind: str
    message: str
    expected: Any = None
    undocumented: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.operation, self.direction, _INDEX.sub("[*]", self.path), self.kind)

    def __str__(self) -> str:
        return f"{self.operation} {self.direction}: {self.path}: {self.message}"


@dataclass
class _Seen:
    first: Violation
    count: int = 0


@dataclass
class DriftLog:
    """What the proxy saw. Safe to share between the event loop and a writer thread."""

    requests: Counter[str] = field(default_factory=Counter)
    _seen: dict[tuple[str, str, str, str], _Seen] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_request(self, operation: str) -> None:
        with self._lock:
            self.requests[operation] += 1

    def add(self, violations: list[Violation]) -> None:
        """Count each finding; log the ones never seen before (warning level)."""
        new: list[Violation] = []
        with self._lock:
            for v in violations:
                seen = self._seen.get(v.key)
                if seen is None:
                    seen = self._seen[v.key] = _Seen(v)
                    new.append(v)
                seen.count += 1
        for v in new:
            log.warning("%s%s", "undocumented: " if v.undocumented else "", v)

    def report(self) -> dict[str, Any]:
        """The report: request counts per operation, then violations and undocumented
        fields, each distinct one with its count, in the order first seen."""
        with self._lock:
            entries = [
                {
                    "operation": s.first.operation,
                    "direction": s.first.direction,
                    "path": key[2],
                    "kind": s.first.kind,
                    "message": str(s.first),
                    "expected": s.first.expected,
                    "count": s.count,
                    "undocumented": s.first.undocumented,
                }
                for key, s in self._seen.items()
            ]
            requests = dict(sorted(self.requests.items()))
        violations = [{k: v for k, v in e.items() if k != "undocumented"} for e in entries]
        return {
            "requests": requests,
            "totalRequests": sum(requests.values()),
            "violations": [
                e for e, full in zip(violations, entries, strict=True) if not full["undocumented"]
            ],
            "undocumented": [
                e for e, full in zip(violations, entries, strict=True) if full["undocumented"]
            ],
        }

    def write(self, path: Path) -> None:
        """The report as JSON (written to a temporary file, then renamed over ``path``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.report(), indent=2, default=repr) + "\n", "utf-8")
        tmp.replace(path)
