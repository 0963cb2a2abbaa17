"""Seeding a served mock from a recording: ``audioshake-mock serve --seed-from CASSETTE``
and ``POST /_mock/seed?key=KEY`` (the cassette's YAML as the body). The cassette is
recorded here through the proxy in front of a served mock: one task whose drums target
fails with a chosen code (a fault rule), one left processing. Every check reads the
seeded mock through the public API, as the user replaying a production bug would."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from audioshake_kit.domain.spec import data_text
from mock_server.logs import key_hash
from mock_server.synth import synth_media
from tests.e2e.conftest import BIN, MockProcess
from tests.support.processes import STARTUP_S, STOP_S

from .conftest import ProxyProcess

pytestmark = pytest.mark.slow

RECORD_KEY = "seed-record-key-3b71"
SERVE_KEY = "seed-serve-key-9c20"
ROUTE_KEY = "seed-route-key-4e85"
CODE, MESSAGE = 4003, "no audio in the recorded upload"
SEEDED = re.compile(r"^  task (\S+) -> (\S+) \(([a-z, ]+)\)$")


@dataclass(frozen=True)
class Recording:
    cassette: Path
    ended: str  # recorded id of the task with a completed and an error target
    running: str  # recorded id of the task still processing at the end
    duration: float  # the recorded duration of the completed target


def _check(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def recording(mock: MockProcess, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """Upload, a task (vocals completes, drums fails with CODE), a second task left
    processing, recorded through the proxy in front of the module's served mock."""
    tmp = tmp_path_factory.mktemp("seed-rec")
    song = synth_media(tmp / "song.wav", 2.0, "wav", seed=5)
    rule = _check(
        mock.admin.post(
            "/_mock/faults",
            json={"model": "drums", "code": CODE, "message": MESSAGE, "key": RECORD_KEY},
        )
    )
    proxy = ProxyProcess(mock.base_url, "--record", str(tmp / "rec"), "--cassette", "bug")
    try:
        with httpx.Client(base_url=proxy.url, headers={"x-api-key": RECORD_KEY}, timeout=30) as api:
            asset = _check(api.post("/assets", files={"file": ("song.wav", song.read_bytes())}))
            targets = [
                {"model": "vocals", "formats": ["wav"]},
                {"model": "drums", "formats": ["wav"]},
            ]
            ended = _check(api.post("/tasks", json={"assetId": asset["id"], "targets": targets}))
            mock.advance(3600)
            seen = _check(api.get(f"/tasks/{ended['id']}"))
            assert [t["status"] for t in seen["targets"]] == ["completed", "error"]
            running = _check(
                api.post("/tasks", json={"assetId": asset["id"], "targets": targets[:1]})
            )
            _check(api.get(f"/tasks/{running['id']}"))
        assert proxy.stop() == 0
    finally:
        proxy.close()
        mock.admin.delete("/_mock/faults")
    assert rule["code"] == CODE
    return Recording(
        tmp / "rec" / "bug.yaml", ended["id"], running["id"], seen["targets"][0]["duration"]
    )


