"""Fixtures for the facade's unit tests: respx in place of the network, a fake clock whose
``sleep`` records and moves time (no test sleeps for real), clients wired to both, and a
real few-second WAV file."""

from __future__ import annotations

import random
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from typer.testing import CliRunner

from audioshake_kit import AsyncAudioShake, AudioShake
from audioshake_kit.cli import context, main

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


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, clock: FakeClock
) -> Callable[..., Any]:
    """``run(*args, env=None)`` → click Result of the ``audioshake`` CLI, its client on
    respx and the fake clock."""

    def factory(api_key: str | None, *, base_url: str | None = None) -> AudioShake:
        return AudioShake(api_key, base_url=base_url or API, clock=clock.now, sleep=clock.sleep)

    monkeypatch.setattr(context, "CLIENT_FACTORY", factory)
    monkeypatch.setenv("AUDIOSHAKE_API_KEY", "k")
    monkeypatch.delenv("AUDIOSHAKE_DEBUG", raising=False)
    runner = CliRunner()
    return lambda *args, env=None: runner.invoke(main.app, [str(a) for a in args], env=env)
