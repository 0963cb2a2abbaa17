"""Serving an ASGI app on a socket until Ctrl-C or SIGTERM: what ``audioshake-mock
serve`` and ``audioshake-mock proxy`` share. The socket is bound (and listening) before
the banner is printed, so the URL it names works at once, port 0 included."""

from __future__ import annotations

import signal
import socket
from typing import Any

import uvicorn

__all__ = ["BindError", "listen", "run"]


class BindError(OSError):
    """The address cannot be bound (in use, not an interface here)."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (0: any free port) and listening; ``BindError``
    with a message naming the address when it cannot be bound."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BindError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)  # connections queue from now on
    return sock


def run(app: Any, sock: socket.socket, *, verbose: bool = False) -> None:
    """Serve ``app`` on ``sock`` with uvicorn until SIGINT or SIGTERM, then return (after
    a graceful shutdown of at most 5 s) so the caller can clean up."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="info" if verbose else "warning",
            access_log=False,  # logs.AccessLog writes the access log
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )
    # uvicorn re-raises SIGINT/SIGTERM once it has shut down gracefully; with the default
    # handlers that would kill the process before the caller's clean-up runs.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    server.run(sockets=[sock])
