"""Recordings brought home, in process: a cassette's answers as fixtures (checked against
the spec first) and a mock tenant seeded with the state a recording ended in. The
cassettes here are written with the proxy's own ``CassetteWriter``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from mock_server.cli import app
from mock_server.proxy.cassette import CassetteWriter
from mock_server.proxy.fixtures import FixtureDriftError, seed_tenant, write_fixtures

T0 = "2026-01-01T00:00:00.000Z"


def target(tid: str, model: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"id": tid, "model": model, "status": status, "formats": ["wav"], **extra}


def task(tid: str, targets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "createdAt": T0,
        "clientId": "c",
        "assetId": "A1",
        "targets": targets,
        **extra,
    }


def cassette(tmp_path: Path, answers: list[tuple[str, str, int, Any]]) -> Path:
    writer = CassetteWriter(tmp_path, "rec")
    for method, path, status, body in answers:
        writer.add(
            method=method,
            uri=f"http://127.0.0.1:9{path}",
            request_headers=[("x-api-key", "k")],
            request_body=None,
            status=status,
            response_headers=[("content-type", "application/json")],
            response_body=orjson.dumps(body),
        )
    return writer.path


ASSET = {"id": "A1", "format": "wav", "name": "song.wav", "size": 1000}
ENDED = task(
    "T1",
    [
        target("a", "vocals", "completed", duration=4.0),
        target("b", "drums", "error", duration=4.0, error={"code": 4002, "message": "too long"}),
    ],
)
RUNNING = task("T2", [target("c", "vocals", "processing")], createdAt="2026-01-01T00:01:00.000Z")


def test_each_answer_becomes_a_fixture_file(tmp_path: Path) -> None:
    missing = {"statusCode": 404, "error": "Not Found", "message": "task not found"}
    path = cassette(
        tmp_path,
        [
            ("POST", "/assets", 200, ASSET),
            ("GET", "/tasks/T1", 200, ENDED),
            ("GET", "/tasks/nope", 404, missing),
            ("GET", "/jobs", 200, {"not": "in the spec"}),
        ],
    )
    result = CliRunner().invoke(app, ["fixtures", str(path), "--out", str(tmp_path / "fx")])
    assert result.exit_code == 0, result.output
    assert "3 fixture(s)" in result.output
    files = sorted(p.name for p in (tmp_path / "fx").iterdir())
    assert files == ["000-uploadAsset-200.json", "001-getTask-200.json", "002-getTask-404.json"]
    assert json.loads((tmp_path / "fx" / "001-getTask-200.json").read_text()) == ENDED


def test_an_answer_breaking_the_spec_is_no_fixture(tmp_path: Path) -> None:
    bad = task("T9", [target("x", "vocals", "failed")])
    path = cassette(tmp_path, [("GET", "/tasks/T9", 200, bad)])
    with pytest.raises(
        FixtureDriftError, match=r"\$\.targets\[0\]\.status: 'failed' is not one of"
    ):
        write_fixtures(path, tmp_path / "fx")
    assert not (tmp_path / "fx").exists()
    result = CliRunner().invoke(app, ["fixtures", str(path), "--out", str(tmp_path / "fx")])
    assert result.exit_code == 1 and "--allow-drift" in result.output
    assert [p.name for p in write_fixtures(path, tmp_path / "fx", allow_drift=True)] == [
        "000-getTask-200.json"
    ]


def test_a_file_that_is_no_cassette_is_named(tmp_path: Path) -> None:
    bogus = tmp_path / "x.yaml"
    bogus.write_text("just: text\n")
    result = CliRunner().invoke(app, ["fixtures", str(bogus), "--out", str(tmp_path / "fx")])
    assert result.exit_code == 2
    assert "not a VCR.py cassette (no 'interactions' list)" in result.output


def test_a_tenant_is_seeded_with_the_recorded_state(audioshake_mock: Any, tmp_path: Path) -> None:
    path = cassette(
        tmp_path,
        [
            ("POST", "/assets", 200, ASSET),
            (
                "POST",
                "/tasks",
                200,
                task(
                    "T1", [target("a", "vocals", "processing"), target("b", "drums", "processing")]
                ),
            ),
            ("GET", "/tasks/T1", 200, ENDED),
            ("GET", "/tasks/T2", 200, RUNNING),
        ],
    )
    result = seed_tenant(audioshake_mock.admin, "seeded-key", path)
    assert set(result.assets) == {"A1"} and set(result.tasks) == {"T1", "T2"}
    assert result.statuses == {"T1": ["completed", "error"], "T2": ["processing"]}
    tasks = {t["id"]: t for t in audioshake_mock.admin.tasks("seeded-key")}
    ended = tasks[result.tasks["T1"]]
    assert ended["assetId"] == result.assets["A1"]
    assert ended["targets"][1]["error"] == {"code": 4002, "message": "too long"}
    assert ended["targets"][0]["duration"] == pytest.approx(4.0)  # the recorded duration
    assert audioshake_mock.admin.faults() == []  # the one-off rules are gone
    with audioshake_mock.facade(api_key="seeded-key") as client:
        files = client.download(result.tasks["T1"], tmp_path / "stems")
        assert [f.name for f in files] == ["vocals.wav"]  # rendered by the mock
        assert client.get_task(result.tasks["T2"]).targets[0].status == "processing"
