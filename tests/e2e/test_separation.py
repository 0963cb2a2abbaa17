"""A full separation against ``audioshake-mock serve``: by the ``audioshake`` CLI in a
subprocess, and by the facade over a real socket, every answer checked against the spec."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from audioshake_client.models import Task

from audioshake_kit import AudioShake
from tests.support.responses import ResponseLog

from .conftest import BIN, MockProcess

pytestmark = pytest.mark.slow

CLI_TIMEOUT_S = 120


def test_the_cli_separates_a_song(real_mock: MockProcess, song: Path, tmp_path: Path) -> None:
    key = "e2e-cli"
    env = {**os.environ, "AUDIOSHAKE_BASE_URL": real_mock.base_url, "AUDIOSHAKE_API_KEY": key}
    args = ["separate", str(song), "-t", "vocals", "-t", "drums:mp3,wav", "-o", str(tmp_path)]
    done = subprocess.run(
        [str(BIN / "audioshake"), *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    task = Task.from_dict(out["task"])
    assert [t.model for t in task.targets] == ["vocals", "drums"]
    assert {s["model"] for s in out["succeeded"]} == {"vocals", "drums"} and not out["failed"]
    files = sorted(Path(f).name for f in out["files"])
    assert files == ["drums.mp3", "drums.wav", "vocals.wav"]
    assert all(Path(f).stat().st_size > 1000 for f in out["files"])
    assert Path(out["files"][0]).parent == tmp_path / song.stem
    # what was charged is what was estimated, and the ledger says so too
    assert out["cost"] == out["estimate"]["total"] == 2.0
    charges = [e for e in real_mock.ledger(key) if e["kind"] == "charge"]
    assert sum(e["credits"] for e in charges) == out["cost"]

    listed = subprocess.run(
        [str(BIN / "audioshake"), "tasks", "get", task.id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    assert listed.returncode == 0, listed.stderr
    assert Task.from_dict(json.loads(listed.stdout)).completed_at == task.completed_at


def test_the_facade_separates_over_a_socket(
    real_mock: MockProcess, song: Path, tmp_path: Path
) -> None:
    log = ResponseLog()
    with AudioShake("e2e-facade", base_url=real_mock.base_url) as shake:
        shake._http.event_hooks["response"].append(log.hook)
        models = {m.id for m in shake.models()}
        assert {"vocals", "instrumental"} <= models
        targets = ["vocals", "instrumental@high_quality:flac+residual"]
        estimate = shake.estimate(song, targets)
        result = shake.separate(song, targets, tmp_path, timeout=60)
        assert result.all_succeeded
        assert sorted(p.name for p in result.files) == [
            "instrumental_high_quality.flac",
            "instrumental_high_quality_residual.flac",
            "vocals.wav",
        ]
        assert result.cost == estimate.total == 2.5
        assert [s.total_targets for s in shake.usage()] == [2]
    # Every JSON answer on the wire matched the spec and the generated models.
    assert log.check_all() >= 5
