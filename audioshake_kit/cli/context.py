"""What every ``audioshake`` command shares: exit codes and the client it talks through.

``main.py`` and ``batch.py`` both import this module (and nothing of each other), so
tests replace ``CLIENT_FACTORY`` here once for every command.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..client import AudioShake

__all__ = [
    "API_KEY_ENV",
    "CLIENT_FACTORY",
    "NO_API_KEY",
    "ExitCode",
    "make_client",
    "make_offline_client",
]

API_KEY_ENV = "AUDIOSHAKE_API_KEY"
NO_API_KEY = f"no API key: pass --api-key or set the {API_KEY_ENV} environment variable"
"""The CLI's words for a missing key (the facade's name ``api_key=``, for Python)."""


class ExitCode(IntEnum):
    """The command's exit status."""

    OK = 0
    TARGET_FAILED = 1
    USAGE = 2
    API = 3
    TIMEOUT = 4
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT (128 + 2)


def _audioshake(*args: Any, **kwargs: Any) -> AudioShake:
    from ..client import AudioShake  # loaded by the command that needs it, not by --help

    return AudioShake(*args, **kwargs)


CLIENT_FACTORY: Callable[..., AudioShake] = _audioshake
"""Makes the client (``api_key``, ``base_url=``); tests replace it."""


def make_client(api_key: str | None, base_url: str | None) -> AudioShake:
    """The client for a command that calls the API (a missing key told in the CLI's
    words: ``NO_API_KEY``)."""
    try:
        return CLIENT_FACTORY(api_key, base_url=base_url)
    except ConfigurationError as exc:
        if exc.setting == "api_key":
            raise ConfigurationError(NO_API_KEY, setting="api_key") from None
        raise


def make_offline_client(api_key: str | None, base_url: str | None) -> AudioShake:
    """The client for a command that sends nothing (estimate, a dry run): no key needed."""
    return CLIENT_FACTORY(api_key or os.environ.get(API_KEY_ENV) or "-", base_url=base_url)
