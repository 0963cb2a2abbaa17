"""The one-line target syntax MODEL[@VARIANT][:FMT,FMT][+residual] (CLI ``-t``)."""

from __future__ import annotations

import pytest

from audioshake_kit import TargetSpec, ValidationError, format_target, get_catalog, parse_target
from audioshake_kit.targets import PENDING_ASSET, apply_options, default_formats


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("vocals", TargetSpec("vocals")),
        ("vocals@high_quality", TargetSpec("vocals", variant="high_quality")),
        ("drums:mp3", TargetSpec("drums", ("mp3",))),
        ("drums:WAV,mp3", TargetSpec("drums", ("wav", "mp3"))),
        ("drums+residual", TargetSpec("drums", residual=True)),
        (
            "vocals@high_quality:wav,mp3+residual",
            TargetSpec("vocals", ("wav", "mp3"), variant="high_quality", residual=True),
        ),
        ("other-x-guitar:flac", TargetSpec("other-x-guitar", ("flac",))),
        ("multi_voice@n_speaker", TargetSpec("multi_voice", variant="n_speaker")),
        ("  bass  ", TargetSpec("bass")),
    ],
)
def test_parse(text: str, spec: TargetSpec) -> None:
    assert parse_target(text) == spec


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@hq",
        "vocals@",
        "vocals:",
        "vocals:wav,",
        "vocals::wav",
        "vocals+res",
        "voc als",
        "vocals:wav@hq",
        "vocals+residual:wav",
        "-vocals",
    ],
)
def test_bad_syntax_names_the_option(text: str) -> None:
    with pytest.raises(ValidationError, match=r"MODEL\[@VARIANT\]") as info:
        parse_target(text, field="--target")
    assert info.value.field == "--target"


@pytest.mark.parametrize(
    "text", ["vocals", "vocals@high_quality:wav,mp3+residual", "drums+residual", "x:json"]
)
def test_format_round_trips(text: str) -> None:
    assert format_target(parse_target(text)) == text


def test_default_format_is_wav_for_audio_and_json_for_text_models() -> None:
    cat = get_catalog()
    assert {m.id: default_formats(m) for m in cat if m.text_output} == {
        "music_detection": ("json",),
        "transcription": ("json",),
        "alignment": ("json",),
    }
    assert all(default_formats(m) == ("wav",) for m in cat if not m.text_output)


def test_options_go_to_the_targets_that_take_them() -> None:
    cat = get_catalog()
    specs = [parse_target(t) for t in ("vocals", "transcription", "alignment:srt")]
    out = apply_options(specs, cat, language="de", transcript="https://x.test/lyrics.txt")
    assert [s.language for s in out] == [None, "de", "de"]
    assert [s.transcript_url for s in out] == [None, None, "https://x.test/lyrics.txt"]
    local = apply_options(specs, cat, transcript="lyrics.txt")
    assert [s.transcript_asset_id for s in local] == [None, None, PENDING_ASSET]
    assert apply_options(specs, cat) == specs


@pytest.mark.parametrize(
    ("option", "kwargs"),
    [("--language", {"language": "en"}), ("--transcript", {"transcript": "l.txt"})],
)
def test_an_option_no_target_takes_is_an_error(option: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="no target takes") as info:
        apply_options([parse_target("vocals"), parse_target("kazoo")], get_catalog(), **kwargs)
    assert info.value.field == option
