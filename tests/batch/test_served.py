"""``audioshake batch`` as a subprocess against ``audioshake-mock serve`` on a socket:
killed with SIGKILL at random points, then run to completion (no duplicate task, one
charge per target, every output); and paced under the mock's 60/s (no 429)."""

from __future__ import annotations

import json
import random
import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .helpers import OUTPUTS, make_songs
from .served import Journal, batch_cmd, cli_env, files_under, serve_mock, wait_until

pytestmark = pytest.mark.slow

MAX_KILLS = 12
KILL_BUDGET_S = 35.0


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    # 60/s per key (the default); a processing clock 100 times faster than wall time
    with serve_mock("--clock", "real", "--speed", "100") as base:
        yield base


@pytest.fixture
def key() -> str:
    return f"batch-{secrets.token_hex(4)}"


@pytest.fixture
def http(url: str, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=10) as client:
        yield client


def all_tasks(http: httpx.Client) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    while True:
        page = http.get("/tasks", params={"skip": len(found), "take": 100}).json()
        found += page
        if len(page) < 100:
            return found


def kill_point(rng: random.Random, journal: Journal, out: Path) -> Callable[[], bool]:
    """A random point ahead: some more requests at the mock, or some more output files
    (``.part`` included) on disk."""
    if rng.random() < 0.8:
        goal = len(journal.refresh()) + rng.randint(1, 3)
        return lambda: len(journal.refresh()) >= goal
    more = files_under(out) + rng.randint(1, 3)
    return lambda: files_under(out) >= more


def kill_when(proc: subprocess.Popen[bytes], point: Callable[[], bool], budget: float) -> bool:
    """SIGKILL ``proc`` at ``point``; False when it ended by itself first."""
    wait_until(lambda: proc.poll() is not None or point(), budget)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return True


def test_killed_at_random_points_it_finishes_exactly_once(
    url: str, key: str, http: httpx.Client, tmp_path: Path
) -> None:
    names = [f"s{i:02d}.wav" for i in range(14)] + ["sub/t.wav", "sub/u.wav"]
    songs = make_songs(tmp_path / "in", names)
    out = tmp_path / "out"
    cmd = batch_cmd(songs, "-t", "vocals", "-t", "drums:wav,mp3", "-o", out, "-r", "--json")
    env = cli_env(url, key)
    journal = Journal(http, key)
    rng = random.Random(7)
    kills, budget = 0, time.monotonic() + KILL_BUDGET_S
    while kills < MAX_KILLS and time.monotonic() < budget:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not kill_when(proc, kill_point(rng, journal, out), budget):
            break  # it finished before the kill point
        kills += 1
    print(f"{kills} kills")
    assert kills >= 3, "the batch finished too early to be killed"

    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["counts"] == {"done": len(names)}

    tasks = all_tasks(http)
    assert len(tasks) == len(names), f"{len(tasks)} tasks for {len(names)} files"
    assert len({t["metadata"] for t in tasks}) == len(names)
    assert {t["id"] for t in tasks} == {f["task_id"] for f in report["files"]}
    ledger = http.get("/_mock/ledger", params={"key": key}).json()
    charges = Counter((e["task_id"], e["model"]) for e in ledger if e["kind"] == "charge")
    assert len(charges) == 2 * len(names) and set(charges.values()) == {1}
    reserves = Counter(e["task_id"] for e in ledger if e["kind"] == "reserve")
    assert set(reserves.values()) == {2}
    for name in names:
        folder = out / Path(name).with_suffix("")
        assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUTS), folder
    assert not list(out.rglob("*.part"))


def test_a_batch_at_the_limit_never_sees_a_429(
    url: str, key: str, http: httpx.Client, tmp_path: Path
) -> None:
    songs = make_songs(tmp_path / "in", [f"s{i:02d}.wav" for i in range(90)], seconds=0.5)
    cmd = batch_cmd(songs, "-t", "vocals", "-o", tmp_path / "out", "--concurrency", "8", "--json")
    done = subprocess.run(cmd, env=cli_env(url, key), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    journal = Journal(http, key).refresh()
    assert [e for e in journal if e["status"] == 429] == []
    assert len(journal) == report["requests"]  # no request was retried behind our back
    assert len(journal) >= 180
