"""The ``audioshake`` command: exit codes, --json shapes, one-line errors, --max-credits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from audioshake_kit import UnknownStatusWarning

from .helpers import API, FILES, target_json, task_json

ASSET = {"id": "asset-1", "format": "wav", "name": "song.wav"}
Run = Callable[..., Any]


def routes(api: respx.MockRouter, *, fail_drums: bool = False) -> respx.Route:
    api.post(f"{API}/assets").respond(200, json=ASSET)
    create = api.post(f"{API}/tasks").respond(
        200, json=task_json(targets=[target_json("vocals"), target_json("drums")])
    )
    drums = target_json("drums", "error" if fail_drums else "completed", cost=1.0)
    done = task_json(targets=[target_json("vocals", "completed"), drums], cost=2.0)
    api.get(f"{API}/tasks/task-1").respond(200, json=done)
    api.get(url__regex=rf"{FILES}/.*").respond(200, content=b"stem")
    return create


def one_line_error(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return str(lines[0])


def test_separate_json(run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path) -> None:
    create = routes(api)
    out = tmp_path / "out"
    result = run(
        "separate", wav, "-t", "vocals", "-t", "drums:wav", "-o", out, "--json", "--metadata", "m"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"task", "succeeded", "failed", "cost", "files", "estimate"}
    assert data["cost"] == 2.0 and data["estimate"]["total"] == 2.0
    assert data["files"] == [str(out / "song" / "vocals.wav"), str(out / "song" / "drums.wav")]
    assert (out / "song" / "vocals.wav").read_bytes() == b"stem"
    assert json.loads(create.calls.last.request.content)["metadata"] == "m"


def test_separate_failing_after_the_create_tells_how_to_resume(
    run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    routes(api)
    api.get(f"{API}/tasks/task-1").respond(503, json={"message": "down"})
    result = run("separate", wav, "-t", "vocals", "-o", tmp_path / "out")
    assert result.exit_code == 3, result.output  # ExitCode.API
    line = one_line_error(result)
    assert "'audioshake wait task-1'" in line and "'audioshake download task-1'" in line


def test_separate_prints_estimate_task_id_table_and_cost(
    run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    routes(api, fail_drums=True)
    result = run("separate", wav, "-t", "vocals", "-t", "drums", "-o", tmp_path)
    assert result.exit_code == 1, result.output  # one target failed
    text = result.stdout
    assert text.index("Estimate") < text.index("task-1 created") < text.index("Charged: 2")
    assert "5001 processing failed" in text


def test_max_credits_refuses_before_sending(run: Run, api: respx.MockRouter, wav: Path) -> None:
    result = run("separate", wav, "-t", "vocals@high_quality", "-t", "drums", "--max-credits", "2")
    assert result.exit_code == 2
    assert "2.5 credits, is over 2" in one_line_error(result)
    assert not api.calls


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "vocals::wav"], "MODEL[@VARIANT]"),
        (["-t", "kazoo"], "unknown model"),
        ([], "at least one -t"),
        (["-t", "vocals", "--language", "en"], "no target takes a language"),
        (["-t", "vocals", "--transcript", "https://x.test/l.txt"], "no target takes a transcript"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    run: Run, api: respx.MockRouter, wav: Path, args: list[str], message: str
) -> None:
    result = run("separate", wav, *args)
    assert result.exit_code == 2
    assert message in one_line_error(result)
    assert not api.calls


def test_missing_file_and_missing_key_exit_2(
    run: Run, wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run("separate", tmp_path / "nope.wav", "-t", "vocals")
    assert result.exit_code == 2 and "no such file" in one_line_error(result)
    monkeypatch.delenv("AUDIOSHAKE_API_KEY")
    result = run("models")
    assert result.exit_code == 2 and "AUDIOSHAKE_API_KEY" in one_line_error(result)


def test_api_error_exits_3(run: Run, api: respx.MockRouter) -> None:
    api.get(f"{API}/models").respond(
        401,
        json={"statusCode": 401, "error": "Unauthorized", "message": "invalid API key"},
        headers={"X-Request-Id": "req-1"},
    )
    result = run("models", "--api-key", "wrong")
    assert result.exit_code == 3
    assert "401: invalid API key (request id req-1)" in one_line_error(result)
    assert api.calls.last.request.headers["x-api-key"] == "wrong"


def test_network_error_exits_3(run: Run, api: respx.MockRouter) -> None:
    api.get(f"{API}/assets").mock(side_effect=httpx.ConnectError("refused"))
    result = run("assets", "list")
    assert result.exit_code == 3 and "refused" in one_line_error(result)


def test_wait_timeout_exits_4(run: Run, api: respx.MockRouter) -> None:
    api.get(f"{API}/tasks/task-1").respond(200, json=task_json())
    result = run("wait", "task-1", "--timeout", "60")
    assert result.exit_code == 4
    assert "did not finish within 60 s" in one_line_error(result)


def test_wait_without_timeout_still_ends_on_a_status_it_does_not_know(
    run: Run, api: respx.MockRouter
) -> None:
    """A status the service added keeps the target unfinished; the CLI's default
    timeout (3 h of the fake clock) ends the wait instead of polling for ever."""
    unknown = task_json(targets=[target_json("vocals", "queued")])
    api.get(f"{API}/tasks/task-1").respond(200, json=unknown)
    with pytest.warns(UnknownStatusWarning, match="'queued'"):
        result = run("wait", "task-1")
    assert result.exit_code == 4
    assert "did not finish within 10800 s" in one_line_error(result)
    assert "vocals: 'queued'" in one_line_error(result)


def test_a_charged_failure_says_support_may_refund_it(run: Run, api: respx.MockRouter) -> None:
    mid = target_json("vocals", "error", error=(5001, "processing failed"))
    before = target_json("drums", "error", error=(4003, "no audio"))
    api.get(f"{API}/tasks/task-1").respond(
        200, json=task_json(targets=[{**mid, "cost": 2.0}, {**before, "cost": 0.0}])
    )
    table = run("wait", "task-1")
    assert table.exit_code == 1
    note = " ".join(table.stdout.split())
    assert "1 failed target (vocals) failed mid-processing and was charged 2 credits" in note
    assert "contact support with task id task-1" in note
    data = json.loads(run("wait", "task-1", "--json").stdout)
    assert [(f["model"], f["cost"], f["charged"]) for f in data["failed"]] == [
        ("vocals", 2.0, True),
        ("drums", 0.0, False),
    ]


def test_a_free_failure_has_no_refund_note(run: Run, api: respx.MockRouter) -> None:
    free = target_json("drums", "error", error=(4003, "no audio"))
    api.get(f"{API}/tasks/task-1").respond(200, json=task_json(targets=[{**free, "cost": 0.0}]))
    result = run("wait", "task-1")
    assert result.exit_code == 1 and "support" not in result.stdout


def test_wait_json(run: Run, api: respx.MockRouter) -> None:
    api.get(f"{API}/tasks/task-1").respond(
        200, json=task_json(targets=[target_json("vocals", "error", error=(4003, "no audio"))])
    )
    result = run("wait", "task-1", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["failed"] == [
        {
            "id": "t-vocals",
            "model": "vocals",
            "code": 4003,
            "message": "no audio",
            "cost": 0.0,
            "charged": False,
        }
    ]


def test_estimate_needs_no_key_and_sends_nothing(
    run: Run, api: respx.MockRouter, wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDIOSHAKE_API_KEY")
    result = run("estimate", wav, "-t", "vocals@high_quality", "-t", "transcription", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["minutes"] == 1 and data["total"] == 2.5
    assert data["lines"][0] == {
        "model": "vocals",
        "variant": "high_quality",
        "minutes": 1,
        "rate": 1.5,
        "credits": 1.5,
    }
    assert not api.calls


def test_listing_commands_json(run: Run, api: respx.MockRouter, tmp_path: Path) -> None:
    api.get(f"{API}/models").respond(
        200,
        json={
            "models": [
                {"id": "vocals", "name": "Vocals", "access": "enabled", "outputFormats": ["wav"]}
            ]
        },
    )
    api.get(f"{API}/tasks").respond(200, json=[task_json(f"t{i}") for i in range(5)])
    api.get(f"{API}/tasks/task-1").respond(
        200, json=task_json(targets=[target_json("vocals", "completed")])
    )
    api.get(f"{API}/assets").respond(200, json=[ASSET])
    api.get(f"{API}/tasks/statistics").respond(
        200, json=[{"month": "2026-05", "totalTargets": 2, "totalMinutes": "7"}]
    )
    api.get(url__regex=rf"{FILES}/.*").respond(200, content=b"x")

    def ok(*args: Any) -> Any:
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert ok("models")[0]["id"] == "vocals"
    assert [t["id"] for t in ok("tasks", "list", "--limit", "3")] == ["t0", "t1", "t2"]
    assert ok("tasks", "get", "task-1")["targets"][0]["status"] == "completed"
    assert ok("assets", "list")[0]["id"] == "asset-1"
    assert ok("usage") == [{"month": "2026-05", "totalTargets": 2, "totalMinutes": "7"}]
    assert ok("download", "task-1", "-o", tmp_path) == {
        "task": "task-1",
        "files": [str(tmp_path / "vocals.wav")],
    }


def test_tables_without_json(run: Run, api: respx.MockRouter) -> None:
    api.get(f"{API}/models").respond(
        200,
        json={
            "models": [
                {
                    "id": "vocals",
                    "name": "Vocals",
                    "access": "enabled",
                    "outputFormats": ["wav"],
                    "creditsPerMinute": 1.0,
                }
            ]
        },
    )
    result = run("models")
    assert result.exit_code == 0 and "vocals" in result.stdout and "Vocals" in result.stdout


def test_transcript_url_goes_to_alignment_targets_only(
    run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    create = routes(api)
    result = run(
        "separate",
        wav,
        "-t",
        "vocals",
        "-t",
        "alignment",
        "--language",
        "en",
        "--transcript",
        "https://x.test/lyrics.txt",
        "-o",
        tmp_path,
        "--json",
    )
    assert result.exit_code == 0, result.output
    targets = json.loads(create.calls.last.request.content)["targets"]
    assert targets == [
        {"model": "vocals", "formats": ["wav"]},
        {
            "model": "alignment",
            "formats": ["json"],
            "language": "en",
            "transcriptUrl": "https://x.test/lyrics.txt",
        },
    ]


def test_transcript_file_is_uploaded_as_an_asset(
    run: Run, api: respx.MockRouter, wav: Path, tmp_path: Path
) -> None:
    create = routes(api)
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("la la la\nla la\n")
    uploads = api.post(f"{API}/assets")
    uploads.side_effect = [
        httpx.Response(200, json=ASSET),
        httpx.Response(200, json={**ASSET, "id": "lyrics-1"}),
    ]
    result = run(
        "separate", wav, "-t", "alignment", "--transcript", lyrics, "-o", tmp_path, "--json"
    )
    assert result.exit_code == 0, result.output
    target = json.loads(create.calls.last.request.content)["targets"][0]
    assert target["transcriptAssetId"] == "lyrics-1"


@pytest.mark.parametrize(
    "command",
    [
        ["separate"],
        ["estimate"],
        ["wait"],
        ["download"],
        ["models"],
        ["tasks", "list"],
        ["tasks", "get"],
        ["assets", "list"],
        ["usage"],
    ],
)
def test_every_command_has_json_and_documents_it(run: Run, command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "--json" in result.stdout
    assert "--base-url" in result.stdout and "--api-key" in result.stdout
