"""Run by bench/startup.py with the fresh [mock] venv's python: ``GET /tasks/{id}`` on
``mock_server.harness.InProcessMock()`` as the pytest fixture makes it (manual clock,
responses checked against the spec, the service's rate limit). Prints one JSON line:
per-call seconds for ``GET /tasks/{id}`` (a completed 3-target task) and ``GET /models``.

    python inproc_get.py TASK_CALLS MODELS_CALLS
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
import wave
from array import array

from mock_server.harness import InProcessMock

TARGETS = [{"model": m, "formats": ["wav"]} for m in ("vocals", "drums", "bass")]
STEP = 1 / 50  # mock seconds between calls (untimed): under the 60/s rate limit


def short_wav(seconds: float = 2.0, rate: int = 44100) -> bytes:
    n = int(seconds * rate)
    pcm = array("h", (int(8000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(n)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def timed_gets(mock: InProcessMock, path: str, calls: int) -> list[float]:
    get = mock.client.get
    for _ in range(20):  # warm-up (first-call caches), not counted
        assert get(path).status_code == 200
        mock.advance(STEP)
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        r = get(path)
        out.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise SystemExit(f"GET {path}: {r.status_code} {r.text[:300]}")
        mock.advance(STEP)
    return out


def main() -> None:
    calls, model_calls = int(sys.argv[1]), int(sys.argv[2])
    with InProcessMock() as mock:
        r = mock.client.post("/assets", files={"file": ("song.wav", short_wav(), "audio/wav")})
        if r.status_code != 200:
            raise SystemExit(f"POST /assets: {r.status_code} {r.text[:300]}")
        r = mock.client.post("/tasks", json={"assetId": r.json()["id"], "targets": TARGETS})
        if r.status_code != 200:
            raise SystemExit(f"POST /tasks: {r.status_code} {r.text[:300]}")
        task_id = r.json()["id"]
        mock.advance(600)  # far past the processing of a 2 s input
        task = mock.client.get(f"/tasks/{task_id}").json()
        if not task.get("completedAt"):
            raise SystemExit(f"the task did not complete: {json.dumps(task)[:300]}")
        result = {
            "validate_responses": mock.state.config.validate_responses,
            "rate_limit": mock.state.config.rate_limit,
            "targets": len(task["targets"]),
            "task": timed_gets(mock, f"/tasks/{task_id}", calls),
            "models": timed_gets(mock, "/models", model_calls),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
