"""Smoke test against the real AudioShake API, opt-in: runs only when
``AUDIOSHAKE_LIVE_API_KEY`` is set (``AUDIOSHAKE_LIVE_BASE_URL`` overrides the URL).

It spends about one credit: models, one 3-second upload, one task (vocals, wav), wait,
download. Every JSON answer goes through the same checks as the mock's (jsonschema
against ``openapi/audioshake.yaml``, then the generated models' round trip), so a failure
here says where the real API and the spec part ways.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audioshake_kit import AudioShake
from mock_server.synth import synth_media
from tests.support.responses import ResponseLog

LIVE_KEY = os.environ.get("AUDIOSHAKE_LIVE_API_KEY")
BASE_URL = os.environ.get("AUDIOSHAKE_LIVE_BASE_URL", "https://api.audioshake.ai")
WAIT_S = 900.0

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not LIVE_KEY,
        reason="live smoke test against the real AudioShake API: set AUDIOSHAKE_LIVE_API_KEY "
        "to run it (it spends about one credit)",
    ),
]


def test_the_real_api_still_matches_the_spec(tmp_path: Path) -> None:
    assert LIVE_KEY is not None
    log = ResponseLog()
    song = synth_media(tmp_path / "smoke.wav", 3.0, "wav", seed=1)
    with AudioShake(LIVE_KEY, base_url=BASE_URL) as shake:
        shake._http.event_hooks["response"].append(log.hook)
        assert "vocals" in {m.id for m in shake.models()}
        log.check_all()

        asset = shake.upload(song)
        assert asset.format_ == "wav"
        log.check_all()

        task = shake.create_task(["vocals:wav"], asset_id=asset.id, metadata="audioshake-kit smoke")
        result = shake.wait(task, timeout=WAIT_S)
        log.check_all()
        assert result.all_succeeded, [f.message for f in result.failed]

        files = shake.download(result, tmp_path / "out")
        assert files and all(f.stat().st_size > 0 for f in files)
        assert any(f.suffix == ".wav" for f in files)
    assert log.checked >= 4
