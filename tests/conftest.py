"""Shared test set-up: the mock's pytest fixtures (``audioshake_mock``,
``audioshake_mock_server``), loaded here when the installed package does not already
register them through its ``pytest11`` entry point."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

_PLUGIN = "mock_server.pytest_plugin"
_autoloaded = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and any(
    ep.value == _PLUGIN for ep in entry_points(group="pytest11")
)
pytest_plugins = [] if _autoloaded else [_PLUGIN]
