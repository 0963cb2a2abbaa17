"""Webhooks: one signed POST of the full Task per target that ends, to the key's URL
(admin API or ``POST /webhooks``) and to the task's ``callbackUrl``; retried with backoff
on a non-2xx answer or none; every attempt in the delivery log."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable

import httpx
import pytest

from audioshake_kit.errors import WebhookSignatureError
from audioshake_kit.webhooks import SIGNATURE_HEADER, verify, verify_and_parse
from mock_server.harness import InProcessMock, ServedMock

from .helpers import by_model, create, finish, run, target, url_body

SECRET = "whsec_test"
HOOK = "https://hooks.test/audioshake"


class Receiver:
    """Records deliveries; answers with ``answer(n)`` for the n-th (0-based) request."""

    def __init__(self, answer: Callable[[int], int | Exception] = lambda n: 200) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.answer(len(self.requests) - 1)
        if isinstance(result, Exception):
            raise result
        return httpx.Response(result)

    def to(self, url: str) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == url]


@pytest.fixture
def receiver(mock: InProcessMock) -> Receiver:
    rec = Receiver()
    mock.state.webhook_transport = httpx.MockTransport(rec)
    return rec


def test_one_signed_post_of_the_full_task_per_ended_target(
    mock: InProcessMock, receiver: Receiver
) -> None:
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    task = run(mock, url_body(60, target("vocals"), target("drums"), target("bass")))
    deliveries = receiver.to(HOOK)
    assert len(deliveries) == 3
    task_schema = mock.state.validators.responses[("getTask", 200)]
    ended: list[set[str]] = []
    for request in deliveries:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        body = request.content
        verify(body, request.headers[SIGNATURE_HEADER], SECRET, now=mock.now)
        payload = json.loads(body)
        task_schema.validate(payload)
        assert payload["id"] == task["id"]
        assert len(payload["targets"]) == 3
        ended.append({t["id"] for t in payload["targets"] if t["status"] != "processing"})
    # each delivery reports one more ended target
    assert [len(e) for e in ended] == [1, 2, 3]
    assert ended[0] < ended[1] < ended[2]
    assert {d["targetId"] for d in mock.admin.deliveries("test-key")} == ended[2]
    last = json.loads(deliveries[-1].content)
    assert last["completedAt"] == task["completedAt"]
    assert last["cost"] == task["cost"]


def test_the_signature_fails_for_a_changed_body_or_a_wrong_secret(
    mock: InProcessMock, receiver: Receiver
) -> None:
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    run(mock, url_body(5, target("vocals")))
    (request,) = receiver.requests
    header = request.headers[SIGNATURE_HEADER]
    assert (
        verify_and_parse(request.content, header, SECRET, now=mock.now).targets[0].model == "vocals"
    )
    with pytest.raises(WebhookSignatureError):
        verify(request.content.replace(b"vocals", b"VOCALS"), header, SECRET, now=mock.now)
    with pytest.raises(WebhookSignatureError):
        verify(request.content, header, "another-secret", now=mock.now)
    signed_at = verify(request.content, header, SECRET, now=mock.now)
    assert signed_at == pytest.approx(mock.now(), abs=60)  # signed at mock time


def test_an_errored_target_is_delivered_too(mock: InProcessMock, receiver: Receiver) -> None:
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    mock.admin.add_fault(model="drums", code=5001)
    run(mock, url_body(5, target("drums")))
    (request,) = receiver.requests
    t = json.loads(request.content)["targets"][0]
    assert (t["status"], t["error"]["code"]) == ("error", 5001)


def test_no_webhook_no_delivery(mock: InProcessMock, receiver: Receiver) -> None:
    run(mock, url_body(5, target("vocals")))
    assert receiver.requests == []
    assert mock.admin.deliveries() == []


def test_a_failed_delivery_is_retried_when_the_clock_moves(mock: InProcessMock) -> None:
    receiver = Receiver(lambda n: 500 if n == 0 else 200)
    mock.state.webhook_transport = httpx.MockTransport(receiver)
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    task_id = create(mock.client, url_body(5, target("vocals")))["id"]
    finish(mock, task_id, step=0.5)
    assert len(receiver.requests) == 1
    (delivery,) = mock.admin.deliveries("test-key")
    assert delivery["state"] == "pending"
    assert [a["status"] for a in delivery["attempts"]] == [500]

    for _ in range(120):  # wait in mock time for the retry (bounded: 10 min)
        if len(receiver.requests) == 2:
            break
        mock.advance(5)
    assert len(receiver.requests) == 2
    (delivery,) = mock.admin.deliveries("test-key")
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    first, second = delivery["attempts"]
    assert second["at"] > first["at"]
    retry = receiver.requests[1]
    assert retry.content == receiver.requests[0].content
    verify(retry.content, retry.headers[SIGNATURE_HEADER], SECRET, now=mock.now)
    mock.advance(3600)
    assert len(receiver.requests) == 2  # delivered: no more attempts


def test_no_answer_is_retried_with_growing_delays(mock: InProcessMock) -> None:
    receiver = Receiver(lambda n: httpx.ConnectError("refused") if n < 3 else 204)
    mock.state.webhook_transport = httpx.MockTransport(receiver)
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    run(mock, url_body(5, target("vocals")))
    mock.advance(3600)
    (delivery,) = mock.admin.deliveries("test-key")
    assert delivery["state"] == "delivered"
    statuses = [a["status"] for a in delivery["attempts"]]
    assert statuses == [None, None, None, 204]
    assert all(a["error"] for a in delivery["attempts"][:3])
    times = [a["at"] for a in delivery["attempts"]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]


def test_callback_url_gets_deliveries_too(mock: InProcessMock, receiver: Receiver) -> None:
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    callback = "https://app.test/callbacks/task-1"
    body = url_body(5, target("vocals"), target("drums")) | {"callbackUrl": callback}
    task = run(mock, body)
    assert len(receiver.to(callback)) == 2
    assert len(receiver.to(HOOK)) == 2
    for request in receiver.to(callback):
        assert json.loads(request.content)["id"] == task["id"]
        verify(request.content, request.headers[SIGNATURE_HEADER], SECRET, now=mock.now)
    sources = sorted(d["source"] for d in mock.admin.deliveries("test-key"))
    assert sources == ["account", "account", "callbackUrl", "callbackUrl"]


def test_callback_url_alone_is_enough(mock: InProcessMock, receiver: Receiver) -> None:
    callback = "https://app.test/only-callback"
    run(mock, url_body(5, target("vocals")) | {"callbackUrl": callback})
    assert len(receiver.to(callback)) == 1
    assert json.loads(receiver.requests[0].content)["targets"][0]["status"] == "completed"


def test_post_webhooks_registers_the_url_and_returns_a_secret(
    mock: InProcessMock, receiver: Receiver
) -> None:
    r = mock.client.post("/webhooks", json={"url": HOOK})
    assert r.status_code == 200
    registration = r.json()
    assert registration["url"] == HOOK
    secret = registration["secret"]
    assert isinstance(secret, str) and len(secret) >= 16
    assert mock.admin.key_info("test-key")["webhookUrl"] == HOOK

    task = run(mock, url_body(5, target("vocals")))
    (request,) = receiver.to(HOOK)
    verify(request.content, request.headers[SIGNATURE_HEADER], secret, now=mock.now)
    assert json.loads(request.content)["id"] == task["id"]


def test_post_webhooks_validates_the_url(mock: InProcessMock) -> None:
    r = mock.client.post("/webhooks", json={"url": "ftp://nope"})
    assert r.status_code == 400
    assert "url" in r.json()["message"]
    assert mock.client.post("/webhooks", json={}).status_code == 400


def test_deliveries_belong_to_their_key(mock: InProcessMock, receiver: Receiver) -> None:
    mock.admin.set_webhook("other-key", "https://other.test/hook", "s")
    run(mock, url_body(5, target("vocals")))  # test-key has no webhook
    with mock.new_client("other-key") as other:
        theirs = run(mock, url_body(5, target("drums")), other)
    assert mock.admin.deliveries("test-key") == []
    (delivery,) = mock.admin.deliveries("other-key")
    assert delivery["taskId"] == theirs["id"]
    assert by_model(json.loads(receiver.requests[0].content))["drums"]["status"] == "completed"


class LoopWatch(Receiver):
    """A receiver that also notes, per delivery, whether it was sent from a thread
    running an event loop (it must never be: sync httpx there blocks the loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_loop: list[bool] = []
        self.arrived = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:
            self.on_loop.append(False)
        self.arrived.set()
        return super().__call__(request)


def test_advancing_over_http_sends_webhooks_off_the_event_loop(mock: InProcessMock) -> None:
    watch = LoopWatch()
    mock.state.webhook_transport = httpx.MockTransport(watch)
    mock.admin.set_webhook("test-key", HOOK, SECRET)
    create(mock.client, url_body(5, target("vocals"), target("drums")))
    for body in ({"advance": 60}, {"set": "2026-01-02T00:00:00Z"}):
        assert mock.client.post("/_mock/clock", json=body).status_code == 200
    assert watch.on_loop == [False, False]  # both targets ended within the first advance
    assert [d["state"] for d in mock.admin.deliveries("test-key")] == ["delivered"] * 2


@pytest.mark.slow
def test_the_real_clock_ticker_sends_webhooks_off_the_event_loop() -> None:
    watch = LoopWatch()
    with ServedMock(clock="real", speed=1000) as mock:
        mock.state.webhook_transport = httpx.MockTransport(watch)
        mock.admin.set_webhook("test-key", HOOK, SECRET)
        create(mock.client, url_body(5, target("vocals")))
        assert watch.arrived.wait(timeout=10), "no delivery from the ticker"
    assert watch.on_loop and not any(watch.on_loop)
