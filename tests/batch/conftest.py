"""Fixtures for the batch tests: the mock in process (manual clock), a folder of short
real WAV files, and helpers that read the mock's ledger, journal and tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.harness import InProcessMock

from .helpers import make_songs


@pytest.fixture
def mock() -> Iterator[InProcessMock]:
    with InProcessMock() as m:
        yield m


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    """``in/`` with four 1-second WAVs: a.wav, b.wav, c.wav and sub/d.wav."""
    return make_songs(tmp_path / "in", ["a.wav", "b.wav", "c.wav", "sub/d.wav"])
