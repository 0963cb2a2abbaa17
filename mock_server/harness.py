"""Run the mock for tests: in process (``InProcessMock``) or on a real socket
(``ServedMock``), both giving one handle with clients, the admin API and the clock.

The pytest fixtures in ``pytest_plugin`` are thin wrappers over these; they are usable
on their own too (``with InProcessMock() as mock: ...``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from .admin import MockAdmin
from .app import build_app
from .config import MockConfig
from .scenario import apply_scenario, load_scenario
from .state import MockState
from .transport import ASGIPortalTransport

if TYPE_CHECKING:
    from audioshake_kit import AudioShake

__all__ = ["DEFAULT_KEY", "InProcessMock", "MockHandle", "ServedMock"]

DEFAULT_KEY = "test-key"
IN_PROCESS_URL = "http://audioshake.mock"


class MockHandle:
    """What a test holds: ``client``/``async_client`` (keyed with ``api_key``),
    ``admin`` (Python admin API), ``state``, ``base_url`` and ``advance()``."""

    def __init__(self, state: MockState, base_url: str, api_key: str) -> None:
        self.state = state
        self.admin = MockAdmin(state)
        self.base_url = base_url
        self.api_key = api_key
        self.client: httpx.Client
        self.async_client: httpx.AsyncClient

    def advance(self, seconds: float) -> float:
        """Move mock time (targets end, links and assets expire, webhooks go out)."""
        return self.state.advance(seconds)

    def now(self) -> float:
        return self.state.now()

    def sleep(self, seconds: float) -> None:
        """A ``sleep`` for code under test: moves mock time instead of waiting."""
        self.state.advance(max(0.0, seconds))

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"x-api-key": key or self.api_key}

    def facade(self, **kwargs: Any) -> AudioShake:
        """An ``audioshake_kit.AudioShake`` wired to this mock: its client, its clock,
        and a ``sleep`` that moves mock time (so ``wait()`` finishes instantly)."""
        from audioshake_kit import AudioShake

        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", self.new_client(kwargs["api_key"]))
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("sleep", self.sleep)
        return AudioShake(**kwargs)

    def new_client(self, key: str | None = None) -> httpx.Client:
        raise NotImplementedError


def _config(scenario: str | Path | None, **overrides: Any) -> tuple[MockConfig, Any]:
    config = MockConfig(validate_responses=True)
    loaded = None
    if scenario is not None:
        loaded = load_scenario(Path(scenario))
        loaded.configure(config)
    for k, v in overrides.items():
        setattr(config, k, v)
    return config, loaded


class InProcessMock(MockHandle):
    """The app in this process on a manual clock; sync client via a blocking portal."""

    def __init__(
        self, *, api_key: str = DEFAULT_KEY, scenario: str | Path | None = None, **config: Any
    ) -> None:
        cfg, self._scenario = _config(scenario, **config)
        cfg.public_base_url = IN_PROCESS_URL
        super().__init__(MockState(cfg), IN_PROCESS_URL, api_key)
        self.app = build_app(self.state)
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> InProcessMock:
        self.transport = ASGIPortalTransport(self.app)
        self.client = self._stack.enter_context(self.new_client())
        self.async_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=self.base_url,
            headers=self.headers(),
        )
        self.state.webhook_transport = None
        if self._scenario is not None:
            apply_scenario(self._scenario, self.admin)
        return self

    def new_client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(
            transport=self.transport, base_url=self.base_url, headers=self.headers(key)
        )

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.state.close()


class ServedMock(MockHandle):
    """The app under uvicorn on 127.0.0.1 and a free port, in a background thread."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        scenario: str | Path | None = None,
        startup_timeout: float = 10.0,
        **config: Any,
    ) -> None:
        cfg, self._scenario = _config(scenario, **config)
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
        self.async_client = httpx.AsyncClient(base_url=self.base_url, headers=self.headers())
        if self._scenario is not None:
            apply_scenario(self._scenario, self.admin)
        return self

    def new_client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers(key))

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self.state.close()


@contextlib.contextmanager
def running(mode: str = "asgi", **kwargs: Any) -> Iterator[MockHandle]:
    """``InProcessMock`` for ``mode="asgi"``, ``ServedMock`` for ``"uvicorn"``."""
    mock: InProcessMock | ServedMock = (
        InProcessMock(**kwargs) if mode == "asgi" else ServedMock(**kwargs)
    )
    with mock:
        yield mock
