"""Webhook delivery from ``audioshake-mock serve`` to a receiver on a local port: signed
with the secret ``POST /webhooks`` returned, and retried 10 s (mock time) after a first
delivery that failed. The manual clock is moved over HTTP, so nothing waits for real."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from audioshake_kit import AudioShake
from audioshake_kit.webhooks import SIGNATURE_HEADER, verify, verify_and_parse

from .conftest import MockProcess, wait_for

pytestmark = pytest.mark.slow


class Receiver(ThreadingHTTPServer):
    """Answers 500 to the first ``fail_first`` deliveries, 200 after; keeps them all."""

    def __init__(self, fail_first: int = 1) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/audioshake"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        status = 500 if len(self.server.received) < self.server.fail_first else 200
        self.server.received.append((dict(self.headers.items()), body, status))
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_failed_delivery_is_retried_and_every_delivery_is_signed(
    manual_mock: MockProcess, receiver: Receiver
) -> None:
    key = "e2e-webhooks"
    registered = httpx.post(
        f"{manual_mock.base_url}/webhooks",
        json={"url": receiver.url},
        headers={"x-api-key": key},
        timeout=30,
    )
    assert registered.status_code == 200, registered.text
    secret = registered.json()["secret"]

    with AudioShake(key, base_url=manual_mock.base_url) as shake:
        task = shake.create_task("vocals", url="https://media.test/song.wav#duration=5")
    assert not receiver.received  # nothing happens until the mock clock moves

    # Second by second until the target ends: its delivery goes out and fails (500).
    # (One long advance would also send the retries that fall due within it.)
    wait_for(
        lambda: manual_mock.advance(1) and receiver.received, timeout=30, what="a first delivery"
    )
    assert len(receiver.received) == 1
    manual_mock.advance(9)  # less than 10 s after the failure: no retry yet
    assert len(receiver.received) == 1
    manual_mock.advance(1)
    assert len(receiver.received) == 2  # sent before the clock call answered

    now = manual_mock.now()
    stamps = []
    for headers, body, _ in receiver.received:
        header = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
        stamps.append(verify(body, header, secret, now=lambda: now))
        delivered = verify_and_parse(body, header, secret, now=lambda: now)
        assert delivered.id == task.id
        assert [t.status.value for t in delivered.targets] == ["completed"]
    assert stamps[1] - stamps[0] == 10
    # a payload signed with another secret, or altered, is refused
    headers, body, _ = receiver.received[1]
    with pytest.raises(Exception, match="signature"):
        verify(body + b" ", headers.get(SIGNATURE_HEADER), secret, tolerance_s=None)

    log = manual_mock.admin.get("/_mock/webhook/deliveries", headers={"x-api-key": key}).json()
    assert [(d["state"], [a["status"] for a in d["attempts"]]) for d in log] == [
        ("delivered", [500, 200])
    ]
