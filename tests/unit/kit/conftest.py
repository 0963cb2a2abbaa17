"""Fixtures for the facade's unit tests: respx in place of the network, a fake clock whose
``sleep`` records and moves time (no test sleeps for real), clients wired to both, and a
real few-second WAV file."""

from __future__ import annotations

import random
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx

from audioshake_kit import AsyncAudioShake, AudioShake

from .helpers import API, FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """respx for the API and the file host; a request nobody routed fails the test."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(api: respx.MockRouter, clock: FakeClock) -> Iterator[AudioShake]:
    with AudioShake(
        "key", base_url=API, clock=clock.now, sleep=clock.sleep, rng=random.Random(0)
    ) as c:
        yield c


@pytest.fixture
def aclient(api: respx.MockRouter, clock: FakeClock) -> AsyncAudioShake:
    return AsyncAudioShake(
        "key", base_url=API, clock=clock.now, sleep=clock.asleep, rng=random.Random(0)
    )


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    """A real 3-second mono WAV file."""
    path = tmp_path / "song.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000 * 3)
    return path
