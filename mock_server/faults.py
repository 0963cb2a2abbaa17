"""Fault injection: target fault rules (a target ends in ``error``) and HTTP faults
(status, latency or a dropped connection, before or after the handler)."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

from audioshake_kit.domain.codes import ERROR_CODES, PROCESSING_FAILED

__all__ = ["DEFAULT_CODE", "DEFAULT_MESSAGE", "FaultBook", "HttpFault", "TargetFault"]

DEFAULT_CODE = PROCESSING_FAILED
DEFAULT_MESSAGE = ERROR_CODES[PROCESSING_FAILED]


@dataclass(slots=True)
class TargetFault:
    """Targets of ``model`` (``*``: any) fail with ``probability``; only for ``key`` if set.
    Rules apply to targets created after they are added."""

    id: int
    model: str = "*"
    probability: float = 1.0
    code: int = DEFAULT_CODE
    message: str = DEFAULT_MESSAGE
    key: str | None = None

    def matches(self, model: str, key: str) -> bool:
        return self.model in ("*", model) and self.key in (None, key)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class HttpFault:
    """Applied to public requests matching ``method`` and ``path`` (glob; ``*``: any).

    ``when="before"``: instead of the handler (nothing happens on the server).
    ``when="after"``: the handler runs (state changes), then the answer is replaced, as
    when a create succeeds on the server but the client never hears of it.
    ``times`` counts down (None: forever); ``probability`` draws from the state's RNG.
    """

    id: int
    method: str = "*"
    path: str = "*"
    status: int | None = None
    latency_ms: int = 0
    drop: bool = False
    when: Literal["before", "after"] = "before"
    times: int | None = 1
    probability: float = 1.0
    key: str | None = None

    def matches(self, method: str, path: str, key: str | None) -> bool:
        return (
            self.method in ("*", method.upper())
            and fnmatch.fnmatchcase(path, self.path)
            and self.key in (None, key)
            and (self.times is None or self.times > 0)
        )

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["latencyMs"] = d.pop("latency_ms")
        return d


class FaultBook:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next = 1
        self.target_faults: list[TargetFault] = []
        self.http_faults: list[HttpFault] = []

    def _id(self) -> int:
        self._next += 1
        return self._next - 1

    def add_target_fault(self, **kw: Any) -> TargetFault:
        rule = TargetFault(id=self._id(), **kw)
        _check_types(rule, model=str, code=int, message=str, key=(str, type(None)))
        if not isinstance(rule.probability, int | float) or isinstance(rule.probability, bool):
            raise ValueError("probability: must be a number")
        if not 0.0 <= rule.probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        self.target_faults.append(rule)
        return rule

    def add_http_fault(self, **kw: Any) -> HttpFault:
        rule = HttpFault(id=self._id(), **kw)
        _check_types(
            rule,
            method=str,
            path=str,
            status=(int, type(None)),
            latency_ms=int,
            drop=bool,
            times=(int, type(None)),
            key=(str, type(None)),
        )
        if rule.status is not None and not 100 <= rule.status <= 599:
            raise ValueError("status: must be an HTTP status (100..599)")
        if rule.status is None and not rule.drop and not rule.latency_ms:
            raise ValueError("an HTTP fault needs status, drop or latencyMs")
        if rule.when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        self.http_faults.append(rule)
        return rule

    def target_failure(self, model: str, key: str) -> tuple[int, str] | None:
        """Draw every matching rule in order; the first that fires decides."""
        for rule in self.target_faults:
            if rule.matches(model, key) and self._rng.random() < rule.probability:
                return rule.code, rule.message
        return None

    def http_fault(self, method: str, path: str, key: str | None, when: str) -> HttpFault | None:
        for rule in self.http_faults:
            if rule.when == when and rule.matches(method, path, key):
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None


def _check_types(rule: Any, **types: Any) -> None:
    """A bad rule is refused when added, not when it breaks a response later."""
    for name, kind in types.items():
        value = getattr(rule, name)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise ValueError(f"{name}: {value!r} has the wrong type")
