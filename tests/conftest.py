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


# -- xdist groups -----------------------------------------------------------------------
import pytest  # noqa: E402


class _LoadGroupIds:
    """``--dist loadgroup`` groups by a ``@group`` suffix that each xdist worker appends
    to the node ids it reports. pytest-xdist 3.8 writes it to ``item._nodeid``, which
    pytest 9.2's structured node ids no longer read, so ``xdist_group`` marks are
    silently ignored (pytest-dev/pytest-xdist#1386): the installed wheel's venvs were
    built on both workers, and two wheels built from the checkout at once shared its
    ``build/``. Until xdist writes it where pytest reads it, this does so (a no-op once
    the suffix is there)."""

    @pytest.hookimpl(trylast=True)  # after every hook that adds a group mark
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not config.getoption("loadgroup", default=False):
            return
        try:
            from _pytest.nodeid import NodeId  # pytest >= 9.2
        except ImportError:  # older pytest reads _nodeid, where xdist writes
            return
        for item in items:
            names = sorted(
                {
                    str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                    for m in item.iter_markers("xdist_group")
                }
            )
            if names and "@" not in item.nodeid.rpartition("]")[2]:
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_LoadGroupIds(), "tests-loadgroup-ids")
