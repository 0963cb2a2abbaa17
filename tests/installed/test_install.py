"""The venvs hold the installed wheel and nothing of this checkout."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from .conftest import DEFAULT_KEY, ROOT, STOP_S, MockServer, Venv, free_port

WHERE = """
import json, sys
from importlib.metadata import entry_points
import audioshake_kit, audioshake_client
found = {"audioshake_kit": audioshake_kit.__file__, "audioshake_client": audioshake_client.__file__}
import mock_server
found["mock_server"] = mock_server.__file__  # in both: the extra adds its dependencies
found["sys.path"] = sys.path
found["pytest11"] = [ep.value for ep in entry_points(group="pytest11")]
print(json.dumps(found))
"""


@pytest.mark.parametrize("name", ["base_venv", "mock_venv"])
def test_imports_come_from_the_venv(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venv: Venv = request.getfixturevalue(name)
    found = json.loads(venv.run(["python", "-c", WHERE], cwd=tmp_path).stdout)
    for module in ("audioshake_kit", "audioshake_client", "mock_server"):
        assert venv.owns(found[module]), (module, found[module])
    assert not [p for p in found["sys.path"] if p and str(ROOT) in p], found["sys.path"]
    assert "mock_server.pytest_plugin" in found["pytest11"], found["pytest11"]


def test_the_proxy_runs_from_the_wheel(
    mock_venv: Venv, served_mock: MockServer, tmp_path: Path
) -> None:
    """``audioshake-mock proxy`` as a user runs it from the installed ``[mock]`` extra
    (aiohttp and all): it forwards, marks the answer, and writes its report on SIGTERM."""
    port = free_port()
    report = tmp_path / "drift.json"
    argv = ["proxy", "--upstream", served_mock.base_url, "--port", str(port)]
    proc = subprocess.Popen(
        [str(mock_venv.bin / "audioshake-mock"), *argv, "--report", str(report), "--quiet"],
        cwd=tmp_path,
        env=mock_venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # printed once the socket listens
        assert f"proxy on http://127.0.0.1:{port} -> {served_mock.base_url}" in banner, banner
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/models", headers={"x-api-key": DEFAULT_KEY}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
            assert answer.headers["X-Spec-Violations"] == "0"
            assert json.loads(answer.read())  # the catalog, through the proxy
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STOP_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(report.read_text())["requests"] == {"listModels": 1}
