"""Validation of ``POST /tasks``: every malformed body → 400 whose message names the
field; the limits themselves are accepted; unknown fields and query parameters are
ignored (real clients send ``callbackUrl`` and ``?limit=``)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.harness import InProcessMock

from .helpers import create, error, target, url_body

GOOD = url_body(30, target("vocals"))

# -- malformed createTask bodies ------------------------------------------------------

SRC = {"url": "https://x.test/a.mp3#duration=30"}
MALFORMED: list[tuple[str, Any, str]] = [
    ("url not a string", {"url": 123, "targets": [target("vocals")]}, "url"),
    ("assetId not a string", {"assetId": 5, "targets": [target("vocals")]}, "assetId"),
    ("targets not a list", {**SRC, "targets": "vocals"}, "targets"),
    ("target not an object", {**SRC, "targets": ["vocals"]}, "targets[0]"),
    (
        "model not a string",
        {**SRC, "targets": [{"model": 7, "formats": ["wav"]}]},
        "targets[0].model",
    ),
    ("model missing", {**SRC, "targets": [{"formats": ["wav"]}]}, "targets[0].model"),
    ("formats missing", {**SRC, "targets": [{"model": "vocals"}]}, "targets[0].formats"),
    (
        "formats not a list",
        {**SRC, "targets": [target("vocals") | {"formats": "wav"}]},
        "targets[0].formats",
    ),
    (
        "formats empty",
        {**SRC, "targets": [target("vocals") | {"formats": []}]},
        "targets[0].formats",
    ),
    ("format repeated", {**SRC, "targets": [target("vocals", "wav", "wav")]}, "targets[0].formats"),
    (
        "residual not a bool",
        {**SRC, "targets": [target("vocals", residual="yes")]},
        "targets[0].residual",
    ),
    ("unknown model", {**SRC, "targets": [target("kazoo")]}, "targets[0].model"),
    ("unknown format", {**SRC, "targets": [target("vocals", "ogg")]}, "targets[0].formats[0]"),
    (
        "format not offered",
        {**SRC, "targets": [target("vocals", "wav", "json")]},
        "targets[0].formats[1]",
    ),
    (
        "text format on audio model",
        {**SRC, "targets": [target("transcription", "wav")]},
        "targets[0].formats[0]",
    ),
    (
        "variant not offered",
        {**SRC, "targets": [target("drums", variant="high_quality")]},
        "targets[0].variant",
    ),
    (
        "variant of another model",
        {**SRC, "targets": [target("vocals", variant="n_speaker")]},
        "targets[0].variant",
    ),
    (
        "language not supported",
        {**SRC, "targets": [target("transcription", "json", language="xx")]},
        "targets[0].language",
    ),
    (
        "language on a stem model",
        {**SRC, "targets": [target("vocals", language="en")]},
        "targets[0].language",
    ),
    ("both sources", {**SRC, "assetId": "abc", "targets": [target("vocals")]}, "assetId"),
    ("neither source", {"targets": [target("vocals")]}, "url"),
    ("http url", {"url": "http://x.test/a.mp3", "targets": [target("vocals")]}, "url"),
    ("zero targets", {**SRC, "targets": []}, "targets"),
    (
        "21 targets",
        {
            **SRC,
            "targets": [target("vocals", variant="high_quality")]
            + [
                target(m)
                for m in [
                    "instrumental",
                    "drums",
                    "bass",
                    "guitar",
                    "guitar_electric",
                    "guitar_acoustic",
                    "piano",
                    "keys",
                    "strings",
                    "wind",
                    "vocals_lead",
                    "vocals_backing",
                    "other",
                    "other-x-guitar",
                    "dialogue",
                    "effects",
                    "music_fx",
                    "speech_denoise",
                    "speech_dereverb",
                    "vocals",
                ]
            ],
        },
        "targets",
    ),
    (
        "duplicate target",
        {**SRC, "targets": [target("drums"), target("bass"), target("drums", "mp3")]},
        "targets[2]",
    ),
    (
        "duplicate by default variant",
        {**SRC, "targets": [target("multi_voice"), target("multi_voice", variant="two_speaker")]},
        "targets[1]",
    ),
    (
        "metadata too long",
        {**SRC, "metadata": "m" * 4097, "targets": [target("vocals")]},
        "metadata",
    ),
    (
        "metadata not a string",
        {**SRC, "metadata": {"a": 1}, "targets": [target("vocals")]},
        "metadata",
    ),
    (
        "transcriptUrl on a non-alignment model",
        {**SRC, "targets": [target("vocals", transcriptUrl="https://x.test/l.txt")]},
        "targets[0].transcriptUrl",
    ),
    (
        "transcriptAssetId on transcription",
        {**SRC, "targets": [target("transcription", "json", transcriptAssetId="abc")]},
        "targets[0].transcriptAssetId",
    ),
    (
        "http transcriptUrl",
        {**SRC, "targets": [target("alignment", "json", transcriptUrl="http://x.test/l.txt")]},
        "targets[0].transcriptUrl",
    ),
    (
        "second target broken",
        {**SRC, "targets": [target("vocals"), target("drums", "srt")]},
        "targets[1].formats[0]",
    ),
    ("body is an array", [target("vocals")], "body"),
    ("body is a string", "vocals please", "body"),
]


@pytest.mark.parametrize(
    ("body", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_create_is_400_naming_the_field(
    mock: InProcessMock, body: Any, field: str
) -> None:
    message = error(mock.client.post("/tasks", json=body), 400)
    assert field in message, message
    assert mock.client.get("/tasks").json() == []


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"{'single': 'quotes'}", b"\xff\xfe", b'{"targets": [}'], ids=repr
)
def test_malformed_json_is_400_naming_the_body(mock: InProcessMock, raw: bytes) -> None:
    r = mock.client.post("/tasks", content=raw, headers={"content-type": "application/json"})
    assert "body" in error(r, 400)


def test_limits_themselves_are_accepted(mock: InProcessMock) -> None:
    twenty = [target(m) for m in ["vocals", "instrumental", "drums", "bass", "guitar"]]
    twenty += [target(m) for m in ["guitar_electric", "guitar_acoustic", "piano", "keys"]]
    twenty += [target(m) for m in ["strings", "wind", "vocals_lead", "vocals_backing"]]
    twenty += [target(m) for m in ["other", "other-x-guitar", "dialogue", "effects"]]
    twenty += [
        target("music_fx"),
        target("speech_denoise"),
        target("vocals", variant="high_quality"),
    ]
    assert len(twenty) == 20
    task = create(mock.client, {**SRC, "metadata": "m" * 4096, "targets": twenty})
    assert len(task["targets"]) == 20
    assert task["metadata"] == "m" * 4096


# -- leniency -------------------------------------------------------------------------


def test_unknown_query_parameters_are_ignored(mock: InProcessMock) -> None:
    create(mock.client, GOOD)
    r = mock.client.get("/tasks", params={"limit": 1, "foo": "bar", "take": 5})
    assert r.status_code == 200
    assert len(r.json()) == 1
    assert mock.client.get("/models?verbose=true").status_code == 200


def test_unknown_body_fields_are_ignored(mock: InProcessMock) -> None:
    body = {
        **GOOD,
        "callbackUrl": "https://example.test/hook",
        "foo": {"nested": [1, 2]},
        "targets": [{**target("vocals"), "bar": True}],
    }
    task = create(mock.client, body)
    assert "foo" not in task
    assert [t["model"] for t in task["targets"]] == ["vocals"]
