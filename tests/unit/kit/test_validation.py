"""Checks before the network: a bad request raises ValidationError naming the field, and
respx shows that nothing was sent."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from audioshake_client.models import TargetRequest

from audioshake_kit import (
    AudioShake,
    ConfigurationError,
    TargetSpec,
    ValidationError,
    get_catalog,
)

from .helpers import API, task_json

OK = {"asset_id": "asset-1"}

BAD_TASKS: list[tuple[str, Any, dict[str, Any], str]] = [
    # (case, targets, keyword arguments, field named)
    ("no targets", [], OK, "targets"),
    ("21 targets", ["vocals"] * 21, OK, "targets"),
    ("unknown model", ["vocals", "kazoo"], OK, "targets[1].model"),
    ("format not offered", ["vocals", ("drums", ["wav", "ogg"])], OK, "targets[1].formats[1]"),
    ("text format on audio model", [("vocals", ["json"])], OK, "targets[0].formats[0]"),
    ("audio format on text model", ["transcription:wav"], OK, "targets[0].formats[0]"),
    ("repeated format", [("vocals", ["wav", "wav"])], OK, "targets[0].formats"),
    ("variant not offered", ["drums@high_quality"], OK, "targets[0].variant"),
    ("language of a stem model", [TargetSpec("vocals", language="en")], OK, "targets[0].language"),
    (
        "language not supported",
        [TargetSpec("transcription", language="xx")],
        OK,
        "targets[0].language",
    ),
    (
        "transcript for a stem model",
        [{"model": "vocals", "transcriptUrl": "https://x.test/l.txt"}],
        OK,
        "targets[0].transcriptUrl",
    ),
    (
        "transcript asset for transcription",
        [{"model": "transcription", "transcript_asset_id": "a"}],
        OK,
        "targets[0].transcriptAssetId",
    ),
    (
        "both transcripts",
        [{"model": "alignment", "transcriptUrl": "https://x.test/l.txt", "transcriptAssetId": "a"}],
        OK,
        "targets[0].transcriptUrl",
    ),
    (
        "http transcript",
        [{"model": "alignment", "transcriptUrl": "http://x.test/l.txt"}],
        OK,
        "targets[0].transcriptUrl",
    ),
    ("duplicate target", ["vocals", "drums", "vocals:mp3"], OK, "targets[2]"),
    ("duplicate by default variant", ["multi_voice", "multi_voice@two_speaker"], OK, "targets[1]"),
    ("no source", ["vocals"], {}, "url/assetId"),
    ("two sources", ["vocals"], {"asset_id": "a", "url": "https://x.test/a.mp3"}, "url/assetId"),
    ("http url", ["vocals"], {"url": "http://x.test/a.mp3"}, "url"),
    ("url without host", ["vocals"], {"url": "https://"}, "url"),
    ("empty asset id", ["vocals"], {"asset_id": ""}, "assetId"),
    ("metadata too long", ["vocals"], {**OK, "metadata": "x" * 4097}, "metadata"),
    ("metadata not a string", ["vocals"], {**OK, "metadata": {"a": 1}}, "metadata"),
    ("callback not a URL", ["vocals"], {**OK, "callback_url": "ftp://x"}, "callbackUrl"),
    ("bad target syntax", ["vocals::wav"], OK, "targets[0]"),
    ("unknown dict key", [{"model": "vocals", "format": ["wav"]}], OK, "targets[0].format"),
    ("dict without model", [{"formats": ["wav"]}], OK, "targets[0].model"),
    ("residual not a bool", [{"model": "vocals", "residual": "yes"}], OK, "targets[0].residual"),
    ("not a target", [42], OK, "targets[0]"),
    ("formats not strings", [("vocals", [1])], OK, "targets[0].formats"),
]


@pytest.mark.parametrize(
    ("targets", "kwargs", "field"),
    [pytest.param(t, k, f, id=case) for case, t, k, f in BAD_TASKS],
)
def test_bad_task_is_refused_before_sending(
    client: AudioShake, api: respx.MockRouter, targets: Any, kwargs: dict[str, Any], field: str
) -> None:
    route = api.post(f"{API}/tasks").respond(200, json=task_json())
    with pytest.raises(ValidationError) as info:
        client.create_task(targets, **kwargs)
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}: ")
    assert not route.called
    assert not api.calls


GOOD_TARGETS: list[tuple[Any, dict[str, Any]]] = [
    ("vocals", {"model": "vocals", "formats": ["wav"]}),
    ("transcription", {"model": "transcription", "formats": ["json"]}),
    (("vocals", ["wav", "mp3"]), {"model": "vocals", "formats": ["wav", "mp3"]}),
    (
        "vocals@high_quality:flac+residual",
        {"model": "vocals", "formats": ["flac"], "variant": "high_quality", "residual": True},
    ),
    (
        TargetSpec("alignment", ("srt",), language="en", transcript_url="https://x.test/l.txt"),
        {
            "model": "alignment",
            "formats": ["srt"],
            "language": "en",
            "transcriptUrl": "https://x.test/l.txt",
        },
    ),
    (
        {"model": "drums", "formats": "mp3", "residual": False},
        {"model": "drums", "formats": ["mp3"], "residual": False},
    ),
    (
        TargetRequest.from_dict({"model": "bass", "formats": ["aiff"]}),
        {"model": "bass", "formats": ["aiff"]},
    ),
    ("music_removal", {"model": "music_removal", "formats": ["wav"]}),  # gated: server decides
]


@pytest.mark.parametrize(("target", "wire"), GOOD_TARGETS)
def test_target_forms_become_the_wire_shape(
    client: AudioShake, api: respx.MockRouter, target: Any, wire: dict[str, Any]
) -> None:
    route = api.post(f"{API}/tasks").respond(200, json=task_json())
    client.create_task([target], asset_id="asset-1", metadata="m", callback_url="https://cb.test")
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "targets": [wire],
        "assetId": "asset-1",
        "metadata": "m",
        "callbackUrl": "https://cb.test",
    }


def test_a_single_target_need_not_be_in_a_list(client: AudioShake, api: respx.MockRouter) -> None:
    route = api.post(f"{API}/tasks").respond(200, json=task_json())
    client.create_task(("vocals", ["mp3"]), url="https://x.test/a.mp3")
    assert json.loads(route.calls.last.request.content)["targets"] == [
        {"model": "vocals", "formats": ["mp3"]}
    ]


@pytest.fixture
def small_limit_client(api: respx.MockRouter) -> AudioShake:
    cat = get_catalog()
    small = dataclasses.replace(cat, limits=dataclasses.replace(cat.limits, max_upload_bytes=100))
    return AudioShake("key", base_url=API, catalog=small)


def test_upload_checks_run_before_sending(
    client: AudioShake,
    small_limit_client: AudioShake,
    api: respx.MockRouter,
    tmp_path: Path,
    wav: Path,
) -> None:
    route = api.post(f"{API}/assets").respond(200, json={"id": "a", "format": "wav", "name": "x"})
    text = tmp_path / "notes.bin"
    text.write_bytes(b"\x00\x01\x02\x03 not media")
    cases = [
        (client, tmp_path / "missing.wav", "no such file"),
        (client, tmp_path, "not a regular file"),
        (client, text, "not a supported type"),
        (small_limit_client, wav, "limited to 100 bytes"),
    ]
    for c, path, message in cases:
        with pytest.raises(ValidationError, match=message) as info:
            c.upload(path)
        assert info.value.field == "path"
    assert not route.called


def test_no_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDIOSHAKE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="AUDIOSHAKE_API_KEY"):
        AudioShake()


def test_configuration_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOSHAKE_API_KEY", "env-key")
    monkeypatch.setenv("AUDIOSHAKE_BASE_URL", "https://env.test")
    assert AudioShake().base_url == "https://env.test"
    assert AudioShake().api_key == "env-key"
    assert AudioShake("arg", base_url="https://arg.test").api_key == "arg"
    mine = httpx.Client(base_url="https://mine.test", headers={"x-api-key": "client-key"})
    c = AudioShake(http_client=mine)
    assert (c.api_key, c.base_url) == ("client-key", "https://mine.test")
    assert mine.headers["x-api-key"] == "client-key"
    c.close()
    assert not mine.is_closed  # not ours to close
    with pytest.raises(ConfigurationError, match="base URL"):
        AudioShake(base_url="api.audioshake.ai")


def test_injected_client_gets_key_and_base_url(api: respx.MockRouter) -> None:
    route = api.get("https://api.test/models").respond(200, json={"models": []})
    with httpx.Client() as http:
        client = AudioShake("k1", base_url=API, http_client=http)
        assert client.models() == []
    assert route.calls.last.request.headers["x-api-key"] == "k1"
