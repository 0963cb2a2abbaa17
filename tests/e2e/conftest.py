"""The mock as users run it: ``audioshake-mock serve`` in a subprocess on a free port.

``MockProcess`` starts it, reads the URL it prints, talks to its ``/_mock/`` admin API
and stops it with a signal. Everything here waits on a condition with a deadline."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.synth import synth_media
from tests.support.processes import PumpedProcess

BIN = Path(sys.executable).parent
SERVING = re.compile(r"serving on (http://127\.0\.0\.1:\d+) .*data dir (\S+)\)")


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class MockProcess(PumpedProcess):
    """``audioshake-mock serve --port 0 ARGS``, its output pumped, its URL read."""

    def __init__(self, *args: str) -> None:
        super().__init__([str(BIN / "audioshake-mock"), "serve", "--port", "0", *args])
        m = self.wait_for_line(SERVING)
        self.base_url, self.data_dir = m.group(1), Path(m.group(2))
        self.admin = httpx.Client(base_url=self.base_url, timeout=30)

    # -- admin API (/_mock/) ---------------------------------------------------------

    def advance(self, seconds: float) -> float:
        """Move a manual clock; due targets end and due webhooks go out before it answers."""
        r = self.admin.post("/_mock/clock", json={"advance": seconds})
        assert r.status_code == 200, r.text
        return self.now()

    def now(self) -> float:
        from mock_server.clock import parse_time

        return parse_time(self.admin.get("/_mock/clock").json()["now"])

    def requests(self, key: str, since: int = 0) -> list[dict[str, Any]]:
        r = self.admin.get("/_mock/requests", params={"since": since})
        return [e for e in r.json() if e["key"] == key]

    def ledger(self, key: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin.get("/_mock/ledger", params={"key": key}).json()
        return entries

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self.admin.close()
        super().close()


@pytest.fixture(scope="session")
def real_mock() -> Iterator[MockProcess]:
    """A real clock 100× faster than the wall (targets end in a blink; the rate-limit
    window stays one wall second). Shared: each test uses its own API key (tenant)."""
    mock = MockProcess("--clock", "real", "--speed", "100", "--seed", "7")
    yield mock
    mock.close()


@pytest.fixture(scope="session")
def manual_mock() -> Iterator[MockProcess]:
    """A manual clock, moved by ``POST /_mock/clock``. Shared: one API key per test."""
    mock = MockProcess("--clock", "manual", "--seed", "7")
    yield mock
    mock.close()


@pytest.fixture(scope="session")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 3-second WAV song."""
    return synth_media(tmp_path_factory.mktemp("e2e") / "song.wav", 3.0, "wav", seed=3)
