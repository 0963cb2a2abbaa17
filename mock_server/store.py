"""``Store``: the service's records and rules behind one lock.

Every operation of the mock (a public request, an admin control, a tick of the clock)
is one method here, and each takes the lock itself; nothing outside this module takes
it. Operations take parsed input and raise ``MockError`` with the status the mock
contract gives. The rules live beside it, each in one module the store drives under its
lock: ``planning`` (a body becomes a task), ``lifecycle`` (what time does), ``links``
(what a signed link opens), ``ledger`` (credits), ``faults``, ``ratelimit``. No HTTP.
"""

from __future__ import annotations

import itertools
import os
import random
import secrets
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from audioshake_kit.domain.catalog import Catalog

from .clock import Clock
from .errors import MockError
from .faults import FaultBook, HttpFault
from .ids import IdFactory
from .ledger import Ledger
from .lifecycle import Lifecycle, Payload
from .links import Download, LinkSigner, Signer, open_link
from .outputs import OutputFiles
from .planning import Planner
from .ratelimit import Decision, SlidingWindowLimiter
from .records import Asset, MediaSource, Task, Tenant
from .sources import MediaRegistry, probe_source
from .webhooks import Delivery, WebhookDispatcher

__all__ = ["Admission", "Store"]

P = ParamSpec("P")
T = TypeVar("T")


# A keyed request let in: its tenant, the rate-limit decision and when it counted (a
# plain tuple: one is built on every request).
Admission = tuple[Tenant, Decision | None, float]


