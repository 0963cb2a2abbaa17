"""The service's rules: tenants, assets, tasks and the target lifecycle.

No HTTP here: operations take parsed input, raise ``MockError`` with the status the
mock contract gives, and move state forward when ``tick`` is driven to the clock's
``now``. Events (target ends, expiries) sit in one heap, so a tick
costs what is due, not what is stored.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import os
import random
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioshake_kit.domain.billing import (
    BillingTarget,
    billable_minutes,
    price_targets,
    round_credits,
)
from audioshake_kit.domain.catalog import Catalog, ModelSpec
from audioshake_kit.domain.codes import (
    NOT_DECODABLE,
    TOO_LONG,
    TOO_MANY_CHANNELS,
    TRANSCRIPT_UNREADABLE,
)
from audioshake_kit.domain.errors import ValidationError
from audioshake_kit.domain.rules import check_task_request, effective_variant, gated_models

from .errors import MockError
from .faults import FaultBook
from .ids import IdFactory
from .ledger import Ledger
from .records import Asset, MediaSource, Output, Target, Task, Tenant
from .sources import MediaRegistry, probe_source
from .webhooks import WebhookDispatcher

__all__ = ["Event", "Store"]


@dataclass(order=True, slots=True)
class Event:
    at: float
    seq: int
    kind: str
    ref: Any = None


class Store:
    def __init__(
        self,
        *,
        catalog: Catalog,
        rng: random.Random,
        data_dir: Path,
        faults: FaultBook,
        ledger: Ledger,
        dispatcher: WebhookDispatcher,
        registry: MediaRegistry,
        open_keys: bool = True,
        task_json: Callable[[Task, float], dict[str, Any]] | None = None,
    ) -> None:
        self.catalog = catalog
        self.rng = rng
        self.ids = IdFactory(rng)
        self.data_dir = data_dir
        self.faults = faults
        self.ledger = ledger
        self.dispatcher = dispatcher
        self.registry = registry
        self.open_keys = open_keys
        self.tenants: dict[str, Tenant] = {}
        self.tenants_by_client: dict[str, Tenant] = {}
        self.tasks_by_id: dict[str, Task] = {}
        self._events: list[Event] = []
        self._seq = 0
        # Set by the state: renders the webhook payload (the task as GET shows it).
        self.task_json = task_json

    # -- tenants ---------------------------------------------------------------------

    def add_tenant(self, key: str, now: float) -> Tenant:
        tenant = self.tenants.get(key)
        if tenant is None:
            tenant = Tenant(key=key, client_id=self.ids.new(now))
            self.tenants[key] = tenant
            self.tenants_by_client[tenant.client_id] = tenant
        return tenant

    def authenticate(self, key: str | None, now: float) -> Tenant:
        if not key:
            raise MockError(401, "missing x-api-key header")
        tenant = self.tenants.get(key)
        if tenant is None:
            if not self.open_keys:
                raise MockError(401, "invalid API key")
            tenant = self.add_tenant(key, now)
        return tenant

    # -- assets ----------------------------------------------------------------------

    def check_can_upload(self, tenant: Tenant) -> None:
        if tenant.credits is not None and tenant.credits <= 0:
            raise MockError(402, "uploads need a positive credit balance")

    def add_asset(self, tenant: Tenant, name: str, path: Path, size: int, now: float) -> Asset:
        """Take ownership of an uploaded file (already on disk, type already checked)."""
        asset_id = self.ids.new(now)
        final = self.data_dir / "assets" / tenant.client_id / f"{asset_id}-{_safe_name(name)}"
        final.parent.mkdir(parents=True, exist_ok=True)
        path.replace(final)
        media = probe_source(final)
        ttl = self.catalog.limits.asset_ttl_seconds
        asset = Asset(
            asset_id, tenant.client_id, name, media.format, size, final, now, now + ttl, media
        )
        tenant.assets[asset_id] = asset
        self._schedule(asset.expires_at, "asset_expire", (tenant.key, asset_id))
        return asset

    def get_asset(self, tenant: Tenant, asset_id: str, field: str = "assetId") -> Asset:
        asset = tenant.assets.get(asset_id)
        if asset is None:
            raise MockError(
                404, f"{field}: asset {asset_id!r} not found (assets expire after 72 h)"
            )
        return asset

    def list_assets(self, tenant: Tenant) -> list[Asset]:
        return sorted(tenant.assets.values(), key=lambda a: (a.created_at, a.id), reverse=True)

    # -- tasks -----------------------------------------------------------------------

    def create_task(self, tenant: Tenant, body: Mapping[str, Any], now: float) -> Task:
        """Validate against the catalog (400), access (403), ids (404), credits (402)."""
        try:
            check_task_request(body, self.catalog)
        except ValidationError as exc:
            raise MockError(400, str(exc)) from None
        gated = gated_models(body, tenant.enabled_models, self.catalog)
        if gated is not None:
            raise MockError(403, f"{gated}: model requires access")
        if body.get("assetId") is not None:
            asset = self.get_asset(tenant, body["assetId"])
            media, asset_id, url = asset.media, asset.id, None
        else:
            media, asset_id, url = self.registry.resolve(body["url"]), None, body["url"]
        transcripts = [self._transcript(tenant, t, i) for i, t in enumerate(body["targets"])]

        task_id = self.ids.new(now)
        targets = [
            self._plan_target(tenant, task_id, t, media, transcript, now)
            for t, transcript in zip(body["targets"], transcripts, strict=True)
        ]
        self._price(targets, media)
        need = round_credits(sum(t.estimate for t in targets))
        available = tenant.available
        if available is not None and available < need:
            raise MockError(402, f"insufficient credits: task needs {need}, {available} available")

        output_dir = self.data_dir / "outputs" / tenant.client_id / task_id
        if asset_id is not None:
            media = _keep_input(media, output_dir)
        self._seq += 1
        task = Task(
            id=task_id,
            client_id=tenant.client_id,
            key=tenant.key,
            created_at=now,
            asset_id=asset_id,
            url=url,
            metadata=body.get("metadata"),
            callback_url=body.get("callbackUrl"),
            write_destination=body.get("writeDestination"),
            media=media,
            targets=targets,
            seq=self._seq,
            output_dir=output_dir,
        )
        tenant.tasks[task.id] = task
        self.tasks_by_id[task.id] = task
        self.ledger.reserve(tenant, task, now)
        for t in targets:
            self._schedule(t.ends_at, "target_end", (task.id, t.id))
        return task

    def get_task(self, tenant: Tenant, task_id: str) -> Task:
        task = tenant.tasks.get(task_id)
        if task is None:
            raise MockError(404, f"task {task_id!r} not found")
        return task

    def list_tasks(self, tenant: Tenant, skip: int, take: int) -> list[Task]:
        # Tasks are inserted in creation order, which is also (createdAt, id) order for
        # one clock; newest first is the reverse. Walking it from the end costs
        # skip + take, not the number of tasks stored.
        start = min(skip, len(tenant.tasks))
        return list(itertools.islice(reversed(tenant.tasks.values()), start, start + take))

    # -- planning --------------------------------------------------------------------

    def _transcript(self, tenant: Tenant, target: Mapping[str, Any], i: int) -> str | None:
        """Text of an alignment transcript, or '' when it is unreadable (→ 4005)."""
        if target.get("transcriptAssetId") is not None:
            asset = self.get_asset(
                tenant, target["transcriptAssetId"], f"targets[{i}].transcriptAssetId"
            )
            if asset.media.kind != "text" or asset.media.error:
                return ""
            return _read_text(asset.path)
        if target.get("transcriptUrl") is not None:
            source = self.registry.resolve(target["transcriptUrl"])
            if source.path is None:
                from .synth import synth_transcript

                text: str = synth_transcript(source.synth_seed or 0)
                return text
            if source.kind != "text" or source.error:
                return ""
            return _read_text(source.path)
        return None

    def _plan_target(
        self,
        tenant: Tenant,
        task_id: str,
        req: Mapping[str, Any],
        media: MediaSource,
        transcript: str | None,
        now: float,
    ) -> Target:
        model = self.catalog[req["model"]]
        variant = req.get("variant")
        error = self._natural_failure(model, media, transcript)
        if error is None:
            error = self.faults.target_failure(model.id, tenant.key)
        duration = media.duration or 0.0
        if error is None:
            work = 1.0 + self.rng.uniform(0.5, 4.0) + duration * self.rng.uniform(0.01, 0.05)
            work *= model.processing_factor(variant)
        else:
            work = self.rng.uniform(0.5, 3.0)
        return Target(
            id=self.ids.new(now),
            task_id=task_id,
            model=model.id,
            formats=list(req["formats"]),
            variant=variant,
            residual=req.get("residual"),
            language=req.get("language"),
            transcript_url=req.get("transcriptUrl"),
            transcript_asset_id=req.get("transcriptAssetId"),
            created_at=now,
            ends_at=now + round(work, 3),
            planned_error=error,
            planned_cost=0.0,
            estimate=0.0,
            minutes=billable_minutes(duration),
            outputs=self._plan_outputs(
                model, effective_variant(self.catalog, model.id, variant), req
            ),
            updated_at=now,
            transcript_text=transcript or None,
        )

    def _natural_failure(
        self, model: ModelSpec, media: MediaSource, transcript: str | None
    ) -> tuple[int, str] | None:
        if media.error is not None:
            return media.error
        if media.kind == "text":
            return NOT_DECODABLE, "media could not be decoded: the input is a text file"
        if (media.channels or 0) > 2:
            return TOO_MANY_CHANNELS, f"unsupported channel layout: {media.channels} channels"
        limit = model.max_input_duration_seconds
        if limit is not None and (media.duration or 0.0) > limit:
            return (
                TOO_LONG,
                f"input is {media.duration:.1f} s; {model.id} accepts at most {limit} s",
            )
        if transcript == "":
            return TRANSCRIPT_UNREADABLE, "transcript unreadable"
        return None

    def _plan_outputs(
        self, model: ModelSpec, variant: str | None, req: Mapping[str, Any]
    ) -> list[Output]:
        mime = self.catalog.mime_types
        formats = list(req["formats"])
        if model.text_output:
            return [Output(model.id, f, mime[f], "text") for f in formats]
        if model.mock_outputs == "speakers":
            spec = model.variant(variant)
            lo, hi = (spec.min_speakers or 2, spec.max_speakers or 2) if spec else (2, 2)
            n = self.rng.randint(lo, hi)
            return [
                Output(f"{model.id}_speaker_{i + 1}", f, mime[f], "speaker", i, n)
                for i in range(n)
                for f in formats
            ]
        name = model.id if not req.get("variant") else f"{model.id}_{req['variant']}"
        outputs = [Output(name, f, mime[f], "target") for f in formats]
        if req.get("residual") and model.residual:
            outputs += [Output(f"{name}_residual", f, mime[f], "residual") for f in formats]
        return outputs

    def _price(self, targets: list[Target], media: MediaSource) -> None:
        duration = media.duration or 0.0
        planned = price_targets(
            [
                BillingTarget(t.model, t.variant, "error" if t.planned_error else "completed")
                for t in targets
            ],
            duration,
            self.catalog,
        )
        estimate = price_targets(
            [BillingTarget(t.model, t.variant) for t in targets], duration, self.catalog
        )
        for t, p, e in zip(targets, planned, estimate, strict=True):
            t.planned_cost, t.estimate = p.credits, e.credits

    # -- time ------------------------------------------------------------------------

    def _schedule(self, at: float, kind: str, ref: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, Event(at, self._seq, kind, ref))

    def next_event_at(self) -> float | None:
        return self._events[0].at if self._events else None

    def tick(self, now: float) -> int:
        """Apply every event due by ``now`` in time order; returns how many. Webhook
        attempts are not sent here: they wait in the dispatcher until a driver sends them."""
        n = 0
        while self._events and self._events[0].at <= now:
            ev = heapq.heappop(self._events)
            n += 1
            if ev.kind == "target_end":
                task_id, target_id = ev.ref
                self._end_target(task_id, target_id, ev.at)
            elif ev.kind == "asset_expire":
                key, asset_id = ev.ref
                self._expire_asset(key, asset_id)
            elif ev.kind == "outputs_expire":
                self._expire_outputs(ev.ref)
        return n

    def _end_target(self, task_id: str, target_id: str, at: float) -> None:
        task = self.tasks_by_id[task_id]
        tenant = self.tenants[task.key]
        target = next(t for t in task.targets if t.id == target_id)
        target.status = "error" if target.planned_error else "completed"
        target.cost = target.planned_cost
        target.updated_at = at
        self.ledger.settle(tenant, task, target, at)
        if all(t.ended for t in task.targets):
            task.completed_at = at
            ttl = self.catalog.limits.output_retention_seconds
            self._schedule(at + ttl, "outputs_expire", task.id)
        self._enqueue_webhooks(tenant, task, target, at)

    def _enqueue_webhooks(self, tenant: Tenant, task: Task, target: Target, at: float) -> None:
        if self.task_json is None:
            return
        hooks = []
        if tenant.webhook_url:
            hooks.append((tenant.webhook_url, "account"))
        if task.callback_url:
            hooks.append((task.callback_url, "callbackUrl"))
        if not hooks:
            return
        import orjson

        body = orjson.dumps(self.task_json(task, at))
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

    def _expire_asset(self, key: str, asset_id: str) -> None:
        asset = self.tenants[key].assets.pop(asset_id, None)
        if asset is not None:
            asset.path.unlink(missing_ok=True)

    def _expire_outputs(self, task_id: str) -> None:
        task = self.tasks_by_id[task_id]
        task.outputs_expired = True
        if task.output_dir is not None:
            shutil.rmtree(task.output_dir, ignore_errors=True)


def _safe_name(name: str) -> str:
    """A file name safe to store: no directories, no traversal, never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in base)[:200]
    return cleaned or "upload"


def _keep_input(media: MediaSource, folder: Path) -> MediaSource:
    """The task's own hard link to an uploaded input: outputs are rendered on first
    download, which may come after the asset (72 h after upload) is deleted."""
    if media.path is None:
        return media
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"input{media.path.suffix}"
    try:
        os.link(media.path, kept)
    except OSError:
        shutil.copyfile(media.path, kept)
    return dataclasses.replace(media, path=kept)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
