"""In-process lifecycle rate: the whole life of a task through the facade on the
in-process transport (``InProcessMock``, manual clock), as a test suite would drive it.

One lifecycle: upload a 10 s wav → create a 3-target task (vocals, drums, bass) →
advance the clock past processing → read it (``wait``: one GET) → download the 3
outputs (rendered on first download). Bounded by a time budget.

    .venv/bin/python -m bench.lifecycle [--seconds 8] [--format wav]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from mock_server.harness import InProcessMock

from .common import Report, log, write_wav

GOAL = 100.0  # lifecycles per second
MODELS = ("vocals", "drums", "bass")


def measure(
    seconds: float, fmt: str = "wav", validate: bool = True, download: bool = True
) -> dict[str, float]:
    """Lifecycles per second and the mean time of each phase (ms)."""
    work = Path(tempfile.mkdtemp(prefix="bench-lifecycle-"))
    phases: dict[str, float] = defaultdict(float)
    n = 0
    try:
        wav = write_wav(work / "song.wav", 10.0)
        targets = [f"{m}:{fmt}" for m in MODELS]
        with InProcessMock(rate_limit=60, validate_responses=validate) as mock:
            client = mock.facade()
            t_end = time.perf_counter() + seconds
            start = time.perf_counter()
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                asset = client.upload(wav)
                t1 = time.perf_counter()
                task = client.create_task(targets, asset_id=asset.id)
                t2 = time.perf_counter()
                mock.advance(30)  # processing of a 10 s input takes < 6 s of mock time
                t3 = time.perf_counter()
                result = client.wait(task)
                t4 = time.perf_counter()
                if download:
                    dest = work / f"out-{n}"
                    files = client.download(result, dest)
                    assert len(files) == len(MODELS), files
                    shutil.rmtree(dest)
                t5 = time.perf_counter()
                for name, a, b in (
                    ("upload", t0, t1),
                    ("create", t1, t2),
                    ("advance", t2, t3),
                    ("read", t3, t4),
                    ("download", t4, t5),
                ):
                    phases[name] += b - a
                n += 1
            elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = {"lifecycles": float(n), "rate": n / elapsed}
    out.update({k: v / n * 1000 for k, v in phases.items()})
    return out


def run(report: Report, seconds: float = 6.0) -> None:
    log(f"lifecycle: {seconds:g} s per variant")
    full = measure(seconds, "wav", validate=True, download=True)
    api = measure(seconds, "wav", validate=True, download=False)
    for r, label, goal in (
        (full, "lifecycles/s in process (3 wav outputs downloaded)", True),
        (api, "same without the downloads (API calls only)", False),
    ):
        keys = ("upload", "create", "advance", "read") + (("download",) if goal else ())
        breakdown = ", ".join(f"{k} {r[k]:.1f}" for k in keys)
        report.add(
            "2 lifecycle",
            label,
            f"{r['rate']:.0f}/s ({int(r['lifecycles'])} in {seconds:g} s; ms: {breakdown})",
            f">= {GOAL:.0f}/s" if goal else "",
            r["rate"] >= GOAL if goal else None,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--format", default="wav")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--no-download", action="store_true")
    a = ap.parse_args()
    print(measure(a.seconds, a.format, not a.no_validate, not a.no_download))


if __name__ == "__main__":
    main()
