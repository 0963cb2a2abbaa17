"""pytest fixtures for code that talks to AudioShake (entry point ``pytest11``).

- ``audioshake_mock``: the mock in process, manual clock, responses checked against the
  spec. ``audioshake_mock.client`` (sync httpx), ``.async_client``, ``.admin``,
  ``.advance(seconds)``, ``.facade()`` (an ``AudioShake`` wired to the mock's clock).
- ``audioshake_mock_server``: the same on a real socket (127.0.0.1, free port).

Configure with ``@pytest.mark.audioshake_mock(scenario="tests/s.yaml", rate_limit=None)``.
Each test gets its own state, so the fixtures work under pytest-xdist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .harness import InProcessMock, ServedMock


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "audioshake_mock(**config): options for the audioshake_mock fixtures"
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("audioshake_mock")
    return dict(marker.kwargs) if marker else {}


@pytest.fixture
def audioshake_mock(request: pytest.FixtureRequest) -> Iterator[InProcessMock]:
    with InProcessMock(**_options(request)) as mock:
        yield mock


@pytest.fixture
def audioshake_mock_server(request: pytest.FixtureRequest) -> Iterator[ServedMock]:
    with ServedMock(**_options(request)) as mock:
        yield mock
