"""Rate-limit accuracy: 500 requests/s offered for 10 s to one key against the served mock
(real clock, limit 60 per rolling second).

Requests are sent on a fixed schedule (request i at t0 + i/500, from an asyncio client
with enough keep-alive connections that none waits for another); the answers are read
off the mock's request journal (``/_mock/requests``, polled while the load runs, so its
bound never drops entries). A journal entry is dated when the limiter counted it.

Checks: in any rolling second (any window (t - 1 s, t]) at most 60 answered requests;
in each full second of the run at least 59; every refusal is a 429 with Retry-After.

    .venv/bin/python -m bench.ratelimit_accuracy [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import httpx

from .common import KEY, Report, log, mock_server

LIMIT = 60
IDLE_S = 3.0  # a connection idle longer is not reused (uvicorn closes them after 5 s)


@dataclass
class Load:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    late_ms: list[float] = field(default_factory=list)  # send time behind schedule
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    no_retry_after: int = 0
    connections: int = 0


class _Conn:
    """One keep-alive HTTP/1.1 connection, one request at a time (httpx's async pool
    cannot keep a fixed schedule of 500 requests/s on this machine; this can)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = time.monotonic()

    async def get(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status, head


async def _offer(base: str, rate: float, seconds: float) -> tuple[Load, list[dict[str, object]]]:
    load = Load()
    journal: list[dict[str, object]] = []
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"GET /tasks?take=1 HTTP/1.1\r\nHost: {host}:{port}\r\nx-api-key: {KEY}\r\n\r\n"
    ).encode()
    idle: list[_Conn] = []

    async def one(at: float) -> None:
        conn = idle.pop() if idle else None
        if conn is not None and time.monotonic() - conn.used > IDLE_S:
            conn.writer.close()  # the server may close it any moment now (keep-alive 5 s)
            conn = None
        if conn is None:
            conn = _Conn(*await asyncio.open_connection(host, int(port)))
            load.connections += 1
        load.late_ms.append((time.perf_counter() - at) * 1000)
        try:
            status, head = await conn.get(request)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            load.errors += 1
            load.error_kinds[type(exc).__name__] = load.error_kinds.get(type(exc).__name__, 0) + 1
            conn.writer.close()
            return
        conn.used = time.monotonic()
        idle.append(conn)
        load.statuses[status] = load.statuses.get(status, 0) + 1
        if status == 429 and b"\r\nretry-after:" not in head.lower():
            load.no_retry_after += 1

    async with httpx.AsyncClient(base_url=base, timeout=10) as admin:
        since = 0

        async def drain() -> None:
            nonlocal since
            r = await admin.get("/_mock/requests", params={"since": since})
            r.raise_for_status()
            for e in r.json():
                journal.append(e)
                since = max(since, int(e["seq"]))

        total = int(rate * seconds)
        t0 = time.perf_counter() + 0.2
        tasks = []
        next_drain = t0 + 0.5
        for i in range(total):
            at = t0 + i / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(at)))
            load.sent += 1
            if time.perf_counter() >= next_drain:
                next_drain += 0.5
                tasks.append(asyncio.create_task(drain()))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        for conn in idle:
            conn.writer.close()
        await drain()
    return load, journal


def _rolling_max(times: list[float]) -> int:
    """Most entries in any window (t - 1, t]."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def measure(rate: float = 500.0, seconds: float = 10.0) -> dict[str, object]:
    with mock_server("--clock", "real", "--rate-limit", str(LIMIT)) as (_, base):
        time.sleep(1.1)  # nothing of this key in the window
        load, journal = asyncio.run(_offer(base, rate, seconds))
    mine = [e for e in journal if e.get("key") == KEY and e.get("operationId") == "listTasks"]
    answered = sorted(float(e["time"]) for e in mine if e["status"] != 429)  # type: ignore[arg-type]
    start = min(float(e["time"]) for e in mine)  # type: ignore[arg-type]
    per_second = [
        sum(1 for t in answered if start + k <= t < start + k + 1) for k in range(int(seconds))
    ]
    late = sorted(load.late_ms)
    return {
        "offered": load.sent,
        "journaled": len(mine),
        "statuses": load.statuses,
        "errors": load.errors,
        "error_kinds": load.error_kinds,
        "connections": load.connections,
        "no_retry_after": load.no_retry_after,
        "rolling_max": _rolling_max(answered),
        "per_second": per_second,
        "late_p99_ms": late[int(0.99 * (len(late) - 1))] if late else 0.0,
        "achieved_rate": load.sent / seconds,
    }


def run(report: Report, rate: float = 500.0, seconds: float = 10.0) -> None:
    log(f"rate limit: {rate:g} req/s offered for {seconds:g} s (limit {LIMIT})")
    r = measure(rate, seconds)
    per_second: list[int] = r["per_second"]  # type: ignore[assignment]
    statuses: dict[int, int] = r["statuses"]  # type: ignore[assignment]
    report.add(
        "H rate limit",
        f"{rate:g} req/s offered for {seconds:g} s to one key (limit {LIMIT}, real clock)",
        f"{r['offered']} sent (send lag p99 {r['late_p99_ms']:.1f} ms), "
        f"{r['journaled']} journaled; answers: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
        + f"; {r['errors']} transport errors {r['error_kinds'] or ''}"
        + f"; {r['connections']} connections",
        "all answered, refusals are 429",
        r["errors"] == 0
        and set(statuses) <= {200, 429}
        and r["journaled"] == r["offered"]
        and not r["no_retry_after"],
    )
    report.add(
        "H rate limit",
        "answered in any rolling second (max)",
        str(r["rolling_max"]),
        f"<= {LIMIT}",
        r["rolling_max"] <= LIMIT,  # type: ignore[operator]
    )
    report.add(
        "H rate limit",
        "answered in each full second (min .. max)",
        f"{min(per_second)} .. {max(per_second)}  ({' '.join(map(str, per_second))})",
        f">= {LIMIT - 1}",
        min(per_second) >= LIMIT - 1,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    report = Report()
    run(report, a.rate, a.seconds)
    print(report.render())


if __name__ == "__main__":
    main()
