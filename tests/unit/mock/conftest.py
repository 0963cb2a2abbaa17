"""Fixtures for the mock's rule tests: ``mock`` (the in-process mock of the pytest
plugin, manual clock, every response checked against the spec) and ``make_media``
(real, short input files, made once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mock_server.harness import InProcessMock

from .helpers import write_wav

MakeMedia = Callable[..., Path]


@pytest.fixture
def mock(audioshake_mock: InProcessMock) -> InProcessMock:
    return audioshake_mock


@pytest.fixture(scope="session")
def make_media(tmp_path_factory: pytest.TempPathFactory) -> MakeMedia:
    """``make_media(fmt, duration=2.0, seed=0, channels=2)`` → path of a real file.

    wav is written here (exact samples, any channel count); every other format comes
    from the mock's own synthesiser (``mock_server.synth.synth_media``)."""
    folder = tmp_path_factory.mktemp("media")
    made: dict[tuple[str, float, int, int], Path] = {}

    def make(fmt: str = "wav", duration: float = 2.0, *, seed: int = 0, channels: int = 2) -> Path:
        key = (fmt, duration, seed, channels)
        if key not in made:
            path = folder / f"in-{seed}-{duration}-{channels}.{fmt}"
            if fmt == "wav":
                write_wav(path, duration, channels=channels, seed=seed)
            else:
                from mock_server.synth import synth_media

                synth_media(path, duration, fmt, seed=seed)
            made[key] = path
        return made[key]

    return make
