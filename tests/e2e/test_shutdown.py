"""``audioshake-mock serve`` stops gracefully on SIGTERM: a request in flight is answered,
the process exits 0 within a deadline and removes its temporary data directory."""

from __future__ import annotations

import signal
import threading

import httpx
import pytest

from .conftest import MockProcess, wait_for

pytestmark = pytest.mark.slow

LATENCY_MS = 3000  # well inside uvicorn's 5 s graceful-shutdown window
EXIT_DEADLINE_S = 10.0


def test_sigterm_answers_the_request_in_flight_and_exits_0() -> None:
    mock = MockProcess("--clock", "real")
    key = "e2e-shutdown"
    try:
        # The create runs at once, then its answer is held back: in flight on purpose.
        fault = {"method": "POST", "path": "/tasks", "latencyMs": LATENCY_MS, "when": "after"}
        assert mock.admin.post("/_mock/http-faults", json=fault).status_code == 200
        answer: list[httpx.Response] = []

        def create() -> None:
            answer.append(
                httpx.post(
                    f"{mock.base_url}/tasks",
                    json={
                        "url": "https://media.test/s.wav",
                        "targets": [{"model": "vocals", "formats": ["wav"]}],
                    },
                    headers={"x-api-key": key},
                    timeout=30,
                )
            )

        thread = threading.Thread(target=create)
        thread.start()
        # the task exists on the server (its credits are reserved): the answer is pending
        wait_for(lambda: mock.ledger(key), timeout=10, what="the create to reach the server")
        assert not answer
        assert mock.stop(signal.SIGTERM, timeout=EXIT_DEADLINE_S) == 0
        thread.join(timeout=EXIT_DEADLINE_S)
        assert answer and answer[0].status_code == 200, answer
        assert answer[0].json()["targets"][0]["status"] == "processing"
        wait_for(
            lambda: any("audioshake-mock stopped" in line for line in mock.stdout),
            timeout=EXIT_DEADLINE_S,
            what="the stop message",
        )
        assert not mock.data_dir.exists()
    finally:
        mock.close()
