"""``MockState``: one mock service. It builds the parts from a ``MockConfig`` (the
store, the journal, the courier; a clock and a data dir that outlive a reset) and
drives time: moving the clock applies what falls due, then sends due webhooks. Two
apps never share one; nothing here is global but the parent of the temporary data
dirs (one per process, removed at exit)."""

from __future__ import annotations

import atexit
import itertools
import os
import random
import shutil
import tempfile
import threading
from pathlib import Path

import httpx
import orjson

from audioshake_kit.domain.catalog import Catalog, get_catalog

from .clock import Clock, ManualClock, RealClock
from .config import MockConfig
from .courier import Courier
from .journal import Journal
from .ledger import Ledger
from .records import Task
from .serialize import task_json
from .store import Store
from .validation import SpecValidators, spec_validators

__all__ = ["MockConfig", "MockState"]  # MockConfig lives in config; kept here for imports

_SCRATCH_LOCK = threading.Lock()
_scratch: tuple[Path, int] | None = None  # the folder, and the process that made it
_scratch_ids = itertools.count(1)


def scratch_dir() -> Path:
    """A fresh path for a temporary data dir, not created yet: the mock makes the
    folders it writes to (``mkdir(parents=True)``), so a mock that writes no file costs
    no file system work. They live under one folder per process, removed at exit."""
    global _scratch
    with _SCRATCH_LOCK:
        if _scratch is None or _scratch[1] != os.getpid():  # (a forked child: its own)
            _scratch = Path(tempfile.mkdtemp(prefix="audioshake-mock-")), os.getpid()
            atexit.register(_remove_scratch, *_scratch)
        return _scratch[0] / str(next(_scratch_ids))


def _remove_scratch(root: Path, pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(root, ignore_errors=True)


class MockState:
    def __init__(self, config: MockConfig | None = None, *, catalog: Catalog | None = None) -> None:
        self.config = config or MockConfig()
        self.catalog = catalog or get_catalog()
        self.validators: SpecValidators = spec_validators()
        self._own_data_dir = self.config.data_dir is None
        self.data_dir = self.config.data_dir or scratch_dir()
        self.clock: Clock = (
            ManualClock(self.config.start)
            if self.config.clock == "manual" and self.config.start
            else ManualClock()
            if self.config.clock == "manual"
            else RealClock(self.config.speed, self.config.start)
        )
        self.base_url = self.config.public_base_url.rstrip("/")
        self.courier = Courier()
        self._build(self.config.seed)

    def _build(self, seed: int, journal: Journal | None = None) -> None:
        """Fresh records; the journal numbers on from ``journal`` (the one replaced)."""
        self.rng = random.Random(seed)  # one per state: ids, draws, request ids
        self.journal = Journal(self.rng, journal)
        self.store = Store(
            catalog=self.catalog,
            clock=self.clock,
            rng=self.rng,
            data_dir=self.data_dir,
            rate_limit=self.config.rate_limit,
            max_upload_bytes=self.config.max_upload_bytes,
            open_keys=not self.config.api_keys,
            payload=self._webhook_payload,
        )
        for key in self.config.api_keys:
            self.store.put_key(key)

    def _webhook_payload(self, task: Task) -> bytes:
        """A webhook's body: the task as ``GET /tasks/{id}`` shows it (store lock held)."""
        return orjson.dumps(task_json(task, self.store.link_signer(self.base_url)))

    @property
    def webhook_transport(self) -> httpx.BaseTransport | None:
        """Where webhooks go: None for the network, or a test's transport to its receiver."""
        return self.courier.transport

    @webhook_transport.setter
    def webhook_transport(self, transport: httpx.BaseTransport | None) -> None:
        self.courier.transport = transport

    @property
    def lock(self) -> threading.RLock:
        """The store's lock, for code that reads its records directly (a benchmark);
        prefer ``store.read``."""
        return self.store.lock

    @property
    def ledger(self) -> Ledger:
        return self.store.ledger

    # -- time ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the clock: what falls due happens, webhooks included. Sends on the
        calling thread (sync httpx): never call it on an event loop."""
        self.store.advance(seconds)
        self.run_due()
        return self.clock.now()

    def set_time(self, when: float) -> float:
        self.store.set_time(when)
        self.run_due()
        return self.clock.now()

    def run_due(self, stop: threading.Event | None = None) -> int:
        """Apply what is due and send due webhook attempts (until ``stop`` is set); how
        many were sent. Blocking, on the calling thread."""
        return self.courier.send_due(self.store, stop)

    # -- lifecycle -------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Forget everything (tenants, tasks, files, faults, journal); keep the config."""
        self.store.discard()
        self._build(self.config.seed if seed is None else seed, self.journal)

    def close(self) -> None:
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