def _wait_stderr(process: MockProcess, pattern: str) -> list[str]:
    """The stderr lines once one matches ``pattern`` (the pumps may lag stdout)."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        lines = [line.rstrip("\n") for line in process.stderr]
        if any(re.search(pattern, line) for line in lines):
            return lines
        time.sleep(0.01)
    raise AssertionError(f"no {pattern!r} on stderr: {process.stderr}")


def _public(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"x-api-key": key}, timeout=30)


def _assert_replayed(base_url: str, key: str, rec: Recording, tasks: dict[str, str]) -> None:
    """The seeded tasks read through the public API in their recorded state."""
    with _public(base_url, key) as api:
        ended = _check(api.get(f"/tasks/{tasks[rec.ended]}"))
        running = _check(api.get(f"/tasks/{tasks[rec.running]}"))
    vocals, drums = ended["targets"]
    assert (vocals["status"], drums["status"]) == ("completed", "error")
    assert drums["error"] == {"code": CODE, "message": MESSAGE}
    assert vocals["duration"] == pytest.approx(rec.duration)
    assert [t["status"] for t in running["targets"]] == ["processing"]


@pytest.fixture(scope="module")
def seeded(recording: Recording) -> Iterator[MockProcess]:
    """``serve --seed-from`` with fixed keys; ``--seed-key`` left to its default."""
    process = MockProcess(
        "--clock",
        "manual",
        "--api-key",
        SERVE_KEY,
        "--api-key",
        ROUTE_KEY,
        "--seed-from",
        str(recording.cassette),
    )
    yield process
    process.close()


def test_serve_seeds_the_first_key_with_the_recorded_statuses(
    seeded: MockProcess, recording: Recording
) -> None:
    lines = _wait_stderr(seeded, r"^  task ")
    summary = f"seeded key={key_hash(SERVE_KEY)} from {recording.cassette}: 1 asset(s), 2 task(s)"
    assert summary in lines
    assert not any(SERVE_KEY in line for line in lines)  # the key itself stays off stderr
    found = {m.group(1): (m.group(2), m.group(3)) for line in lines if (m := SEEDED.match(line))}
    assert found[recording.ended][1] == "completed, error"
    assert found[recording.running][1] == "processing"
    assert found[recording.ended][0] != recording.ended  # ids are the mock's own
    _assert_replayed(seeded.base_url, SERVE_KEY, recording, {k: v[0] for k, v in found.items()})
    with _public(seeded.base_url, ROUTE_KEY) as other:  # the other key stays empty
        assert _check(other.get("/tasks")) == []


def admin_schema(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(data_text("mock-admin.yaml"))
    return {**spec["components"]["schemas"][name], "components": spec["components"]}


def test_the_admin_route_seeds_a_key_from_the_posted_cassette(
    seeded: MockProcess, recording: Recording
) -> None:
    rule = _check(seeded.admin.post("/_mock/faults", json={"model": "*", "key": ROUTE_KEY}))
    try:
        r = seeded.admin.post(
            "/_mock/seed", params={"key": ROUTE_KEY}, content=recording.cassette.read_bytes()
        )
        body = _check(r)
        # a rule in force neither fails the recorded completions nor is lost
        after = _check(seeded.admin.get("/_mock/faults"))
        assert [{**r, "id": 0} for r in after] == [{**rule, "id": 0}]
    finally:
        seeded.admin.delete("/_mock/faults")
    jsonschema.validate(body, admin_schema("SeedResult"))
    assert body["key"] == ROUTE_KEY
    assert body["statuses"] == {
        recording.ended: ["completed", "error"],
        recording.running: ["processing"],
    }
    assert len(body["assets"]) == 1
    _assert_replayed(seeded.base_url, ROUTE_KEY, recording, body["tasks"])


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"interactions: [\n", "not a readable cassette"),
        (b"just: text\n", "not a VCR.py cassette (no 'interactions' list)"),
        (b"interactions: [1]\n", "interaction 0 is not a VCR.py exchange"),
        (b"", "the cassette's YAML text is required"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_a_bad_cassette_is_a_400_naming_the_problem(
    seeded: MockProcess, body: bytes, problem: str
) -> None:
    error = _check(seeded.admin.post("/_mock/seed", params={"key": ROUTE_KEY}, content=body), 400)
    assert problem in error["message"]


def test_the_route_refuses_an_unknown_or_missing_key(
    seeded: MockProcess, recording: Recording
) -> None:
    text = recording.cassette.read_bytes()
    error = _check(seeded.admin.post("/_mock/seed", params={"key": "stranger"}, content=text), 400)
    assert "key 'stranger': this mock does not accept it" in error["message"]
    error = _check(seeded.admin.post("/_mock/seed", content=text), 400)
    assert "the query parameter key" in error["message"]


def _with_unknown_model(recording: Recording) -> str:
    """The recording, its last answer (the processing task) asking for a model the
    mock lacks."""
    data = yaml.safe_load(recording.cassette.read_text())
    body = data["interactions"][-1]["response"]["body"]
    task = json.loads(body["string"])
    assert task["id"] == recording.running
    task["targets"][0]["model"] = "kazoo"
    body["string"] = json.dumps(task)
    return str(yaml.safe_dump(data))


def test_a_recording_the_mock_cannot_rebuild_seeds_nothing(
    mock: MockProcess, recording: Recording
) -> None:
    key = "seed-nothing-key-1f0c"
    text = _with_unknown_model(recording)
    assert text != recording.cassette.read_text()
    error = _check(mock.admin.post("/_mock/seed", params={"key": key}, content=text), 400)
    assert "unknown model 'kazoo'" in error["message"]
    assert _check(mock.admin.get("/_mock/assets", params={"key": key})) == []
    assert _check(mock.admin.get("/_mock/tasks", params={"key": key})) == []


# -- serve: what stops it, before it serves ----------------------------------------------


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "audioshake-mock"), "serve", *args],
        capture_output=True,
        text=True,
        timeout=STARTUP_S + STOP_S,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port this test holds: a serve that reaches its bind fails on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "not a readable cassette: [Errno 2] No such file or directory"),
        ("interactions: [\n", "not a readable cassette"),
        ("version: 1\n", "not a VCR.py cassette (no 'interactions' list)"),
        ("interactions:\n- request: {}\n", "interaction 0 is not a VCR.py exchange"),
    ],
)
def test_a_bad_cassette_stops_serve_before_it_binds(
    tmp_path: Path, taken_port: int, content: str | None, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content)
    out = _serve("--port", str(taken_port), "--api-key", SERVE_KEY, "--seed-from", str(path))
    assert out.returncode == 2, out.stderr
    assert f"error: --seed-from: {path}: {problem}" in out.stderr
    assert "serving on" not in out.stdout


def test_a_cassette_the_mock_cannot_rebuild_stops_serve(
    tmp_path: Path, recording: Recording
) -> None:
    path = tmp_path / "kazoo.yaml"
    path.write_text(_with_unknown_model(recording))
    out = _serve("--port", "0", "--api-key", SERVE_KEY, "--seed-from", str(path))
    assert out.returncode == 2, out.stderr
    assert f"error: --seed-from: {path}: task {recording.running}: unknown model 'kazoo'" in (
        out.stderr
    )
    assert "serving on" not in out.stdout


def test_serve_needs_a_key_to_seed_that_it_accepts(recording: Recording) -> None:
    cassette = str(recording.cassette)
    out = _serve("--port", "0", "--seed-from", cassette)
    assert out.returncode == 2 and "required with --seed-from when no --api-key" in out.stderr
    out = _serve(
        "--port", "0", "--api-key", SERVE_KEY, "--seed-key", "other", "--seed-from", cassette
    )
    assert out.returncode == 2
    assert "error: --seed-key 'other' is not one of the --api-key keys" in out.stderr
    out = _serve("--port", "0", "--seed-key", SERVE_KEY)
    assert out.returncode == 2 and "needs --seed-from CASSETTE" in out.stderr


def test_serve_seeds_any_key_when_keys_are_open(recording: Recording) -> None:
    process = MockProcess(
        "--clock", "manual", "--seed-key", "open-key", "--seed-from", str(recording.cassette)
    )
    try:
        lines = _wait_stderr(process, r"^  task ")
        found = {m.group(1): m.group(2) for line in lines if (m := SEEDED.match(line))}
        _assert_replayed(process.base_url, "open-key", recording, found)
    finally:
        process.close()


def test_a_posted_cassette_never_reads_the_files_it_names(
    mock: MockProcess, recording: Recording, tmp_path: Path
) -> None:
    """Media placeholders naming a file (as ``--record-media`` writes them) are
    synthesised when the cassette comes as text: a request cannot read the server's files."""
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF not for the client")
    data = yaml.safe_load(recording.cassette.read_text())
    upload = data["interactions"][0]["request"]
    assert upload["body"].startswith("<media ")
    upload["body"] = f"<media 23 bytes, sha256 {'0' * 64}, file {secret}>"
    key = "seed-secret-key-77aa"
    body = _check(mock.admin.post("/_mock/seed", params={"key": key}, content=yaml.safe_dump(data)))
    [asset] = _check(mock.admin.get("/_mock/assets", params={"key": key}))
    assert asset["id"] == next(iter(body["assets"].values()))
    assert asset["size"] > 1000  # synthesised audio, not the 23 bytes of the file named


