"""Durations without the ``[media]`` extra: read from headers (mutagen), exact for
wav/aiff/flac, flagged approximate for the rest, and estimates that say so."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import audioshake_kit.domain.media as media_module
from audioshake_kit import AudioShake
from audioshake_kit.cli import context, main
from audioshake_kit.domain.billing import billable_minutes
from audioshake_kit.domain.media import (
    EXACT_FROM_HEADERS,
    MEDIA_EXTRA,
    MEDIA_FORMATS,
    MediaError,
    probe,
)
from mock_server.synth import synth_media

SECONDS = 1.5


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("media")
    return {
        fmt: synth_media(out / f"{fmt}.bin", SECONDS, fmt, seed=5, channels=2, sample_rate=44100)
        for fmt in sorted(MEDIA_FORMATS)
    }


@pytest.fixture
def base_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if PyAV and soundfile were not installed (``probe`` reads headers)."""
    monkeypatch.setattr(media_module, "exact_probing_available", lambda: False)


@pytest.mark.parametrize("fmt", sorted(MEDIA_FORMATS))
def test_headers_agree_with_decoding_and_say_when_they_are_exact(
    media: dict[str, Path], fmt: str
) -> None:
    exact, light = probe(media[fmt], exact=True), probe(media[fmt], exact=False)
    assert exact.exact is True
    assert light.exact is (fmt in EXACT_FROM_HEADERS)
    assert (light.format, light.kind, light.channels, light.sample_rate) == (
        exact.format,
        exact.kind,
        exact.channels,
        exact.sample_rate,
    )
    assert light.duration is not None and exact.duration is not None
    if light.exact:
        assert light.duration == exact.duration
    else:
        assert light.duration == pytest.approx(exact.duration, rel=0.1)


def test_an_adts_header_figure_can_bill_another_minute(tmp_path: Path) -> None:
    """Why the flag exists: the bitrate figure of a 59.9 s ADTS file passes a minute."""
    path = synth_media(tmp_path / "in.aac", 59.9, "aac", seed=7, channels=2, sample_rate=44100)
    exact, light = probe(path, exact=True), probe(path, exact=False)
    assert exact.duration is not None and light.duration is not None
    assert billable_minutes(exact.duration) == 1
    assert billable_minutes(light.duration) == 2
    assert not light.exact


def test_unreadable_headers_are_4001(tmp_path: Path) -> None:
    path = tmp_path / "cut.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64)
    with pytest.raises(MediaError) as err:
        probe(path, exact=False)
    assert err.value.code == 4001


def test_exact_probing_without_the_extra_names_it(
    media: dict[str, Path], base_install: None
) -> None:
    with pytest.raises(ImportError, match=r"audioshake-kit\[media\]"):
        probe(media["mp3"], exact=True)
    assert probe(media["wav"]).exact is True  # None: the best available


def test_estimates_say_per_file_when_they_are_approximate(
    media: dict[str, Path], base_install: None
) -> None:
    client = AudioShake("k", base_url="http://127.0.0.1:9")
    for fmt, path in media.items():
        est = client.estimate(path, ["vocals"])
        assert est.approximate is (fmt not in EXACT_FROM_HEADERS), fmt
    assert client.estimate(61.0, "vocals").approximate is False  # seconds given: exact


def test_with_the_extra_every_estimate_is_exact(media: dict[str, Path]) -> None:
    client = AudioShake("k", base_url="http://127.0.0.1:9")
    for path in media.values():
        est = client.estimate(path, ["vocals"])
        assert est.approximate is False
        assert est.duration == probe(path, exact=True).duration


def test_cli_marks_approximate_figures(
    media: dict[str, Path], base_install: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "CLIENT_FACTORY", AudioShake)
    runner = CliRunner()
    table = runner.invoke(main.app, ["estimate", str(media["mp3"]), "-t", "vocals"])
    assert table.exit_code == 0, table.output
    assert "≈" in table.stdout and MEDIA_EXTRA in " ".join(table.stdout.split())
    data = json.loads(
        runner.invoke(main.app, ["estimate", str(media["mp3"]), "-t", "vocals", "--json"]).stdout
    )
    assert data["approximate"] is True
    exact = runner.invoke(main.app, ["estimate", str(media["wav"]), "-t", "vocals"])
    assert "≈" not in exact.stdout
    wav_json = ["estimate", str(media["wav"]), "-t", "vocals", "--json"]
    assert json.loads(runner.invoke(main.app, wav_json).stdout)["approximate"] is False


def test_a_process_without_pyav_probes_by_headers(media: dict[str, Path]) -> None:
    """The base install for real: ``av`` and ``soundfile`` cannot be imported."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["av"] = None
        sys.modules["soundfile"] = None
        from audioshake_kit import AudioShake
        from audioshake_kit.domain.media import exact_probing_available
        client = AudioShake("k", base_url="http://127.0.0.1:9")
        wav = client.estimate({str(media["wav"])!r}, ["vocals"])
        mp3 = client.estimate({str(media["mp3"])!r}, ["vocals"])
        print(exact_probing_available(), wav.approximate, mp3.approximate, wav.duration)
        print(sorted(m for m in ("av", "soundfile", "numpy") if sys.modules.get(m)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    first, loaded = out.stdout.splitlines()
    assert first == f"False False True {SECONDS}"
    assert loaded == "[]"


def test_a_dry_run_batch_flags_each_approximate_file(
    media: dict[str, Path], base_install: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.wav").write_bytes(media["wav"].read_bytes())
    (inputs / "b.mp3").write_bytes(media["mp3"].read_bytes())
    client = AudioShake("k", base_url="http://127.0.0.1:9")
    report = client.batch(inputs, ["vocals"], tmp_path / "out", dry_run=True)
    assert {f.path: f.approximate for f in report.files} == {"a.wav": False, "b.mp3": True}
    monkeypatch.setattr(context, "CLIENT_FACTORY", AudioShake)
    args = ["batch", str(inputs), "-t", "vocals", "-o", str(tmp_path / "out"), "--dry-run"]
    shown = CliRunner().invoke(main.app, args)
    rows = {
        line.split()[1]: line
        for line in shown.stdout.splitlines()
        if ".wav" in line or ".mp3" in line
    }
    assert "≈" in rows["b.mp3"] and "≈" not in rows["a.wav"]
