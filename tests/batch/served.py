"""``audioshake-mock serve`` and ``audioshake batch`` as subprocesses, for the tests
that need a real socket (SIGKILL, pacing under the 60/s limit). Waits are conditions
with deadlines, never fixed sleeps."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

MOCK = "from mock_server.cli import app; app()"
CLI = "from audioshake_kit.cli.main import app; app()"


@contextmanager
def serve_mock(*args: str, startup: float = 20.0) -> Iterator[str]:
    """Start the mock on a free port; yield its base URL; stop it (SIGTERM) after."""
    proc = subprocess.Popen(
        [sys.executable, "-c", MOCK, "serve", "--port", "0", "--quiet", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        line = lines.get(timeout=startup)
        assert "serving on" in line, line
        yield line.split("serving on ")[1].split()[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def batch_cmd(*args: object) -> list[str]:
    return [sys.executable, "-c", CLI, "batch", *(str(a) for a in args)]


def cli_env(url: str, key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AUDIOSHAKE_BASE_URL=url, AUDIOSHAKE_API_KEY=key)
    env.pop("AUDIOSHAKE_DEBUG", None)
    return env


def wait_until(cond: Callable[[], bool], deadline: float, step: float = 0.01) -> bool:
    """Poll ``cond`` until it holds or ``deadline`` (``time.monotonic()``) passes."""
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Journal:
    """The mock's request journal for one key, read incrementally over HTTP."""

    def __init__(self, http: httpx.Client, key: str) -> None:
        self.http = http
        self.key = key
        self.entries: list[dict[str, Any]] = []
        self._seq = 0

    def refresh(self) -> list[dict[str, Any]]:
        got = self.http.get("/_mock/requests", params={"since": self._seq}).json()
        if got:
            self._seq = max(e["seq"] for e in got)
            self.entries += [e for e in got if e["key"] == self.key]
        return self.entries


def files_under(folder: Path, suffixes: Sequence[str] = (".wav", ".mp3", ".part")) -> int:
    if not folder.exists():
        return 0
    return sum(1 for p in folder.rglob("*") if p.suffix in suffixes)
