"""Output links over a real socket: a link works for an hour of mock time, then 403; the
facade downloads with a stale read by refreshing its links; 72 h after completion the
outputs are gone and even a fresh link is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from audioshake_client.models import Task
from audioshake_client.types import Unset

from audioshake_kit import AudioShake
from audioshake_kit.errors import LinkExpiredError

from .conftest import MockProcess

pytestmark = pytest.mark.slow

HOUR = 3600.0


def first_link(task: Task) -> str:
    return next(o.link for t in task.targets if not isinstance(t.output, Unset) for o in t.output)


def test_links_expire_after_an_hour_and_a_new_read_refreshes_them(
    manual_mock: MockProcess, tmp_path: Path
) -> None:
    with AudioShake("e2e-links", base_url=manual_mock.base_url) as shake:
        created = shake.create_task(
            ["vocals", "drums:mp3"], url="https://media.test/links.wav#duration=3"
        )
        manual_mock.advance(60)
        read = shake.get_task(created.id)
        assert read.completed_at
        link = first_link(read)
        assert httpx.get(link, timeout=30).status_code == 200

        manual_mock.advance(HOUR + 1)
        refused = httpx.get(link, timeout=30)
        assert refused.status_code == 403 and "link expired" in refused.json()["message"]

        # the read is an hour old: the facade re-reads the task for fresh links
        files = shake.download(read, tmp_path / "stale")
        assert sorted(f.name for f in files) == ["drums.mp3", "vocals.wav"]
        assert httpx.get(first_link(shake.get_task(created.id)), timeout=30).status_code == 200

        manual_mock.advance(72 * HOUR)
        gone = httpx.get(first_link(shake.get_task(created.id)), timeout=30)
        assert gone.status_code == 403 and "output expired" in gone.json()["message"]
        with pytest.raises(LinkExpiredError):
            shake.download(created.id, tmp_path / "late")
        assert shake.get_task(created.id).cost == 2.0  # the record stays readable
