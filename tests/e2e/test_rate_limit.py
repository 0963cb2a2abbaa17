"""A 429 storm against ``audioshake-mock serve`` (60 answered requests per rolling wall
second and key): a raw burst earns 429s that say when to come back, and it works then;
the facade's own limiter paces it so that no 429 ever happens, let alone reaches it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from audioshake_kit import AudioShake

from .conftest import MockProcess, wait_for

pytestmark = pytest.mark.slow

BURST = 200
PACED = 150


def test_a_raw_burst_gets_429s_with_retry_after(real_mock: MockProcess) -> None:
    headers = {"x-api-key": "e2e-burst"}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=real_mock.base_url, headers=headers) as client:
            return await asyncio.gather(*(client.get("/models") for _ in range(BURST)))

    answers = asyncio.run(burst())
    refused = [r for r in answers if r.status_code == 429]
    assert refused, "200 requests at once were all answered"
    assert {r.status_code for r in answers} == {200, 429}
    assert len(answers) - len(refused) >= 60
    for r in refused:
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert r.json()["statusCode"] == 429
    at = time.monotonic()
    retry_after = int(refused[-1].headers["Retry-After"])
    with httpx.Client(base_url=real_mock.base_url, headers=headers, timeout=30) as client:
        # come back when told: by then the window has room again
        wait_for(lambda: time.monotonic() >= at + retry_after, timeout=retry_after + 1, what="it")
        assert client.get("/models").status_code == 200


def test_the_paced_facade_never_meets_a_429(real_mock: MockProcess) -> None:
    key = "e2e-paced"
    with AudioShake(key, base_url=real_mock.base_url) as shake:
        started = time.monotonic()
        for _ in range(PACED):
            shake.list_assets()
        elapsed = time.monotonic() - started
    journal = real_mock.requests(key)
    assert len(journal) == PACED
    assert {e["status"] for e in journal} == {200}, "the server refused a paced request"
    # paced, not slow: about 59 a second
    assert elapsed >= (PACED - 59) / 59
