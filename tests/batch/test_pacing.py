"""The batch's limiter: a request counts from its start until one window after its
answer, so jitter on the way can never squeeze more than the limit into one of the
service's windows."""

from __future__ import annotations

import httpx

from audioshake_kit.batch.pacing import PacedLimiter, paced_client
from audioshake_kit.ratelimit import RateLimiter
from mock_server.harness import InProcessMock


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(round(s, 6))
        self.t += s


def limiter(clock: Clock, limit: int) -> PacedLimiter:
    inner = RateLimiter(100, clock=clock.now, sleep=clock.sleep)
    return PacedLimiter(inner, limit)


def send(lim: PacedLimiter, clock: Clock, answer: bool = True, latency: float = 0.0) -> None:
    """One request as the facade makes it: acquire, then the httpx hooks."""
    lim.acquire()
    request = httpx.Request("GET", "https://api.test/tasks")
    lim.on_request(request)
    clock.t += latency
    if answer:
        lim.on_response(httpx.Response(200, request=request))


def test_a_request_counts_until_a_window_after_its_answer() -> None:
    clock = Clock()
    lim = limiter(clock, 3)
    send(lim, clock, latency=0.4)  # a slow answer: counted until a window after it
    send(lim, clock)
    send(lim, clock)
    assert clock.slept == []
    send(lim, clock)  # waits until the first answer is a window old
    assert clock.slept == [1.0]
    assert lim.count == 4


def test_a_request_with_no_answer_ends_when_its_thread_asks_again() -> None:
    clock = Clock()
    lim = limiter(clock, 2)
    send(lim, clock, answer=False)  # e.g. a dropped connection: no response hook
    send(lim, clock)
    send(lim, clock)
    assert clock.slept == [1.0]


def test_requests_without_a_ticket_are_not_counted() -> None:
    clock = Clock()
    lim = limiter(clock, 1)
    send(lim, clock)
    download = httpx.Request("GET", "https://files.test/out.wav")
    lim.on_request(download)  # no acquire before it: a signed-link download
    assert "audioshake_batch_ticket" not in download.extensions
    lim.on_response(httpx.Response(200, request=download))
    clock.t += 1.0
    send(lim, clock)
    assert clock.slept == []


def test_the_hooks_are_removed_after_the_batch(audioshake_mock: InProcessMock) -> None:
    client = audioshake_mock.facade()
    hooks = {k: list(v) for k, v in client.http_client.event_hooks.items()}
    with paced_client(client, None) as (paced, lim):
        assert lim.on_response in client.http_client.event_hooks["response"]
        assert lim.inner is client.limiter  # the client's own (maybe shared) limiter
        assert paced.models()
        assert lim.count == 1
    assert {k: list(v) for k, v in client.http_client.event_hooks.items()} == hooks
    with paced_client(client, 30) as (_, lim):
        assert lim.inner is not client.limiter and lim.limit == 30
