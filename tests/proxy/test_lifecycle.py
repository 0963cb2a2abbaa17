"""The proxy in front of the served mock: a whole lifecycle through it (the facade's
upload, create, poll, download; a 404; 429s) finds no drift, and the cassette it records
holds no secret and replays with VCR.py and with pytest-recording against the facade,
with the proxy and the mock gone."""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import vcr
import yaml

from audioshake_kit import AudioShake
from audioshake_kit.errors import NotFoundError
from mock_server.proxy.fixtures import seed_tenant, write_fixtures
from mock_server.synth import synth_media
from tests.e2e.conftest import MockProcess

from .conftest import ProxyProcess

pytestmark = pytest.mark.slow

KEY = "proxy-lifecycle-key-7f3a9c"
BURST_KEY = "proxy-burst-key-51d2e8"
START = 1_780_000_000.0


@dataclass
class Recording:
    proxy_url: str
    cassette: Path
    record_dir: Path
    report: dict[str, object]
    song: Path
    marks: list[str] = field(default_factory=list)  # X-Spec-Violations of every answer
    statuses: list[int] = field(default_factory=list)
    downloads: dict[str, bytes] = field(default_factory=dict)
    signatures: set[str] = field(default_factory=set)  # signed-link secrets the client saw
    burst: list[int] = field(default_factory=list)
    stderr: str = ""


class PinnedClock:
    """The facade's clock; ``sleep`` moves it (and, while recording, the mock's clock)."""

    def __init__(self, mock: MockProcess | None = None) -> None:
        self.t = START
        self.mock = mock

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        if self.mock is not None:
            self.mock.advance(seconds)


def _watch(rec: Recording) -> httpx.Client:
    def on_response(response: httpx.Response) -> None:
        rec.marks.append(response.headers.get("x-spec-violations", "absent"))
        rec.statuses.append(response.status_code)
        for name, value in parse_qsl(urlsplit(str(response.request.url)).query):
            if name == "sig":
                rec.signatures.add(value)

    return httpx.Client(event_hooks={"response": [on_response]}, timeout=30)


