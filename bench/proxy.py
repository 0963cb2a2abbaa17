"""The validating proxy (``audioshake-mock proxy``) against the mock alone, in one run:

1. Throughput: ``wrk`` on ``GET /tasks/{id}`` (completed 3-target tasks, their links
   rewritten by the proxy) straight to the mock, then through the proxy in front of it;
   requests/s and the ratio (goal: the proxy keeps ≥ 50 % of the mock's rate). Two
   cases: one task polled (its answer repeats, and the proxy recalls its judgement) and
   1,024 tasks in turn (every answer new to the proxy's 256-answer memo: each is parsed,
   checked and rewritten). Each case runs ``--rounds`` times, mock and proxy alternating;
   the medians are reported, with the ratios' range.
2. Added latency: one connection, requests one at a time, alternating mock and proxy;
   median and p90 of each, and of the difference.
3. Memory: a 2 GiB upload (a multipart body generated on the fly, never on disk) and a
   2 GiB download through the proxy, to a sink upstream (``_proxy_sink.py``: reads and
   discards, or streams zeros); the proxy's peak RSS growth (VmHWM after minus VmRSS
   before, the peak reset first). Goal: < 100 MB each.

    .venv/bin/python -m bench.proxy [--seconds 8] [--size BYTES] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from .common import (
    BENCH,
    HOST,
    KEY,
    VENV_BIN,
    Child,
    Report,
    child,
    free_port,
    log,
    mock_server,
    proc_status,
    reset_peak_rss,
    wait_port,
    wav_header,
    wrk_rounds,
)
from .throughput import CONNECTIONS, TARGETS, THREADS, _completed_task

GIB = 1 << 30
GOAL_RATIO = 0.5
GOAL_RSS_MB = 100.0
LATENCY_SAMPLES = 400
MANY = 1024  # tasks: four times what the proxy's memo holds (mock_server.proxy.memo.SIZE)


@contextmanager
def proxy_server(upstream: str) -> Iterator[tuple[Child, str]]:
    argv = [
        str(VENV_BIN / "audioshake-mock"),
        "proxy",
        "--host",
        HOST,
        "--port",
        "0",
        "--upstream",
        upstream,
        "--quiet",
    ]
    with child("proxy", argv) as c:
        m = c.wait_for(r"proxy on (http://\S+) ->", 30)
        yield c, m.group(1)


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def latency(mock: str, proxy: str, path: str, samples: int) -> dict[str, list[float]]:
    """Milliseconds per request, one connection each, mock and proxy alternating."""
    out: dict[str, list[float]] = {"mock": [], "proxy": []}
    with (
        httpx.Client(headers={"x-api-key": KEY}, timeout=10) as a,
        httpx.Client(headers={"x-api-key": KEY}, timeout=10) as b,
    ):
        for _ in range(20):  # warm both connections
            a.get(mock + path)
            b.get(proxy + path)
        for _ in range(samples):
            for name, client, base in (("mock", a, mock), ("proxy", b, proxy)):
                t0 = time.perf_counter()
                client.get(base + path).raise_for_status()
                out[name].append((time.perf_counter() - t0) * 1000)
    return out


def _multipart(size: int) -> tuple[Iterator[bytes], int, str]:
    """A multipart body with one ``file`` part of ``size`` bytes (a wav header, then
    zeros), generated chunk by chunk; (chunks, total length, boundary)."""
    boundary = "bench-proxy-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + wav_header(size - 44)
    tail = f"\r\n--{boundary}--\r\n".encode()
    zeros = b"\x00" * (1 << 20)

    def chunks() -> Iterator[bytes]:
        yield head
        left = size - 44
        while left > 0:
            n = min(left, len(zeros))
            left -= n
            yield zeros[:n]
        yield tail

    return chunks(), len(head) + size - 44 + len(tail), boundary


def _peak_growth(pid: int, action: str, run: Callable[[], None]) -> tuple[float, float, float]:
    """(RSS before MB, peak growth MB, seconds) of ``pid`` while ``run()`` runs."""
    reset_peak_rss(pid)
    before = proc_status(pid)["VmRSS"]
    t0 = time.monotonic()
    run()
    wall = time.monotonic() - t0
    peak = proc_status(pid)["VmHWM"]
    log(f"proxy: {action}: {wall:.1f} s, RSS {before / 1024:.0f} MB -> peak {peak / 1024:.0f} MB")
    return before / 1024, (peak - before) / 1024, wall


def _completed_tasks(base: str, n: int) -> list[str]:
    """``n`` completed 3-target tasks on the mock (distinct ids, so distinct answers)."""
    with httpx.Client(base_url=base, headers={"x-api-key": KEY}, timeout=30) as c:
        ids = []
        for i in range(n):
            r = c.post(
                "/tasks",
                json={"url": f"https://bench.example/song{i}.wav#duration=10", "targets": TARGETS},
            )
            r.raise_for_status()
            ids.append(r.json()["id"])
        c.post("/_mock/clock", json={"advance": 60}).raise_for_status()
        last = c.get(f"/tasks/{ids[-1]}").json()
        assert [t["status"] for t in last["targets"]] == ["completed"] * 3, last
    return ids


def run(
    report: Report,
    seconds: float = 8.0,
    size: int = 2 * GIB,
    warmup: float = 2.0,
    rounds: int = 3,
) -> None:
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-proxy-")))
        mock, base = stack.enter_context(
            mock_server("--clock", "real", "--rate-limit", "off", "--data-dir", str(work / "d"))
        )
        task, _ = _completed_task(base)
        proxy, purl = stack.enter_context(proxy_server(base))
        path = f"/tasks/{task['id']}"
        with httpx.Client(headers={"x-api-key": KEY}) as c:
            r = c.get(purl + path)
            assert r.headers["x-spec-violations"] == "0", r.headers
            assert "/_proxy/link/" in r.text  # links rewritten: the full per-request work

        many = _completed_tasks(base, MANY)
        cases = [
            ("one task polled", [path]),
            (f"{MANY:,} tasks in turn, every answer new", [f"/tasks/{i}" for i in many]),
        ]
        for label, paths in cases:
            runs = wrk_rounds(
                {"mock": (base, mock.pid), "proxy": (purl, proxy.pid)},
                paths[0],
                rounds=rounds,
                seconds=seconds,
                warmup=warmup,
                connections=CONNECTIONS,
                threads=THREADS,
                label=f"proxy bench: {label}",
                paths=paths if len(paths) > 1 else None,
            )
            ratios = [p.rps / m.rps for m, p in zip(runs["mock"], runs["proxy"], strict=True)]
            for name, results in runs.items():
                rps = statistics.median(r.rps for r in results)
                cpu = statistics.median(r.cpu_us_per_req or 0.0 for r in results)
                p99 = statistics.median(r.p99_ms for r in results)
                report.add(
                    "P proxy",
                    f"GET /tasks/{{id}}, {label}: {name} (wrk -t{THREADS} -c{CONNECTIONS})",
                    f"{rps:,.0f} req/s, p99 {p99:.1f} ms, {cpu:.0f} µs CPU/req"
                    + (f" (median of {rounds})" if rounds > 1 else ""),
                )
            ratio = statistics.median(ratios)
            spread = f" (rounds: {min(ratios):.0%}–{max(ratios):.0%})" if rounds > 1 else ""
            report.add(
                "P proxy",
                f"{label}: through the proxy / mock alone",
                f"{ratio:.0%}{spread}",
                f">= {GOAL_RATIO:.0%}",
                ratio >= GOAL_RATIO,
            )

        log(f"proxy bench: latency, {LATENCY_SAMPLES} sequential requests each")
        lat = latency(base, purl, path, LATENCY_SAMPLES)
        added = [p - m for p, m in zip(lat["proxy"], lat["mock"], strict=True)]
        for name in ("mock", "proxy"):
            report.add(
                "P proxy",
                f"latency {name} alone, one connection"
                if name == "mock"
                else "latency through the proxy, one connection",
                f"median {statistics.median(lat[name]):.2f} ms, p90 {_pct(lat[name], 90):.2f} ms",
            )
        report.add(
            "P proxy",
            "added latency (proxy minus mock, paired)",
            f"median {statistics.median(added):.2f} ms, p90 {_pct(added, 90):.2f} ms",
        )

        sink_port = free_port()
        stack.enter_context(
            child("sink", [str(VENV_BIN / "python"), str(BENCH / "_proxy_sink.py"), str(sink_port)])
        )
        wait_port(sink_port, 30)
        sink_proxy, surl = stack.enter_context(proxy_server(f"http://{HOST}:{sink_port}"))
        chunks, total, boundary = _multipart(size)
        answer: dict[str, object] = {}

        def upload() -> None:
            r = httpx.post(
                f"{surl}/assets",
                content=chunks,
                timeout=600,
                headers={
                    "x-api-key": KEY,
                    "content-type": f"multipart/form-data; boundary={boundary}",
                    "content-length": str(total),
                },
            )
            r.raise_for_status()
            answer.update(r.json())
            answer["violations"] = r.headers["x-spec-violations"]

        before, growth, wall = _peak_growth(sink_proxy.pid, f"{size / GIB:g} GiB upload", upload)
        if answer.get("size") != total:
            raise RuntimeError(f"the sink got {answer.get('size')} bytes of {total}")
        report.add(
            "P proxy",
            f"{size / GIB:g} GiB upload through the proxy: peak RSS growth",
            f"{growth:.1f} MB (RSS {before:.0f} MB before; {total / wall / 1e6:.0f} MB/s)",
            f"< {GOAL_RSS_MB:.0f} MB",
            growth < GOAL_RSS_MB,
        )

        got = [0]

        def download() -> None:
            with httpx.stream(
                "GET",
                f"{surl}/files/big.wav",
                params={"size": size},
                headers={"x-api-key": KEY},
                timeout=600,
            ) as r:
                r.raise_for_status()
                for chunk in r.iter_raw():
                    got[0] += len(chunk)

        before, growth, wall = _peak_growth(
            sink_proxy.pid, f"{size / GIB:g} GiB download", download
        )
        if got[0] != size:
            raise RuntimeError(f"downloaded {got[0]} bytes of {size}")
        report.add(
            "P proxy",
            f"{size / GIB:g} GiB download through the proxy: peak RSS growth",
            f"{growth:.1f} MB (RSS {before:.0f} MB before; {size / wall / 1e6:.0f} MB/s)",
            f"< {GOAL_RSS_MB:.0f} MB",
            growth < GOAL_RSS_MB,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--size", type=int, default=2 * GIB, help="upload and download bytes")
    ap.add_argument("--rounds", type=int, default=3, help="throughput rounds per case")
    a = ap.parse_args()
    report = Report()
    run(report, seconds=a.seconds, size=a.size, rounds=a.rounds)
    print(report.render())


if __name__ == "__main__":
    main()
