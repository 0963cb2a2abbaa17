"""Retry policy as tables (openai-python style), then through the client with respx."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest
import respx

from audioshake_kit import AudioShake, BadRequestError, RateLimitError, ServerError
from audioshake_kit.errors import APIConnectionError, APITimeoutError, NotFoundError, status_error
from audioshake_kit.retries import (
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    backoff,
    parse_retry_after,
    retry_delay,
    should_retry,
)

from .helpers import API, FakeClock, task_json

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": " 7 "}, 7.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "Fri, 01 May 2026 12:00:09 GMT"}, 9.0),
        ({"Retry-After": "Fri, 01 May 2026 11:59:00 GMT"}, 0.0),  # in the past
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], delay: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == delay


def _status(code: int) -> Exception:
    return status_error(code, "x")


@pytest.mark.parametrize(
    ("outcome", "method", "resendable", "retry"),
    [
        (429, "GET", False, True),
        (429, "POST", False, True),  # not processed: safe even for POST /tasks
        (500, "GET", False, True),
        (502, "GET", False, True),
        (503, "GET", False, True),
        (504, "GET", False, True),
        (408, "GET", False, True),
        (503, "POST", False, False),  # ambiguous: POST /tasks looks before re-sending
        (503, "POST", True, True),  # uploads may be sent again
        (400, "GET", False, False),
        (401, "GET", False, False),
        (402, "POST", True, False),
        (403, "GET", False, False),
        (404, "GET", False, False),
        (413, "POST", True, False),
        (415, "POST", True, False),
        (_status(429), "POST", False, True),
        (_status(500), "get", False, True),
        (_status(404), "GET", False, False),
        (APIConnectionError("reset"), "GET", False, True),
        (APITimeoutError("slow"), "GET", False, True),
        (APIConnectionError("reset"), "POST", False, False),
        (APIConnectionError("reset"), "POST", True, True),
        (ValueError("bug"), "GET", False, False),
    ],
)
def test_should_retry(outcome: int | Exception, method: str, resendable: bool, retry: bool) -> None:
    assert should_retry(outcome, method, resendable=resendable) is retry


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff(n, rng) for n in range(8)]
    for n, d in enumerate(delays):
        ceiling = min(0.5 * 2**n, MAX_RETRY_DELAY)
        assert 0.75 * ceiling <= d <= ceiling
    assert backoff(3, random.Random(5)) == backoff(3, random.Random(5))  # seeded


def test_retry_delay_prefers_retry_after_and_caps_it() -> None:
    rng = random.Random(0)
    limited = status_error(429, "slow down", headers={"Retry-After": "3"})
    assert retry_delay(limited, 0, rng) == 3.0
    huge = status_error(429, "slow down", headers={"Retry-After": "3600"})
    assert retry_delay(huge, 0, rng) == MAX_RETRY_AFTER
    assert retry_delay(status_error(503, "down"), 0, random.Random(0)) == backoff(
        0, random.Random(0)
    )


# -- through the client ----------------------------------------------------------------


def test_get_retries_5xx_with_backoff(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    route = api.get(f"{API}/tasks/task-1")
    route.side_effect = [
        httpx.Response(503, json={"statusCode": 503, "error": "x", "message": "down"}),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(200, json=task_json()),
    ]
    assert client.get_task("task-1").id == "task-1"
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert 0.375 <= clock.sleeps[0] <= 0.5 and 0.75 <= clock.sleeps[1] <= 1.0


def test_429_waits_retry_after_even_as_http_date(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    # dated 6 s from now; it is read 2 s later, after the first wait
    when = datetime.fromtimestamp(clock.now() + 6, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    route = api.get(f"{API}/tasks/task-1")
    route.side_effect = [
        httpx.Response(
            429,
            json={"statusCode": 429, "error": "x", "message": "slow"},
            headers={"Retry-After": "2"},
        ),
        httpx.Response(429, text="<html>Too Many Requests</html>", headers={"Retry-After": when}),
        httpx.Response(200, json=task_json()),
    ]
    client.get_task("task-1")
    assert clock.sleeps == [2.0, 4.0]


def test_retries_give_up_after_max_retries(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    route = api.get(f"{API}/assets").respond(
        500, json={"statusCode": 500, "error": "x", "message": "boom"}
    )
    with pytest.raises(ServerError, match="boom"):
        client.list_assets()
    assert route.call_count == 4  # one try and max_retries=3 retries
    api.get(f"{API}/models").respond(
        429, json={"statusCode": 429, "error": "x", "message": "slow"}, headers={"Retry-After": "1"}
    )
    with pytest.raises(RateLimitError) as info:
        client.models()
    assert info.value.retry_after == 1.0


def test_connection_errors_are_retried_for_reads(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    route = api.get(f"{API}/tasks/task-1")
    route.side_effect = [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=task_json()),
    ]
    assert client.get_task("task-1").id == "task-1"
    assert len(clock.sleeps) == 2


def test_definite_4xx_is_not_retried(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    route = api.get(f"{API}/tasks/nope").respond(
        404, json={"statusCode": 404, "error": "x", "message": "no such task"}
    )
    with pytest.raises(NotFoundError):
        client.get_task("nope")
    assert route.call_count == 1 and clock.sleeps == []
    route = api.post(f"{API}/tasks").respond(
        400, json={"statusCode": 400, "error": "x", "message": "targets[0]: bad"}
    )
    with pytest.raises(BadRequestError):
        client.create_task("vocals", asset_id="a")
    assert route.call_count == 1 and clock.sleeps == []
