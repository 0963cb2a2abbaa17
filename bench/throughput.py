"""Mock throughput against Prism and against a bare Starlette route, side by side.

Three servers on 127.0.0.1, each in its own process:

- ``audioshake-mock serve --clock real --rate-limit off`` (ours), holding one completed
  task with 3 targets (a URL source, clock advanced past processing);
- ``prism mock openapi/audioshake.yaml`` (static examples from the spec);
- ``bench/bare_app.py``: bare Starlette routes on uvicorn (httptools, uvloop, orjson)
  answering the same task with three freshly HMAC-signed links, and the same catalog.

For ``GET /tasks/{id}`` and ``GET /models``, each server gets a warm-up run, then one
measured wrk run with the same connections, threads and duration. Reported: requests/s,
p50, p99, server CPU per request, and ours/Prism, ours/bare.

    .venv/bin/python -m bench.throughput [--seconds 8] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx

from .common import (
    BENCH,
    HOST,
    KEY,
    PRISM,
    SPEC,
    VENV_BIN,
    Report,
    WrkResult,
    child,
    free_port,
    loaded_libs,
    mock_server,
    ms,
    wait_port,
    wrk_rounds,
)

GOAL_VS_PRISM = 4.0
GOAL_VS_BARE = 0.60
GOAL_P99_MS = 25.0
CONNECTIONS, THREADS = 32, 2
TARGETS = [{"model": m, "formats": ["wav"]} for m in ("vocals", "drums", "bass")]


def _completed_task(base: str) -> tuple[dict[str, object], dict[str, object]]:
    """Create the 3-target task on our mock and let it finish; returns (task, models)."""
    with httpx.Client(base_url=base, headers={"x-api-key": KEY}, timeout=10) as c:
        r = c.post(
            "/tasks",
            json={"url": "https://bench.example/song.wav#duration=10", "targets": TARGETS},
        )
        r.raise_for_status()
        task_id = r.json()["id"]
        c.post("/_mock/clock", json={"advance": 60}).raise_for_status()
        task = c.get(f"/tasks/{task_id}").json()
        assert [t["status"] for t in task["targets"]] == ["completed"] * 3, task
        assert sum(len(t["output"]) for t in task["targets"]) == 3
        models = c.get("/models").json()
    return task, models


def run(report: Report, seconds: float = 8.0, warmup: float = 2.0, rounds: int = 1) -> None:
    if not PRISM.exists():
        raise RuntimeError(f"Prism is not installed at {PRISM} (make bench installs it)")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tp-")))
        mock, base = stack.enter_context(
            mock_server("--clock", "real", "--rate-limit", "off", "--data-dir", str(work / "d"))
        )
        task, models = _completed_task(base)
        fixture = work / "fixture.json"
        fixture.write_text(json.dumps({"task": task, "models": models}))

        bare_port = free_port()
        bare = stack.enter_context(
            child(
                "bare",
                [
                    str(VENV_BIN / "python"),
                    str(BENCH / "bare_app.py"),
                    str(fixture),
                    str(bare_port),
                ],
            )
        )
        prism_port = free_port()
        prism = stack.enter_context(
            child(
                "prism",
                [str(PRISM), "mock", "-h", HOST, "-p", str(prism_port), str(SPEC)],
            )
        )
        wait_port(bare_port, 30)
        prism.wait_for(r"Prism is listening", 60)

        libs = loaded_libs(mock.pid)
        servers = {
            "mock": (base, mock.pid),
            "prism": (f"http://{HOST}:{prism_port}", prism.pid),
            "bare": (f"http://{HOST}:{bare_port}", bare.pid),
        }
        paths = {"GET /tasks/{id}": f"/tasks/{task['id']}", "GET /models": "/models"}
        for label, path in paths.items():
            results = wrk_rounds(
                servers,
                path,
                rounds=rounds,
                seconds=seconds,
                warmup=warmup,
                connections=CONNECTIONS,
                threads=THREADS,
                label=f"throughput: {label}",
            )
            best = {name: _median(rs) for name, rs in results.items()}
            for name in servers:
                r = best[name]
                cpu = f", {r.cpu_us_per_req:.0f} µs CPU/req" if r.cpu_us_per_req else ""
                is_mock = name == "mock"
                report.add(
                    "1 throughput",
                    f"{label}: {name}",
                    f"{r.rps:,.0f} req/s, p50 {ms(r.p50_ms)}, p99 {ms(r.p99_ms)}{cpu}",
                    f"p99 < {GOAL_P99_MS:g} ms" if is_mock else "",
                    r.p99_ms < GOAL_P99_MS if is_mock else None,
                )
            vs_prism = best["mock"].rps / best["prism"].rps
            vs_bare = best["mock"].rps / best["bare"].rps
            report.add(
                "1 throughput",
                f"{label}: ours / Prism",
                f"{vs_prism:.1f}x",
                f">= {GOAL_VS_PRISM:g}x",
                vs_prism >= GOAL_VS_PRISM,
            )
            report.add(
                "1 throughput",
                f"{label}: ours / bare route",
                f"{vs_bare:.0%}",
                f">= {GOAL_VS_BARE:.0%}",
                vs_bare >= GOAL_VS_BARE,
            )
        report.add(
            "1 throughput",
            "setup",
            f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds:g}s (after {warmup:g} s warm-up), "
            f"{rounds} round(s), median; mock runs on "
            f"{' + '.join(sorted(libs)) or 'asyncio + h11 (no uvloop/httptools!)'}",
        )


def _median(rs: list[WrkResult]) -> WrkResult:
    if len(rs) == 1:
        return rs[0]
    mid = statistics.median_low([r.rps for r in rs])
    return next(r for r in rs if r.rps == mid)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    report = Report()
    run(report, a.seconds, a.warmup, a.rounds)
    print(report.render())


if __name__ == "__main__":
    main()