def test_a_cassette_above_the_limit_is_a_413(
    audioshake_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock_server.admin import routes

    monkeypatch.setattr(routes, "SEED_LIMIT", 64)
    r = audioshake_mock.client.post("/_mock/seed", params={"key": "k"}, content=b"#" * 65)
    assert r.status_code == 413, r.text
    assert "a cassette above 64 bytes; serve --seed-from FILE takes any" in r.json()["message"]
    r = audioshake_mock.client.post("/_mock/seed", params={"key": "k"}, content=b"#" * 64)
    assert r.status_code == 400 and "no 'interactions' list" in r.json()["message"]


def test_serve_seeds_under_the_real_clock(recording: Recording) -> None:
    """The seed moves a real clock too (ahead of the wall); the ended task is as
    recorded. A target recorded as processing goes on in wall time there, so it is not
    checked: the docs say to seed under --clock manual."""
    process = MockProcess("--api-key", SERVE_KEY, "--seed-from", str(recording.cassette))
    try:
        lines = _wait_stderr(process, r"^  task ")
        found = {m.group(1): m.group(2) for line in lines if (m := SEEDED.match(line))}
        with _public(process.base_url, SERVE_KEY) as api:
            ended = _check(api.get(f"/tasks/{found[recording.ended]}"))
        assert _check(process.admin.get("/_mock/clock"))["mode"] == "real"
        assert [t["status"] for t in ended["targets"]] == ["completed", "error"]
        assert ended["targets"][1]["error"] == {"code": CODE, "message": MESSAGE}
    finally:
        process.close()
