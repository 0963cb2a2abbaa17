"""Shared by the benches: servers in child processes, wrk, /proc readings, test media.

Everything here talks to 127.0.0.1 only. Child processes are stopped by their own pid
(SIGTERM, then SIGKILL after a grace period), never by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PRISM = BENCH / ".node" / "node_modules" / ".bin" / "prism"
SPEC = ROOT / "openapi" / "audioshake.yaml"
HOST = "127.0.0.1"
KEY = "bench-key"


def log(msg: str) -> None:
    """Progress goes to stderr; the table is the only thing on stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout} s")


# -- child processes ---------------------------------------------------------------------


@dataclass
class Child:
    """A server in a child process, its output collected in the background."""

    proc: subprocess.Popen[str]
    name: str
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.lines):
                m = rx.search(self.lines[seen])
                seen += 1
                if m:
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = "".join(self.lines[-20:])
        raise RuntimeError(f"{self.name}: no line matching {pattern!r} in {timeout} s:\n{tail}")

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@contextmanager
def child(name: str, argv: Sequence[str], **kwargs: Any) -> Iterator[Child]:
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        **kwargs,
    )
    c = Child(proc, name)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            c.lines.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield c
    finally:
        c.stop()


def python_argv(*args: str) -> tuple[list[str], dict[str, str] | None]:
    """``python ARGS`` for a child that imports the mock, and its environment: with
    ``BENCH_MOCK_PYTHONPATH`` set, that checkout's packages come first (``-P``: not the
    working directory's), then this one's ``bench``."""
    other = os.environ.get("BENCH_MOCK_PYTHONPATH")
    if not other:
        return [sys.executable, *args], None
    return [sys.executable, "-P", *args], {**os.environ, "PYTHONPATH": f"{other}:{ROOT}"}


@contextmanager
def mock_server(*args: str, timeout: float = 30.0) -> Iterator[tuple[Child, str]]:
    """``audioshake-mock serve --port 0 ARGS``; yields (child, base URL).

    ``BENCH_MOCK_PYTHONPATH`` runs the mock from another checkout instead (to compare
    before and after a change): its ``mock_server`` is imported first."""
    serve = ["serve", "--host", HOST, "--port", "0", *args]
    if os.environ.get("BENCH_MOCK_PYTHONPATH"):  # older mocks have no access log to quiet
        argv, env = python_argv("-c", "from mock_server.cli import app; app()", *serve)
    else:
        # --quiet: a line per request would cost the mock ~50 µs each and flood the pipe
        argv, env = [str(VENV_BIN / "audioshake-mock"), *serve, "--quiet"], None
    with child("audioshake-mock", argv, env=env) as c:
        m = c.wait_for(r"serving on (http://\S+)", timeout)
        yield c, m.group(1)


# -- /proc -------------------------------------------------------------------------------


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) and friends in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.startswith("Vm"):
            out[key] = int(value.split()[0])
    return out


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (``echo 5 > clear_refs``); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loaded_libs(pid: int) -> set[str]:
    """Which of uvloop / httptools the process has mapped."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {lib for lib in ("uvloop", "httptools") if f"/{lib}/" in maps}


# -- wrk ---------------------------------------------------------------------------------

WRK_LUA = """
wrk.headers["x-api-key"] = "%(key)s"
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"max_us\\": %%d, \\"non2xx\\": %%d, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


