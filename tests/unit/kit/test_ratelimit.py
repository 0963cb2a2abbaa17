"""The client-side sliding window: never more than N starts in any rolling second, and no
wait longer than needed. Time is a fake clock moved only by the limiter's own sleeps."""

from __future__ import annotations

import bisect
import random
import threading

import anyio
import pytest
import respx

from audioshake_kit import AudioShake, RateLimiter

from .helpers import API, FakeClock, task_json


def max_in_any_window(starts: list[float], window: float = 1.0) -> int:
    """Most starts in any half-open window (t - window, t] (the server's rule), with
    float noise below a nanosecond rounded away."""
    starts = sorted(round(s, 9) for s in starts)
    return max(
        bisect.bisect_right(starts, t) - bisect.bisect_right(starts, t - window + 1e-9)
        for t in starts
    )


def test_200_acquires_never_exceed_the_window_and_wait_minimally() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(60, clock=clock.now, sleep=clock.sleep)
    starts = []
    for _ in range(200):
        limiter.acquire()
        starts.append(clock.now())
    assert limiter.capacity == 59
    assert max_in_any_window(starts) == 59
    # minimal: 59 at t=0, the next 59 exactly when the first leave the window, ...
    assert starts[58] == 0.0 and starts[59] == 1.0 and starts[118] == 2.0 and starts[199] == 3.0
    assert sum(clock.sleeps) == 3.0


def test_spread_out_requests_never_wait() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(8, margin=0, clock=clock.now, sleep=clock.sleep)
    for _ in range(100):
        limiter.acquire()
        clock.t += 0.125
    assert clock.sleeps == []


def test_random_arrivals_respect_the_window() -> None:
    rng = random.Random(7)
    clock = FakeClock(0.0)
    limiter = RateLimiter(20, margin=2, clock=clock.now, sleep=clock.sleep)
    starts = []
    for _ in range(500):
        clock.t += rng.expovariate(40.0)  # twice the allowed rate on average
        limiter.acquire()
        starts.append(clock.now())
    assert max_in_any_window(starts) == 18


def test_threads_sharing_one_limiter_get_a_valid_schedule() -> None:
    lock = threading.Lock()
    clock = FakeClock(0.0)
    limiter = RateLimiter(30, margin=0, clock=clock.now)
    starts: list[float] = []

    def worker() -> None:
        for _ in range(25):
            delay = limiter.reserve()
            with lock:
                starts.append(clock.now() + delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 200
    assert max_in_any_window(starts) == 30


def test_async_acquire_uses_the_async_sleep() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(5, margin=0, clock=clock.now, async_sleep=clock.asleep)

    async def main() -> list[float]:
        starts = []
        for _ in range(12):
            await limiter.aacquire()
            starts.append(clock.now())
        return starts

    starts = anyio.run(main)
    assert starts == [0.0] * 5 + [1.0] * 5 + [2.0] * 2


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="margin"):
        RateLimiter(5, margin=-1)
    assert RateLimiter(1).capacity == 1  # the margin never blocks everything


def test_every_api_request_goes_through_the_limiter(api: respx.MockRouter) -> None:
    clock = FakeClock(0.0)
    api.get(f"{API}/tasks/task-1").respond(200, json=task_json())
    client = AudioShake("k", base_url=API, clock=clock.now, sleep=clock.sleep, rate_limit=3)
    starts = []
    for _ in range(7):
        client.get_task("task-1")
        starts.append(clock.now())
    assert starts == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]  # 3 per second, minus a margin of 1


def test_a_limiter_can_be_shared_by_clients(api: respx.MockRouter) -> None:
    clock = FakeClock(0.0)
    api.get(f"{API}/tasks/task-1").respond(200, json=task_json())
    shared = RateLimiter(2, margin=0, clock=clock.now, sleep=clock.sleep)
    a = AudioShake("k", base_url=API, clock=clock.now, sleep=clock.sleep, rate_limit=shared)
    b = AudioShake("k", base_url=API, clock=clock.now, sleep=clock.sleep, rate_limit=shared)
    for c in (a, b, a, b):
        c.get_task("task-1")
    assert clock.now() == 1.0
