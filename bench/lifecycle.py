"""In-process lifecycle rate: the whole life of a task through the facade on the
in-process transport (``InProcessMock``, manual clock), as a test suite would drive it.

One lifecycle: upload a 10 s wav → create a 3-target task (vocals, drums, bass) →
advance the clock past processing → read it (``wait``: one GET) → download the 3
outputs (rendered on first download, then from the render cache) into one directory,
replacing the files of the lifecycle before. Bounded by a time budget.

Files (the mock's data dir and the downloads) go to one place, measured twice:

- tmpfs (``/dev/shm``): what the kit and the mock cost;
- disk (the temp dir): what storing one output costs there and on tmpfs, as the
  downloads store it (``downloads.py``: write, fsync, rename), is measured beside it.

    .venv/bin/python -m bench.lifecycle [--seconds 8] [--where /dev/shm] [--no-download]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from mock_server.harness import InProcessMock

from .common import Report, log, write_wav

GOAL = 100.0  # lifecycles per second
MODELS = ("vocals", "drums", "bass")
TMPFS = Path("/dev/shm")


def measure(
    seconds: float,
    where: Path | None = None,
    *,
    fmt: str = "wav",
    validate: bool = True,
    download: bool = True,
) -> dict[str, float]:
    """Lifecycles per second, the mean time of each phase (ms), and the bytes of the
    outputs downloaded per lifecycle."""
    work = Path(tempfile.mkdtemp(prefix="bench-lifecycle-", dir=where))
    phases: dict[str, float] = defaultdict(float)
    n, out_bytes = 0, 0
    try:
        wav = write_wav(work / "song.wav", 10.0)
        dest = work / "out"
        targets = [f"{m}:{fmt}" for m in MODELS]
        config = {"rate_limit": 60, "validate_responses": validate, "data_dir": work / "mock"}
        with InProcessMock(**config) as mock:
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
                    files = client.download(result, dest)
                    assert len(files) == len(MODELS), files
                    if not out_bytes:  # the same every time: not stat'ed in each lifecycle
                        out_bytes = sum(f.stat().st_size for f in files)
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
    out = {"lifecycles": float(n), "rate": n / elapsed, "bytes": float(out_bytes)}
    out.update({k: v / n * 1000 for k, v in phases.items()})
    return out


def store_cost(where: Path, file_bytes: int, files: int = 48) -> float:
    """Mean seconds to store one output in ``where`` as ``downloads.py`` does when the
    file is already there: write ``.part``, fsync, rename over the old file."""
    work = Path(tempfile.mkdtemp(prefix="bench-store-", dir=where))
    data = os.urandom(file_bytes)
    part, final = work / "out.wav.part", work / "out.wav"
    try:
        spent = 0.0
        for _ in range(files):
            start = time.perf_counter()
            with open(part, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(part, final)
            spent += time.perf_counter() - start
        return spent / files
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _phases(r: dict[str, float], download: bool) -> str:
    keys = ("upload", "create", "advance", "read") + (("download",) if download else ())
    return "ms: " + ", ".join(f"{k} {r[k]:.1f}" for k in keys)


def run(report: Report, seconds: float = 6.0) -> None:
    log(f"lifecycle: {seconds:g} s per variant")
    on_disk = Path(tempfile.gettempdir())
    tmpfs = TMPFS if TMPFS.is_dir() and os.access(TMPFS, os.W_OK) else None
    headline = measure(seconds, tmpfs)
    where = "tmpfs" if tmpfs else f"{on_disk} (no /dev/shm here)"
    report.add(
        "2 lifecycle",
        f"lifecycles/s in process, files on {where} (3 wav outputs downloaded)",
        f"{headline['rate']:.0f}/s ({int(headline['lifecycles'])} in {seconds:g} s; "
        f"{_phases(headline, True)})",
        f">= {GOAL:.0f}/s",
        headline["rate"] >= GOAL,
    )
    api = measure(seconds, tmpfs, download=False)
    report.add(
        "2 lifecycle",
        "same without the downloads (API calls only)",
        f"{api['rate']:.0f}/s ({_phases(api, False)})",
        "",
        None,
    )
    # last: the disk variant leaves writeback behind that would slow what follows
    if tmpfs is not None:
        disk = measure(seconds, on_disk)
        size = int(disk["bytes"] // len(MODELS))
        here, there = store_cost(on_disk, size), store_cost(tmpfs, size)
        report.add(
            "2 lifecycle",
            f"same, files on disk ({on_disk})",
            f"{disk['rate']:.0f}/s ({_phases(disk, True)}); storing one {size / 1e6:.2f} MB "
            f"output as downloads do (write, fsync, rename over the last): "
            f"{here * 1e3:.2f} ms there, {there * 1e3:.2f} ms on tmpfs",
            "",
            None,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--where", type=Path, default=None, help="directory for all files")
    ap.add_argument("--format", default="wav")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--no-download", action="store_true")
    a = ap.parse_args()
    print(
        measure(
            a.seconds,
            a.where,
            fmt=a.format,
            validate=not a.no_validate,
            download=not a.no_download,
        )
    )


if __name__ == "__main__":
    main()
