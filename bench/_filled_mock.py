"""Child process of ``bench.cost_growth``: a mock filled with N completed tasks of one
key through the in-process Python API (``MockState.store``, no HTTP), then served on
uvicorn like ``audioshake-mock serve``. Prints one ``FILLED {json}`` line (RSS before
and after the fill, fill time, a task id in the middle) once it is serving.

    python -m bench._filled_mock N PORT DATA_DIR [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import gc
import json
import threading
import time
from pathlib import Path

import uvicorn

from mock_server.app import build_app
from mock_server.state import MockConfig, MockState

from .common import HOST, KEY, proc_status

TARGETS = [{"model": m, "formats": ["wav"]} for m in ("vocals", "drums", "bass")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("port", type=int)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--budget", type=float, default=120.0)
    a = ap.parse_args()

    state = MockState(
        MockConfig(
            clock="real",
            rate_limit=None,
            data_dir=a.data_dir,
            public_base_url=f"http://{HOST}:{a.port}",
        )
    )
    app = build_app(state)
    gc.collect()
    rss_before = proc_status()["VmRSS"]
    t0 = time.perf_counter()
    deadline = t0 + a.budget
    ids: list[str] = []
    with state.lock:
        tenant = state.store.authenticate(KEY, state.now())
        for i in range(a.n):
            if i % 1000 == 0 and time.perf_counter() > deadline:
                break
            body = {"url": f"https://bench.example/{i}.wav#duration=30", "targets": TARGETS}
            ids.append(state.store.create_task(tenant, body, state.now()).id)
    state.advance(600)  # every target ends: 3 events per task, settled in the ledger
    fill_s = time.perf_counter() - t0
    gc.collect()
    rss_after = proc_status()["VmRSS"]
    done = sum(1 for t in tenant.tasks.values() if t.completed_at is not None)
    info = {
        "requested": a.n,
        "stored": len(ids),
        "completed": done,
        "fill_s": fill_s,
        "rss_before_kb": rss_before,
        "rss_after_kb": rss_after,
        "task_id": ids[len(ids) // 2],
    }
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=a.port, log_level="warning", access_log=False)
    )

    def announce() -> None:
        while not server.started:
            time.sleep(0.02)
        print("FILLED " + json.dumps(info), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()
    finally:
        state.close()


if __name__ == "__main__":
    main()