@pytest.fixture(scope="module")
def recording(mock: MockProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    tmp = tmp_path_factory.mktemp("proxy-life")
    song = synth_media(tmp / "song.wav", 3.0, "wav", seed=3)
    record_dir, report = tmp / "rec", tmp / "report.json"
    proxy = ProxyProcess(
        mock.base_url,
        "--record",
        str(record_dir),
        "--cassette",
        "lifecycle",
        "--report",
        str(report),
    )
    rec = Recording(proxy.url, record_dir / "lifecycle.yaml", record_dir, {}, song)
    try:
        clock = PinnedClock(mock)
        with (
            _watch(rec) as http,
            AudioShake(
                KEY,
                base_url=proxy.url,
                http_client=http,
                clock=clock.now,
                sleep=clock.sleep,
                rng=random.Random(0),
            ) as client,
        ):
            result = client.separate(song, ["vocals", "drums"], tmp / "out")
            rec.downloads = {p.name: p.read_bytes() for p in result.files}
            with pytest.raises(NotFoundError):
                client.get_task("no-such-task")
        assert mock.admin.put("/_mock/rate-limit", json={"limit": 2}).status_code == 200
        try:
            with _watch(rec) as http:
                for _ in range(4):
                    r = http.get(f"{proxy.url}/models", headers={"x-api-key": BURST_KEY})
                    rec.burst.append(r.status_code)
        finally:
            mock.admin.put("/_mock/rate-limit", json={"limit": "off"})
        assert proxy.stop() == 0
        rec.report = json.loads(report.read_text())
        rec.stderr = "".join(proxy.stderr)
        yield rec
    finally:
        proxy.close()


def test_a_whole_lifecycle_breaks_no_rule_of_the_spec(recording: Recording) -> None:
    report = recording.report
    assert report["violations"] == [], report
    assert report["undocumented"] == [], report
    requests = report["requests"]
    assert isinstance(requests, dict)
    assert requests["uploadAsset"] == 1 and requests["createTask"] == 1
    assert requests["getTask"] >= 3  # polls, then the 404
    assert requests["download"] == 2 and requests["listModels"] == 4
    assert report["totalRequests"] == sum(requests.values())
    assert recording.burst[:2] == [200, 200] and 429 in recording.burst
    assert 404 in recording.statuses and 429 in recording.statuses
    assert recording.marks and set(recording.marks) == {"0"}
    assert "drift:" not in recording.stderr


def test_the_cassette_holds_no_secret(recording: Recording) -> None:
    assert recording.signatures, "the client fetched no signed link"
    files = [p for p in recording.record_dir.rglob("*") if p.is_file()]
    assert files == [recording.cassette]  # media not kept without --record-media
    text = recording.cassette.read_text()
    assert KEY not in text and BURST_KEY not in text
    for sig in recording.signatures:
        assert sig not in text
    data = yaml.safe_load(text)
    api_calls = [i for i in data["interactions"] if "/_proxy/link/" not in i["request"]["uri"]]
    assert api_calls
    for interaction in api_calls:
        assert interaction["request"]["headers"]["x-api-key"] == ["REDACTED"]


def test_media_is_a_placeholder_naming_its_size_and_hash(recording: Recording) -> None:
    data = yaml.safe_load(recording.cassette.read_text())
    bodies = [i["response"]["body"]["string"] for i in data["interactions"]]
    for name, content in recording.downloads.items():
        digest = hashlib.sha256(content).hexdigest()
        expected = f"<media {len(content)} bytes, sha256 {digest}, not recorded>"
        assert expected in bodies, name
    upload = next(
        i
        for i in data["interactions"]
        if i["request"]["method"] == "POST" and i["request"]["uri"].endswith("/assets")
    )
    size = recording.song.stat().st_size
    assert re.fullmatch(
        r"<media (\d+) bytes, sha256 [0-9a-f]{64}, not recorded>", upload["request"]["body"]
    )
    assert int(upload["request"]["body"].split()[1]) > size  # the multipart envelope around it


def _replay(recording: Recording, out: Path) -> tuple[list[Path], list[int]]:
    clock = PinnedClock()
    with AudioShake(
        "any-key",
        base_url=recording.proxy_url,
        clock=clock.now,
        sleep=clock.sleep,
        rng=random.Random(0),
    ) as client:
        result = client.separate(recording.song, ["vocals", "drums"], out)
        with pytest.raises(NotFoundError):
            client.get_task("no-such-task")
    with httpx.Client() as http:
        burst = [http.get(f"{recording.proxy_url}/models").status_code for _ in range(4)]
    return list(result.files), burst


def test_the_cassette_replays_with_vcrpy_deterministically(
    recording: Recording, tmp_path: Path
) -> None:
    for attempt in range(2):  # twice: the same answers in the same order
        with vcr.VCR(record_mode="none").use_cassette(str(recording.cassette)) as cassette:
            files, burst = _replay(recording, tmp_path / f"out{attempt}")
            assert cassette.all_played
        assert burst == recording.burst
        assert sorted(p.name for p in files) == sorted(recording.downloads)
        for path in files:
            digest = hashlib.sha256(recording.downloads[path.name]).hexdigest()
            assert digest in path.read_text()  # the placeholder, not the audio


REPLAY_TEST = """
import random
import httpx
import pytest
from audioshake_kit import AudioShake
from audioshake_kit.errors import NotFoundError

@pytest.mark.vcr
def test_replay(tmp_path):
    t = [{start}]
    def sleep(s):
        t[0] += s
    with AudioShake("k", base_url={url!r}, clock=lambda: t[0], sleep=sleep,
                    rng=random.Random(0)) as client:
        result = client.separate({song!r}, ["vocals", "drums"], tmp_path)
        with pytest.raises(NotFoundError):
            client.get_task("no-such-task")
    assert sorted(p.name for p in result.files) == {names!r}
    with httpx.Client() as http:
        assert [http.get({url!r} + "/models").status_code for _ in range(4)] == {burst!r}
"""


def test_the_cassette_replays_with_pytest_recording(recording: Recording, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "cassettes" / "test_recorded").mkdir(parents=True)
    (project / "cassettes" / "test_recorded" / "test_replay.yaml").write_text(
        recording.cassette.read_text()
    )
    (project / "test_recorded.py").write_text(
        REPLAY_TEST.format(
            start=START,
            url=recording.proxy_url,
            song=str(recording.song),
            names=sorted(recording.downloads),
            burst=recording.burst,
        )
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--record-mode=none",
            "--block-network",
            "test_recorded.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout


def test_the_recording_seeds_a_mock_tenant(recording: Recording, audioshake_mock: Any) -> None:
    result = seed_tenant(audioshake_mock.admin, "replayed-key", recording.cassette)
    assert len(result.assets) == 1 and len(result.tasks) == 1
    assert list(result.statuses.values()) == [["completed", "completed"]]
    [task] = audioshake_mock.admin.tasks("replayed-key")
    assert [t["duration"] for t in task["targets"]] == pytest.approx([3.0, 3.0])  # the song's


def test_the_recording_becomes_fixtures(recording: Recording, tmp_path: Path) -> None:
    written = write_fixtures(recording.cassette, tmp_path)
    names = [p.name.split("-", 1)[1] for p in written]
    assert names[:2] == ["uploadAsset-200.json", "createTask-200.json"]
    assert "getTask-404.json" in names and "listModels-429.json" in names
    assert names.count("listModels-200.json") == recording.burst.count(200)
