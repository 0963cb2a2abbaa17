"""Helpers shared by the batch tests."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audioshake_kit.batch import BatchReport
from mock_server.harness import MockHandle
from mock_server.synth import synth_media

TARGETS = ["vocals", "drums:wav,mp3"]
OUTPUTS = ["vocals.wav", "drums.wav", "drums.mp3"]


def make_songs(folder: Path, names: Iterable[str], seconds: float = 1.0) -> Path:
    """Short real WAVs (8 kHz mono, so they are small) at ``folder/<name>``."""
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        synth_media(path, seconds, "wav", seed=i + 1, channels=1, sample_rate=8000)
    return folder


def ledger(mock: MockHandle, kind: str) -> list[dict[str, Any]]:
    return [e for e in mock.admin.ledger() if e["kind"] == kind]


def tasks(mock: MockHandle) -> list[dict[str, Any]]:
    """Every task of the test key, through the public API (newest first)."""
    found: list[dict[str, Any]] = []
    while True:
        page = mock.client.get("/tasks", params={"skip": len(found), "take": 100}).json()
        found += page
        if len(page) < 100:
            return found


def calls(mock: MockHandle, method: str, path: str) -> list[dict[str, Any]]:
    """Journal entries of one route (``path`` may end in ``*``)."""
    prefix = path.rstrip("*")
    return [
        r
        for r in mock.admin.requests()
        if r["method"] == method
        and (r["path"].startswith(prefix) if path.endswith("*") else r["path"] == path)
    ]


def assert_exactly_once(mock: MockHandle, report: BatchReport, n_targets: int = 2) -> None:
    """One task per processed file (no two with one token), one reserve and one
    settlement per target of each, and every output on disk as recorded."""
    done = [f for f in report.files if f.task_id]
    listed = tasks(mock)
    assert len(listed) == len(done), [t["metadata"] for t in listed]
    assert {t["id"] for t in listed} == {f.task_id for f in done}
    assert len({t["metadata"] for t in listed}) == len(listed)
    reserves = Counter(e["task_id"] for e in ledger(mock, "reserve"))
    assert reserves == dict.fromkeys(reserves, n_targets)
    assert set(reserves) == {f.task_id for f in done}
    settled = Counter(e["task_id"] for e in ledger(mock, "charge") + ledger(mock, "release"))
    assert settled == reserves
    out = Path(report.out_dir)
    for f in report.files:
        for rec in f.outputs:
            data = (out / rec.path).read_bytes()
            assert len(data) == rec.size
            assert hashlib.sha256(data).hexdigest() == rec.sha256
    assert not list(out.rglob("*.part"))


def statuses(report: BatchReport) -> dict[str, str]:
    return {f.path: f.status for f in report.files}
