"""``MockState``: one mock service (store, clock, RNG, limiter, ledger, links, faults,
webhooks, journal). Two apps never share one; nothing here is global."""

from __future__ import annotations

import random
import secrets
import shutil
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from audioshake_kit.domain.catalog import Catalog, get_catalog
from audioshake_kit.domain.spec import load_spec

from .clock import Clock, ManualClock, RealClock
from .faults import FaultBook
from .ledger import Ledger
from .links import LinkSigner
from .outputs import OutputFiles
from .ratelimit import SlidingWindowLimiter
from .records import Task
from .serialize import task_json
from .sources import MediaRegistry
from .store import Store
from .validation import SpecValidators
from .webhooks import Delivery, WebhookDispatcher, send_async, send_sync

__all__ = ["MockConfig", "MockState"]

JOURNAL_LIMIT = 5000


@dataclass
class MockConfig:
    """How a mock runs. Everything here can also come from a scenario file."""

    clock: Literal["manual", "real"] = "manual"
    speed: float = 1.0
    start: float | None = None  # unix seconds; manual default 2026-01-01, real default now
    seed: int = 0
    # requests per rolling second per key (None: off); default: the service's, from the catalog
    rate_limit: int | None = field(
        default_factory=lambda: get_catalog().limits.rate_limit_per_second
    )
    api_keys: list[str] = field(default_factory=list)  # empty: any non-empty key is a tenant
    data_dir: Path | None = None  # None: a temporary directory, removed on close()
    admin: bool = True
    validate_responses: bool = False  # test mode: a response that breaks the spec raises
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    public_base_url: str = "http://127.0.0.1:8000"  # for links in webhook payloads
    max_upload_bytes: int | None = None  # None: the catalog's limit (2 GiB); tests lower it


class MockState:
    def __init__(self, config: MockConfig | None = None, *, catalog: Catalog | None = None) -> None:
        self.config = config or MockConfig()
        self.catalog = catalog or get_catalog()
        self.spec = load_spec()
        self.validators = SpecValidators(self.spec)
        self.lock = threading.RLock()
        self._own_data_dir = self.config.data_dir is None
        self.data_dir = self.config.data_dir or Path(tempfile.mkdtemp(prefix="audioshake-mock-"))
        self.clock: Clock = (
            ManualClock(self.config.start)
            if self.config.clock == "manual" and self.config.start
            else ManualClock()
            if self.config.clock == "manual"
            else RealClock(self.config.speed, self.config.start)
        )
        self.base_url = self.config.public_base_url.rstrip("/")
        # Webhook transport: tests may swap in an httpx transport into their receiver.
        self.webhook_transport: httpx.BaseTransport | None = None
        self.webhook_async_transport: httpx.AsyncBaseTransport | None = None
        self._build(self.config.seed)

    def _build(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.signer = LinkSigner(
            secrets.token_bytes(32), self.catalog.limits.output_link_ttl_seconds
        )
        self.limiter = SlidingWindowLimiter(self.config.rate_limit)
        self.faults = FaultBook(self.rng)
        self.ledger = Ledger()
        self.dispatcher = WebhookDispatcher()
        self.registry = MediaRegistry()
        self.outputs = OutputFiles(self.data_dir, self.catalog)
        self.journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LIMIT)
        self.journal_seq = 0
        self.request_seq = 0
        self.store = Store(
            catalog=self.catalog,
            rng=self.rng,
            data_dir=self.data_dir,
            faults=self.faults,
            ledger=self.ledger,
            dispatcher=self.dispatcher,
            registry=self.registry,
            open_keys=not self.config.api_keys,
            task_json=self.webhook_task_json,
        )
        now = self.clock.now()
        for key in self.config.api_keys:
            self.store.add_tenant(key, now)

    # -- time ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def tick(self) -> None:
        """Apply what is due (no I/O). Called at the start of every request."""
        with self.lock:
            self.store.tick(self.clock.now())

    def advance(self, seconds: float) -> float:
        """Move the clock and let everything due happen, webhooks included (sync)."""
        with self.lock:
            self.clock.advance(seconds)
        self.run_due_sync()
        return self.clock.now()

    def set_time(self, when: float) -> float:
        with self.lock:
            self.clock.set(when)
        self.run_due_sync()
        return self.clock.now()

    def _next_due(self) -> Delivery | None:
        """Apply what is due, then hand out the next webhook attempt due (or None)."""
        with self.lock:
            now = self.clock.now()
            self.store.tick(now)
            return self.dispatcher.pop_due(now)

    def _record(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        with self.lock:
            self.dispatcher.record(delivery, delivery.next_at, status, error)

    def run_due_sync(self) -> int:
        """Tick, then send every due webhook attempt (retries that fall due too)."""
        sent = 0
        client: httpx.Client | None = None
        try:
            while (delivery := self._next_due()) is not None:
                client = client or httpx.Client(transport=self.webhook_transport)
                self._record(delivery, *send_sync(client, delivery, delivery.next_at))
                sent += 1
        finally:
            if client is not None:
                client.close()
        return sent

    async def run_due_async(self, client: httpx.AsyncClient | None = None) -> int:
        """``run_due_sync`` for the event loop (the real-clock ticker, admin routes)."""
        sent = 0
        own: httpx.AsyncClient | None = None
        try:
            while (delivery := self._next_due()) is not None:
                if client is None:
                    client = own = httpx.AsyncClient(transport=self.webhook_async_transport)
                self._record(delivery, *await send_async(client, delivery, delivery.next_at))
                sent += 1
        finally:
            if own is not None:
                await own.aclose()
        return sent

    # -- links and payloads -----------------------------------------------------------

    def signer_for(self, base_url: str) -> Any:
        now = self.clock.now()
        base = base_url.rstrip("/")
        return lambda client_id, path: self.signer.sign(base, client_id, path, now)

    def task_json(self, task: Task, base_url: str | None = None) -> dict[str, Any]:
        return task_json(task, self.signer_for(base_url or self.base_url))

    def webhook_task_json(self, task: Task, at: float) -> dict[str, Any]:
        return self.task_json(task)

    # -- journal ---------------------------------------------------------------------

    def next_request_id(self) -> str:
        self.request_seq += 1
        return f"req_{self.request_seq:08d}{self.rng.getrandbits(32):08x}"

    def record(self, entry: dict[str, Any]) -> None:
        self.journal_seq += 1
        self.journal.append({"seq": self.journal_seq, **entry})

    # -- lifecycle -------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Forget everything (tenants, tasks, files, faults, journal); keep the config."""
        with self.lock:
            for sub in ("assets", "outputs", "uploads", "media", "render-cache"):
                shutil.rmtree(self.data_dir / sub, ignore_errors=True)
            self._build(self.config.seed if seed is None else seed)

    def close(self) -> None:
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
