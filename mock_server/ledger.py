"""The credit ledger: reservations at create, settlement as targets end, refunds (the
support desk's answer to a charged failure), statistics.

Every movement of credits is one entry, so the ledger explains any balance. Rules of
price come from ``audioshake_kit.domain.billing``; this module only books them: a target
with a cost is charged (a completed one, or one that failed mid-processing), one
without is released.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from audioshake_kit.domain.billing import round_credits

from .records import Target, Task, Tenant

__all__ = ["Ledger", "LedgerEntry"]

Kind = Literal["grant", "reserve", "charge", "release", "refund"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    seq: int
    time: float
    key: str
    client_id: str
    kind: Kind
    credits: float
    task_id: str | None = None
    target_id: str | None = None
    model: str | None = None
    variant: str | None = None
    minutes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Ledger:
    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []

    def _book(self, **kw: Any) -> None:
        self.entries.append(LedgerEntry(seq=len(self.entries) + 1, **kw))

    def _book_target(
        self, kind: Kind, tenant: Tenant, task: Task, target: Target, credits: float, now: float
    ) -> None:
        """One entry about one target (its minutes count only where credits moved)."""
        self._book(
            time=now,
            key=tenant.key,
            client_id=tenant.client_id,
            kind=kind,
            credits=credits,
            task_id=task.id,
            target_id=target.id,
            model=target.model,
            variant=target.variant,
            minutes=target.minutes if kind != "release" else 0,
        )

    def grant(self, tenant: Tenant, credits: float | None, now: float) -> None:
        """Set a balance (None: unlimited)."""
        tenant.credits = credits
        self._book(
            time=now,
            key=tenant.key,
            client_id=tenant.client_id,
            kind="grant",
            credits=credits if credits is not None else 0.0,
        )

    def reserve(self, tenant: Tenant, task: Task, now: float) -> None:
        """Hold each target's estimate; the caller has checked the balance covers it."""
        for t in task.targets:
            tenant.reserved += t.estimate
            self._book_target("reserve", tenant, task, t, t.estimate, now)

    def settle(self, tenant: Tenant, task: Task, target: Target, now: float) -> None:
        """Release the target's hold; charge its real cost (a target that failed before
        processing costs 0 and is only released)."""
        tenant.reserved = max(0.0, round_credits(tenant.reserved - target.estimate))
        cost = target.cost or 0.0
        kind: Kind = "charge" if target.status == "completed" or cost > 0 else "release"
        if tenant.credits is not None:
            tenant.credits = round_credits(tenant.credits - cost)
        self._book_target(kind, tenant, task, target, cost, now)

    def refund(self, tenant: Tenant, task: Task, target: Target, now: float) -> LedgerEntry | None:
        """Give back what ``target`` was charged and not yet refunded (None: nothing)."""
        due = 0.0
        for e in self.entries:
            if e.target_id == target.id and e.kind in ("charge", "refund"):
                due += e.credits if e.kind == "charge" else -e.credits
        due = round_credits(due)
        if due <= 0:
            return None
        if tenant.credits is not None:
            tenant.credits = round_credits(tenant.credits + due)
        self._book_target("refund", tenant, task, target, due, now)
        return self.entries[-1]

    def charges(self, client_id: str) -> list[LedgerEntry]:
        """The charges of ``client_id`` that stand (a refunded target's charge does not)."""
        refunded = {
            e.target_id for e in self.entries if e.client_id == client_id and e.kind == "refund"
        }
        return [
            e
            for e in self.entries
            if e.client_id == client_id and e.kind == "charge" and e.target_id not in refunded
        ]

    def statistics(self, client_id: str, name: str) -> list[dict[str, Any]]:
        """``usage`` per month or ``distribution`` per model, from what was charged (a
        target that failed mid-processing counts; a refunded one does not)."""
        groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for e in self.charges(client_id):
            if name == "usage":
                group = datetime.fromtimestamp(e.time, UTC).strftime("%Y-%m")
            else:
                group = e.model or ""
            groups[group][0] += 1
            groups[group][1] += e.minutes
        field = "month" if name == "usage" else "model"
        return [
            {field: g, "totalTargets": n, "totalMinutes": str(minutes)}
            for g, (n, minutes) in sorted(groups.items())
        ]
