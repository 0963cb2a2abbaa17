"""Billing rules, in one place: the mock charges with them, ``estimate()`` predicts with them.

- A completed target costs ``ceil(duration_s / 60) × rate`` (every started minute; at
  least one). The rate is the model's, or its variant's where the variant has one.
- A failed target is priced by its error code (``domain.codes``), as AudioShake's FAQ
  says: failing before processing begins (4xxx) costs 0; failing mid-processing (5xxx)
  is charged as if it had completed (support may refund it, given the task id). An
  error without a code is taken as failing before processing.
- Models in a combined rate (transcription + alignment) bill the combined rate split
  evenly between them while none of them fails before processing; if one does, the
  others bill at their own rates.
- ``Task.cost`` is the sum of its targets' costs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .catalog import Catalog, get_catalog
from .codes import failed_before_processing

__all__ = [
    "BillingTarget",
    "Charge",
    "billable_minutes",
    "price_targets",
    "round_credits",
    "task_cost",
]

Outcome = Literal["completed", "error", "pending"]


@dataclass(frozen=True, slots=True)
class BillingTarget:
    model: str
    variant: str | None = None
    outcome: Outcome = "completed"
    code: int | None = None  # the error code when ``outcome`` is "error"

    @property
    def free(self) -> bool:
        """Failed before processing began: nothing to pay."""
        return self.outcome == "error" and (
            self.code is None or failed_before_processing(self.code)
        )


@dataclass(frozen=True, slots=True)
class Charge:
    """What one target costs: ``minutes × rate = credits``."""

    model: str
    variant: str | None
    minutes: int
    rate: float
    credits: float


def billable_minutes(duration_s: float) -> int:
    """Started minutes of input, at least one. 200.53 s → 4; 60.0 s → 1."""
    if duration_s < 0 or math.isnan(duration_s):
        raise ValueError(f"duration must be a non-negative number of seconds, got {duration_s}")
    # Durations come from a decoder as floats; forgive float noise below a microsecond.
    return max(1, math.ceil(duration_s / 60 - 1e-9))


def round_credits(value: float) -> float:
    """Credits are reported with at most 4 decimals (0.75 × 3 = 2.25)."""
    return round(value + 0.0, 4)


def task_cost(target_costs: Iterable[float | None]) -> float:
    """A task's cost: the sum of its targets' (a target not yet priced counts 0)."""
    return round_credits(sum(c or 0.0 for c in target_costs))


def price_targets(
    targets: Sequence[BillingTarget], duration_s: float, catalog: Catalog | None = None
) -> list[Charge]:
    """The charge of each target of one task, in order.

    ``pending`` targets are priced as if they complete (that is the estimate, and the
    amount the mock reserves); ``error`` targets cost 0 when they failed before
    processing, else what completing would have cost.
    """
    cat = catalog or get_catalog()
    minutes = billable_minutes(duration_s)
    live = {t.model for t in targets if not t.free}
    combined: dict[str, float] = {}
    for rule in cat.combined_rates:
        if rule.models <= live:
            for model in rule.models:
                combined[model] = rule.credits_per_minute / len(rule.models)
    charges = []
    for t in targets:
        if t.free:
            rate = 0.0
        elif t.model in combined:
            rate = combined[t.model]
        else:
            rate = cat[t.model].rate(t.variant)
        charges.append(Charge(t.model, t.variant, minutes, rate, round_credits(minutes * rate)))
    return charges
