"""What the ``audioshake`` command prints, in detail: usage lines, the help's words for
what a command does, counts in words, the models table, and the JSON's UTC datetimes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import respx
from typer.testing import CliRunner

from audioshake_kit import AudioShake
from audioshake_kit.cli import context, main

from .helpers import API, FakeClock

Run = Callable[..., Any]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, clock: FakeClock) -> Run:
    def factory(api_key: str | None, *, base_url: str | None = None) -> AudioShake:
        return AudioShake(api_key, base_url=base_url or API, clock=clock.now, sleep=clock.sleep)

    monkeypatch.setattr(context, "CLIENT_FACTORY", factory)
    monkeypatch.setenv("AUDIOSHAKE_API_KEY", "k")
    monkeypatch.delenv("AUDIOSHAKE_DEBUG", raising=False)
    runner = CliRunner()
    return lambda *args, env=None: runner.invoke(main.app, [str(a) for a in args], env=env)


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["separate"], "Usage: audioshake separate [OPTIONS] FILE\n"),
        (["estimate"], "Usage: audioshake estimate [OPTIONS] FILE\n"),
        (["wait"], "Usage: audioshake wait [OPTIONS] TASK_ID\n"),
        (["download"], "Usage: audioshake download [OPTIONS] TASK_ID\n"),
        (["tasks", "get"], "Usage: audioshake tasks get [OPTIONS] TASK_ID\n"),
        (["batch"], "Usage: audioshake batch [OPTIONS] INPUT_DIR\n"),
        (["models"], "Usage: audioshake models [OPTIONS]\n"),
    ],
)
def test_usage_names_arguments_without_braces(run: Run, command: list[str], usage: str) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(usage)
    assert "{" not in result.stdout.splitlines()[0]


def test_a_missing_argument_is_named_plainly(run: Run) -> None:
    result = run("separate", "-t", "vocals")
    assert result.exit_code == 2
    assert "Usage: audioshake separate [OPTIONS] FILE" in result.stderr
