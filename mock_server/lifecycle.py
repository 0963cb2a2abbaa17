"""What happens with time: targets end (settled in the ledger, webhooks queued), assets
expire (file deleted), outputs pass their retention (files deleted, links refused).

Events sit in one heap, so a tick costs what is due, not what is stored. No lock and no
clock: the store drives ``tick`` under its lock to the clock's ``now``.
"""

from __future__ import annotations

import heapq
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .ledger import Ledger
from .records import Asset, Target, Task, Tenant
from .webhooks import WebhookDispatcher

__all__ = ["Lifecycle"]

Payload = Callable[[Task], bytes]  # the webhook body: the task as GET shows it


@dataclass(order=True, slots=True)
class _Event:
    at: float
    seq: int
    kind: str
    ref: Any = None


class Lifecycle:
    def __init__(
        self,
        *,
        retention_s: float,
        ledger: Ledger,
        dispatcher: WebhookDispatcher,
        payload: Payload | None,
    ) -> None:
        self.retention_s = retention_s
        self.ledger = ledger
        self.dispatcher = dispatcher
        self.payload = payload
        self._events: list[_Event] = []
        self._seq = 0

    def _schedule(self, at: float, kind: str, ref: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, _Event(at, self._seq, kind, ref))

    def task_created(self, tenant: Tenant, task: Task) -> None:
        for t in task.targets:
            self._schedule(t.ends_at, "target_end", (tenant, task, t))

    def asset_added(self, tenant: Tenant, asset: Asset) -> None:
        self._schedule(asset.expires_at, "asset_expire", (tenant, asset))

    def tick(self, now: float) -> int:
        """Apply every event due by ``now`` in time order; returns how many. Webhook
        attempts are only queued here: a courier sends them."""
        n = 0
        while self._events and self._events[0].at <= now:
            ev = heapq.heappop(self._events)
            n += 1
            if ev.kind == "target_end":
                tenant, task, target = ev.ref
                self._end_target(tenant, task, target, ev.at)
            elif ev.kind == "asset_expire":
                owner, asset = ev.ref
                if owner.assets.pop(asset.id, None) is not None:
                    asset.path.unlink(missing_ok=True)
            elif ev.kind == "outputs_expire":
                done: Task = ev.ref
                done.outputs_expired = True
                if done.output_dir is not None:
                    shutil.rmtree(done.output_dir, ignore_errors=True)
        return n

    def _end_target(self, tenant: Tenant, task: Task, target: Target, at: float) -> None:
        target.status = "error" if target.planned_error else "completed"
        target.cost = target.planned_cost
        target.updated_at = at
        self.ledger.settle(tenant, task, target, at)
        if all(t.ended for t in task.targets):
            task.completed_at = at
            self._schedule(at + self.retention_s, "outputs_expire", task)
        self._queue_webhooks(tenant, task, target, at)

    def _queue_webhooks(self, tenant: Tenant, task: Task, target: Target, at: float) -> None:
        """One delivery per ended target to the key's URL and to the task's callbackUrl."""
        if self.payload is None:
            return
        hooks = []
        if tenant.webhook_url:
            hooks.append((tenant.webhook_url, "account"))
        if task.callback_url:
            hooks.append((task.callback_url, "callbackUrl"))
        if not hooks:
            return
        body = self.payload(task)
        for url, source in hooks:
            delivery = self.dispatcher.enqueue(
                key=tenant.key,
                url=url,
                secret=tenant.webhook_secret,
                task_id=task.id,
                target_id=target.id,
                body=body,
                source=source,
                next_at=at,
            )
            self.dispatcher.schedule(delivery, at)
