"""``audioshake-mock serve``: prints its base URL, serves the API, stops cleanly on
SIGTERM; a bad scenario stops it before it binds, naming the line."""

from __future__ import annotations

import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

STARTUP_S = 20.0
URL = re.compile(r"serving on (http://127\.0\.0\.1:(\d+)) .*data dir (\S+)\)")


def command(*args: str) -> list[str]:
    script = shutil.which("audioshake-mock", path=str(Path(sys.executable).parent))
    if script:
        return [script, *args]
    return [sys.executable, "-c", "from mock_server.cli import app; app()", *args]


class Server:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            command("serve", "--port", "0", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the access log: nobody reads it here
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.data_dir: Path | None = None
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line)
            self.lines.put(line)

    def base_url(self) -> str:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.proc.poll() is None, f"serve exited: {self.proc.returncode}"
                continue
            if m := URL.search(line):
                assert int(m.group(2)) > 0
                self.data_dir = Path(m.group(3))
                return m.group(1)
        raise AssertionError(f"no base URL printed within {STARTUP_S} s")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    args = getattr(request, "param", ())
    srv = Server(*args)
    yield srv
    if srv.proc.poll() is None:
        srv.proc.kill()
        srv.proc.wait(timeout=10)


def test_serve_prints_its_url_serves_and_stops_on_sigterm(server: Server) -> None:
    base = server.base_url()
    r = httpx.get(f"{base}/models", headers={"x-api-key": "cli-key"}, timeout=10)
    assert r.status_code == 200
    assert "vocals" in {m["id"] for m in r.json()["models"]}
    assert r.headers["x-request-id"]
    assert httpx.get(f"{base}/_mock/clock", timeout=10).json()["mode"] == "real"
    assert server.data_dir is not None and server.data_dir.is_dir()
    assert server.stop() == 0
    deadline = time.monotonic() + 5
    while not any("stopped" in line for line in server.stdout):
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.05)
    assert not server.data_dir.exists()  # the temporary data dir is cleaned up
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/models", headers={"x-api-key": "cli-key"}, timeout=2)


@pytest.mark.parametrize(
    "server", [("--no-admin", "--clock", "manual", "--api-key", "only-me")], indirect=True
)
def test_serve_options(server: Server) -> None:
    base = server.base_url()
    assert httpx.get(f"{base}/_mock/clock", timeout=10).status_code == 404
    assert (
        httpx.get(f"{base}/models", headers={"x-api-key": "other"}, timeout=10).status_code == 401
    )
    assert (
        httpx.get(f"{base}/models", headers={"x-api-key": "only-me"}, timeout=10).status_code == 200
    )
    assert server.stop(signal.SIGINT) == 0  # Ctrl-C


def test_a_bad_scenario_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: x\nseed: one\n")
    done = subprocess.run(
        command("serve", "--port", "0", "--scenario", str(bad)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{bad}:2:" in done.stderr
    assert "serving on" not in done.stdout
