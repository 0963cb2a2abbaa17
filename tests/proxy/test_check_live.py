"""``audioshake-mock check-live`` offline: the served mock (real clock, fast) stands in for
the service. The flow runs through the proxy and reports no drift, says what it will
spend before spending, and spends nothing when the answer is no."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mock_server.cli import app
from mock_server.proxy.live import LiveCheckError, choose_model
from tests.e2e.conftest import MockProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fast_mock() -> Iterator[MockProcess]:
    process = MockProcess("--clock", "real", "--speed", "200", "--seed", "3")
    yield process
    process.close()


def operations(mock: MockProcess, key: str) -> list[str]:
    return [e["operationId"] for e in mock.requests(key)]


def test_the_flow_runs_through_the_proxy_without_drift(
    fast_mock: MockProcess, tmp_path: Path
) -> None:
    key = "check-live-yes"
    report = tmp_path / "drift.json"
    result = CliRunner().invoke(
        app,
        [
            "check-live",
            "--upstream",
            fast_mock.base_url,
            "--yes",
            "--poll-interval",
            "0.05",
            "--report",
            str(report),
        ],
        env={"AUDIOSHAKE_API_KEY": key},
    )
    assert result.exit_code == 0, result.output
    models = httpx.get(f"{fast_mock.base_url}/models", headers={"x-api-key": "other"}).json()
    model, rate, fmt = choose_model(models["models"])
    assert f"one '{model}' target ({fmt})" in result.output
    assert f"about {rate:g} credit(s) (1 billed minute at {rate:g}/min)" in result.output
    assert "0 distinct violations, 0 undocumented fields" in result.output
    done = operations(fast_mock, key)
    assert done[:3] == ["listModels", "uploadAsset", "createTask"] and "getTask" in done
    written = json.loads(report.read_text())
    assert written["violations"] == [] and written["requests"]["download"] >= 1


def test_nothing_is_spent_without_a_yes(fast_mock: MockProcess) -> None:
    key = "check-live-no"
    result = CliRunner().invoke(
        app,
        ["check-live", "--upstream", fast_mock.base_url],
        input="n\n",
        env={"AUDIOSHAKE_API_KEY": key},
    )
    assert result.exit_code == 0, result.output
    assert "Spend it? [y/N]" in result.output and "Nothing spent." in result.output
    assert operations(fast_mock, key) == ["listModels"]


def test_a_missing_key_is_named() -> None:
    result = CliRunner().invoke(app, ["check-live"], env={"AUDIOSHAKE_API_KEY": ""})
    assert result.exit_code == 2
    assert "no API key: set AUDIOSHAKE_API_KEY" in result.output


def test_the_cheapest_model_that_needs_only_media_is_chosen() -> None:
    media = {"id": "media", "required": True}
    transcript = {"id": "transcript", "required": True}
    models = [
        {
            "id": "a",
            "access": "enabled",
            "creditsPerMinute": 1.0,
            "outputFormats": ["mp3", "wav"],
            "inputs": [media],
        },
        {
            "id": "b",
            "access": "enabled",
            "creditsPerMinute": 0.2,
            "outputFormats": ["json"],
            "inputs": [media, transcript],
        },
        {"id": "c", "access": "request_access", "outputFormats": ["wav"], "inputs": [media]},
        {
            "id": "d",
            "access": "enabled",
            "creditsPerMinute": 0.5,
            "outputFormats": ["mp3"],
            "inputs": [media],
        },
    ]
    assert choose_model(models) == ("d", 0.5, "mp3")
    assert choose_model(models[:1]) == ("a", 1.0, "wav")
    with pytest.raises(LiveCheckError, match="no enabled, priced model"):
        choose_model(models[1:3])
