"""``audioshake-mock`` basics: ``--version``, ``python -m mock_server``, shell completion,
bundled scenarios by name (``scenarios`` lists them; an unknown name lists them too),
a cheap ``--help``, and a clear message when ``serve`` runs without the ``[mock]``
extra."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

import mock_server
from mock_server.scenario import ScenarioError, bundled_scenarios, resolve_scenario

from .test_cli import Server, command

BUNDLED = ["ci-strict", "flaky-service", "offline-dev"]
HEAVY = (
    "starlette",
    "uvicorn",
    "av",
    "numpy",
    "soundfile",
    "httpx",
    "orjson",
    "anyio",
    "jsonschema",
)


def cli(*args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mock_server", *args] if module else command(*args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


# -- bundled scenarios, by name ----------------------------------------------------------


def test_a_name_resolves_to_the_file_inside_the_installed_package() -> None:
    package = Path(mock_server.__file__).parent
    assert list(bundled_scenarios()) == BUNDLED
    assert resolve_scenario("offline-dev") == package / "scenarios" / "offline-dev.yaml"


def test_paths_stay_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_scenario("my/offline-dev") == Path("my/offline-dev")
    assert resolve_scenario("offline-dev.yaml") == Path("offline-dev.yaml")
    assert resolve_scenario(Path("offline-dev")) == Path("offline-dev")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci-strict").write_text("seed: 1\n")  # an existing file wins over a name
    assert resolve_scenario("ci-strict") == Path("ci-strict")


def test_an_unknown_name_is_refused_listing_the_bundled_ones() -> None:
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario("ofline-dev")
    assert str(caught.value) == (
        "ofline-dev: no such scenario file, and no bundled scenario of that name "
        "(bundled: ci-strict, flaky-service, offline-dev)"
    )


# -- the command -------------------------------------------------------------------------


@pytest.mark.slow
def test_version_is_the_installed_distributions() -> None:
    done = cli("--version")
    assert (done.returncode, done.stdout) == (0, f"audioshake-mock {version('audioshake-kit')}\n")


@pytest.mark.slow
def test_python_m_mock_server_is_the_same_command_with_completion() -> None:
    done = cli("--help", module=True)
    assert done.returncode == 0, done.stderr
    assert "Usage: audioshake-mock" in done.stdout
    for word in ("serve", "scenarios", "--version", "--install-completion"):
        assert word in done.stdout, word


@pytest.mark.slow
def test_scenarios_lists_each_name_with_the_first_line_of_its_description() -> None:
    done = cli("scenarios")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == BUNDLED
    assert lines[2].split(maxsplit=1)[1] == (
        "Offline development. Any key works; one key has a small balance and one gated model."
    )


@pytest.mark.slow
def test_help_loads_no_server_or_media_stack() -> None:
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n"
        "sys.argv = ['audioshake-mock', '--help']\n"
        "from mock_server.cli import app\n"
        "app()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.splitlines()[-1])
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []


@pytest.mark.slow
def test_serve_without_the_extra_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None  # as if the [mock] extra were not installed\n"
        "sys.argv = ['audioshake-mock', 'serve', '--port', '0']\n"
        "from mock_server.cli import app\n"
        "app()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: audioshake-mock serve needs the [mock] extra")
    assert "'uvicorn' is not installed" in done.stderr
    assert "pip install 'audioshake-kit[mock]'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_serve_takes_a_bundled_scenario_by_name() -> None:
    server = Server("--scenario", "ci-strict")
    try:
        base = server.base_url()
        r = httpx.get(f"{base}/_mock/keys/ci-key", timeout=10)
        assert (r.status_code, r.json()["credits"]) == (200, 100)
        assert httpx.get(f"{base}/_mock/clock", timeout=10).json()["mode"] == "manual"
        assert server.stop() == 0
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=10)


@pytest.mark.slow
def test_serve_with_an_unknown_scenario_name_lists_the_bundled_ones() -> None:
    done = cli("serve", "--port", "0", "--scenario", "nope")
    assert done.returncode == 2
    assert "nope: no such scenario file" in done.stderr
    assert "bundled: ci-strict, flaky-service, offline-dev" in done.stderr
    assert "serving on" not in done.stdout


@pytest.mark.parametrize("args", [("serve",), ("proxy", "--upstream", "http://127.0.0.1:9")])
def test_a_port_in_use_is_named_and_exits_2(args: tuple[str, ...]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = cli(*args, "--port", str(port))
    assert done.returncode == 2, done.stderr
    assert f"error: cannot bind 127.0.0.1:{port}: Address already in use" in done.stderr
