"""URL sources without a network: registered media for its URL, else seeded synthetic
media whose duration comes from ``#duration=SECONDS`` or from the URL's hash (30–300 s),
the same in every mock."""

from __future__ import annotations

import httpx
import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import run, target


def duration_of(mock: InProcessMock, url: str) -> float:
    t = run(mock, {"url": url, "targets": [target("drums")]})["targets"][0]
    seconds: float = t["duration"]
    return seconds


def test_the_duration_fragment_decides(mock: InProcessMock) -> None:
    assert duration_of(mock, "https://x.test/a.mp3#duration=12.5") == 12.5
    assert duration_of(mock, "https://x.test/a.mp3#duration=200.53") == 200.53


@pytest.mark.parametrize(
    "url",
    [
        "https://x.test/song.mp3",
        "https://cdn.test/path/to/other.wav?token=abc",
        "https://x.test/a.mp3#duration=nonsense",
        "https://x.test/a.mp3#duration=-4",
    ],
)
def test_without_a_usable_fragment_the_hash_draws_30_to_300_s(url: str) -> None:
    durations = []
    for seed in (0, 99):  # the mock's seed plays no part: the URL decides
        with InProcessMock(seed=seed) as mock:
            durations.append(duration_of(mock, url))
    assert durations[0] == durations[1]
    assert 30 <= durations[0] <= 300


def test_different_urls_get_different_media(mock: InProcessMock) -> None:
    durations = {duration_of(mock, f"https://x.test/{i}.mp3") for i in range(5)}
    assert len(durations) == 5


def test_synthetic_outputs_are_the_same_in_every_mock() -> None:
    url = "https://x.test/stable.mp3#duration=2"
    files = []
    for seed in (1, 2):
        with InProcessMock(seed=seed) as mock:
            t = run(mock, {"url": url, "targets": [target("bass", "flac")]})["targets"][0]
            files.append(mock.client.get(t["output"][0]["link"]).content)
    assert files[0] == files[1]
    assert len(files[0]) > 1000


def test_registered_media_wins_over_the_fragment(
    mock: InProcessMock, make_media: MakeMedia
) -> None:
    url = "https://x.test/registered.mp3#duration=500"
    mock.admin.register_media(url, path=make_media("wav", 1.5))
    assert duration_of(mock, url) == pytest.approx(1.5, abs=0.001)


def test_no_network_is_touched(mock: InProcessMock, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the mock tried to reach the network")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_network)
    t = run(
        mock, {"url": "https://unreachable.invalid/a.mp3#duration=3", "targets": [target("vocals")]}
    )
    assert t["targets"][0]["status"] == "completed"
    assert mock.client.get(t["targets"][0]["output"][0]["link"]).status_code == 200
