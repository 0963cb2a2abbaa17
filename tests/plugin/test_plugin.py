"""The pytest plugin as a user's project meets it: registered for every install of the
kit, it loads nothing of the mock until a fixture is requested; without the ``[mock]``
extra a fixture fails its test naming the extra and the missing module while the rest
of the run goes on; the fixtures, their docstrings and the marker are documented; the
marker configures either fixture (bundled scenarios by name); the socket fixture runs
a real, sped-up clock, so an app that reads the environment finishes by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from audioshake_kit import AudioShake, TaskResult
from mock_server.harness import SERVED_SPEED, InProcessMock, ServedMock
from mock_server.synth import synth_media

pytest_plugins = ["pytester"]

# What a run that uses neither fixture must not load: the mock's server stack, its
# media stack, the kit's facade (and HTTP client), the harness.
HEAVY = (
    "starlette",
    "uvicorn",
    "av",
    "numpy",
    "soundfile",
    "httpx",
    "anyio",
    "orjson",
    "xxhash",
    "audioshake_kit",
    "audioshake_client",
    "mock_server.harness",
    "mock_server.app",
    "mock_server.state",
)
EXTRA = "pip install 'audioshake-kit[mock]'"
APP_DEADLINE_S = 60.0


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY)


@pytest.fixture
def isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project whose runs load this plugin and no other installed plugin
    (others, such as schemathesis, import HTTP stacks of their own)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "mock_server.pytest_plugin", "-p", "no:cacheprovider", *args, timeout=120
    )


# -- importing and loading ----------------------------------------------------------------


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = "import json, sys, mock_server.pytest_plugin; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    modules = json.loads(out.stdout)
    assert _heavy(modules) == []
    assert {m for m in modules if m.startswith("mock_server")} == {
        "mock_server",
        "mock_server.extra",
        "mock_server.pytest_plugin",
    }


def test_a_run_that_uses_no_fixture_loads_nothing_of_the_mock(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(
        test_app=f"""
        import sys

        HEAVY = {HEAVY!r}

        def test_plain():
            assert 1 + 1 == 2

        def test_nothing_heavy_was_loaded():
            loaded = [m for m in sys.modules if m in HEAVY or m.split(".")[0] in HEAVY]
            assert loaded == []
        """
    )
    run(isolated).assert_outcomes(passed=2)


def test_without_the_extra_a_fixture_fails_its_test_naming_it_and_the_rest_runs(
    isolated: pytest.Pytester,
) -> None:
    isolated.makeconftest(
        """
        import sys

        sys.modules["starlette"] = None  # as if the [mock] extra were not installed
        """
    )
    isolated.makepyfile(
        test_app="""
        def test_plain():
            assert True

        def test_in_process(audioshake_mock):
            raise AssertionError("never reached")

        def test_served(audioshake_mock_server):
            raise AssertionError("never reached")

        def test_plain_too():
            assert True
        """
    )
    result = run(isolated, "-rE")
    result.assert_outcomes(passed=2, errors=2)
    out = result.stdout.str()
    for fixture in ("audioshake_mock", "audioshake_mock_server"):
        assert f"the {fixture} fixture needs the [mock] extra" in out
    assert out.count(EXTRA) >= 2
    assert "'starlette' is not installed" in out
    assert "never reached" not in out


def test_the_harness_itself_names_the_extra_when_it_is_missing() -> None:
    code = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "try:\n    import mock_server.harness\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith("MissingExtraError mock_server.harness needs the [mock] extra")
    assert "'uvicorn'" in out and EXTRA in out


# -- documentation -------------------------------------------------------------------------


def test_the_fixtures_and_the_marker_are_documented(isolated: pytest.Pytester) -> None:
    fixtures = run(isolated, "--fixtures").stdout.str()  # first lines
    assert "audioshake_mock -- " in fixtures and "audioshake_mock_server -- " in fixtures
    for phrase in ("on a manual clock", "60 times faster than the wall"):
        assert phrase in fixtures, phrase
    verbose = run(isolated, "--fixtures", "-v").stdout.str()  # whole docstrings
    for phrase in ("advance(", "facade()", "env()", "monkeypatch.setenv", "test-key", "[mock]"):
        assert phrase in verbose, phrase
    markers = run(isolated, "--markers").stdout.str()
    line = next(m for m in markers.splitlines() if m.startswith("@pytest.mark.audioshake_mock("))
    for option in ("scenario=", "api_key='test-key'", "clock=", "speed=", "rate_limit="):
        assert option in line, option
    for option in ("seed=", "start=", "api_keys=", "data_dir=", "admin=", "max_upload_bytes="):
        assert option in line, option


def test_every_public_method_of_the_handles_and_the_admin_has_a_docstring() -> None:
    from mock_server.admin import MockAdmin
    from mock_server.harness import MockHandle

    missing = [
        f"{cls.__name__}.{name}"
        for cls in (MockHandle, InProcessMock, ServedMock, MockAdmin)
        for name, member in vars(cls).items()
        if not name.startswith("_") and callable(member) and not member.__doc__
    ]
    assert missing == []
    assert InProcessMock.__doc__ and ServedMock.__doc__ and MockAdmin.__doc__


def test_the_marker_documents_every_option_the_fixtures_accept() -> None:
    import mock_server.pytest_plugin as plugin
    from mock_server.harness import CONFIG_OPTIONS

    doc = plugin.__doc__ or ""
    for option in ("scenario", "api_key", *CONFIG_OPTIONS):
        assert f"``{option}``" in doc, option
        assert f"{option}=" in plugin.MARKER_HELP, option


# -- the marker ------------------------------------------------------------------------------


@pytest.mark.audioshake_mock(scenario="ci-strict", api_key="ci-key", rate_limit=None, seed=5)
def test_the_marker_takes_a_bundled_scenario_by_name_and_its_options_win(
    audioshake_mock: InProcessMock,
) -> None:
    config = audioshake_mock.state.config
    assert (config.seed, config.rate_limit, config.clock) == (5, None, "manual")
    assert audioshake_mock.api_key == "ci-key"
    assert audioshake_mock.admin.key_info("ci-key")["credits"] == 100  # from the scenario
    assert audioshake_mock.client.get("/models").status_code == 200


def test_a_mistyped_marker_option_or_scenario_fails_the_test_saying_so(
    isolated: pytest.Pytester,
) -> None:
    isolated.makepyfile(
        test_app="""
        import pytest

        @pytest.mark.audioshake_mock(colck="real")
        def test_option(audioshake_mock):
            pass

        @pytest.mark.audioshake_mock(scenario="offline-deve")
        def test_scenario(audioshake_mock):
            pass

        @pytest.mark.audioshake_mock(clock="fast")
        def test_clock(audioshake_mock):
            pass
        """
    )
    result = run(isolated)
    result.assert_outcomes(errors=3)
    out = result.stdout.str()
    assert "unknown mock option 'colck'" in out
    assert "offline-deve: no such scenario file" in out
    assert "ci-strict, flaky-service, offline-dev" in out
    assert "clock: must be 'manual' or 'real', not 'fast'" in out


# -- the socket fixture runs by itself ---------------------------------------------------------


def test_the_socket_fixture_runs_a_real_sped_up_clock_and_sets_no_environment(
    audioshake_mock_server: ServedMock,
) -> None:
    assert audioshake_mock_server.admin.clock()["mode"] == "real"
    assert audioshake_mock_server.state.config.speed == SERVED_SPEED == 60
    env = audioshake_mock_server.env()
    assert env == {
        "AUDIOSHAKE_BASE_URL": audioshake_mock_server.base_url,
        "AUDIOSHAKE_API_KEY": "test-key",
    }
    assert os.environ.get("AUDIOSHAKE_BASE_URL") != audioshake_mock_server.base_url


@pytest.mark.audioshake_mock(clock="manual")
def test_the_socket_fixture_keeps_a_manual_clock_when_asked(
    audioshake_mock_server: ServedMock,
) -> None:
    before = audioshake_mock_server.now()
    audioshake_mock_server.advance(60)
    assert audioshake_mock_server.now() == before + 60
    assert audioshake_mock_server.admin.clock()["mode"] == "manual"


def test_the_in_process_fixture_keeps_the_manual_clock(audioshake_mock: InProcessMock) -> None:
    before = audioshake_mock.now()
    assert audioshake_mock.client.get("/models").status_code == 200
    assert audioshake_mock.now() == before
    assert audioshake_mock.admin.clock()["mode"] == "manual"


def my_app(song: Path, out_dir: Path) -> TaskResult:
    """An app as it runs in production: everything from the environment."""
    with AudioShake() as client:
        return client.separate(song, ["vocals", "drums"], out_dir)


def test_a_plain_app_against_the_socket_fixture_finishes_by_itself(
    audioshake_mock_server: ServedMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in audioshake_mock_server.env().items():
        monkeypatch.setenv(name, value)
    song = synth_media(tmp_path / "song.wav", 10.0, "wav")
    outcome: dict[str, Any] = {}

    def app() -> None:
        try:
            outcome["result"] = my_app(song, tmp_path / "stems")
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=app, daemon=True)
    thread.start()
    thread.join(timeout=APP_DEADLINE_S)
    assert not thread.is_alive(), f"the app did not finish within {APP_DEADLINE_S} s"
    assert "error" not in outcome, outcome.get("error")
    result: TaskResult = outcome["result"]
    assert result.all_succeeded
    assert sorted(p.name for p in result.files) == ["drums.wav", "vocals.wav"]
    assert all(p.stat().st_size > 0 for p in result.files)
    assert time.monotonic() - started < APP_DEADLINE_S
