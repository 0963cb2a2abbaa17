"""The proxy as users run it: ``audioshake-mock proxy`` in a subprocess on a free port, in
front of a served mock (``MockProcess``) or of a small upstream app served in a thread.
Everything waits on a condition with a deadline; every socket is on 127.0.0.1."""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.e2e.conftest import BIN, MockProcess
from tests.support.processes import STARTUP_S, STOP_S, PumpedProcess

LISTENING = re.compile(r"proxy on (http://127\.0\.0\.1:\d+) ->")


class ProxyProcess(PumpedProcess):
    """``audioshake-mock proxy --port 0 --upstream URL ARGS``, its output pumped."""

    def __init__(self, upstream: str, *args: str) -> None:
        super().__init__(
            [str(BIN / "audioshake-mock"), "proxy", "--port", "0", "--upstream", upstream, *args]
        )
        self.url = self.wait_for_line(LISTENING).group(1)

    def drift_lines(self) -> list[str]:
        return [line.rstrip("\n") for line in self.stderr if line.startswith("drift: ")]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_S) -> int:
        """Stop with ``sig``; the exit code once the output is read to the end."""
        code = super().stop(sig, timeout)
        self.read_to_end()
        return code


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
