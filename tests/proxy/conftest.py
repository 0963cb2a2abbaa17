"""The proxy as users run it: ``audioshake-mock proxy`` in a subprocess on a free port, in
front of a served mock (``MockProcess``) or of a small upstream app served in a thread.
Everything waits on a condition with a deadline; every socket is on 127.0.0.1."""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.e2e.conftest import BIN, STARTUP_S, STOP_S, MockProcess

LISTENING = re.compile(r"proxy on (http://127\.0\.0\.1:\d+) ->")


class ProxyProcess:
    """``audioshake-mock proxy --port 0 --upstream URL ARGS``, its output pumped."""

    def __init__(self, upstream: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "audioshake-mock"), "proxy", "--port", "0", "--upstream", upstream, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self.pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for pump in self.pumps:
            pump.start()
        self.url = self._wait_for_url()

    def _pump(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)
            if into is self.stdout:
                self._lines.put(line)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        f"proxy exited {self.proc.returncode}: {self.stderr}"
                    ) from None
                continue
            if m := LISTENING.search(line):
                return m.group(1)
        raise AssertionError(f"proxy printed no URL within {STARTUP_S} s: {self.stderr}")

    def drift_lines(self) -> list[str]:
        return [line.rstrip("\n") for line in self.stderr if line.startswith("drift: ")]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop with ``sig``; the exit code once the output is read to the end."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=STOP_S)
        for pump in self.pumps:
            pump.join(timeout=STOP_S)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_S)


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on uvicorn in a thread on a free 127.0.0.1 port; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the test upstream did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_S)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    """A served mock on a manual clock, for this module alone (its rate limit is changed)."""
    process = MockProcess("--clock", "manual", "--seed", "7")
    yield process
    process.close()
