"""Run the mock for tests: in process (``InProcessMock``) or on a real socket
(``ServedMock``), both giving one handle with clients, the admin API and the clock.

The pytest fixtures in ``pytest_plugin`` are thin wrappers over these; they are usable
on their own too (``with InProcessMock() as mock: ...``).

- ``InProcessMock``: the app in this process, on a **manual clock** (time moves only by
  ``advance()``, or by the ``sleep`` of ``facade()``). Cheap: the spec, its validators
  and the route table are built once per process; each mock has its own state, clock
  and data dir; requests run on the calling thread.
- ``ServedMock``: the app under uvicorn on 127.0.0.1 and a free port, on a **real
  clock** sped up ``SERVED_SPEED`` times by default, so code that waits in wall time
  (an app reading ``AUDIOSHAKE_BASE_URL``) finishes by itself; ``clock="manual"`` to
  drive it with ``advance()`` instead.

Both take ``api_key`` (the key their clients use, default ``test-key``), ``scenario``
(a bundled scenario's name or a YAML path) and any ``MockConfig`` field as keyword
arguments (``rate_limit=None``, ``seed=3`` …), which win over the scenario.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .extra import needs_mock_extra

if TYPE_CHECKING:
    from audioshake_kit import AudioShake

with needs_mock_extra("mock_server.harness"):  # without the extra: say which, and how
    import httpx
    import uvicorn

    from .admin import MockAdmin
    from .app import build_app
    from .config import MockConfig
    from .scenario import Scenario, apply_scenario, load_scenario
    from .state import MockState
    from .transport import ASGIPortalTransport

__all__ = [
    "CONFIG_OPTIONS",
    "DEFAULT_KEY",
    "SERVED_SPEED",
    "InProcessMock",
    "MockHandle",
    "ServedMock",
]

DEFAULT_KEY = "test-key"
IN_PROCESS_URL = "http://audioshake.mock"
# A served mock's real clock: one mock minute per wall second. A 10 s input's targets
# take at most about 11 mock seconds (planning.py: 1 + U(0.5, 4) + 1-5 % of the input,
# times a model's processing factor of at most 2), under 0.2 s of wall time; a link's
# hour lasts a wall minute, an asset's 72 hours 72 wall minutes.
SERVED_SPEED = 60.0
# What the fixtures' marker and these classes accept besides api_key and scenario: every
# MockConfig field but the base URL, which the harness sets.
CONFIG_OPTIONS = tuple(
    f.name for f in dataclasses.fields(MockConfig) if f.name != "public_base_url"
)


class MockHandle:
    """What a test holds: ``client``/``async_client`` (httpx, keyed with ``api_key``),
    ``admin`` (``MockAdmin``, the Python admin API), ``state`` (``MockState``),
    ``base_url``, ``api_key``, and the clock: ``now()``, ``advance()``, ``sleep()``."""

    def __init__(self, state: MockState, base_url: str, api_key: str) -> None:
        self.state = state
        self.admin = MockAdmin(state)
        self.base_url = base_url
        self.api_key = api_key
        self.client: httpx.Client
        self._async_client: httpx.AsyncClient | None = None

    @property
    def async_client(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` of this mock keyed with ``api_key`` (made on first
        use, then kept)."""
        if self._async_client is None:
            self._async_client = self.new_async_client()
        return self._async_client

    def advance(self, seconds: float) -> float:
        """Move mock time by ``seconds``: targets end, links and assets expire, due
        webhooks are sent (from this thread). Returns the new mock time (unix seconds)."""
        return self.state.advance(seconds)

    def now(self) -> float:
        """Mock time, unix seconds (a manual clock starts at 2026-01-01T00:00:00Z)."""
        return self.state.now()

    def sleep(self, seconds: float) -> None:
        """A ``sleep`` for code under test: moves mock time instead of waiting."""
        self.state.advance(max(0.0, seconds))

    def headers(self, key: str | None = None) -> dict[str, str]:
        """Request headers for ``key`` (default: this handle's ``api_key``)."""
        return {"x-api-key": key or self.api_key}

    def facade(self, **kwargs: Any) -> AudioShake:
        """An ``audioshake_kit.AudioShake`` wired to this mock: its client, its clock,
        and a ``sleep`` that moves mock time (so ``wait()`` finishes at once). Keyword
        arguments go to ``AudioShake`` (``api_key=`` another tenant, …)."""
        from audioshake_kit import AudioShake

        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", self.new_client(kwargs["api_key"]))
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("sleep", self.sleep)
        return AudioShake(**kwargs)

    def new_client(self, key: str | None = None) -> httpx.Client:
        """A new sync httpx client of this mock, keyed with ``key`` (default
        ``api_key``); the caller closes it."""
        raise NotImplementedError

    def new_async_client(self) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` of this mock, keyed with ``api_key``."""
        raise NotImplementedError


def _config(
    scenario: str | Path | None, defaults: dict[str, Any], overrides: dict[str, Any]
) -> tuple[MockConfig, Scenario | None]:
    """Defaults, then the scenario, then the caller's options (which win)."""
    unknown = sorted(set(overrides) - set(CONFIG_OPTIONS))
    if unknown:
        raise TypeError(
            f"unknown mock option {', '.join(map(repr, unknown))}; "
            f"accepted: api_key, scenario, {', '.join(CONFIG_OPTIONS)}"
        )
    config = MockConfig(**{"validate_responses": True, **defaults})
    loaded = None
    if scenario is not None:
        loaded = load_scenario(scenario)
        loaded.configure(config)
    for k, v in overrides.items():
        setattr(config, k, v)
    if config.clock not in ("manual", "real"):
        raise ValueError(f"clock: must be 'manual' or 'real', not {config.clock!r}")
    return config, loaded


class InProcessMock(MockHandle):
    """The app in this process, on a manual clock by default (``advance()`` moves it).

    Its clients call the app directly (no socket): ``client`` runs each request on the
    calling thread, ``async_client`` (made on first use) on the caller's event loop.
    ``base_url`` (``http://audioshake.mock``) is a name for those clients, not a network
    address: code that opens its own connection needs ``ServedMock``. Use it as a
    context manager; leaving it removes its state and files."""

    def __init__(
        self, *, api_key: str = DEFAULT_KEY, scenario: str | Path | None = None, **config: Any
    ) -> None:
        cfg, self._scenario = _config(scenario, {}, config)
        cfg.public_base_url = IN_PROCESS_URL
        super().__init__(MockState(cfg), IN_PROCESS_URL, api_key)
        self.app = build_app(self.state)
        self.transport = ASGIPortalTransport(self.app)

    def __enter__(self) -> InProcessMock:
        self.client = self.new_client()
        if self._scenario is not None:
            apply_scenario(self._scenario, self.admin)
        return self

    def new_client(self, key: str | None = None) -> httpx.Client:
        """A new sync httpx client into the app, keyed with ``key`` (default
        ``api_key``); the caller closes it."""
        return httpx.Client(
            transport=self.transport, base_url=self.base_url, headers=self.headers(key)
        )

    def new_async_client(self) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` into the app (on the caller's event loop), keyed
        with ``api_key``."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=self.base_url,
            headers=self.headers(),
        )

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.state.close()