class Store:
    def __init__(
        self,
        *,
        catalog: Catalog,
        clock: Clock,
        rng: random.Random,
        data_dir: Path,
        rate_limit: int | None,
        max_upload_bytes: int | None = None,
        open_keys: bool = True,
        payload: Payload | None = None,
    ) -> None:
        """``payload`` renders a webhook body; ``max_upload_bytes`` lowers the catalog's
        upload limit (tests); ``open_keys``: any non-empty key is a tenant."""
        self.lock = threading.RLock()
        self.catalog = catalog
        self.clock = clock
        self.open_keys = open_keys
        self.upload_dir = data_dir / "uploads"
        self.upload_limit = max_upload_bytes or catalog.limits.max_upload_bytes
        self._data_dir = data_dir
        self._assets_dir = data_dir / "assets"
        self.tenants: dict[str, Tenant] = {}
        self.tenants_by_client: dict[str, Tenant] = {}
        self.tasks_by_id: dict[str, Task] = {}
        self.ids = IdFactory(rng)
        self.ledger = Ledger()
        self.faults = FaultBook(rng)
        self.registry = MediaRegistry()
        self.dispatcher = WebhookDispatcher()
        self.limiter = SlidingWindowLimiter(rate_limit)
        self.links = LinkSigner(secrets.token_bytes(32), catalog.limits.output_link_ttl_seconds)
        self.outputs = OutputFiles(data_dir, catalog)
        self.planner = Planner(
            catalog=catalog,
            rng=rng,
            ids=self.ids,
            faults=self.faults,
            registry=self.registry,
            outputs_dir=data_dir / "outputs",
        )
        self.lifecycle = Lifecycle(
            retention_s=catalog.limits.output_retention_seconds,
            ledger=self.ledger,
            dispatcher=self.dispatcher,
            payload=payload,
        )

    def discard(self) -> None:
        """Delete every file the store holds (a reset): it must not be used after."""
        with self.lock:
            for sub in ("assets", "outputs", "uploads", "media", "render-cache"):
                shutil.rmtree(self._data_dir / sub, ignore_errors=True)

    def read(self, view: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``view(*args)`` under the lock: a consistent picture of records that ticks
        change (how routes render what an operation returned). Reads that find records
        take their ``view`` directly (``get_task``, ``list_tasks``)."""
        with self.lock:
            return view(*args, **kwargs)

    # -- time ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the clock and apply what falls due; webhooks are left to a courier."""
        with self.lock:
            self.clock.advance(seconds)
            self.lifecycle.tick(self.clock.now())
            return self.clock.now()

    def set_time(self, when: float) -> float:
        with self.lock:
            self.clock.set(when)
            self.lifecycle.tick(self.clock.now())
            return self.clock.now()

    # -- tenants and requests --------------------------------------------------------

    def _tenant(self, key: str, now: float) -> Tenant:
        tenant = self.tenants.get(key)
        if tenant is None:
            tenant = Tenant(key=key, client_id=self.ids.new(now))
            self.tenants[key] = tenant
            self.tenants_by_client[tenant.client_id] = tenant
        return tenant

    def _authenticate(self, key: str | None, now: float) -> Tenant:
        if not key:
            raise MockError(401, "missing x-api-key header")
        tenant = self.tenants.get(key)
        if tenant is None:
            if not self.open_keys:
                raise MockError(401, "invalid API key")
            tenant = self._tenant(key, now)
        return tenant

    def authenticate(self, key: str | None, now: float | None = None) -> Tenant:
        """The key's tenant (401 for none, or an unknown one when keys are fixed)."""
        with self.lock:
            return self._authenticate(key, self.clock.now() if now is None else now)

    def admit(self, key: str | None) -> Admission:
        """Apply what is due, then authenticate (401) and count the request (429 is the
        caller's to answer from the decision)."""
        with self.lock:
            now = self.clock.now()
            self.lifecycle.tick(now)
            tenant = self._authenticate(key, now)
            decision = self.limiter.check(tenant.key, self.clock.window_time())
            return tenant, decision, now

    def http_fault(self, method: str, path: str, key: str | None, when: str) -> HttpFault | None:
        """The HTTP fault rule that applies to this request now, if any (consumed)."""
        if not self.faults.http_faults:  # the usual case, without the lock
            return None
        with self.lock:
            return self.faults.http_fault(method, path, key, when)

    # -- keys, credits, access, webhooks ----------------------------------------------

    def put_key(
        self,
        key: str,
        credits: float | None = None,
        enabled_models: list[str] | None = None,
        *,
        unlimited: bool = False,
    ) -> dict[str, Any]:
        """Create or update a key: ``credits`` sets the balance, ``unlimited`` lifts it."""
        with self.lock:
            now = self.clock.now()
            tenant = self._tenant(key, now)
            if credits is not None or unlimited:
                self.ledger.grant(tenant, None if unlimited else float(credits or 0), now)
            if enabled_models is not None:
                tenant.enabled_models = set(enabled_models)
            return tenant.to_json()

    def key_info(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            tenant = self.tenants.get(key)
            return None if tenant is None else tenant.to_json()

    def keys(self) -> list[dict[str, Any]]:
        """Every key seen (given by the admin API or sent with a request), oldest first,
        as the admin API shows it, with how many tasks and live assets it has."""
        with self.lock:
            return [
                {**t.to_json(), "tasks": len(t.tasks), "assets": len(t.assets)}
                for t in self.tenants.values()
            ]

    def tenant(self, key: str) -> Tenant | None:
        """The tenant of ``key`` if it has been seen (an admin read creates none)."""
        with self.lock:
            return self.tenants.get(key)

    def set_webhook(self, key: str, url: str | None, secret: str | None) -> None:
        with self.lock:
            tenant = self._tenant(key, self.clock.now())
            tenant.webhook_url, tenant.webhook_secret = url, secret

    def register_webhook(self, tenant: Tenant, url: str) -> tuple[str, str]:
        """``POST /webhooks``: the key's URL; its secret is made once and kept."""
        with self.lock:
            tenant.webhook_url = url
            tenant.webhook_secret = tenant.webhook_secret or f"whsec_{secrets.token_hex(16)}"
            return url, tenant.webhook_secret

    def set_rate_limit(self, limit: int | None) -> None:
        with self.lock:
            self.limiter.limit = limit
            self.limiter.reset()

    # -- assets ----------------------------------------------------------------------

    def add_asset(self, tenant: Tenant, name: str, path: Path, size: int) -> Asset:
        """Take an uploaded file (on disk, type checked): 402 unless the balance is
        positive; the asset expires after 72 h."""
        with self.lock:
            if tenant.credits is not None and tenant.credits <= 0:
                raise MockError(402, "uploads need a positive credit balance")
            now = self.clock.now()
            asset_id = self.ids.new(now)
            final = self._assets_dir / tenant.client_id / f"{asset_id}-{_safe_name(name)}"
            final.parent.mkdir(parents=True, exist_ok=True)
            path.replace(final)
            media = probe_source(final)
            ttl = self.catalog.limits.asset_ttl_seconds
            asset = Asset(
                asset_id, tenant.client_id, name, media.format, size, final, now, now + ttl, media
            )
            tenant.assets[asset_id] = asset
            self.lifecycle.asset_added(tenant, asset)
            return asset

    def list_assets(self, tenant: Tenant) -> list[Asset]:
        with self.lock:
            return sorted(tenant.assets.values(), key=lambda a: (a.created_at, a.id), reverse=True)

    def register_media(self, url: str, source: MediaSource) -> None:
        """What a task with source ``url`` gets (the mock never reaches the network)."""
        with self.lock:
            self.registry.register(url, source)

    # -- tasks -----------------------------------------------------------------------

    def create_task(
        self, tenant: Tenant, body: Mapping[str, Any], now: float | None = None
    ) -> Task:
        """400/403/404/402 as ``Planner.plan`` says, else the task, processing."""
        with self.lock:
            task = self.planner.plan(tenant, body, self.clock.now() if now is None else now)
            tenant.tasks[task.id] = task
            self.tasks_by_id[task.id] = task
            self.ledger.reserve(tenant, task, task.created_at)
            self.lifecycle.task_created(tenant, task)
            return task

    def get_task(self, tenant: Tenant, task_id: str, view: Callable[[Task], T]) -> T:
        """``view`` of the tenant's task (under the lock), or 404."""
        with self.lock:
            task = tenant.tasks.get(task_id)
            if task is None:
                raise MockError(404, f"task {task_id!r} not found")
            return view(task)

    def list_tasks(
        self, tenant: Tenant, skip: int, take: int, view: Callable[[Task], T]
    ) -> list[T]:
        """``view`` of each task of a page, newest first. Tasks are stored in creation
        order, which is (createdAt, id) order for one clock: a page costs skip + take."""
        with self.lock:
            start = min(skip, len(tenant.tasks))
            page = itertools.islice(reversed(tenant.tasks.values()), start, start + take)
            return [view(t) for t in page]

    def statistics(self, tenant: Tenant, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return self.ledger.statistics(tenant.client_id, name)

    def ledger_entries(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [e.to_json() for e in self.ledger.entries if key in (None, e.key)]

    def refund(self, task_id: str, target_id: str | None = None) -> list[dict[str, Any]]:
        """Support's refund of a task's charges (or one target's): the refund entries
        booked, none when nothing charged is left. Unknown task or target → 404."""
        with self.lock:
            task = self.tasks_by_id.get(task_id)
            if task is None:
                raise MockError(404, f"task {task_id!r} not found")
            tenant = self.tenants_by_client[task.client_id]
            targets = [t for t in task.targets if target_id in (None, t.id)]
            if not targets:
                raise MockError(404, f"target {target_id!r} not found in task {task_id!r}")
            now = self.clock.now()
            booked = [self.ledger.refund(tenant, task, t, now) for t in targets]
            return [e.to_json() for e in booked if e is not None]

    # -- links and downloads ---------------------------------------------------------

    def link_signer(self, base_url: str) -> Signer:
        """Signs link paths for ``base_url``, valid for an hour from now."""
        now = self.clock.now()
        base = base_url.rstrip("/")
        links = self.links
        return lambda client_id, path: links.sign(base, client_id, path, now)

    def open_link(self, path: str, query: Mapping[str, str]) -> Download:
        """What a signed link opens; 403 when it is tampered, expired, another tenant's,
        past retention or names nothing (see ``links.open_link``)."""
        with self.lock:
            self.lifecycle.tick(self.clock.now())
            return open_link(
                self.links, self.tenants_by_client, self.tasks_by_id, path, query, self.clock.now()
            )

    def fetch(self, download: Download) -> os.stat_result:
        """Make the file a download serves (outputs render on first download) and stat
        it. Blocking, without the lock: call it from a worker thread."""
        if download.task is not None and download.target is not None:
            self.outputs.ensure(download.task, download.target)
        try:
            return os.stat(download.path)
        except FileNotFoundError:  # retention ended while this request was on its way
            raise MockError(403, "output expired") from None

    # -- faults ----------------------------------------------------------------------

    def add_target_fault(self, **rule: Any) -> dict[str, Any]:
        with self.lock:
            return self.faults.add_target_fault(**rule).to_json()

    def add_http_fault(self, **rule: Any) -> dict[str, Any]:
        with self.lock:
            return self.faults.add_http_fault(**rule).to_json()

    def target_fault_rules(self) -> list[dict[str, Any]]:
        with self.lock:
            return [rule.to_json() for rule in self.faults.target_faults]

    def http_fault_rules(self) -> list[dict[str, Any]]:
        """The HTTP fault rules in force (``times`` counts down; spent rules stay listed
        with 0 until cleared)."""
        with self.lock:
            return [rule.to_json() for rule in self.faults.http_faults]

    def clear_target_faults(self) -> None:
        with self.lock:
            self.faults.target_faults.clear()

    def clear_http_faults(self) -> None:
        with self.lock:
            self.faults.http_faults.clear()

    # -- webhook deliveries ------------------------------------------------------------

    def deliveries_due(self) -> bool:
        """Apply what is due; whether a webhook attempt is due (a cheap check, without I/O
        but deleting expired files, for the event loop)."""
        with self.lock:
            now = self.clock.now()
            self.lifecycle.tick(now)
            return self.dispatcher.has_due(now)

    def next_delivery(self) -> Delivery | None:
        """Apply what is due, then hand out the next webhook attempt due (or None)."""
        with self.lock:
            now = self.clock.now()
            self.lifecycle.tick(now)
            return self.dispatcher.pop_due(now)

    def record_delivery(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        """How an attempt went (its time is the one it was due at); retries follow."""
        with self.lock:
            self.dispatcher.record(delivery, delivery.next_at, status, error)

    def deliveries(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [d.to_json() for d in self.dispatcher.deliveries(key)]


def _safe_name(name: str) -> str:
    """A file name safe to store: no directories, no traversal, never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in base)[:200]
    return cleaned or "upload"
