"""``audioshake-mock proxy`` on aiohttp's server: bind, print where it listens, serve until SIGINT
or SIGTERM, then write the report (the app's clean-up) and say where it went.

Drift findings are logged on stderr the first time each is seen (always, even with
``--quiet``, which turns off only the access log)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..extra import needs_mock_extra

__all__ = ["ProxyOptions", "run_proxy"]


@dataclass
class ProxyOptions:
    upstream: str
    host: str = "127.0.0.1"
    port: int = 8080
    record: Path | None = None
    cassette: str | None = None
    record_media: bool = False
    report: Path | None = None
    strict: bool = False
    keep_links: bool = False
    log_format: Literal["text", "json"] | None = "text"
    verbose: bool = False


def _to_stderr(name: str, fmt: str, level: int) -> logging.Logger:
    """Logger ``name`` written to stderr as ``fmt`` from ``level`` up (its handler added
    once, however often the proxy starts in one process)."""
    logger = logging.getLogger(name)
    if not any(getattr(h, "_proxy_stderr", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(fmt))
        handler._proxy_stderr = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    return logger


def _drift_to_stderr() -> None:
    from .drift import DRIFT_LOGGER

    _to_stderr(DRIFT_LOGGER, "drift: %(message)s", logging.WARNING).propagate = False


def _aiohttp_to_stderr(verbose: bool) -> None:
    """aiohttp's own messages (a failing handler: always; start and stop: ``verbose``)."""
    _to_stderr(
        "aiohttp",
        "%(name)s: %(levelname)s: %(message)s",
        logging.INFO if verbose else logging.WARNING,
    )
    logging.getLogger("aiohttp.access").propagate = False  # logs.AccessLog's lines instead


def run_proxy(options: ProxyOptions) -> int:
    """Serve until stopped; the exit code (2: bad option or cannot bind)."""
    with needs_mock_extra("audioshake-mock proxy"):
        from ..logs import configure
        from ..serving import BindError, listen
        from .app import ProxyConfig, ProxyState, build_proxy
        from .server import run_until_signal

    name = options.cassette or time.strftime("proxy-%Y%m%dT%H%M%SZ", time.gmtime())
    try:
        config = ProxyConfig(
            upstream=options.upstream,
            strict=options.strict,
            keep_links=options.keep_links,
            record_dir=options.record,
            cassette=name,
            record_media=options.record_media,
            report=options.report,
        )
    except ValueError as exc:
        print(f"error: --upstream: {exc}", file=sys.stderr)
        return 2
    try:
        sock = listen(options.host, options.port)
    except BindError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config.public_base_url = f"http://{options.host}:{sock.getsockname()[1]}"
    try:
        state = ProxyState(config)
    except (OSError, ValueError) as exc:  # the cassette exists, or its folder cannot be made
        print(f"error: --record: {exc}", file=sys.stderr)
        sock.close()
        return 2
    configure(options.log_format)
    _drift_to_stderr()
    _aiohttp_to_stderr(options.verbose)
    recording = f"{state.recorder.path}" if state.recorder else "off"
    if state.recorder is not None and state.recorder.media_dir is not None:
        recording += f" (media in {state.recorder.media_dir})"
    print(
        f"audioshake-mock proxy on {config.public_base_url} -> {config.upstream}\n"
        f"  strict:      {'on (requests breaking the spec get 400)' if config.strict else 'off'}\n"
        f"  links:       {'kept' if config.keep_links else 'rewritten through the proxy'}\n"
        f"  recording:   {recording}\n"
        f"  report:      {config.report or 'off (--report FILE)'}",
        flush=True,
    )
    try:
        run_until_signal(build_proxy(state), sock)
    finally:
        state.finish()
        report = state.drift.report()
        print(
            f"audioshake-mock proxy stopped: {report['totalRequests']} requests, "
            f"{len(report['violations'])} distinct violations, "
            f"{len(report['undocumented'])} undocumented fields"
            + (f"; report in {config.report}" if config.report else ""),
            flush=True,
        )
    return 0
