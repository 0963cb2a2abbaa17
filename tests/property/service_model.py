"""A plain-Python model of what the AudioShake service promises (the spec, with its "mock
contract" parts), for the state machine in ``test_service_machine.py``. No HTTP, no mock
internals: it is told what the test did and what time it is, and answers what must be
true.

- ``expected_outcome``: the ends a target may come to, from its own model, its input's
  duration and the fault rules in force when it was created, never from its siblings.
- ``expected_cost``: what a target must cost once its task has ended.
- ``RateWindow``: the per-key rolling second of answered requests, fed from the journal.
- ``ModelTask``/``ModelAsset``: what the test knows of each task and asset.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from audioshake_kit.domain.billing import Charge, billable_minutes, round_credits
from audioshake_kit.domain.catalog import Catalog, ModelSpec, get_catalog
from audioshake_kit.types import Estimate

__all__ = [
    "ASSET_TTL_S",
    "LINK_TTL_S",
    "RATE_LIMIT",
    "RETENTION_S",
    "TOO_LONG",
    "Expected",
    "FaultRule",
    "ModelAsset",
    "ModelTarget",
    "ModelTask",
    "RateWindow",
    "expected_cost",
    "expected_outcome",
    "free",
    "max_processing_s",
    "output_names",
]

CATALOG: Catalog = get_catalog()
ASSET_TTL_S = float(CATALOG.limits.asset_ttl_seconds)  # 72 h
LINK_TTL_S = float(CATALOG.limits.output_link_ttl_seconds)  # 1 h
RETENTION_S = float(CATALOG.limits.output_retention_seconds)  # 72 h after completion
RATE_LIMIT = CATALOG.limits.rate_limit_per_second  # 60 answered requests per rolling second
TOO_LONG = 4002  # target error: input longer than the model's maxInputDurationSeconds


@dataclass(frozen=True, slots=True)
class FaultRule:
    """A target fault rule as added with the admin API (``model="*"``: any model)."""

    model: str
    probability: float
    code: int
    message: str
    key: str | None = None

    def matches(self, model: str, key: str) -> bool:
        return self.model in ("*", model) and self.key in (None, key)


@dataclass(frozen=True, slots=True)
class Expected:
    """The ends a target may come to: ``completed`` (when ``may_complete``) or an error
    with one of ``errors`` (code, message; message None: any)."""

    may_complete: bool
    errors: frozenset[tuple[int, str | None]]

    def allows(self, status: str, error: dict[str, Any] | None) -> bool:
        if status == "completed":
            return self.may_complete
        if status != "error" or error is None:
            return False
        return any(
            code == error["code"] and message in (None, error["message"])
            for code, message in self.errors
        )


def expected_outcome(
    model: ModelSpec, duration: float, rules: list[FaultRule], key: str
) -> Expected:
    """Natural failures first (input too long for the model), then the fault rules in
    the order they were added: the first that fires decides."""
    limit = model.max_input_duration_seconds
    if limit is not None and duration > limit:
        return Expected(False, frozenset({(TOO_LONG, None)}))
    errors: set[tuple[int, str | None]] = set()
    for rule in rules:
        if not rule.matches(model.id, key) or rule.probability <= 0.0:
            continue
        errors.add((rule.code, rule.message))
        if rule.probability >= 1.0:
            return Expected(False, frozenset(errors))
    return Expected(True, frozenset(errors))


def max_processing_s(duration: float, variant: str | None) -> float:
    """A generous bound on how long a target may stay ``processing`` (the mock draws a
    few seconds plus a few percent of the input's duration; high_quality takes twice)."""
    bound = 60.0 + 0.1 * duration
    return 2 * bound if variant == "high_quality" else bound


def output_names(model: ModelSpec, request: dict[str, Any]) -> tuple[set[str], int, int]:
    """(names allowed, fewest outputs, most outputs) of a completed target, by the mock
    contract: ``<model>[_<variant>]``, ``…_residual``, ``multi_voice_speaker_N``."""
    formats = request["formats"]
    if model.id == "multi_voice":
        spec = model.variant(request.get("variant"))
        lo, hi = (spec.min_speakers or 2, spec.max_speakers or 2) if spec else (2, 2)
        names = {f"multi_voice_speaker_{i}.{f}" for i in range(1, hi + 1) for f in formats}
        return names, lo * len(formats), hi * len(formats)
    variant = request.get("variant")
    stem = model.id if model.text_output or not variant else f"{model.id}_{variant}"
    names = {f"{stem}.{f}" for f in formats}
    if request.get("residual") and model.residual:
        names |= {f"{stem}_residual.{f}" for f in formats}
    return names, len(names), len(names)


@dataclass(slots=True)
class ModelAsset:
    id: str
    uploaded_at: float
    duration: float
    path: Any  # the local file (pathlib.Path)
    stored: Any = None  # where the mock keeps it (pathlib.Path), to see it deleted

    def usable(self, now: float) -> bool:
        return now < self.uploaded_at + ASSET_TTL_S


@dataclass(slots=True)
class ModelTarget:
    index: int
    request: dict[str, Any]  # the wire target
    expected: Expected
    charge: Charge  # its line of the facade's estimate()
    id: str = ""
    # first seen ended:
    status: str = "processing"
    code: int | None = None  # the error code, once it ended in error
    cost: float | None = None
    updated_at: str | None = None
    ended_at: float | None = None  # exact, from the ledger

    @property
    def model(self) -> str:
        return str(self.request["model"])

    @property
    def ended(self) -> bool:
        return self.status != "processing"


@dataclass(slots=True)
class ModelTask:
    id: str
    created_at: float
    duration: float
    short: bool  # input short enough to download its outputs quickly
    estimate: Estimate
    targets: list[ModelTarget]
    completed_at: float | None = None  # exact, from the ledger

    @property
    def ended(self) -> bool:
        return all(t.ended for t in self.targets)

    def outputs_exist(self, now: float) -> bool:
        return self.completed_at is None or now < self.completed_at + RETENTION_S


def free(target: ModelTarget) -> bool:
    """Failed before processing began (4xxx): it costs nothing and leaves a pair."""
    return target.status == "error" and target.code is not None and 4000 <= target.code < 5000


def expected_cost(task: ModelTask, target: ModelTarget) -> float:
    """A target's cost once its task has ended: 0 when it failed before processing
    (4xxx); else (completed, or failed mid-processing: 5xxx) its estimate line, except
    that a model billed at a combined rate (transcription + alignment) falls back to its
    own rate when a partner of that rate failed before processing."""
    if free(target):
        return 0.0
    for rule in CATALOG.combined_rates:
        if target.model not in rule.models:
            continue
        partners = [t for t in task.targets if t.model in rule.models and t is not target]
        if any(free(t) for t in partners):
            rate = CATALOG[target.model].rate(target.request.get("variant"))
            return round_credits(billable_minutes(task.duration) * rate)
    return target.charge.credits


@dataclass(slots=True)
class RateWindow:
    """Answered requests of one key in the rolling second, as the journal shows them."""

    hits: deque[float] = field(default_factory=deque)

    def _trim(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - 1.0:
            self.hits.popleft()

    def observe(self, at: float, status: int) -> None:
        """One journal entry. Raises AssertionError where the rate rule is broken."""
        self._trim(at)
        if status == 429:
            assert len(self.hits) >= RATE_LIMIT, (
                f"429 at {at} with only {len(self.hits)} answered requests in the last second"
            )
            return
        self.hits.append(at)
        assert len(self.hits) <= RATE_LIMIT, (
            f"{len(self.hits)} answered requests in the second before {at}"
        )

    def free(self, now: float) -> int:
        """How many more requests at ``now`` will be answered."""
        return max(0, RATE_LIMIT - sum(1 for h in self.hits if h > now - 1.0))

    def reset(self, now: float, answered_now: int) -> float:
        """``X-RateLimit-Reset`` after ``answered_now`` more answered requests at ``now``:
        seconds until the oldest counted one leaves the window."""
        window = [h for h in self.hits if h > now - 1.0] + [now] * answered_now
        return round(max(0.0, window[0] + 1.0 - now), 3)

    def retry_after(self, now: float, answered_now: int) -> int:
        """The Retry-After of a request refused at ``now`` after ``answered_now`` more
        answered ones: until the oldest counted request leaves the window."""
        window = [h for h in self.hits if h > now - 1.0] + [now] * answered_now
        return max(1, math.ceil(window[0] + 1.0 - now))