WRK_PATHS_LUA = """
paths = {%(paths)s}
turn = 0
threads = 0
setup = function(thread)  -- threads start half the list apart
  thread:set("turn", threads * math.floor(#paths / 2))
  threads = threads + 1
end
request = function()
  turn = turn %% #paths + 1
  return wrk.format(nil, paths[turn])
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    errors: int
    cpu_us_per_req: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    key: str = KEY,
    server_pid: int | None = None,
    paths: list[str] | None = None,
) -> WrkResult:
    """One bounded wrk run (``-d``, plus a hard timeout on the process); with ``paths``,
    each connection asks for them in turn instead of ``url``'s path."""
    assert url.startswith(f"http://{HOST}:"), url
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise RuntimeError("wrk is not installed (make bench installs it: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA % {"key": key})
        if paths:
            quoted = ", ".join(json.dumps(p) for p in paths)
            fh.write(WRK_PATHS_LUA % {"paths": quoted})
        script = fh.name
    try:
        cpu0 = cpu_seconds(server_pid) if server_pid else None
        out = subprocess.run(
            [
                wrk_bin,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "5s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
        cpu1 = cpu_seconds(server_pid) if server_pid else None
    finally:
        os.unlink(script)
    m = re.search(r"WRKJSON (\{.*\})", out)
    if not m:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    d = json.loads(m.group(1))
    cpu = None
    if cpu0 is not None and cpu1 is not None and d["requests"]:
        cpu = (cpu1 - cpu0) / d["requests"] * 1e6
    return WrkResult(
        requests=d["requests"],
        seconds=d["duration_us"] / 1e6,
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        max_ms=d["max_us"] / 1000,
        non2xx=d["non2xx"],
        errors=d["errors"],
        cpu_us_per_req=cpu,
    )


def wrk_measured(
    url: str,
    *,
    seconds: float,
    warmup: float,
    connections: int,
    threads: int,
    server_pid: int,
    what: str,
    paths: list[str] | None = None,
) -> WrkResult:
    """A ``warmup`` s wrk run (discarded), then the measured one, with the server's CPU
    per request; ``RuntimeError`` naming ``what`` if any answer was an error or not 2xx."""
    wrk(url, seconds=warmup, connections=connections, threads=threads, paths=paths)
    res = wrk(
        url,
        seconds=seconds,
        connections=connections,
        threads=threads,
        server_pid=server_pid,
        paths=paths,
    )
    if res.non2xx or res.errors:
        raise RuntimeError(f"{what}: {res}")
    return res


def wrk_rounds(
    servers: Mapping[str, tuple[str, int]],
    path: str,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    connections: int,
    threads: int,
    label: str,
    paths: list[str] | None = None,
) -> dict[str, list[WrkResult]]:
    """``wrk_measured`` on ``path`` of each server (name: (base URL, pid)) in turn,
    ``rounds`` times, so every server sees the machine in the same states; each
    server's results in round order."""
    runs: dict[str, list[WrkResult]] = {name: [] for name in servers}
    for turn in range(rounds):
        for name, (url, pid) in servers.items():
            log(f"{label} on {name}: round {turn + 1}/{rounds} ({warmup:g} s + {seconds:g} s)")
            runs[name].append(
                wrk_measured(
                    url + path,
                    seconds=seconds,
                    warmup=warmup,
                    connections=connections,
                    threads=threads,
                    server_pid=pid,
                    what=f"{name} {label}",
                    paths=paths,
                )
            )
    return runs


# -- media -------------------------------------------------------------------------------


def write_wav(path: Path, seconds: float, rate: int = 44100, channels: int = 2) -> Path:
    """A real, decodable 16-bit PCM wav (a chord plus a little noise)."""
    import numpy as np

    n = int(seconds * rate)
    t = np.arange(n) / rate
    rng = np.random.default_rng(7)
    mono = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 330 * t)
    mono += 0.01 * rng.standard_normal(n)
    pcm = (np.repeat(mono[:, None], channels, axis=1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def wav_header(data_bytes: int, rate: int = 44100, channels: int = 2) -> bytes:
    """A 44-byte canonical PCM wav header for ``data_bytes`` of 16-bit samples."""
    import struct

    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


# -- the table ---------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    what: str
    result: str
    goal: str = ""
    ok: bool | None = None  # None: no goal


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, section: str, what: str, result: str, goal: str = "", ok: bool | None = None
    ) -> None:
        self.rows.append(Row(section, what, result, goal, ok))

    def render(self) -> str:
        header = ("#", "measure", "result", "goal", "met")
        cells = [
            (
                r.section,
                r.what,
                r.result,
                r.goal,
                "" if r.ok is None else ("yes" if r.ok else "NO"),
            )
            for r in self.rows
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
        line = "+-" + "-+-".join("-" * w for w in widths) + "-+"

        def fmt(c: Sequence[str]) -> str:
            return "| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + " |"

        out = [line, fmt(header), line.replace("-", "=")]
        last = None
        for c in cells:
            if last is not None and c[0] != last:
                out.append(line)
            out.append(fmt(c))
            last = c[0]
        out.append(line)
        out += self.notes
        return "\n".join(out)


def ms(x: float) -> str:
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


def mb(kb: float) -> str:
    return f"{kb / 1024:.1f} MB"
