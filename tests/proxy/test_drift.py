"""The proxy in front of a deliberately drifting upstream (a small Starlette app): each
drift is logged once with its path and counted, every answer says how many findings it
carried, the report lists them when the proxy stops, ``--strict`` blocks a bad request
before the upstream, and no secret reaches a recorded file."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from mock_server.cli import app
from mock_server.proxy.replay import MediaPersister

from .conftest import ProxyProcess, served

pytestmark = pytest.mark.slow

KEY = "drift-secret-key-0c4b77"
MEDIA = bytes(range(256)) * 64  # 16 KiB "audio"
STATUS = "getTask response: $.targets[0].status: 'failed' is not one of ['processing', 'completed', 'error']"
REQUIRED = "getTask response: $.clientId: 'clientId' is a required property"
WRONG_TYPE = "getTask response: $.targets[0].cost: 'free' is not of type 'number'"
EXTRA = "getTask response: $.surprise: field not described by the spec"
SERVER_ERROR = "listModels response: status: status 500 is not documented (text/plain body; documented: 200, 401, 429)"


@dataclass
class Upstream:
    url: str
    hits: list[str]


def _drifting_app(hits: list[str]) -> Starlette:
    """Answers that break the spec in one known way each."""

    async def get_task(request: Request) -> Response:
        hits.append(f"GET {request.url.path}")
        base = str(request.base_url).rstrip("/")
        if request.path_params["id"].startswith("good"):  # ?status=404: the same bytes
            return JSONResponse(
                {
                    "id": request.path_params["id"],
                    "createdAt": "2026-01-01T00:00:00Z",
                    "clientId": "c",
                    "targets": [],
                },
                int(request.query_params.get("status", "200")),
            )
        return JSONResponse(
            {
                "id": request.path_params["id"],
                "createdAt": "2026-01-01T00:00:00Z",
                # no clientId (required)
                "surprise": True,  # undocumented
                "targets": [
                    {
                        "id": "t1",
                        "model": "vocals",
                        "status": "failed",
                        "formats": ["wav"],
                        "cost": "free",  # wrong type
                        "output": [
                            {
                                "name": "vocals",
                                "format": "wav",
                                "link": f"{base}/files/vocals.wav?expires=9&sig=s3cr3tsig",
                            }
                        ],
                    }
                ],
            }
        )

    async def list_tasks(request: Request) -> Response:
        hits.append("GET /tasks")
        one = {"id": "x", "createdAt": "2026-01-01T00:00:00Z", "clientId": "c", "targets": []}
        return JSONResponse([{**one, "metadata": "m" * 1000}] * 1500)  # about 1.6 MB

    async def models(request: Request) -> Response:
        hits.append("GET /models")
        return PlainTextResponse("upstream exploded", 500)

    async def create(request: Request) -> Response:
        hits.append("POST /tasks")
        body = await request.json()
        hits.append(f"body {len(await request.body())}")
        return JSONResponse(
            {
                "id": "new",
                "createdAt": "2026-01-01T00:00:00Z",
                "clientId": "c",
                "targets": [
                    {
                        "id": "t",
                        "model": body["targets"][0]["model"],
                        "status": "processing",
                        "formats": ["wav"],
                    }
                ],
            }
        )

    async def media(request: Request) -> Response:
        hits.append("GET /files/vocals.wav")
        if request.query_params.get("sig") != "s3cr3tsig":
            return JSONResponse(
                {"statusCode": 403, "error": "Forbidden", "message": "bad sig"}, 403
            )
        return Response(MEDIA, media_type="audio/wav")

    return Starlette(
        routes=[
            Route("/tasks/{id}", get_task),
            Route("/tasks", create, methods=["POST"]),
            Route("/tasks", list_tasks, methods=["GET"]),
            Route("/models", models),
            Route("/files/vocals.wav", media),
        ]
    )


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    hits: list[str] = []
    with served(_drifting_app(hits)) as url:
        yield Upstream(url, hits)


@pytest.fixture
def proxy_run(upstream: Upstream, tmp_path: Path) -> Iterator[Any]:
    started: list[ProxyProcess] = []

    def start(*args: str) -> ProxyProcess:
        proxy = ProxyProcess(upstream.url, *args)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


def test_each_drift_is_reported_once_with_its_path_and_counted(
    proxy_run: Any, tmp_path: Path
) -> None:
    report_file = tmp_path / "drift.json"
    proxy = proxy_run("--report", str(report_file), "--quiet")
    headers = {"x-api-key": KEY}
    with httpx.Client(base_url=proxy.url, headers=headers, timeout=30) as http:
        first = http.get("/tasks/abc")
        second = http.get("/tasks/def")
        error = http.get("/models")
        link = first.json()["targets"][0]["output"][0]["link"]
        download = http.get(link)
    assert first.status_code == 200 and first.headers["x-spec-violations"] == "3"
    assert first.headers["x-spec-undocumented"] == "1"
    assert second.headers["x-spec-violations"] == "3"
    assert error.status_code == 500 and error.text == "upstream exploded"
    assert error.headers["x-spec-violations"] == "1"
    assert link.startswith(f"{proxy.url}/_proxy/link/http/")  # rewritten through the proxy
    assert download.status_code == 200 and download.content == MEDIA
    assert proxy.stop() == 0

    assert sorted(proxy.drift_lines()) == sorted(
        [
            f"drift: {STATUS}",
            f"drift: {REQUIRED}",
            f"drift: {WRONG_TYPE}",
            f"drift: undocumented: {EXTRA}",
            f"drift: {SERVER_ERROR}",
        ]
    )
    report = json.loads(report_file.read_text())
    assert report["requests"] == {"download": 1, "getTask": 2, "listModels": 1}
    found = {(v["path"], v["kind"]): (v["message"], v["count"]) for v in report["violations"]}
    assert found == {
        ("$.targets[*].status", "enum"): (STATUS, 2),
        ("$.clientId", "required"): (REQUIRED, 2),
        ("$.targets[*].cost", "type"): (WRONG_TYPE, 2),
        ("status", "status"): (SERVER_ERROR, 1),
    }
    status = next(v for v in report["violations"] if v["kind"] == "enum")
    assert status["operation"] == "getTask" and status["direction"] == "response"
    assert status["expected"] == ["processing", "completed", "error"]
    assert [(u["path"], u["count"]) for u in report["undocumented"]] == [("$.surprise", 2)]


def test_a_repeated_answer_is_counted_and_marked_each_time(proxy_run: Any, tmp_path: Path) -> None:
    """Answers judged before (the same bytes) are recalled, not skipped: each exchange
    still counts its findings, carries them in its headers and has its links rewritten;
    a changed answer is judged afresh."""
    report_file = tmp_path / "drift.json"
    proxy = proxy_run("--report", str(report_file), "--quiet")
    with httpx.Client(base_url=proxy.url, headers={"x-api-key": KEY}, timeout=30) as http:
        answers = [http.get(path) for path in ("/tasks/good1", "/tasks/abc") * 3]
    assert [r.headers["x-spec-violations"] for r in answers] == ["0", "3"] * 3
    assert [r.headers["x-spec-undocumented"] for r in answers] == ["0", "1"] * 3
    assert len({r.content for r in answers[1::2]}) == 1  # the very same answer
    for r in answers[1::2]:
        assert r.json()["targets"][0]["output"][0]["link"].startswith(f"{proxy.url}/_proxy/")
    assert proxy.stop() == 0
    report = json.loads(report_file.read_text())
    assert report["requests"] == {"getTask": 6}
    assert {v["kind"]: v["count"] for v in report["violations"]} == {
        "enum": 3,
        "required": 3,
        "type": 3,
    }
    assert [(u["path"], u["count"]) for u in report["undocumented"]] == [("$.surprise", 3)]


def test_the_same_bytes_under_another_status_are_judged_afresh(proxy_run: Any) -> None:
    proxy = proxy_run("--quiet")
    with httpx.Client(base_url=proxy.url, headers={"x-api-key": KEY}, timeout=30) as http:
        found = http.get("/tasks/good3")
        gone = http.get("/tasks/good3?status=404")
    assert found.content == gone.content and gone.status_code == 404
    assert found.headers["x-spec-violations"] == "0"
    assert gone.headers["x-spec-violations"] != "0"  # a task is not an error body


def test_the_access_log_has_a_line_per_request_and_no_key(proxy_run: Any) -> None:
    proxy = proxy_run("--log-format", "json")
    with httpx.Client(base_url=proxy.url, headers={"x-api-key": KEY}, timeout=30) as http:
        http.get("/tasks/good2?take=5")
        http.get("/models")
    assert proxy.stop() == 0
    lines = [json.loads(x) for x in proxy.stderr if x.startswith("{")]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", "/tasks/good2?take=***", 200),
        ("GET", "/models", 500),
    ]
    assert {x["key"] for x in lines} == {hashlib.sha256(KEY.encode()).hexdigest()[:8]}
    assert all(KEY not in line for line in proxy.stderr)


def test_keep_links_leaves_links_alone(proxy_run: Any, upstream: Upstream, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proxy = proxy_run("--keep-links", "--quiet", "--report", str(report))
    with httpx.Client(timeout=30) as http:
        task = http.get(f"{proxy.url}/tasks/x", headers={"x-api-key": KEY}).json()
        outsider = http.get(f"{proxy.url}/_proxy/link/http/127.0.0.1:9/files/x.wav")
    assert task["targets"][0]["output"][0]["link"].startswith(f"{upstream.url}/files/vocals.wav")
    # the proxy forwards only to origins it rewrote a link to: not an open proxy
    assert outsider.status_code == 403
    assert (
        "127.0.0.1:9 is not the origin of a link this proxy rewrote" in outsider.json()["message"]
    )
    assert proxy.stop(signal.SIGINT) == 0  # Ctrl-C writes the report too
    assert json.loads(report.read_text())["requests"] == {"download": 1, "getTask": 1}


def test_strict_answers_a_bad_request_400_before_the_upstream(
    proxy_run: Any, upstream: Upstream
) -> None:
    proxy = proxy_run("--strict", "--quiet")
    before = list(upstream.hits)
    with httpx.Client(base_url=proxy.url, timeout=30) as http:
        bad = http.post("/tasks", json={"targets": []}, headers={"x-api-key": KEY})
        keyless = http.post(
            "/tasks", json={"assetId": "a", "targets": [{"model": "vocals", "formats": ["wav"]}]}
        )
        good = http.post(
            "/tasks",
            json={"assetId": "a", "targets": [{"model": "vocals", "formats": ["wav"]}]},
            headers={"x-api-key": KEY},
        )
        drifting = http.get("/tasks/abc", headers={"x-api-key": KEY})
    assert bad.status_code == 400
    body = bad.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "createTask request: $.targets: [] should be non-empty" in body["message"]
    assert keyless.status_code == 400 and "header:x-api-key" in keyless.json()["message"]
    assert good.status_code == 200 and good.headers["x-spec-violations"] == "0"
    assert drifting.status_code == 200  # responses are reported, never blocked
    reached = [h for h in upstream.hits[len(before) :] if not h.startswith("body")]
    assert reached == ["POST /tasks", "GET /tasks/abc"]


def test_no_secret_reaches_a_recorded_file(proxy_run: Any, tmp_path: Path) -> None:
    record = tmp_path / "rec"
    proxy = proxy_run("--record", str(record), "--cassette", "drift", "--record-media", "--quiet")
    with httpx.Client(
        base_url=proxy.url,
        timeout=30,
        headers={"x-api-key": KEY, "authorization": "Bearer tok-9a8b", "cookie": "session=c00k1e"},
    ) as http:
        link = http.get("/tasks/abc").json()["targets"][0]["output"][0]["link"]
        assert http.get(link).content == MEDIA
        http.get("/models")
    assert proxy.stop() == 0
    files = sorted(p for p in record.rglob("*") if p.is_file())
    assert [p.relative_to(record).as_posix() for p in files] == [
        "drift.media/" + hashlib.sha256(MEDIA).hexdigest(),
        "drift.yaml",
    ]
    assert files[0].read_bytes() == MEDIA  # the media beside the cassette, not inline
    for path in files:
        raw = path.read_bytes()
        for secret in (KEY, "tok-9a8b", "c00k1e", "s3cr3tsig"):
            assert secret.encode() not in raw, (path, secret)
    cassette = yaml.safe_load((record / "drift.yaml").read_text())
    uris = [i["request"]["uri"] for i in cassette["interactions"]]
    assert any("sig=REDACTED" in uri for uri in uris)
    assert len(uris) == 3

    # replayed with the kept media in place (the persister checks its hash)
    replayer = vcr.VCR(record_mode="none")
    replayer.register_persister(MediaPersister)
    [download] = [uri for uri in uris if "/_proxy/link/" in uri]
    with replayer.use_cassette(str(record / "drift.yaml")), httpx.Client() as http:
        assert http.get(download).content == MEDIA
    files[0].write_bytes(b"tampered")
    with (
        pytest.raises(ValueError, match="its SHA-256 is not the recorded one"),
        replayer.use_cassette(str(record / "drift.yaml")),
    ):
        pass


def test_bodies_above_the_json_cap_pass_through_unchecked(
    proxy_run: Any, upstream: Upstream
) -> None:
    proxy = proxy_run("--quiet")
    big = {
        "assetId": "a",
        "targets": [{"model": "vocals", "formats": ["wav"]}],
        "pad": "x" * (2 << 20),
    }
    raw = json.dumps(big).encode()
    before = len(upstream.hits)
    with httpx.Client(base_url=proxy.url, headers={"x-api-key": KEY}, timeout=30) as http:
        created = http.post("/tasks", content=raw, headers={"content-type": "application/json"})
        listed = http.get("/tasks")
    assert created.status_code == 200
    assert created.headers["x-spec-violations"] == "1"  # the body was too big to check
    assert upstream.hits[before : before + 2] == ["POST /tasks", f"body {len(raw)}"]  # all of it
    assert listed.status_code == 200 and len(listed.json()) == 1500  # streamed back whole
    assert proxy.stop() == 0
    assert (
        "drift: createTask request: $: JSON body larger than 1 MiB (not checked)"
        in proxy.drift_lines()
    )


def test_an_unreachable_upstream_is_a_502_naming_it(proxy_run: Any) -> None:
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
        proxy = ProxyProcess(dead, "--quiet")
        try:
            r = httpx.get(f"{proxy.url}/models", headers={"x-api-key": KEY}, timeout=30)
        finally:
            proxy.close()
    assert r.status_code == 502 and r.headers["x-spec-violations"] == "0"
    assert r.json()["error"] == "Bad Gateway"
    assert r.json()["message"].startswith(
        f"upstream {dead} failed: UpstreamError: cannot connect to {dead}: "
    )


def test_bad_options_are_named() -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["proxy", "--upstream", "ftp://x", "--port", "0"])
    assert (
        bad.exit_code == 2
        and "--upstream: upstream 'ftp://x': an http:// or https:// URL" in bad.output
    )
    orphan = runner.invoke(app, ["proxy", "--upstream", "http://x", "--cassette", "c"])
    assert orphan.exit_code == 2 and "needs --record DIR" in orphan.output
