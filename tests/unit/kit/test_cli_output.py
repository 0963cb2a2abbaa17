"""What the ``audioshake`` command prints, in detail: usage lines, the help's words for
what a command does, counts in words, the models table, and the JSON's UTC datetimes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import respx

from .helpers import API, FILES, target_json, task_json

Run = Callable[..., Any]


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


def test_estimate_says_why_it_takes_a_key_and_url_it_does_not_use(
    run: Run, api: respx.MockRouter, wav: Path
) -> None:
    help_ = " ".join(run("estimate", "--help").stdout.split())
    assert "Sends nothing" in help_
    assert help_.count("Not used: estimate sends nothing") == 2  # --api-key and --base-url
    result = run("estimate", wav, "-t", "vocals", "--api-key", "x", "--base-url", "http://x.test")
    assert result.exit_code == 0, result.output  # old scripts still work
    assert not api.calls


def test_usage_help_says_what_it_prints(run: Run, api: respx.MockRouter) -> None:
    help_ = " ".join(run("usage", "--help").stdout.split())
    assert "Credits used" not in help_
    assert "Targets run and minutes processed, per month or, with --distribution, per model" in (
        help_
    )
    api.get(f"{API}/tasks/statistics").respond(
        200,
        json=[
            {"month": "2026-04", "totalTargets": 1, "totalMinutes": "3"},
            {"month": "2026-05", "totalTargets": 2, "totalMinutes": "7"},
        ],
    )
    result = run("usage")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["2026-04: 1 target, 3 min", "2026-05: 2 targets, 7 min"]


@pytest.mark.parametrize(
    ("models", "words"), [(["vocals"], "1 target"), (["vocals", "drums"], "2 targets")]
)
def test_separate_counts_targets_in_words(
    run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path, models: list[str], words: str
) -> None:
    api.post(f"{API}/assets").respond(
        200, json={"id": "asset-1", "format": "wav", "name": "song.wav"}
    )
    api.post(f"{API}/tasks").respond(200, json=task_json(targets=[target_json(m) for m in models]))
    done = task_json(targets=[target_json(m, "completed") for m in models])
    api.get(f"{API}/tasks/task-1").respond(200, json=done)
    api.get(url__regex=rf"{FILES}/.*").respond(200, content=b"stem")
    args = [a for m in models for a in ("-t", m)]
    result = run("separate", wav, *args, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert f"task-1 created; waiting for {words}\n" in result.stdout


MODELS = {
    "models": [
        {
            "id": "vocals",
            "name": "Vocals",
            "category": "instrumentStemSeparation",
            "access": "enabled",
            "outputFormats": ["wav", "mp3", "flac", "aiff", "mp4"],
            "creditsPerMinute": 1.0,
            "supportsResidual": True,
            "variants": [{"id": "high_quality", "creditsPerMinute": 1.5}],
        },
        {
            "id": "multi_voice",
            "name": "Multi Voice",
            "category": "speechSeparationWithAVeryLongCategoryName",
            "access": "enabled",
            "outputFormats": ["wav"],
            "creditsPerMinute": 10.0,
            "supportsResidual": False,
            "variants": [{"id": "two_speaker", "default": True}, {"id": "n_speaker"}],
        },
        {
            "id": "music_detection",
            "name": "Music Detection",
            "access": "request_access",
            "outputFormats": ["json"],
        },
    ]
}


def _cells(table: str, column: int) -> dict[str, str]:
    """The text of ``column`` in each row without spaces, keyed by the row's id (folded
    lines joined)."""
    rows: dict[str, str] = {}
    key = ""
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.split("│")[1:-1]]
        key = cells[0] or key
        rows[key] = rows.get(key, "") + "".join(cells[column].split())
    return rows


def test_models_table_shows_variants_and_residual_and_folds_long_cells(
    run: Run, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from audioshake_kit.cli import render

    monkeypatch.setattr(render, "out", Console(width=120, highlight=False))
    api.get(f"{API}/models").respond(200, json=MODELS)
    result = run("models")
    assert result.exit_code == 0, result.output
    table = result.stdout
    assert "…" not in table
    assert max(len(line) for line in table.splitlines()) <= 120
    header = [c.strip() for c in table.splitlines()[2].split("┃")[1:-1]]
    assert header == [
        "id",
        "name",
        "category",
        "credits/min",
        "variants",
        "residual",
        "formats",
        "access",
    ]
    assert _cells(table, 2)["multi_voice"] == "speechSeparationWithAVeryLongCategoryName"
    assert _cells(table, 4) == {
        "vocals": "high_quality(1.5)",
        "multi_voice": "two_speaker*,n_speaker",
        "music_detection": "",
    }
    assert _cells(table, 5) == {"vocals": "yes", "multi_voice": "no", "music_detection": ""}


def test_json_of_tasks_and_assets_writes_utc_times_with_z_as_the_api_does(
    run: Run, api: respx.MockRouter
) -> None:
    created, updated = "2026-05-28T20:26:40Z", "2026-05-28T20:27:41.500000Z"
    target = {**target_json("vocals", "completed"), "createdAt": created, "updatedAt": updated}
    task = {
        **task_json(targets=[target], metadata="2026-05-28T20:26:40+00:00"),
        "updatedAt": updated,
        "completedAt": updated,
    }
    assert task["createdAt"] == created
    asset = {"id": "asset-1", "format": "wav", "name": "song.wav"}
    api.get(f"{API}/tasks/task-1").respond(200, json=task)
    api.get(f"{API}/tasks").respond(200, json=[task])
    api.get(f"{API}/assets").respond(
        200, json=[{**asset, "createdAt": created, "expiresAt": "2026-05-31T20:26:40Z"}]
    )

    def ok(*args: Any) -> Any:
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        assert '+00:00"' not in result.stdout.replace(task["metadata"], "")
        return json.loads(result.stdout)

    for got in (ok("tasks", "get", "task-1"), ok("tasks", "list")[0], ok("wait", "task-1")["task"]):
        assert (got["createdAt"], got["updatedAt"], got["completedAt"]) == (
            created,
            updated,
            updated,
        )
        assert (got["targets"][0]["createdAt"], got["targets"][0]["updatedAt"]) == (
            created,
            updated,
        )
        assert got["metadata"] == "2026-05-28T20:26:40+00:00"  # stored as-is, not a time
    listed = ok("assets", "list")[0]
    assert (listed["createdAt"], listed["expiresAt"]) == (created, "2026-05-31T20:26:40Z")
