"""``MockConfig``: how a mock runs. Everything here can also come from a scenario file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from audioshake_kit.domain.catalog import get_catalog

__all__ = ["MockConfig"]


def _service_rate_limit() -> int:
    return get_catalog().limits.rate_limit_per_second


@dataclass
class MockConfig:
    clock: Literal["manual", "real"] = "manual"
    speed: float = 1.0
    start: float | None = None  # unix seconds; manual default 2026-01-01, real default now
    seed: int = 0
    # requests per rolling second per key (None: off); default: the service's (catalog)
    rate_limit: int | None = field(default_factory=_service_rate_limit)
    api_keys: list[str] = field(default_factory=list)  # empty: any non-empty key is a tenant
    data_dir: Path | None = None  # None: a temporary directory, removed on close()
    admin: bool = True
    validate_responses: bool = False  # test mode: a response that breaks the spec raises
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    public_base_url: str = "http://127.0.0.1:8000"  # for links in webhook payloads
    max_upload_bytes: int | None = None  # None: the catalog's limit (2 GiB); tests lower it
