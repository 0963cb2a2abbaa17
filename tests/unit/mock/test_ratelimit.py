"""Rate limit: per key, at most 60 answered requests in any rolling second; the next →
429 with ``Retry-After``; 429s, signed-link downloads and ``/_mock/`` calls are not
counted. Mock time under a manual clock, wall time under a real one."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_server.harness import InProcessMock, ServedMock

from .helpers import error, run, target, url_body


def burst(client: httpx.Client, n: int, path: str = "/models") -> list[httpx.Response]:
    return [client.get(path) for _ in range(n)]


def test_sixty_at_one_instant_then_429_with_retry_after(mock: InProcessMock) -> None:
    answers = burst(mock.client, 60)
    assert [r.status_code for r in answers] == [200] * 60
    assert [int(r.headers["x-ratelimit-remaining"]) for r in answers] == list(range(59, -1, -1))
    assert all(r.headers["x-ratelimit-limit"] == "60" for r in answers)

    r = mock.client.get("/tasks")
    message = error(r, 429)
    assert "60" in message
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    assert r.headers["x-ratelimit-limit"] == "60"
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert 0 < float(r.headers["x-ratelimit-reset"]) <= 1

    mock.advance(retry_after)
    assert mock.client.get("/tasks").status_code == 200


def test_429s_are_not_counted(mock: InProcessMock) -> None:
    burst(mock.client, 60)  # t = 0
    mock.advance(0.5)
    assert {r.status_code for r in burst(mock.client, 30)} == {429}  # t = 0.5, not counted
    mock.advance(0.5)  # t = 1.0: the requests of t = 0 have left the window
    assert [r.status_code for r in burst(mock.client, 60)] == [200] * 60


def test_the_window_rolls(mock: InProcessMock) -> None:
    burst(mock.client, 30)  # t = 0
    mock.advance(0.6)
    burst(mock.client, 30)  # t = 0.6
    assert mock.client.get("/models").status_code == 429
    mock.advance(0.4)  # t = 1.0: the first 30 leave, the last 30 stay
    assert [r.status_code for r in burst(mock.client, 31)] == [200] * 30 + [429]


def test_the_limit_is_per_key(mock: InProcessMock) -> None:
    burst(mock.client, 60)
    assert mock.client.get("/models").status_code == 429
    with mock.new_client("other-key") as other:
        assert [r.status_code for r in burst(other, 60)] == [200] * 60


def test_admin_calls_and_downloads_are_not_counted(mock: InProcessMock) -> None:
    task = run(mock, url_body(3, target("vocals")))
    link = task["targets"][0]["output"][0]["link"]
    mock.advance(5)  # a fresh window
    for _ in range(70):
        assert mock.client.get("/_mock/clock").status_code == 200
        assert mock.client.get(link).status_code == 200
    assert [r.status_code for r in burst(mock.client, 61)] == [200] * 60 + [429]


def test_no_rate_limit_headers_on_downloads_and_admin_calls(mock: InProcessMock) -> None:
    task = run(mock, url_body(3, target("vocals")))
    download = mock.client.get(task["targets"][0]["output"][0]["link"])
    assert "x-ratelimit-limit" not in download.headers
    assert "x-ratelimit-limit" not in mock.client.get("/_mock/clock").headers


def test_off_means_no_limit_and_no_headers(mock: InProcessMock) -> None:
    mock.admin.set_rate_limit(None)
    answers = burst(mock.client, 150)
    assert {r.status_code for r in answers} == {200}
    assert "x-ratelimit-limit" not in answers[0].headers
    mock.admin.set_rate_limit(5)
    assert [r.status_code for r in burst(mock.client, 6)] == [200] * 5 + [429]


@pytest.mark.audioshake_mock(rate_limit=None)
def test_the_fixture_can_start_without_a_limit(mock: InProcessMock) -> None:
    assert {r.status_code for r in burst(mock.client, 100)} == {200}


@pytest.mark.slow
def test_real_clock_uses_wall_time_whatever_the_speed() -> None:
    # At speed 1000 a wall millisecond is a mock second: a window in mock time would
    # never fill. The real clock's window runs on wall time, so a fast client hits it.
    # GET /tasks (an empty page) is the cheapest keyed call: GET /models, with its
    # response checked against the spec, is too slow to pass 60 in a second on a busy
    # 2-core machine.
    with ServedMock(clock="real", speed=1000) as mock:
        deadline = time.monotonic() + 10
        limited = None
        sent = 0
        while limited is None and time.monotonic() < deadline:
            r = mock.client.get("/tasks")
            sent += 1
            if r.status_code == 429:
                limited = r
            else:
                assert r.status_code == 200
        assert limited is not None, f"no 429 after {sent} requests"
        assert sent >= 61
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["statusCode"] == 429

        deadline = time.monotonic() + 3
        while True:
            r = mock.client.get("/tasks")
            if r.status_code == 200:
                break
            assert r.status_code == 429
            assert time.monotonic() < deadline, "still limited 3 s after the burst"
            time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait


def test_every_keyed_answer_carries_the_rate_limit_headers(mock: InProcessMock) -> None:
    answers = [
        mock.client.get("/models"),
        mock.client.get("/tasks/unknown"),
        mock.client.post("/tasks", json={}),
        mock.client.post("/assets", content=b"x", headers={"content-type": "text/plain"}),
    ]
    assert [r.status_code for r in answers] == [200, 404, 400, 415]
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["59", "58", "57", "56"]
    assert all(r.headers["x-ratelimit-limit"] == "60" for r in answers)
    assert all(float(r.headers["x-ratelimit-reset"]) == 1.0 for r in answers)
