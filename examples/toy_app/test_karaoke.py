"""Tests of the toy karaoke app, with the audioshake-kit pytest fixtures: no key, no
network, no sleeping. ``audioshake_mock`` is the mock in this process on a manual clock;
``audioshake_mock_server`` is the mock on a real socket for code that reads the
environment."""

import pytest
from karaoke import KaraokeError, make_karaoke

from audioshake_kit import AudioShake
from mock_server.synth import synth_media


@pytest.fixture
def song(tmp_path):
    return synth_media(tmp_path / "song.wav", 8.0, "wav")  # 8 s of seeded music


def test_the_instrumental_is_saved_and_billed(audioshake_mock, song, tmp_path):
    with audioshake_mock.facade() as client:
        track = make_karaoke(song, tmp_path / "out", client)
    assert track.path.suffix == ".mp3" and track.path.stat().st_size > 0
    charges = [e for e in audioshake_mock.admin.ledger("test-key") if e["kind"] == "charge"]
    assert [(e["model"], e["minutes"]) for e in charges] == [("instrumental", 1)]
    assert track.credits == sum(e["credits"] for e in charges) > 0


def test_a_failure_before_processing_is_free(audioshake_mock, song, tmp_path):
    audioshake_mock.admin.add_fault(model="instrumental", code=4001, message="not decodable")
    with audioshake_mock.facade() as client, pytest.raises(KaraokeError) as caught:
        make_karaoke(song, tmp_path / "out", client)
    assert not caught.value.charged and "not charged" in str(caught.value)


def test_a_failure_mid_processing_is_charged(audioshake_mock, song, tmp_path):
    audioshake_mock.admin.add_fault(model="instrumental")  # the default code: 5xxx
    with audioshake_mock.facade() as client, pytest.raises(KaraokeError) as caught:
        make_karaoke(song, tmp_path / "out", client)
    assert caught.value.charged and "refund" in str(caught.value)
    refunds = audioshake_mock.admin.refund(caught.value.task_id)  # what support would do
    assert refunds and refunds[0]["kind"] == "refund"


def test_links_that_expired_overnight_are_refreshed(audioshake_mock, song, tmp_path):
    with audioshake_mock.facade() as client:
        make_karaoke(song, tmp_path / "first", client)
        (task,) = client.list_tasks()
        audioshake_mock.advance(2 * 3600)  # the task's output links last one hour
        assert client.download(task.id, tmp_path / "again")  # fetched with fresh links


@pytest.mark.audioshake_mock(rate_limit=2)
def test_the_app_survives_the_rate_limit(audioshake_mock, song, tmp_path):
    with audioshake_mock.facade() as client:
        for n in range(3):  # dozens of requests at 2 a second: 429s, Retry-After, retries
            make_karaoke(song, tmp_path / f"out{n}", client)
    statuses = [r["status"] for r in audioshake_mock.admin.requests()]
    assert 429 in statuses  # the limit was hit, and the app still got its three tracks


def test_the_app_as_deployed_reads_the_environment(
    audioshake_mock_server, monkeypatch, song, tmp_path
):
    for name, value in audioshake_mock_server.env().items():
        monkeypatch.setenv(name, value)  # AUDIOSHAKE_BASE_URL and AUDIOSHAKE_API_KEY
    track = make_karaoke(song, tmp_path / "out")  # a real socket, a clock 60x the wall
    with AudioShake() as client:  # the charge is what the estimate said
        assert track.credits == client.estimate(song, ["instrumental"]).total
