"""The proxy on aiohttp's server: until SIGINT or SIGTERM (``audioshake-mock proxy``),
or in a thread while a block runs (``check-live``). Either way the socket comes bound
and listening (``mock_server.serving.listen``), and stopping runs the app's clean-up,
which writes the report."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

from aiohttp import web

from ..logs import ACCESS_LOGGER
from .app import AccessLogger

__all__ = ["run_until_signal", "serving_in_thread"]

SHUTDOWN_S = 5.0  # in-flight answers get this long once a stop is asked for


async def _start(app: web.Application, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=logging.getLogger(ACCESS_LOGGER),
        access_log_class=AccessLogger,
        shutdown_timeout=SHUTDOWN_S,
    )
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


def _run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop  # installed with uvicorn[standard]; a third cheaper per request
    except ImportError:  # pragma: no cover - the [mock] extra installs it
        asyncio.run(main)
    else:
        uvloop.run(main)


def run_until_signal(app: web.Application, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM, then clean up and return."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = await _start(app, sock)
        # What is loaded by now (the spec, its validators, aiohttp) lives as long as the
        # process: out of the collector's full passes, which took ~50 ms each, every
        # in-flight answer waiting (5 such passes in 10 s under load, 2 % of the CPU).
        gc.freeze()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    _run(main())


@contextlib.contextmanager
def serving_in_thread(
    app: web.Application, sock: socket.socket, *, start_timeout: float = 30.0
) -> Iterator[None]:
    """Serve ``app`` on ``sock`` in a thread while the block runs; cleaned up on exit.
    ``RuntimeError`` when it does not start within ``start_timeout`` seconds."""
    started = threading.Event()
    failed: list[BaseException] = []
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["loop"] = asyncio.get_running_loop()
        holder["stop"] = stop = asyncio.Event()
        try:
            runner = await _start(app, sock)
        except BaseException as exc:
            failed.append(exc)
            started.set()
            raise
        started.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=_run, args=(main(),), daemon=True)
    thread.start()
    if not started.wait(start_timeout) or failed:
        raise RuntimeError(f"the proxy did not start: {failed[0] if failed else 'timed out'}")
    try:
        yield
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout=SHUTDOWN_S + 25)
