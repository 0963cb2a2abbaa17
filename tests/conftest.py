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

# -- test profiles ---------------------------------------------------------------------
# AUDIOSHAKE_TEST_PROFILE=deep (make test-deep) loads the "deep" Hypothesis profile: many
# more examples for every property-based test that does not set its own count. The layers
# that do (tests/property, tests/contract) read the same variable; see tests/README.md.
from hypothesis import HealthCheck, settings  # noqa: E402

PROFILE = os.environ.get("AUDIOSHAKE_TEST_PROFILE", "default")
settings.register_profile(
    "deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if PROFILE == "deep":
    settings.load_profile("deep")
