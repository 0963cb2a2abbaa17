"""Cost growth: ``GET /tasks`` (first page, default take 10) and ``GET /tasks/{id}``
latency with 10, 10,000 and 100,000 stored tasks of one key, and the mock's memory per
stored task (3 targets each, completed, ledger entries included).

Each size runs in its own served mock (``bench._filled_mock``), filled through the
in-process Python API within a time budget. Latency: wrk with one connection (so it is
service time, not queueing), p50 and p99.

    .venv/bin/python -m bench.cost_growth [--sizes 10,10000,100000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .common import HOST, Report, WrkResult, child, free_port, log, ms, python_argv, wrk

SIZES = (10, 10_000, 100_000)
ENDPOINTS = ("GET /tasks (first page of 10)", "GET /tasks/{id}")
GOAL_GROWTH = 2.0  # p50 at the largest size within 2x (or +0.1 ms) of the smallest


def run(
    report: Report, sizes: tuple[int, ...] = SIZES, seconds: float = 3.0, budget: float = 120.0
) -> None:
    infos: dict[int, dict[str, Any]] = {}
    latency: dict[str, dict[int, WrkResult]] = {ENDPOINTS[0]: {}, ENDPOINTS[1]: {}}
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix="bench-growth-"))
        port = free_port()
        try:
            log(f"cost growth: filling {n:,} tasks")
            argv, env = python_argv(
                "-m", "bench._filled_mock", str(n), str(port), str(work), "--budget", str(budget)
            )
            with child(f"filled-{n}", argv, env=env) as c:
                info = json.loads(c.wait_for(r"FILLED (\{.*\})", budget + 120).group(1))
                base = f"http://{HOST}:{port}"
                for name, path in zip(
                    ENDPOINTS, ("/tasks", f"/tasks/{info['task_id']}"), strict=True
                ):
                    r = wrk(base + path, seconds=seconds, connections=1, threads=1)
                    if r.non2xx or r.errors:
                        raise RuntimeError(f"{name} with {n} tasks: {r}")
                    latency[name][n] = r
            infos[n] = info
        finally:
            shutil.rmtree(work, ignore_errors=True)

    small, large = min(infos), max(infos)
    for name, by_size in latency.items():
        cells = [
            f"{n:,}: p50 {ms(r.p50_ms)} / p99 {ms(r.p99_ms)}" for n, r in sorted(by_size.items())
        ]
        a, b = by_size[small].p50_ms, by_size[large].p50_ms
        report.add(
            "4 growth",
            f"{name} latency by stored tasks (1 connection)",
            "; ".join(cells),
            f"flat: p50 at {large:,} <= max(2x, +0.1 ms) of p50 at {small:,}",
            b <= max(a * GOAL_GROWTH, a + 0.1),
        )
    info = infos[large]
    grown_kb = info["rss_after_kb"] - info["rss_before_kb"]
    report.add(
        "4 growth",
        "mock memory per stored task (3 targets, completed)",
        f"{grown_kb * 1024 / info['stored'] / 1024:.1f} KiB ({info['stored']:,} tasks: "
        f"{grown_kb / 1024:.0f} MB RSS; filled in {info['fill_s']:.1f} s)",
    )
    if info["stored"] < info["requested"]:
        report.notes.append(
            f"note: the fill stopped at {info['stored']:,} of {info['requested']:,} tasks "
            f"(time budget {budget:g} s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--budget", type=float, default=120.0)
    a = ap.parse_args()
    report = Report()
    run(report, tuple(int(s) for s in a.sizes.split(",")), a.seconds, a.budget)
    print(report.render())


if __name__ == "__main__":
    main()
