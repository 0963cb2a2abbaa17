"""Statistics from the ledger: ``usage`` per month and ``distribution`` per model count
charged targets and their billed minutes (``totalMinutes`` is a string)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from mock_server.harness import InProcessMock

from .helpers import error, run, target, url_body


def from_ledger(mock: InProcessMock, key: str, name: str) -> list[dict]:
    targets: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    for e in mock.admin.ledger(key):
        if e["kind"] != "charge":
            continue
        group = (
            datetime.fromtimestamp(e["time"], UTC).strftime("%Y-%m")
            if name == "usage"
            else e["model"]
        )
        targets[group] += 1
        minutes[group] += e["minutes"]
    field = "month" if name == "usage" else "model"
    return [
        {field: g, "totalTargets": targets[g], "totalMinutes": str(minutes[g])}
        for g in sorted(targets)
    ]


@pytest.fixture
def history(mock: InProcessMock) -> InProcessMock:
    mock.admin.add_fault(model="drums", code=4001)  # fails before processing: not billed
    run(mock, url_body(200.53, target("bass")))  # January: 4 min
    run(mock, url_body(61, target("vocals"), target("drums")))  # 2 min; drums errors
    mock.admin.set_time("2026-02-10T12:00:00Z")
    run(mock, url_body(30, target("transcription", "json")))  # February: 1 min
    run(mock, url_body(120, target("bass")))  # 2 min
    with mock.new_client("someone-else") as other:
        run(mock, url_body(600, target("piano")), other)
    return mock


def stats(mock: InProcessMock, name: str) -> list[dict]:
    r = mock.client.get("/tasks/statistics", params={"name": name})
    assert r.status_code == 200, r.text
    return sorted(r.json(), key=lambda e: e["month" if name == "usage" else "model"])


def test_usage_is_per_month_from_the_ledger(history: InProcessMock) -> None:
    usage = stats(history, "usage")
    assert usage == [
        {"month": "2026-01", "totalTargets": 2, "totalMinutes": "6"},
        {"month": "2026-02", "totalTargets": 2, "totalMinutes": "3"},
    ]
    assert usage == from_ledger(history, "test-key", "usage")
    assert all(isinstance(e["totalMinutes"], str) for e in usage)


def test_distribution_is_per_model_from_the_ledger(history: InProcessMock) -> None:
    distribution = stats(history, "distribution")
    assert distribution == [
        {"model": "bass", "totalTargets": 2, "totalMinutes": "6"},
        {"model": "transcription", "totalTargets": 1, "totalMinutes": "1"},
        {"model": "vocals", "totalTargets": 1, "totalMinutes": "2"},
    ]  # drums failed before processing: not billed, not counted
    assert distribution == from_ledger(history, "test-key", "distribution")


def test_statistics_are_per_tenant(history: InProcessMock) -> None:
    with history.new_client("someone-else") as other:
        usage = other.get("/tasks/statistics", params={"name": "usage"}).json()
    assert usage == [{"month": "2026-02", "totalTargets": 1, "totalMinutes": "10"}]
    with history.new_client("newcomer") as fresh:
        assert fresh.get("/tasks/statistics", params={"name": "distribution"}).json() == []


def test_processing_targets_are_not_counted_yet(mock: InProcessMock) -> None:
    mock.client.post("/tasks", json=url_body(90, target("vocals")))
    assert stats(mock, "usage") == []
    mock.advance(600)
    assert stats(mock, "usage") == [{"month": "2026-01", "totalTargets": 1, "totalMinutes": "2"}]


def test_unknown_statistics_name_is_400_naming_it(mock: InProcessMock) -> None:
    message = error(mock.client.get("/tasks/statistics", params={"name": "revenue"}), 400)
    assert "name" in message