class ServedMock(MockHandle):
    """The app under uvicorn on 127.0.0.1 and a free port, in a background thread, on
    a **real clock** ``SERVED_SPEED`` (60) times faster than the wall by default: what a
    server on a socket does (moto's server mode, LocalStack), it does by itself, so an
    app that polls in wall time finishes. ``clock="manual"`` (or a scenario's clock)
    for a server that moves only by ``advance()``. Use it as a context manager."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        scenario: str | Path | None = None,
        startup_timeout: float = 10.0,
        **config: Any,
    ) -> None:
        cfg, self._scenario = _config(scenario, {"clock": "real", "speed": SERVED_SPEED}, config)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        cfg.public_base_url = f"http://127.0.0.1:{port}"
        super().__init__(MockState(cfg), cfg.public_base_url, api_key)
        self.port = port
        self.app = build_app(self.state)
        self._timeout = startup_timeout
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
        )

    def __enter__(self) -> ServedMock:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.01)
        self.client = self.new_client()
        if self._scenario is not None:
            apply_scenario(self._scenario, self.admin)
        return self

    def env(self) -> dict[str, str]:
        """``AUDIOSHAKE_BASE_URL`` and ``AUDIOSHAKE_API_KEY`` for this server, as an app
        reads them: ``for k, v in mock.env().items(): monkeypatch.setenv(k, v)``. The
        fixture sets nothing in the environment itself."""
        return {"AUDIOSHAKE_BASE_URL": self.base_url, "AUDIOSHAKE_API_KEY": self.api_key}

    def new_client(self, key: str | None = None) -> httpx.Client:
        """A new sync httpx client of this server, keyed with ``key`` (default
        ``api_key``); the caller closes it."""
        return httpx.Client(base_url=self.base_url, headers=self.headers(key))

    def new_async_client(self) -> httpx.AsyncClient:
        """A new ``httpx.AsyncClient`` of this server, keyed with ``api_key``."""
        return httpx.AsyncClient(base_url=self.base_url, headers=self.headers())

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self.state.close()


@contextlib.contextmanager
def running(mode: str = "asgi", **kwargs: Any) -> Iterator[MockHandle]:
    """``InProcessMock`` for ``mode="asgi"``, ``ServedMock`` for ``"uvicorn"`` (its
    real, sped-up clock unless ``clock="manual"`` is given), entered and left."""
    mock: InProcessMock | ServedMock = (
        InProcessMock(**kwargs) if mode == "asgi" else ServedMock(**kwargs)
    )
    with mock:
        yield mock
