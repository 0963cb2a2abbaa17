"""The ``audioshake_kit.http`` log: each request and answer (method, URL, status, ms,
request id), attempts that got no answer, retries and their reason; no API key, no link
signature; silent unless configured; ``audioshake -v`` shows it on stderr."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from audioshake_kit import AsyncAudioShake, AudioShake
from audioshake_kit.cli import context, main
from audioshake_kit.logs import HTTP_LOGGER, LOGGER, redact_url

from .helpers import API, FILES, FakeClock, task_json

MODELS = {
    "models": [{"id": "vocals", "name": "Vocals", "access": "enabled", "outputFormats": ["wav"]}]
}
KEY = "secret-key-123"


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=HTTP_LOGGER)
    return caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == HTTP_LOGGER]


def test_silent_by_default() -> None:
    root = logging.getLogger(LOGGER)
    assert any(isinstance(h, logging.NullHandler) for h in root.handlers)
    assert root.level == logging.NOTSET  # the program decides what is shown


def test_a_request_and_its_answer(
    log: pytest.LogCaptureFixture, api: respx.MockRouter, clock: FakeClock
) -> None:
    api.get(f"{API}/models").respond(200, json=MODELS, headers={"X-Request-Id": "req-1"})
    with AudioShake(KEY, base_url=API, clock=clock.now, sleep=clock.sleep) as client:
        client.models()
    [line] = lines(log)
    assert re.fullmatch(r"GET https://api\.test/models -> 200 in \d+ ms \(request id req-1\)", line)
    assert KEY not in log.text


@pytest.mark.anyio
async def test_the_async_client_logs_the_same(
    log: pytest.LogCaptureFixture, api: respx.MockRouter
) -> None:
    api.get(f"{API}/models").respond(200, json=MODELS, headers={"X-Request-Id": "req-2"})
    async with AsyncAudioShake(KEY, base_url=API) as client:
        await client.models()
    [line] = lines(log)
    assert re.fullmatch(r"GET https://api\.test/models -> 200 in \d+ ms \(request id req-2\)", line)


@pytest.mark.anyio
async def test_async_retries_are_logged(
    log: pytest.LogCaptureFixture, api: respx.MockRouter, clock: FakeClock
) -> None:
    api.get(f"{API}/models").mock(
        side_effect=[
            httpx.Response(503, json={"message": "busy"}),
            httpx.Response(200, json=MODELS),
        ]
    )
    async with AsyncAudioShake(KEY, base_url=API, clock=clock.now, sleep=clock.asleep) as client:
        await client.models()
    got = lines(log)
    assert got[1] == f"retrying in {clock.sleeps[0]:.1f} s after: 503: busy"


def test_retries_and_their_reasons(
    log: pytest.LogCaptureFixture, api: respx.MockRouter, clock: FakeClock
) -> None:
    api.get(f"{API}/models").mock(
        side_effect=[
            httpx.ConnectError("[Errno 111] Connection refused"),
            httpx.Response(503, json={"message": "busy"}, headers={"X-Request-Id": "r2"}),
            httpx.Response(200, json=MODELS),
        ]
    )
    with AudioShake(KEY, base_url=API, clock=clock.now, sleep=clock.sleep) as client:
        client.models()
    first, second = clock.sleeps
    got = lines(log)
    assert got[0] == "GET https://api.test/models -> no answer: connection refused"
    assert got[1] == f"retrying in {first:.1f} s after: connection refused"
    assert re.fullmatch(r"GET https://api\.test/models -> 503 in \d+ ms \(request id r2\)", got[2])
    assert got[3] == f"retrying in {second:.1f} s after: 503: busy (request id r2)"
    assert got[4].startswith("GET https://api.test/models -> 200 in ")
    assert len(got) == 5


def test_poll_intervals_are_not_retries(
    log: pytest.LogCaptureFixture, api: respx.MockRouter, clock: FakeClock
) -> None:
    from .helpers import target_json

    api.get(f"{API}/tasks/task-1").mock(
        side_effect=[
            httpx.Response(200, json=task_json()),
            httpx.Response(200, json=task_json(targets=[target_json("vocals", "completed")])),
        ]
    )
    with AudioShake(KEY, base_url=API, clock=clock.now, sleep=clock.sleep) as client:
        client.wait("task-1")
    assert clock.sleeps and not [line for line in lines(log) if "retrying" in line]


def test_link_signatures_are_redacted(
    log: pytest.LogCaptureFixture, api: respx.MockRouter, clock: FakeClock, tmp_path: Path
) -> None:
    link = f"{FILES}/t-vocals/vocals.wav?client=c1&expires=99&sig=SIGNATURE"
    target = {
        "id": "t-vocals",
        "model": "vocals",
        "status": "completed",
        "formats": ["wav"],
        "cost": 1.0,
        "output": [{"name": "vocals", "format": "wav", "link": link}],
    }
    api.get(f"{API}/tasks/task-1").respond(200, json=task_json(targets=[target]))
    api.get(url__regex=rf"{FILES}/.*").respond(200, content=b"stem")
    with AudioShake(KEY, base_url=API, clock=clock.now, sleep=clock.sleep) as client:
        client.download("task-1", tmp_path)
    assert "SIGNATURE" not in log.text and KEY not in log.text
    assert any(
        line.startswith(f"GET {FILES}/t-vocals/vocals.wav?<redacted> -> 200 in ")
        for line in lines(log)
    )


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        (f"{API}/tasks?skip=0&take=100", f"{API}/tasks?skip=0&take=100"),
        (f"{API}/tasks/statistics?name=usage", f"{API}/tasks/statistics?name=usage"),
        (f"{API}/files/a.wav?expires=1&sig=x", f"{API}/files/a.wav?<redacted>"),
        (f"{FILES}/a.wav?X-Amz-Signature=x", f"{FILES}/a.wav?<redacted>"),
        (f"{FILES}/a.wav", f"{FILES}/a.wav"),
    ],
)
def test_redact_url(url: str, logged: str) -> None:
    assert redact_url(url) == logged


def test_cli_verbose_shows_the_log_on_stderr(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, clock: FakeClock
) -> None:
    def factory(api_key: str | None, *, base_url: str | None = None) -> AudioShake:
        return AudioShake(api_key, base_url=base_url or API, clock=clock.now, sleep=clock.sleep)

    monkeypatch.setattr(context, "CLIENT_FACTORY", factory)
    monkeypatch.setenv("AUDIOSHAKE_API_KEY", KEY)
    api.get(f"{API}/models").mock(
        side_effect=[
            httpx.Response(503, json={"message": "busy"}),
            httpx.Response(200, json=MODELS, headers={"X-Request-Id": "req-9"}),
        ]
    )
    root = logging.getLogger(LOGGER)
    handlers, level = list(root.handlers), root.level
    runner = CliRunner()

    verbose = runner.invoke(main.app, ["-v", "models", "--json"])
    assert verbose.exit_code == 0, verbose.output
    err = verbose.stderr.splitlines()
    assert re.fullmatch(
        r"audioshake_kit\.http: GET https://api\.test/models -> 503 in \d+ ms", err[0]
    )
    assert err[1] == f"audioshake_kit.http: retrying in {clock.sleeps[0]:.1f} s after: 503: busy"
    assert re.fullmatch(
        r"audioshake_kit\.http: GET https://api\.test/models -> 200 in \d+ ms \(request id req-9\)",
        err[2],
    )
    assert KEY not in verbose.output
    assert (root.handlers, root.level) == (handlers, level)  # undone when the command ends

    api.get(f"{API}/models").respond(200, json=MODELS)
    quiet = runner.invoke(main.app, ["models", "--json"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
