"""Large upload memory: a 2 GiB wav (a valid header, then zeros: a sparse file, so it
costs no disk on the sending side) uploaded through the facade (``AudioShake.upload``,
in a child process) to the served mock (another child process). Reported: wall time,
throughput and the peak RSS growth of each process (VmHWM after minus VmRSS before;
the peak is reset first through /proc/PID/clear_refs).

Then an upload declaring a Content-Length above the limit is sent from a raw socket,
headers only (httpx would send the whole body first): the 413 must come back before a
byte of the body is sent. All files are deleted afterwards.

    .venv/bin/python -m bench.upload_memory [--size BYTES]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from .common import (
    HOST,
    KEY,
    Report,
    child,
    log,
    mb,
    mock_server,
    proc_status,
    reset_peak_rss,
    wav_header,
)

GIB = 1 << 30
LIMIT = 2 * GIB
OVERHEAD = 64 * 1024  # the mock's allowance for multipart framing
GOAL_RSS_MB = 100.0


def sparse_wav(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.write(wav_header(size - 44))
        fh.truncate(size)
    return path


def refused_before_body(base: str, declared: int) -> tuple[int, float, str]:
    """(status, ms to the answer, reason) for headers only, declaring ``declared`` bytes."""
    port = int(base.rsplit(":", 1)[1])
    head = (
        "POST /assets HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"x-api-key: {KEY}\r\n"
        "Content-Type: multipart/form-data; boundary=bench-boundary\r\n"
        f"Content-Length: {declared}\r\n"
        "\r\n"
    ).encode()
    with socket.create_connection((HOST, port), timeout=30) as s:  # a server awaiting the
        # body would time out here instead of answering
        t0 = time.perf_counter()
        s.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        elapsed = (time.perf_counter() - t0) * 1000
    m = re.match(rb"HTTP/1\.1 (\d{3})", data)
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    return (int(m.group(1)) if m else 0), elapsed, body.decode(errors="replace")[:120]


def run(report: Report, size: int = LIMIT) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    try:
        with mock_server(
            "--clock", "real", "--rate-limit", "off", "--data-dir", str(work / "data")
        ) as (mock, base):
            for declared, label in (
                (3 * GIB, "3 GiB"),
                (LIMIT + OVERHEAD + 1, "2 GiB + 64 KiB + 1 B"),
            ):
                status, took, _ = refused_before_body(base, declared)
                uploads = list((work / "data" / "uploads").glob("*"))
                report.add(
                    "3 upload",
                    f"declared {label}, headers only, raw socket",
                    f"{status} after {took:.1f} ms, 0 body bytes sent, "
                    f"{len(uploads)} partial files",
                    "413 with no body sent",
                    status == 413 and not uploads,
                )
            src = sparse_wav(work / "big.wav", size)
            log(f"upload: {size:,} bytes through the facade (sparse source)")
            mock_before = proc_status(mock.pid)["VmRSS"]
            reset_peak_rss(mock.pid)
            with child(
                "upload-client",
                [sys.executable, "-m", "bench._upload_client", base, str(src)],
            ) as client:
                m = client.wait_for(r"CLIENTJSON (\{.*\})", 900)
                out = json.loads(m.group(1))
            mock_peak = proc_status(mock.pid)["VmHWM"]
            stored = list((work / "data" / "assets").rglob("*.wav"))
            stored_size = stored[0].stat().st_size if stored else 0
        client_growth = out["peak_kb"] - out["rss_before_kb"]
        mock_growth = mock_peak - mock_before
        secs = out["seconds"]
        report.add(
            "3 upload",
            f"{size / GIB:g} GiB wav through the facade to the served mock",
            f"{secs:.1f} s ({size / secs / 1e6:,.0f} MB/s); stored {stored_size:,} bytes",
            "stored whole",
            out["size"] == size == stored_size,
        )
        for who, growth in (("mock", mock_growth), ("client (facade)", client_growth)):
            report.add(
                "3 upload",
                f"peak RSS growth: {who}",
                mb(growth),
                f"< {GOAL_RSS_MB:g} MB",
                growth / 1024 < GOAL_RSS_MB,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        log(f"upload: removed {work}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=LIMIT)
    a = ap.parse_args()
    report = Report()
    run(report, a.size)
    print(report.render())


if __name__ == "__main__":
    main()
