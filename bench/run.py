"""``make bench``: every bench in one run, one table on stdout (progress on stderr).

1 throughput   mock vs Prism vs a bare Starlette route (wrk)       bench/throughput.py
2 lifecycle    in-process lifecycles per second (facade)            bench/lifecycle.py
3 upload       2 GiB upload memory, 413 before the body             bench/upload_memory.py
4 growth       latency and memory with 10 .. 100,000 stored tasks   bench/cost_growth.py
H rate limit   500 req/s offered against a limit of 60              bench/ratelimit_accuracy.py
H faults       separate() under injected HTTP faults                bench/faults.py
H bad input    tests/hardening (pytest)
S startup      the wheel in fresh venvs: footprint, import, --help,   bench/startup.py
               pytest plugin, fixture, in-process GET
P proxy        the validating proxy vs the mock alone: throughput,   bench/proxy.py
               added latency, memory with 2 GiB up and down

    .venv/bin/python -m bench.run [--quick] [--only throughput,faults,...]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

from . import (
    cost_growth,
    faults,
    lifecycle,
    proxy,
    ratelimit_accuracy,
    startup,
    throughput,
    upload_memory,
)
from .common import ROOT, Report, log


def bad_input(report: Report) -> None:
    from tests.hardening.test_bad_input import CASES, TRAVERSAL_NAMES

    log("bad input: pytest tests/hardening")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/hardening"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = (out.stdout.strip().splitlines() or [""])[-1]
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", last)) else 0
    failed = int(m.group(1)) if (m := re.search(r"(\d+) failed", last)) else 0
    report.add(
        "H bad input",
        f"{len(CASES)} malformed requests + {len(TRAVERSAL_NAMES)} hostile file names "
        "+ leniency checks (tests/hardening)",
        f"{passed} passed, {failed} failed ({last.strip('= ')})",
        "all pass",
        out.returncode == 0 and failed == 0 and passed > 0,
    )


def batch(report: Report, files: int) -> None:
    """Issue 7's benchmark (bench/batch.py) as rows of this table."""
    import json

    log(f"batch: {files} files through audioshake batch at the mock's 60/s")
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "batch.py"), "--files", str(files), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    report.add(
        "7 batch",
        f"{files} short files, 60/s limit: share of the limit",
        f"{r['rate_per_s']:.1f} req/s = {r['fraction_of_limit']:.1%} ({r['requests']} requests, "
        f"busiest second {r['busiest_second']}, wall {r['wall_s']:.1f} s, "
        f"peak RSS {r['peak_rss_mib']:.0f} MiB)",
        ">= 95%",
        r["fraction_of_limit"] >= 0.95 and r["exit_code"] == 0,
    )
    report.add(
        "7 batch", "429s reaching the batch", str(r["requests_429"]), "0", r["requests_429"] == 0
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    ap.add_argument("--only", default="", help="comma-separated section names")
    a = ap.parse_args()
    q = a.quick
    sections: dict[str, Callable[[Report], None]] = {
        "throughput": lambda r: throughput.run(r, seconds=3 if q else 8, warmup=1 if q else 2),
        "lifecycle": lambda r: lifecycle.run(r, seconds=2 if q else 6),
        "upload": lambda r: upload_memory.run(r, size=(256 << 20) if q else upload_memory.LIMIT),
        "growth": lambda r: cost_growth.run(
            r, sizes=(10, 1000, 10_000) if q else cost_growth.SIZES, seconds=2 if q else 3
        ),
        "ratelimit": lambda r: ratelimit_accuracy.run(r, seconds=3 if q else 10),
        "faults": lambda r: faults.run(r, runs=6 if q else 20),
        "badinput": bad_input,
        "batch": lambda r: batch(r, files=200 if q else 1000),
        "startup": lambda r: startup.run(r, quick=q),
        "proxy": lambda r: proxy.run(
            r,
            seconds=3 if q else 8,
            size=(256 << 20) if q else proxy.GIB * 2,
            rounds=1 if q else 3,
        ),
    }
    chosen = [s for s in a.only.split(",") if s] or list(sections)
    unknown = set(chosen) - set(sections)
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))} (have {', '.join(sections)})")

    report = Report()
    crashed = []
    t0 = time.monotonic()
    for name in chosen:
        try:
            sections[name](report)
        except Exception as exc:
            traceback.print_exc()
            crashed.append(name)
            report.add(name, "bench crashed", f"{type(exc).__name__}: {exc}"[:160], "", False)
    goals = [r for r in report.rows if r.ok is not None]
    met = sum(1 for r in goals if r.ok)
    load = os.getloadavg()
    report.notes.append(
        f"{met} of {len(goals)} goals met; {time.monotonic() - t0:.0f} s in all"
        f"{' (quick)' if q else ''}; {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f}/{load[1]:.1f} at the end; Python {platform.python_version()}; "
        "all traffic to 127.0.0.1"
    )
    print(report.render())
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
