"""What importing the facade and printing the CLI's help load: nothing heavy.

The figures (times against an ``import httpx`` and a plain Typer app) are in
``python -m bench.startup``; these tests hold the cause: which modules get imported."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

HEAVY = ("av", "soundfile", "numpy", "mutagen", "yaml", "jsonschema", "starlette", "uvicorn")
GENERATED = ("audioshake_client",)


def _loaded(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


def _any(loaded: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if m.split(".")[0] in roots or m in roots)


def test_importing_the_clients_loads_no_generated_code_media_or_batch() -> None:
    loaded = _loaded("from audioshake_kit import AudioShake, AsyncAudioShake")
    assert "audioshake_kit.client" in loaded and "audioshake_kit.async_client" in loaded
    assert _any(loaded, HEAVY + GENERATED) == []
    assert not {m for m in loaded if m.startswith(("audioshake_kit.batch", "audioshake_kit.cli."))}
    assert "mock_server" not in loaded


def test_a_client_loads_the_generated_client_when_built() -> None:
    loaded = _loaded("from audioshake_kit import AudioShake\nAudioShake('k')")
    assert "audioshake_client.client" in loaded
    assert _any(loaded, ("av", "soundfile", "numpy", "mutagen")) == []


def test_cli_help_loads_no_http_client_generated_code_media_or_renderer() -> None:
    code = (
        "from audioshake_kit.cli.main import app\n"
        "try:\n    app(['--help'], prog_name='audioshake')\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded(code)
    assert _any(loaded, ("httpx", *HEAVY, *GENERATED)) == []
    own = {"audioshake_kit.client", "audioshake_kit.cli.render", "audioshake_kit.cli.batch_view"}
    assert not own & loaded
    assert not {m for m in loaded if m.startswith("audioshake_kit.batch")}


def test_python_m_version_and_completion() -> None:
    run = [sys.executable, "-m", "audioshake_kit"]
    out = subprocess.run([*run, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.strip() == f"audioshake {version('audioshake-kit')}"
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    assert "Usage: audioshake" in helped.stdout
    assert "--install-completion" in helped.stdout and "--version" in helped.stdout
