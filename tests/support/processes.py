"""A command-line server as users run it, in a subprocess: its stdout and stderr pumped
into lists by threads, waited on with a deadline until it prints where it listens, and
stopped with a signal. ``tests/e2e`` (``audioshake-mock serve``) and ``tests/proxy``
(``audioshake-mock proxy``) build on it."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time
from typing import Any

STARTUP_S = 30.0
STOP_S = 15.0


class PumpedProcess:
    """``argv`` in a subprocess; ``stdout`` and ``stderr`` fill with its lines as they
    come (``pumps`` are the threads reading them)."""

    def __init__(self, argv: list[str]) -> None:
        self.name = argv[0].rsplit("/", 1)[-1] + (f" {argv[1]}" if len(argv) > 1 else "")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
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

    def _pump(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)
            if into is self.stdout:
                self._lines.put(line)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float = STARTUP_S) -> re.Match[str]:
        """The first stdout line (from now on) matching ``pattern``; fails when the
        process exits first or nothing matches within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    message = f"{self.name} exited {self.proc.returncode}: {self.stderr}"
                    raise AssertionError(message) from None
                continue
            if m := pattern.search(line):
                return m
        raise AssertionError(f"{self.name} printed no {pattern.pattern!r} in {timeout} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_S) -> int:
        """Send ``sig``; the exit code."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def read_to_end(self) -> None:
        """After the process ended: wait until its output has been read to the end."""
        for pump in self.pumps:
            pump.join(timeout=STOP_S)
            assert not pump.is_alive(), f"{self.name}: output still open"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_S)
