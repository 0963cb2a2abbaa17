"""Scenario files: the shipped examples load and apply; a bad file is refused with an
error that names the file and the line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import mock_server
from mock_server.clock import parse_time
from mock_server.harness import InProcessMock
from mock_server.scenario import ScenarioError, load_scenario

from .helpers import by_model, error, get_task, run, target, url_body

SCENARIOS = Path(mock_server.__file__).parent / "scenarios"


def test_the_shipped_scenarios_are_valid() -> None:
    names = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
    assert names == ["ci-strict.yaml", "flaky-service.yaml", "offline-dev.yaml"]
    for path in SCENARIOS.glob("*.yaml"):
        assert load_scenario(path).data["description"]


def test_ci_strict_sets_keys_and_balances() -> None:
    with InProcessMock(scenario=SCENARIOS / "ci-strict.yaml", api_key="ci-key") as mock:
        assert mock.state.config.seed == 1
        assert mock.admin.key_info("ci-key")["credits"] == 100
        assert mock.admin.key_info("other-tenant")["credits"] is None
        error(mock.client.post("/tasks", json=url_body(6001, target("vocals"))), 402)  # 101
        assert run(mock, url_body(60, target("vocals")))["cost"] == 1
        assert mock.admin.key_info("ci-key")["credits"] == 99


def test_flaky_service_sets_the_clock_and_the_faults() -> None:
    with InProcessMock(scenario=SCENARIOS / "flaky-service.yaml") as mock:
        assert mock.now() == parse_time("2026-03-25T03:00:00Z")
        with pytest.raises(httpx.TransportError):  # dropped after the create happened
            mock.client.post("/tasks", json=url_body(30, target("vocals")))
        (task,) = mock.client.get("/tasks").json()
        answers = [mock.client.get(f"/tasks/{task['id']}").status_code for _ in range(4)]
        assert answers == [503, 503, 503, 200]
        drums = []
        for i in range(10):
            done = run(mock, url_body(30, target("drums"), name=f"{i}.mp3"))
            drums.append(by_model(done)["drums"]["status"])
        assert set(drums) == {"completed", "error"}  # probability 0.5


def test_offline_dev_uses_a_real_clock_a_gated_model_and_registered_media() -> None:
    with InProcessMock(scenario=SCENARIOS / "offline-dev.yaml", api_key="dev-key") as mock:
        assert mock.admin.clock()["mode"] == "real"
        assert mock.admin.key_info("dev-key")["enabledModels"] == ["multi_voice"]
        assert mock.admin.key_info("low-balance")["credits"] == 5
        url = "https://demos.audioshake.ai/demo-assets/shakeitup.mp3"
        body = {"url": url, "targets": [target("vocals", "mp3", variant="high_quality")]}
        task = mock.client.post("/tasks", json=body).json()
        mock.advance(120)  # a real clock moves forward on request too
        done = get_task(mock.client, task["id"])
        assert done["targets"][0]["duration"] == 9.485
        assert done["cost"] == 1.5
        with mock.new_client("low-balance") as low:
            error(low.post("/tasks", json=url_body(301, target("vocals"))), 402)  # 6 > 5


BAD = [
    ("seed wrong type", 'description: bad\nclock: {mode: manual}\nseed: "forty-two"\n', 3),
    (
        "credits wrong type",
        "description: bad\nkeys:\n  - key: a\n    credits: 5\n  - key: b\n    credits: lots\n",
        6,
    ),
    (
        "probability out of range",
        "faults:\n  - {model: drums, probability: 0.5}\n\n  - {model: bass, probability: 2}\n",
        4,
    ),
    ("bad enum", "httpFaults:\n  - method: GET\n    status: 503\n    when: later\n", 4),
    ("clock mode", "clock:\n  mode: sometimes\n", 2),
    ("unknown key", "description: typo below\nseed: 1\nrate_limit: 10\n", 3),
]


@pytest.mark.parametrize(("text", "line"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_scenario_names_its_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"{path}:{line}:" in str(info.value)
    with pytest.raises(ScenarioError):
        InProcessMock(scenario=path)


def test_broken_yaml_and_missing_files_are_scenario_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("keys:\n  - key: a\n   credits: [\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match=r"missing\.yaml"):
        load_scenario(tmp_path / "missing.yaml")
