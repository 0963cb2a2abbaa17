"""Output links and retention: signed links valid 1 h on the mock clock (a fresh one on
every read of the task), ``Range`` → 206, tampered or expired → 403; outputs are kept
72 h after the task completes, then ``output expired`` while the task stays readable."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import av
import httpx
import pytest

from mock_server.clock import parse_time
from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import HOUR, TTL_72H, error, get_task, run, target, upload_ok


@pytest.fixture
def done(mock: InProcessMock, make_media: MakeMedia) -> dict:
    asset = upload_ok(mock.client, make_media("wav", 2.0))
    return run(mock, {"assetId": asset["id"], "targets": [target("vocals", "wav", "mp3")]})


def link_of(task: dict, fmt: str = "wav") -> str:
    output = next(o for o in task["targets"][0]["output"] if o["format"] == fmt)
    link: str = output["link"]
    return link


def with_query(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    q.update(changes)
    return urlunsplit(parts._replace(query=urlencode(q)))


def duration_of(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return float(samples / stream.codec_context.sample_rate)


def test_output_link_downloads_a_decodable_file(mock: InProcessMock, done: dict) -> None:
    r = mock.client.get(link_of(done))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("audio/wav")
    assert duration_of(r.content) == pytest.approx(2.0, abs=0.01)
    assert "x-request-id" in r.headers


def test_links_need_no_api_key(mock: InProcessMock, done: dict) -> None:
    with httpx.Client(transport=mock.transport) as anonymous:
        assert anonymous.get(link_of(done, "mp3")).status_code == 200


def test_range_gives_206_and_the_requested_bytes(mock: InProcessMock, done: dict) -> None:
    full = mock.client.get(link_of(done)).content
    r = mock.client.get(link_of(done), headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.content == full[:100]
    assert r.headers["content-range"] == f"bytes 0-99/{len(full)}"
    resume = mock.client.get(link_of(done), headers={"Range": f"bytes={len(full) - 10}-"})
    assert resume.status_code == 206
    assert resume.content == full[-10:]


def test_a_link_expires_after_one_hour_and_a_fresh_read_gives_a_new_one(
    mock: InProcessMock, done: dict
) -> None:
    link = link_of(get_task(mock.client, done["id"]))
    expires = int(parse_qs(urlsplit(link).query)["expires"][0])
    assert expires == int(mock.now() + HOUR)
    mock.advance(HOUR)
    assert mock.client.get(link).status_code == 200  # exactly 1 h: still good
    mock.advance(1)
    assert error(mock.client.get(link), 403) == "link expired"
    fresh = link_of(get_task(mock.client, done["id"]))
    assert fresh != link
    assert mock.client.get(fresh).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: with_query(link, sig="0" * 64),
        lambda link: with_query(link, sig=parse_qs(urlsplit(link).query)["sig"][0][:-1] + "x"),
        lambda link: with_query(
            link, expires=str(int(parse_qs(urlsplit(link).query)["expires"][0]) + HOUR)
        ),
        lambda link: with_query(link, client="someone-else"),
        lambda link: link.replace("/vocals.wav", "/vocals.mp3"),
        lambda link: link.split("?")[0],
    ],
    ids=["sig", "one-char", "expires", "client", "path", "unsigned"],
)
def test_a_tampered_link_is_403(
    mock: InProcessMock, done: dict, tamper: Callable[[str], str]
) -> None:
    link = link_of(done)
    assert mock.client.get(link).status_code == 200
    error(mock.client.get(tamper(link)), 403)


def test_outputs_expire_72_hours_after_completion_and_the_task_stays(
    mock: InProcessMock, done: dict
) -> None:
    completed = parse_time(done["completedAt"])
    assert mock.client.get(link_of(done)).status_code == 200  # rendered on disk now
    output_dir = Path(mock.state.store.tasks_by_id[done["id"]].output_dir or "")
    assert any(output_dir.glob("*-vocals.wav"))

    mock.advance(completed + TTL_72H - 5 - mock.now())
    assert mock.client.get(link_of(get_task(mock.client, done["id"]))).status_code == 200

    mock.advance(10)
    r = mock.client.get(f"/tasks/{done['id']}")
    assert r.status_code == 200
    task = r.json()
    assert task["completedAt"] == done["completedAt"]
    assert task["cost"] == done["cost"]
    message = error(mock.client.get(link_of(task)), 403)
    assert message.startswith("output expired")
    assert not output_dir.exists()


def test_another_task_is_not_reachable_through_a_link(mock: InProcessMock, done: dict) -> None:
    other = run(mock, {"url": "https://x.test/b.mp3#duration=3", "targets": [target("vocals")]})
    link = link_of(done)
    swapped = link.replace(done["id"], other["id"])
    error(mock.client.get(swapped), 403)
