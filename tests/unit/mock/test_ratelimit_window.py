"""The server's sliding window: at most N answered requests in any rolling second."""

from __future__ import annotations

from mock_server.ratelimit import SlidingWindowLimiter


def test_sixty_fit_in_a_second_and_the_sixty_first_waits_for_the_oldest() -> None:
    limiter = SlidingWindowLimiter(60)
    times = [i * 0.01 for i in range(60)]  # 60 requests in 0.59 s
    assert all(limiter.check("k", t).allowed for t in times)  # type: ignore[union-attr]
    denied = limiter.check("k", 0.6)
    assert denied is not None and not denied.allowed
    assert denied.retry_after == 1  # whole seconds, at least 1
    assert denied.reset == 0.4  # the oldest (t=0) leaves at t=1.0
    # denied requests are not counted: at t=1.0 the first slot is free again
    decision = limiter.check("k", 1.0)
    assert decision is not None and decision.allowed


def test_keys_are_limited_separately() -> None:
    limiter = SlidingWindowLimiter(2)
    assert limiter.check("a", 0).allowed  # type: ignore[union-attr]
    assert limiter.check("a", 0).allowed  # type: ignore[union-attr]
    assert not limiter.check("a", 0).allowed  # type: ignore[union-attr]
    assert limiter.check("b", 0).allowed  # type: ignore[union-attr]


def test_no_rolling_second_ever_holds_more_than_the_limit() -> None:
    limiter = SlidingWindowLimiter(60)
    answered: list[float] = []
    t = 0.0
    for _ in range(5000):  # 500 req/s offered for 10 s
        d = limiter.check("k", t)
        assert d is not None
        if d.allowed:
            answered.append(t)
        t += 0.002
    j = 0
    for i, start in enumerate(answered):
        while answered[j] <= start - 1.0:
            j += 1
        assert i - j + 1 <= 60
    assert 590 <= len(answered) <= 600


def test_off_means_no_decision() -> None:
    assert SlidingWindowLimiter(None).check("k", 0) is None
