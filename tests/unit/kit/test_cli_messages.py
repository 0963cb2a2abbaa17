"""What the ``audioshake`` command tells people: the exact one-line errors (a table), the
CLI's own words for a missing key and a batch restart, an unreachable service named with
its attempts, and Ctrl-C (exit 130, with how to resume a task already created)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from audioshake_kit import AudioShake
from audioshake_kit.cli import context, main
from audioshake_kit.cli.context import ExitCode

from .helpers import API, FakeClock, target_json, task_json

Run = Callable[..., Any]
ASSET = {"id": "asset-1", "format": "wav", "name": "song.wav"}


@pytest.fixture
def factory(clock: FakeClock) -> Callable[..., AudioShake]:
    def make(api_key: str | None, *, base_url: str | None = None) -> AudioShake:
        return AudioShake(
            api_key,
            base_url=base_url or API,
            clock=clock.now,
            sleep=clock.sleep,
            rng=random.Random(0),
        )

    return make


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, factory: Callable[..., AudioShake]
) -> Run:
    monkeypatch.setattr(context, "CLIENT_FACTORY", factory)
    monkeypatch.setenv("AUDIOSHAKE_API_KEY", "k")
    monkeypatch.delenv("AUDIOSHAKE_DEBUG", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main.app, [str(a) for a in args])


def error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return str(lines[0])


def interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


def _no_key(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    monkeypatch.delenv("AUDIOSHAKE_API_KEY")
    return ["models"]


def _refused(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    api.get(f"{API}/models").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    return ["models"]


def _refused_at(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    api.get("http://127.0.0.1:9/models").mock(
        side_effect=httpx.ConnectError("[Errno 111] Connection refused")
    )
    return ["models", "--base-url", "http://127.0.0.1:9"]


def _unknown_host(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    api.get(f"{API}/tasks/task-1").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )
    return ["tasks", "get", "task-1"]


def _batch_other_targets(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path
) -> list[str]:
    (tmp / "in").mkdir()
    (tmp / "in" / "x.wav").write_bytes(b"not audio")  # skipped, no API call: exit 1
    first = CliRunner().invoke(main.app, ["batch", str(tmp / "in"), "-t", "vocals", "-o", str(tmp)])
    assert first.exit_code == 1, first.output
    return ["batch", str(tmp / "in"), "-t", "drums", "-o", str(tmp)]


def _batch_not_a_manifest(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path
) -> list[str]:
    (tmp / "in").mkdir()
    (tmp / "in" / "x.wav").write_bytes(b"not audio")
    (tmp / "audioshake-batch.sqlite").write_bytes(b"not a database, " * 64)
    return ["batch", str(tmp / "in"), "-t", "vocals", "-o", str(tmp)]


def _batch_no_input(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    return ["batch", str(tmp / "nowhere"), "-t", "vocals", "-o", str(tmp / "out")]


def _batch_empty(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    (tmp / "in").mkdir()
    return ["batch", str(tmp / "in"), "-t", "vocals", "-o", str(tmp / "out")]


def _interrupted(monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path) -> list[str]:
    api.get(f"{API}/models").mock(side_effect=interrupt)
    return ["models"]


def _interrupted_batch(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path
) -> list[str]:
    monkeypatch.setattr(AudioShake, "batch", interrupt)
    (tmp / "in").mkdir()
    (tmp / "in" / "x.wav").write_bytes(b"not audio")
    return ["batch", str(tmp / "in"), "-t", "vocals", "-o", str(tmp)]


def _interrupted_after_create(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path
) -> list[str]:
    api.post(f"{API}/assets").respond(200, json=ASSET)
    api.post(f"{API}/tasks").respond(200, json=task_json(targets=[target_json("vocals")]))
    api.get(f"{API}/tasks/task-1").mock(side_effect=interrupt)
    return ["separate", tmp / "song.wav", "-t", "vocals", "-o", tmp / "out"]


def _interrupted_before_create(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter, tmp: Path
) -> list[str]:
    api.post(f"{API}/assets").mock(side_effect=interrupt)
    return ["separate", tmp / "song.wav", "-t", "vocals", "-o", tmp / "out"]


# 4 attempts: the first and MAX_RETRIES (3) retries, after backoffs of 0.5, 1 and 2 s
# shortened by up to 25 % (the seeded jitter of random.Random(0)): 3.0 s of the fake clock.
UNREACHABLE = "could not reach {} (4 attempts over 3.0 s): connection refused"
RESUME = (
    "interrupted; task task-1 was created and is billed as its targets end:"
    " resume with 'audioshake wait task-1' then 'audioshake download task-1 -o DIR'"
)

CASES = [
    (
        _no_key,
        ExitCode.USAGE,
        "no API key: pass --api-key or set the AUDIOSHAKE_API_KEY environment variable",
    ),
    (_refused, ExitCode.API, "GET /models: " + UNREACHABLE.format(API)),
    (_refused_at, ExitCode.API, "GET /models: " + UNREACHABLE.format("http://127.0.0.1:9")),
    (
        _unknown_host,
        ExitCode.API,
        "GET /tasks/{{id}}: could not reach https://api.test (4 attempts over 3.0 s):"
        " name or service not known",
    ),
    (
        _batch_other_targets,
        ExitCode.USAGE,
        "--output: {tmp}/audioshake-batch.sqlite was made for other targets (vocals) than"
        " this batch (drums); use --restart to start a new batch there, or another OUT_DIR",
    ),
    (
        _batch_not_a_manifest,
        ExitCode.USAGE,
        "--output: cannot use {tmp}/audioshake-batch.sqlite as the batch manifest: file is not"
        " a database; use --restart to start a new batch there, or another OUT_DIR",
    ),
    (_batch_no_input, ExitCode.USAGE, "INPUT_DIR: {tmp}/nowhere does not exist"),
    (
        _batch_empty,
        ExitCode.USAGE,
        "no media files in {tmp}/in (looked for wav, aiff, flac, mp3, aac/m4a, mp4, mov;"
        " use -r for subfolders)",
    ),
    (_interrupted, ExitCode.INTERRUPTED, "interrupted"),
    (_interrupted_before_create, ExitCode.INTERRUPTED, "interrupted"),
    (_interrupted_after_create, ExitCode.INTERRUPTED, RESUME),
    (
        _interrupted_batch,
        ExitCode.INTERRUPTED,
        "interrupted; run the same command again to resume",
    ),
]


@pytest.mark.parametrize(("setup", "code", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_cli_errors_and_their_exact_text(
    run: Run,
    api: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    wav: Path,
    setup: Callable[..., list[str]],
    code: ExitCode,
    message: str,
) -> None:
    args = setup(monkeypatch, api, tmp_path)
    result = run(*args)
    assert result.exit_code == code, result.output
    assert error_line(result) == "error: " + message.format(tmp=tmp_path)


def test_the_unreachable_time_is_the_clock_s(
    run: Run, api: respx.MockRouter, clock: FakeClock
) -> None:
    """The "over N s" of an unreachable service is the time its retries waited."""
    api.get(f"{API}/models").mock(side_effect=httpx.ConnectError("refused"))
    result = run("models")
    assert len(clock.sleeps) == 3
    assert f"(4 attempts over {sum(clock.sleeps):.1f} s): refused" in error_line(result)


def test_python_callers_keep_the_python_wording(monkeypatch: pytest.MonkeyPatch) -> None:
    from audioshake_kit import ConfigurationError

    monkeypatch.delenv("AUDIOSHAKE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="pass api_key= or set the AUDIOSHAKE_API_KEY"):
        AudioShake()


def test_a_python_interrupt_after_the_create_carries_the_task_id(
    api: respx.MockRouter, wav: Path, tmp_path: Path, clock: FakeClock
) -> None:
    api.post(f"{API}/assets").respond(200, json=ASSET)
    api.post(f"{API}/tasks").respond(200, json=task_json(targets=[target_json("vocals")]))
    api.get(f"{API}/tasks/task-1").mock(side_effect=interrupt)
    with (
        AudioShake("k", base_url=API, clock=clock.now, sleep=clock.sleep) as client,
        pytest.raises(KeyboardInterrupt) as info,
    ):
        client.separate(wav, "vocals", tmp_path)
    assert getattr(info.value, "task_id", None) == "task-1"
    assert "resume it with wait('task-1')" in " ".join(info.value.__notes__)


@pytest.mark.parametrize(
    "command",
    [
        ["models"],
        ["tasks", "list"],
        ["tasks", "get", "task-1"],
        ["assets", "list"],
        ["usage"],
        ["wait", "task-1"],
        ["download", "task-1"],
        ["estimate", "{wav}", "-t", "vocals"],
        ["separate", "{wav}", "-t", "vocals"],
        ["batch", "{tmp}", "-t", "vocals", "-o", "{tmp}/out"],
    ],
)
def test_every_command_exits_130_on_ctrl_c(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    wav: Path,
    tmp_path: Path,
    command: list[str],
) -> None:
    monkeypatch.setattr(context, "CLIENT_FACTORY", interrupt)
    result = run(*(a.format(wav=wav, tmp=tmp_path) for a in command))
    assert result.exit_code == 130, result.output
    assert error_line(result).startswith("error: interrupted")
