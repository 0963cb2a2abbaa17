"""``audioshake batch``: exit codes, --json, --dry-run, --restart/--resume (in-process
mock through ``context.CLIENT_FACTORY``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from audioshake_kit import AudioShake
from audioshake_kit.cli import context, main
from mock_server.harness import InProcessMock

from .helpers import calls

Run = Callable[..., Any]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, mock: InProcessMock) -> Run:
    def factory(api_key: str | None, *, base_url: str | None = None) -> AudioShake:
        return mock.facade()

    monkeypatch.setattr(context, "CLIENT_FACTORY", factory)
    monkeypatch.delenv("AUDIOSHAKE_DEBUG", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main.app, ["batch", *(str(a) for a in args)])


def test_a_clean_batch_exits_0_and_says_where_the_report_is(
    run: Run, songs: Path, tmp_path: Path
) -> None:
    result = run(songs, "-t", "vocals", "-t", "drums:wav,mp3", "-o", tmp_path / "out", "-r")
    assert result.exit_code == 0, result.output
    assert "done" in result.stdout and "audioshake-batch-report.json" in result.stdout
    assert (tmp_path / "out" / "sub" / "d" / "drums.mp3").is_file()
    again = run(
        songs, "-t", "vocals", "-t", "drums:wav,mp3", "-o", tmp_path / "out", "-r", "--resume"
    )
    assert again.exit_code == 0


def test_json_prints_the_report(run: Run, songs: Path, tmp_path: Path) -> None:
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"] == {"done": 3} and data["ok"] is True
    assert data == json.loads((tmp_path / "out" / "audioshake-batch-report.json").read_text())


def test_a_bad_file_exits_1(run: Run, songs: Path, tmp_path: Path) -> None:
    (songs / "bad.mp3").write_bytes(os.urandom(500))
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "bad.mp3" in result.stdout and "skipped" in result.stdout


def test_dry_run_prints_the_estimate_and_sends_nothing(
    run: Run, mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "total" in result.stdout and "a.wav" in result.stdout
    assert mock.admin.requests() == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "vocals"], "-o OUT_DIR"),
        (["-o", "out"], "-t TARGET"),
        (["-t", "vocals", "-o", "out", "--restart", "--resume"], "contradict"),
        (["-t", "kazoo", "-o", "out"], "kazoo"),
    ],
)
def test_usage_errors_exit_2(
    run: Run, mock: InProcessMock, songs: Path, args: list[str], message: str
) -> None:
    result = run(songs, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert mock.admin.requests() == []


def test_timeout_exits_4_and_the_next_run_finishes(run: Run, songs: Path, tmp_path: Path) -> None:
    assert run(songs, "-t", "vocals", "-o", tmp_path / "out", "--timeout", "0").exit_code == 4
    assert run(songs, "-t", "vocals", "-o", tmp_path / "out").exit_code == 0


def test_api_errors_exit_3(run: Run, mock: InProcessMock, songs: Path, tmp_path: Path) -> None:
    mock.admin.add_http_fault(method="POST", path="/assets", status=503, times=4)
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out", "--concurrency", "1")
    assert result.exit_code == 3 and "503" in result.stdout
    assert run(songs, "-t", "vocals", "-o", tmp_path / "out").exit_code == 0


def test_restart_creates_new_tasks(
    run: Run, mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    assert run(songs, "-t", "vocals", "-o", tmp_path / "out").exit_code == 0
    assert run(songs, "-t", "vocals", "-o", tmp_path / "out", "--restart").exit_code == 0
    assert len(calls(mock, "POST", "/tasks")) == 6


def test_the_summary_table_has_no_empty_row(run: Run, songs: Path, tmp_path: Path) -> None:
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1] in ("│", "┃")]
    assert rows and all(line.strip(" │┃") for line in rows), result.stdout


def test_a_rerun_says_once_on_stderr_that_it_resumes(
    run: Run, mock: InProcessMock, songs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run(songs, "-t", "vocals", "-o", out, "--timeout", "0")
    assert first.exit_code == 4 and "Resuming" not in first.output
    again = run(songs, "-t", "vocals", "-o", out)
    assert again.exit_code == 0, again.output
    line = "Resuming from the manifest: 0 of 3 files done, 0 in flight, 3 left"
    assert again.stderr.count("Resuming") == 1 and line in again.stderr
    assert "Resuming" not in again.stdout
    quiet = run(songs, "-t", "vocals", "-o", out, "--json")
    assert quiet.exit_code == 0 and "Resuming" not in quiet.output
    assert json.loads(quiet.stdout)["ok"] is True


def test_without_a_terminal_each_finished_file_is_a_line_on_stderr(
    run: Run, songs: Path, tmp_path: Path
) -> None:
    result = run(songs, "-t", "vocals", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("done ")]
    names = sorted(line.split(" (")[0] for line in lines)
    assert names == ["done a.wav", "done b.wav", "done c.wav"], result.stderr
    assert sorted(line.split(" (")[1] for line in lines) == ["1/3)", "2/3)", "3/3)"]
    assert "done a.wav" not in result.stdout
    quiet = run(songs, "-t", "vocals", "-o", tmp_path / "out2", "--json")
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize("extra", [[], ["-r"], ["--dry-run"]])
def test_an_empty_folder_exits_2_and_says_so(
    run: Run, mock: InProcessMock, tmp_path: Path, extra: list[str]
) -> None:
    (tmp_path / "in").mkdir()
    result = run(tmp_path / "in", "-t", "vocals", "-o", tmp_path / "out", *extra)
    assert result.exit_code == 2, result.output
    assert "no media files in" in result.stderr and "looked for wav, aiff" in result.stderr
    assert ("use -r for subfolders" in result.stderr) == ("-r" not in extra)
    assert "recursive=True" not in result.stderr and "input_dir" not in result.stderr
    assert mock.admin.requests() == [] and not (tmp_path / "out").exists()
