"""Benchmark: N short files through ``audioshake batch`` against ``audioshake-mock serve``
with its 60 requests/s limit (a wall-time window) and a fast processing clock.

    python bench/batch.py [--files 1000] [--concurrency 4] [--json]

Reports the API requests per second the batch achieved, as a fraction of the limit
(from the mock's request journal: requests / (last - first) in wall seconds), the
busiest rolling second, the number of 429s, the batch's wall time and its peak RSS
(``wait4`` rusage of the batch process alone). Goal: ≥ 95 % of the limit, zero 429s.
Everything runs on 127.0.0.1 in child processes stopped by their own pid; the whole run
is bounded by ``--budget`` seconds. Self-contained: ``make bench`` may call it as is.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

MOCK = "from mock_server.cli import app; app()"
CLI = "from audioshake_kit.cli.main import app; app()"
KEY = "bench-batch"
GOAL = 0.95


def make_inputs(folder: Path, n: int, seconds: float, seed: int = 1) -> None:
    """``n`` distinct mono 8 kHz 16-bit WAVs of ``seconds`` each (quiet noise)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames = max(1, round(seconds * 8000))
    for i in range(n):
        samples = rng.integers(-2000, 2000, frames, dtype=np.int16)
        with wave.open(str(folder / f"song{i:05d}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(samples.tobytes())


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def mock_server(rate_limit: int, speed: float, startup: float = 30.0) -> Iterator[str]:
    options = ["--clock", "real", "--speed", str(speed), "--rate-limit", str(rate_limit)]
    proc = subprocess.Popen(
        [sys.executable, "-c", MOCK, "serve", "--port", "0", "--quiet", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    out = proc.stdout
    assert out is not None
    threading.Thread(target=lambda: lines.put(out.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=startup)
        if "serving on" not in line:
            raise RuntimeError(f"the mock did not start: {line!r}")
        yield line.split("serving on ")[1].split()[0]
    finally:
        _stop(proc)


class JournalReader(threading.Thread):
    """Copies the mock's bounded request journal (the key's entries) every 0.5 s."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=10)
        self.entries: list[dict[str, Any]] = []
        self.seq = 0
        self.done = threading.Event()

    def read(self) -> None:
        got = self.http.get("/_mock/requests", params={"since": self.seq}).json()
        if got:
            self.seq = max(e["seq"] for e in got)
            self.entries += [e for e in got if e["key"] == KEY]

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.read()

    def finish(self) -> list[dict[str, Any]]:
        self.done.set()
        self.join()
        self.read()
        self.http.close()
        return self.entries


def run_batch(
    url: str, inputs: Path, out: Path, concurrency: int, budget: float
) -> tuple[int, float, int, Path]:
    """The batch as a child process; (exit code, wall seconds, peak RSS KiB, stdout)."""
    stdout = out.parent / "batch-stdout.json"
    env = dict(os.environ, AUDIOSHAKE_API_KEY=KEY, AUDIOSHAKE_BASE_URL=url)
    cmd = [sys.executable, "-c", CLI, "batch", str(inputs), "-t", "vocals", "-o", str(out)]
    cmd += ["--concurrency", str(concurrency), "--json"]
    start = time.monotonic()
    with stdout.open("wb") as sink:
        proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.DEVNULL)
    while True:  # wait4 (not Popen.wait) to get the child's own rusage
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() - start > budget:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.05)
    return proc.returncode, time.monotonic() - start, int(usage.ru_maxrss), stdout


def busiest_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        inputs, out = Path(tmp) / "in", Path(tmp) / "out"
        make_inputs(inputs, args.files, args.seconds)
        with mock_server(args.rate_limit, args.speed) as url:
            journal = JournalReader(url)
            journal.start()
            code, wall, rss_kib, stdout = run_batch(url, inputs, out, args.concurrency, args.budget)
            entries = journal.finish()
        if args.save_journal:
            Path(args.save_journal).write_text(json.dumps(entries))
        try:
            report = json.loads(stdout.read_text())
        except ValueError:
            report = {}
    # Journal times are mock time: wall seconds × speed.
    times = sorted(float(e["time"]) / args.speed for e in entries)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    return {
        "files": args.files,
        "concurrency": args.concurrency,
        "exit_code": code,
        "counts": report.get("counts"),
        "requests": len(entries),
        "requests_429": sum(1 for e in entries if e["status"] == 429),
        "span_s": round(span, 2),
        "rate_per_s": round(rate, 2),
        "fraction_of_limit": round(rate / args.rate_limit, 4),
        "busiest_second": busiest_second(times),
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(rss_kib / 1024, 1),
    }


def table(r: dict[str, Any], limit: int) -> str:
    ok = r["fraction_of_limit"] >= GOAL and r["requests_429"] == 0 and r["exit_code"] == 0
    rows = [
        ("files", f"{r['files']} (concurrency {r['concurrency']})"),
        ("batch exit code / outcome", f"{r['exit_code']} {r['counts']}"),
        ("API requests", str(r["requests"])),
        ("requests/s (first→last)", f"{r['rate_per_s']:.2f} over {r['span_s']:.1f} s"),
        ("fraction of the limit", f"{r['fraction_of_limit']:.1%} of {limit}/s (goal ≥ {GOAL:.0%})"),
        ("busiest rolling second", f"{r['busiest_second']} requests"),
        ("429s", str(r["requests_429"])),
        ("batch wall time", f"{r['wall_s']:.1f} s"),
        ("batch peak RSS", f"{r['peak_rss_mib']:.1f} MiB"),
        ("goal met", "yes" if ok else "NO"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(["batch benchmark", *(f"  {k:<{width}}  {v}" for k, v in rows)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each input")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=60)
    parser.add_argument("--speed", type=float, default=1000.0, help="mock processing clock")
    parser.add_argument("--budget", type=float, default=300.0, help="max seconds for the batch")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--save-journal", help="write the mock's journal (JSON) here")
    args = parser.parse_args()
    result = measure(args)
    print(json.dumps(result) if args.json else table(result, args.rate_limit))
    return 0 if result["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
