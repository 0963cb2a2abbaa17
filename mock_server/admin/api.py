"""``MockAdmin``: every test control as a Python method. The ``/_mock/`` HTTP routes
call these, so in-process tests and socket tests exercise the same code."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from audioshake_kit.domain.billing import round_credits
from audioshake_kit.domain.media import sniff_file

from ..clock import format_time, parse_time
from ..faults import DEFAULT_CODE, DEFAULT_MESSAGE
from ..records import MediaSource
from ..sources import probe_source, url_seed
from ..state import MockState

__all__ = ["AdminError", "MockAdmin"]


class AdminError(ValueError):
    """A bad admin request (400 over HTTP)."""


class MockAdmin:
    def __init__(self, state: MockState) -> None:
        self.state = state

    # -- clock -------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        return {"now": format_time(self.state.now()), "mode": self.state.clock.mode}

    def advance(self, seconds: float) -> dict[str, Any]:
        if seconds < 0:
            raise AdminError("advance: must be >= 0 seconds")
        self.state.advance(seconds)
        return self.clock()

    def set_time(self, when: str | float) -> dict[str, Any]:
        ts = parse_time(when) if isinstance(when, str) else float(when)
        if ts < self.state.now():
            raise AdminError("set: the clock cannot go backwards")
        self.state.set_time(ts)
        return self.clock()

    # -- whole state -------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> None:
        self.state.reset(seed)

    def set_rate_limit(self, limit: int | None) -> None:
        with self.state.lock:
            self.state.config.rate_limit = limit
            self.state.limiter.limit = limit
            self.state.limiter.reset()

    # -- faults ------------------------------------------------------------------------

    def add_fault(
        self,
        model: str = "*",
        probability: float = 1.0,
        code: int = DEFAULT_CODE,
        message: str = DEFAULT_MESSAGE,
        key: str | None = None,
    ) -> dict[str, Any]:
        if model != "*" and model not in self.state.catalog:
            raise AdminError(f"model: unknown model {model!r}")
        with self.state.lock:
            try:
                rule = self.state.faults.add_target_fault(
                    model=model, probability=probability, code=code, message=message, key=key
                )
            except (TypeError, ValueError) as exc:
                raise AdminError(str(exc)) from None
            return rule.to_json()

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.target_faults.clear()

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
        with self.state.lock:
            try:
                rule = self.state.faults.add_http_fault(
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
            return rule.to_json()

    def clear_http_faults(self) -> None:
        with self.state.lock:
            self.state.faults.http_faults.clear()

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
        with self.state.lock:
            now = self.state.now()
            tenant = self.state.store.add_tenant(key, now)
            if credits is not None or unlimited:
                self.state.ledger.grant(tenant, None if unlimited else float(credits or 0), now)
            if enabled_models is not None:
                tenant.enabled_models = set(enabled_models)
            return self.key_info(key)

    def key_info(self, key: str) -> dict[str, Any]:
        with self.state.lock:
            tenant = self.state.store.tenants.get(key)
            if tenant is None:
                raise AdminError(f"key: unknown key {key!r}")
            return {
                "key": tenant.key,
                "clientId": tenant.client_id,
                "credits": tenant.credits,
                "reserved": round_credits(tenant.reserved),
                "enabledModels": sorted(tenant.enabled_models),
                "webhookUrl": tenant.webhook_url,
            }

    def set_webhook(self, key: str, url: str | None, secret: str | None = None) -> dict[str, Any]:
        with self.state.lock:
            tenant = self.state.store.add_tenant(key, self.state.now())
            tenant.webhook_url = url
            tenant.webhook_secret = secret
            return {"url": url, "secret": secret}

    def deliveries(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [d.to_json() for d in self.state.dispatcher.deliveries(key)]

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
        with self.state.lock:
            self.state.registry.register(url, source)
        return {
            "url": url,
            "format": source.format,
            "durationSeconds": source.duration,
            "error": None
            if source.error is None
            else {"code": source.error[0], "message": source.error[1]},
        }

    # -- observation ---------------------------------------------------------------------

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        with self.state.lock:
            return [e for e in self.state.journal if e["seq"] > since]

    def ledger(self, key: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [e.to_json() for e in self.state.ledger.entries if key in (None, e.key)]
