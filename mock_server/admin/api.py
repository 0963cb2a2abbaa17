"""``MockAdmin``: every test control as a Python method. The ``/_mock/`` HTTP routes
call these, so in-process tests and socket tests exercise the same code. Methods check
their input (``AdminError``) and leave the rest to the store; those that move the clock
send due webhooks on the calling thread, so call them from a worker thread in async code.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from audioshake_kit.domain.media import sniff_file

from ..clock import format_time, parse_time
from ..faults import DEFAULT_CODE, DEFAULT_MESSAGE
from ..records import MediaSource, Tenant
from ..serialize import asset_json, task_json
from ..sources import probe_source, url_seed
from ..state import MockState

__all__ = ["AdminError", "MockAdmin"]


class AdminError(ValueError):
    """A bad admin request (400 over HTTP)."""


class MockAdmin:
    """Every test control of one mock, as Python methods (the ``/_mock/`` routes call
    these). Bad input raises ``AdminError`` (400 over HTTP). Get one from a fixture
    (``audioshake_mock.admin``) or build it over a ``MockState``."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    # -- clock -------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        """``{"now": ISO time, "mode": "manual" | "real"}``."""
        return {"now": format_time(self.state.now()), "mode": self.state.clock.mode}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move mock time forward by ``seconds`` (>= 0): targets end, links and assets
        expire, due webhooks are sent from this thread. Returns ``clock()``."""
        if seconds < 0:
            raise AdminError("advance: must be >= 0 seconds")
        self.state.advance(seconds)
        return self.clock()

    def set_time(self, when: str | float) -> dict[str, Any]:
        """Move mock time to ``when`` (ISO-8601 or unix seconds; never backwards), with
        what falls due on the way, as ``advance``. Returns ``clock()``."""
        ts = parse_time(when) if isinstance(when, str) else float(when)
        if ts < self.state.now():
            raise AdminError("set: the clock cannot go backwards")
        self.state.set_time(ts)
        return self.clock()

    # -- whole state -------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        """Forget everything (keys, tasks, assets, files, faults, journal, ledger) and
        reseed (``seed``, else the configured one); the clock and config stay."""
        self.state.reset(seed)

    def set_rate_limit(self, limit: int | None) -> dict[str, Any]:
        """Set the rate limit: requests per key in any rolling second (None: off); kept
        across resets. Returns ``{"limit": limit}``."""
        self.state.config.rate_limit = limit
        self.state.store.set_rate_limit(limit)
        return {"limit": limit}

    # -- faults ------------------------------------------------------------------------

    def add_fault(
        self,
        model: str = "*",
        probability: float = 1.0,
        code: int = DEFAULT_CODE,
        message: str = DEFAULT_MESSAGE,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Make targets of ``model`` (``"*"``: any) fail with ``probability``, error
        ``code`` and ``message``, for every key or only ``key``. 4xxx codes fail before
        processing (free), 5xxx mid-processing (charged). Returns the rule."""
        if model != "*" and model not in self.state.catalog:
            raise AdminError(f"model: unknown model {model!r}")
        try:
            return self.state.store.add_target_fault(
                model=model, probability=probability, code=code, message=message, key=key
            )
        except (TypeError, ValueError) as exc:
            raise AdminError(str(exc)) from None

    def faults(self) -> list[dict[str, Any]]:
        """The target fault rules in force, in the order they are drawn."""
        return self.state.store.target_fault_rules()

    def clear_faults(self) -> None:
        """Remove every target fault rule."""
        self.state.store.clear_target_faults()

    def add_http_fault(
        self,
        method: str = "*",
        path: str = "*",
        status: int | None = None,
        latency_ms: int = 0,
        drop: bool = False,
        when: str = "before",
        times: int | None = 1,
        probability: float = 1.0,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Break public requests matching ``method`` and ``path`` (``"*"`` wildcards):
        answer ``status``, wait ``latency_ms``, or ``drop`` the connection, ``when``
        ``"before"`` the handler runs or ``"after"`` (the request took effect), for the
        next ``times`` requests (None: always) with ``probability``, for every key or
        only ``key``. Returns the rule."""
        try:
            return self.state.store.add_http_fault(
                method=method.upper(),
                path=path,
                status=status,
                latency_ms=latency_ms,
                drop=drop,
                when=when,
                times=times,
                probability=probability,
                key=key,
            )
        except (TypeError, ValueError) as exc:
            raise AdminError(str(exc)) from None

    def http_faults(self) -> list[dict[str, Any]]:
        """The HTTP fault rules in force (a spent rule shows ``times: 0``)."""
        return self.state.store.http_fault_rules()

    def clear_http_faults(self) -> None:
        """Remove every HTTP fault rule."""
        self.state.store.clear_http_faults()

    # -- keys, credits, access, webhooks ------------------------------------------------

    def put_key(
        self,
        key: str,
        credits: float | None = None,
        enabled_models: list[str] | None = None,
        *,
        unlimited: bool = False,
    ) -> dict[str, Any]:
        """Create or update a key. ``credits`` sets the balance; ``unlimited`` lifts it."""
        if not key:
            raise AdminError("key: must not be empty")
        for m in enabled_models or []:
            if m not in self.state.catalog:
                raise AdminError(f"enabledModels: unknown model {m!r}")
        return self.state.store.put_key(key, credits, enabled_models, unlimited=unlimited)

    def keys(self) -> list[dict[str, Any]]:
        """Every key seen (put here or sent with a request), oldest first: ``key_info``
        of each, with its counts of ``tasks`` and live ``assets``."""
        return self.state.store.keys()

    def tasks(self, key: str, take: int = 50, base_url: str | None = None) -> list[dict[str, Any]]:
        """The newest ``take`` tasks of ``key`` as ``GET /tasks`` shows them, links
        signed for ``base_url`` (default: the mock's public base URL). Unlike the public
        call, it spends none of the key's rate limit and is not journaled."""
        store = self.state.store
        sign = store.link_signer(base_url or self.state.base_url)
        return store.list_tasks(self._tenant(key), 0, take, lambda t: task_json(t, sign))

    def assets(self, key: str, base_url: str | None = None) -> list[dict[str, Any]]:
        """The live assets of ``key``, newest first, as ``GET /assets`` shows them."""
        store, tenant = self.state.store, self._tenant(key)
        sign = store.link_signer(base_url or self.state.base_url)
        return store.read(lambda: [asset_json(a, sign) for a in store.list_assets(tenant)])

    def _tenant(self, key: str) -> Tenant:
        tenant = self.state.store.tenant(key)
        if tenant is None:
            raise AdminError(f"key: unknown key {key!r}")
        return tenant

    def key_info(self, key: str) -> dict[str, Any]:
        """A key's tenant: its credits (None: unlimited), enabled gated models, webhook."""
        info = self.state.store.key_info(key)
        if info is None:
            raise AdminError(f"key: unknown key {key!r}")
        return info

    def set_webhook(self, key: str, url: str | None, secret: str | None = None) -> dict[str, Any]:
        """Where the webhooks of ``key``'s tasks go (None: nowhere); with ``secret``,
        each is signed (``X-AudioShake-Signature``)."""
        self.state.store.set_webhook(key, url, secret)
        return {"url": url, "secret": secret}

    def deliveries(self, key: str | None = None) -> list[dict[str, Any]]:
        """The webhook delivery log (each attempt and its outcome), of one key or all."""
        return self.state.store.deliveries(key)

    # -- media registry ----------------------------------------------------------------

    def register_media(
        self,
        url: str,
        *,
        path: str | Path | None = None,
        data: bytes | None = None,
        duration_seconds: float | None = None,
    ) -> dict[str, Any]:
        """What the mock serves for ``url``: a file (``path`` or ``data``), or synthetic
        audio of ``duration_seconds``."""
        if not url.startswith("https://"):
            raise AdminError("url: must be an https:// URL")
        if (path is None and data is None) == (duration_seconds is None):
            raise AdminError("give a file or durationSeconds, exactly one")
        if duration_seconds is not None:
            if duration_seconds <= 0:
                raise AdminError("durationSeconds: must be > 0")
            source = MediaSource(
                kind="audio",
                format="wav",
                duration=float(duration_seconds),
                channels=2,
                synth_seed=url_seed(url),
            )
        else:
            media_dir = self.state.data_dir / "media"
            media_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=media_dir, prefix="registered-")
            target = Path(name)
            with open(fd, "wb") as fh:
                if data is not None:
                    fh.write(data)
                else:
                    with open(path, "rb") as src:  # type: ignore[arg-type]
                        shutil.copyfileobj(src, fh)
            if sniff_file(target) is None:
                target.unlink()
                raise AdminError("file: content is not a supported audio, video or text type")
            source = probe_source(target)
        self.state.store.register_media(url, source)
        return {
            "url": url,
            "format": source.format,
            "durationSeconds": source.duration,
            "error": None
            if source.error is None
            else {"code": source.error[0], "message": source.error[1]},
        }

    # -- seeding ---------------------------------------------------------------------------

    def seed(self, key: str, cassette: str) -> dict[str, Any]:
        """Rebuild for ``key`` the assets and tasks a recorded cassette (its YAML text;
        media placeholders synthesised) saw last, each target in its recorded status
        (``mock_server.proxy.fixtures.seed_tenant``). Moves the clock. Returns the
        recorded id → new id maps, ``assets`` and ``tasks``, and ``statuses`` per
        recorded task id. A bad cassette or key raises ``AdminError``."""
        from ..proxy.fixtures import seed_tenant  # the spec checker loads only when used

        if not key:
            raise AdminError("key: the key to seed is required")
        try:
            return {"key": key, **seed_tenant(self, key, cassette).to_json()}
        except ValueError as exc:
            raise AdminError(f"seed: {exc}") from None

    # -- observation ---------------------------------------------------------------------

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The journal of public requests after sequence number ``since`` (method, path,
        query, operationId, status, key, requestId, time; bounded)."""
        return self.state.journal.since(since)

    def ledger(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every credit movement (grant, reserve, charge, release, refund), of one key or
        of all."""
        return self.state.store.ledger_entries(key)

    # -- support desk ----------------------------------------------------------------------

    def refund(self, task_id: str, target_id: str | None = None) -> list[dict[str, Any]]:
        """Refund what a task's targets (or one target) were charged, as AudioShake support
        may for a target that failed mid-processing; booked in the ledger as ``refund``
        entries and returned (empty when nothing charged is left). Unknown ids → 404."""
        return self.state.store.refund(task_id, target_id)
