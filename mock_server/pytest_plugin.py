"""pytest fixtures for code that talks to AudioShake: a stateful mock of the API per test.

Registered for everyone who installs audioshake-kit (entry point ``pytest11``, name
``audioshake_mock``); the fixtures need the ``[mock]`` extra
(``pip install 'audioshake-kit[mock]'``). Without it, a test that requests one fails
with a message naming the extra and the missing module; every other test runs as usual.
The plugin imports nothing of the mock until a fixture is requested, so a test run
that uses neither fixture pays nothing for it (``-p no:audioshake_mock`` turns it off).

Fixtures (each test gets its own mock, so they work under pytest-xdist):

``audioshake_mock``
    ``mock_server.harness.InProcessMock``: the mock in this process on a **manual
    clock** (time moves only by ``advance(seconds)``). ``client``/``async_client``
    (httpx, keyed), ``admin`` (``MockAdmin``), ``advance()``, ``now()``, and
    ``facade()``: an ``audioshake_kit.AudioShake`` whose waits move mock time instead
    of sleeping. Every response is checked against the OpenAPI spec.

``audioshake_mock_server``
    ``mock_server.harness.ServedMock``: the same app on a real socket (127.0.0.1, a free
    port) on a **real clock, 60 times faster than the wall** (one mock minute per
    second), so an app that reads ``AUDIOSHAKE_BASE_URL``/``AUDIOSHAKE_API_KEY`` and
    polls finishes by itself. ``base_url``, ``api_key``, ``env()`` (those two variables
    as a dict). It sets nothing in the environment: use ``monkeypatch.setenv``.

Both use the API key ``test-key`` (any non-empty key is a tenant of its own unless
``api_keys`` is given). Configure either with the marker::

    @pytest.mark.audioshake_mock(scenario=..., api_key=..., clock=..., speed=...,
                                 rate_limit=..., seed=..., ...)

- ``scenario``: a bundled scenario by name (``"offline-dev"``, ``"ci-strict"``,
  ``"flaky-service"``; ``audioshake-mock scenarios`` lists them) or a path to a YAML file.
- ``api_key``: the key the fixture's clients and ``facade()`` send (``"test-key"``).
- ``clock``: ``"manual"`` (moves by ``advance()``) or ``"real"`` (wall time × ``speed``).
  Defaults: ``"manual"`` in process, ``"real"`` on the socket.
- ``speed``: the real clock's factor (the socket fixture's default: 60).
- ``start``: mock time at start, unix seconds (manual default 2026-01-01T00:00:00Z).
- ``rate_limit``: requests per rolling second per key; ``None`` turns it off (default:
  the service's 60).
- ``seed``: the seed of the mock's random draws (ids, processing times, fault odds).
- ``api_keys``: accept only these keys (default: any non-empty key).
- ``data_dir``: where the mock keeps files (default: a temporary dir, removed after).
- ``admin``: ``False`` removes the ``/_mock/`` routes.
- ``validate_responses``: check every response against the spec (default ``True``).
- ``cors_origins``: allowed CORS origins (default ``["*"]``).
- ``max_upload_bytes``: a lower upload limit than the service's 2 GiB.

Options given in the marker win over the scenario's.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from .extra import MissingExtraError, needs_mock_extra

if TYPE_CHECKING:
    from .harness import InProcessMock, ServedMock

MARKER = "audioshake_mock"
MARKER_HELP = (
    "audioshake_mock(scenario=None, api_key='test-key', clock=None, speed=None, "
    "rate_limit=60, seed=0, start=None, api_keys=[], data_dir=None, admin=True, "
    "validate_responses=True, cors_origins=['*'], max_upload_bytes=None): options of the "
    "audioshake_mock and audioshake_mock_server fixtures. scenario: a bundled scenario's "
    "name (audioshake-mock scenarios) or a YAML path; clock: 'manual' (the in-process "
    "default) or 'real' (the socket default, speed 60); rate_limit=None turns it off."
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(
            f"@pytest.mark.{MARKER} takes keyword arguments only "
            f"(scenario=..., clock=..., ...), not {marker.args!r}",
            pytrace=False,
        )
    return dict(marker.kwargs)


def _harness(fixture: str) -> ModuleType:
    """``mock_server.harness``, imported now; without the extra, the test fails here."""
    what = f"the {fixture} fixture"
    try:
        with needs_mock_extra(what):
            from . import harness
    except MissingExtraError as exc:  # (raised by the harness itself, naming itself)
        pytest.fail(str(MissingExtraError(what, exc.module)), pytrace=False)
    return harness


@pytest.fixture
def audioshake_mock(request: pytest.FixtureRequest) -> Iterator[InProcessMock]:
    """The AudioShake mock in this process, on a manual clock, fresh for each test.

    Mock time moves only when told: ``advance(seconds)`` (targets end, links expire,
    webhooks go out), or ``facade()``, an ``AudioShake`` whose ``wait()`` moves mock
    time instead of sleeping, so it returns at once. Also ``client`` (httpx, keyed with
    ``test-key``), ``async_client``, ``admin`` (``MockAdmin``: keys, credits, faults,
    media, ledger, …) and ``now()``. Every response is checked against the spec.
    Options: ``@pytest.mark.audioshake_mock(scenario=..., rate_limit=None, ...)`` (see
    ``pytest --markers``). Needs the ``[mock]`` extra.
    """
    harness = _harness("audioshake_mock")
    with harness.InProcessMock(**_options(request)) as mock:
        yield mock


@pytest.fixture
def audioshake_mock_server(request: pytest.FixtureRequest) -> Iterator[ServedMock]:
    """The AudioShake mock on a real socket, its clock 60 times faster than the wall.

    Fresh for each test, on 127.0.0.1 and a free port. Its real clock runs 60 times
    faster than the wall (a mock minute per second), so an app that polls finishes by
    itself (``clock="manual"`` in the marker for one that moves only by ``advance()``).
    ``base_url``, ``api_key`` (``test-key``), ``client``, ``admin``, ``env()``: the
    ``AUDIOSHAKE_BASE_URL``/``AUDIOSHAKE_API_KEY`` an app reads. Nothing is set in the
    environment: ``for k, v in audioshake_mock_server.env().items():
    monkeypatch.setenv(k, v)``. Options as for ``audioshake_mock``. Needs the
    ``[mock]`` extra.
    """
    harness = _harness("audioshake_mock_server")
    with harness.ServedMock(**_options(request)) as mock:
        yield mock
