"""The in-process mock is cheap per test: what does not change (the spec, its compiled
validators, the route table) is built once per process; each mock has its own state,
clock and data dir; entering one starts no thread and touches no disk until it writes;
a valid response is checked without jsonschema."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from mock_server.harness import InProcessMock
from mock_server.validation import spec_validators

from .helpers import create, target, upload_ok, url_body, write_wav


def test_route_table_and_validators_are_built_once_and_serve_each_mock_its_own_state() -> None:
    with InProcessMock() as a, InProcessMock() as b:
        assert a.app is not b.app and a.state is not b.state
        assert all(x is y for x, y in zip(a.app.routes, b.app.routes, strict=True))
        assert a.state.validators is b.state.validators is spec_validators()
        task = create(a.client, url_body(10, target("vocals")))
        assert a.client.get(f"/tasks/{task['id']}").status_code == 200
        assert b.client.get(f"/tasks/{task['id']}").status_code == 404
        assert b.client.get("/tasks").json() == []
        assert a.admin.requests()[-1]["path"] == f"/tasks/{task['id']}"


def test_each_mock_has_its_own_clock_and_data_dir() -> None:
    with InProcessMock() as a, InProcessMock() as b:
        assert a.state.data_dir != b.state.data_dir
        start = b.now()
        a.advance(3600)
        assert (a.now() - start, b.now()) == (3600, start)


def test_entering_a_mock_starts_no_thread_and_its_data_dir_appears_when_written(
    tmp_path: Path,
) -> None:
    before = threading.active_count()
    with InProcessMock() as mock:
        assert threading.active_count() == before
        assert mock.client.get("/models").status_code == 200
        assert threading.active_count() == before
        data_dir = mock.state.data_dir
        assert not data_dir.exists()
        upload_ok(mock.client, write_wav(tmp_path / "a.wav", 1.0))
        assert data_dir.is_dir()
    assert not data_dir.exists()  # removed on close


def test_a_given_data_dir_is_kept(tmp_path: Path) -> None:
    with InProcessMock(data_dir=tmp_path / "mine") as mock:
        upload_ok(mock.client, write_wav(tmp_path / "a.wav", 1.0))
    assert (tmp_path / "mine" / "assets").is_dir()


def test_a_valid_response_is_checked_without_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoJsonschema:
        def iter_errors(self, instance: Any) -> Any:
            raise AssertionError("jsonschema ran on a valid response")

    for key in [("getTask", 200), ("createTask", 200), ("listModels", 200)]:
        monkeypatch.setattr(spec_validators().responses[key], "full", NoJsonschema())
    monkeypatch.setattr(spec_validators().bodies["createTask"], "full", NoJsonschema())
    with InProcessMock() as mock:
        assert mock.state.config.validate_responses
        task = create(mock.client, url_body(10, target("vocals"), target("drums")))
        mock.advance(600)
        r = mock.client.get(f"/tasks/{task['id']}")
        assert r.status_code == 200 and r.json()["targets"][0]["status"] == "completed"
        assert mock.client.get("/models").status_code == 200
