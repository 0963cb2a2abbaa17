"""conftest.py of bench/startup.py's fixture project: the setup and teardown durations
pytest reports for each test, written as JSON to $BENCH_FIXTURE_TIMES at the end."""

from __future__ import annotations

import json
import os
from typing import Any

_times: dict[str, dict[str, float]] = {}


def pytest_runtest_logreport(report: Any) -> None:
    if report.when in ("setup", "teardown"):
        _times.setdefault(report.nodeid, {})[report.when] = report.duration


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    with open(os.environ["BENCH_FIXTURE_TIMES"], "w") as fh:
        json.dump(_times, fh)
