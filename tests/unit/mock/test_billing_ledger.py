"""Billing and credits on the mock: ``ceil(duration / 60) × rate`` per completed target;
a failed target by its error code (4xxx, before processing: 0 and its reservation
released; 5xxx, mid-processing: charged as if completed, refundable through the admin
API as support would); transcription + alignment at 1.5/min together; balances reserve
at create (402 when short) and settle at completion."""

from __future__ import annotations

import pytest

from mock_server.harness import InProcessMock

from .conftest import MakeMedia
from .helpers import by_model, create, error, finish, run, target, upload, url_body

KEY = "test-key"


@pytest.mark.parametrize(
    ("duration", "spec", "cost"),
    [
        (200.53, target("bass"), 4.0),
        (9.485, target("vocals", "mp3", variant="high_quality"), 1.5),
        (9.485, target("vocals", "mp3"), 1.0),
        (60.0, target("drums"), 1.0),
        (60.01, target("drums"), 2.0),
        (61, target("speech_dereverb"), 4.0),
        (125, target("music_detection", "json"), 1.5),
    ],
)
def test_a_completed_target_costs_started_minutes_times_its_rate(
    mock: InProcessMock, duration: float, spec: dict, cost: float
) -> None:
    task = run(mock, url_body(duration, spec))
    t = task["targets"][0]
    assert t["status"] == "completed"
    assert t["cost"] == cost
    assert t["duration"] == pytest.approx(duration)
    assert task["cost"] == cost


def test_a_target_failing_before_processing_costs_nothing_and_its_hold_is_released(
    mock: InProcessMock,
) -> None:
    mock.admin.add_fault(model="drums", code=4001, message="media could not be decoded")
    task = run(mock, url_body(200.53, target("bass"), target("drums")))
    targets = by_model(task)
    assert targets["drums"]["error"]["code"] == 4001
    assert targets["drums"]["cost"] == 0
    assert targets["bass"]["cost"] == 4
    assert task["cost"] == 4

    drums = [e for e in mock.admin.ledger() if e["target_id"] == targets["drums"]["id"]]
    assert [(e["kind"], e["credits"]) for e in drums] == [("reserve", 4.0), ("release", 0.0)]
    bass = [e for e in mock.admin.ledger() if e["target_id"] == targets["bass"]["id"]]
    assert [(e["kind"], e["credits"], e["minutes"]) for e in bass] == [
        ("reserve", 4.0, 4),
        ("charge", 4.0, 4),
    ]


def test_a_target_failing_mid_processing_is_charged_as_if_it_completed(
    mock: InProcessMock,
) -> None:
    mock.admin.add_fault(model="drums")  # a fault rule's default code: 5001
    task = run(mock, url_body(200.53, target("bass"), target("drums")))
    drums = by_model(task)["drums"]
    assert (drums["status"], drums["error"]["code"], drums["cost"]) == ("error", 5001, 4)
    assert task["cost"] == 8
    entries = [e for e in mock.admin.ledger() if e["target_id"] == drums["id"]]
    assert [(e["kind"], e["credits"], e["minutes"]) for e in entries] == [
        ("reserve", 4.0, 4),
        ("charge", 4.0, 4),
    ]
    usage = mock.client.get("/tasks/statistics", params={"name": "distribution"}).json()
    assert {u["model"]: u["totalTargets"] for u in usage} == {"bass": 1, "drums": 1}


def test_support_refunds_a_charged_failure_through_the_admin_api(mock: InProcessMock) -> None:
    mock.admin.put_key(KEY, credits=20)
    mock.admin.add_fault(model="drums")
    task = run(mock, url_body(200.53, target("bass"), target("drums")))
    drums = by_model(task)["drums"]
    assert mock.admin.key_info(KEY)["credits"] == 12  # 20 - 4 - 4

    refunds = mock.admin.refund(task["id"])  # the whole task's charges
    assert sorted((e["model"], e["credits"], e["kind"]) for e in refunds) == [
        ("bass", 4.0, "refund"),
        ("drums", 4.0, "refund"),
    ]
    assert mock.admin.key_info(KEY)["credits"] == 20
    assert mock.admin.refund(task["id"]) == []  # nothing left to refund
    assert mock.client.get("/tasks/statistics", params={"name": "usage"}).json() == []
    assert drums["cost"] == 4  # the task record still says what the service charged


def test_a_refund_of_one_target_over_http(mock: InProcessMock) -> None:
    mock.admin.put_key(KEY, credits=20)
    mock.admin.add_fault(model="drums")
    task = run(mock, url_body(200.53, target("bass"), target("drums")))
    drums = by_model(task)["drums"]
    r = mock.client.post("/_mock/refunds", json={"taskId": task["id"], "targetId": drums["id"]})
    assert r.status_code == 200, r.text
    assert [(e["kind"], e["target_id"], e["credits"]) for e in r.json()] == [
        ("refund", drums["id"], 4.0)
    ]
    assert mock.admin.key_info(KEY)["credits"] == 16
    usage = mock.client.get("/tasks/statistics", params={"name": "distribution"}).json()
    assert [(u["model"], u["totalTargets"]) for u in usage] == [("bass", 1)]
    assert mock.client.post("/_mock/refunds", json={"taskId": "nope"}).status_code == 404
    missing = {"taskId": task["id"], "targetId": "nope"}
    assert mock.client.post("/_mock/refunds", json=missing).status_code == 404
    assert mock.client.post("/_mock/refunds", json={}).status_code == 400


def test_transcription_and_alignment_bill_the_combined_rate(mock: InProcessMock) -> None:
    task = run(mock, url_body(61, target("transcription", "json"), target("alignment", "srt")))
    targets = by_model(task)
    assert targets["transcription"]["cost"] == 1.5  # 0.75/min × 2 min
    assert targets["alignment"]["cost"] == 1.5
    assert task["cost"] == 3.0


def test_when_alignment_fails_before_processing_transcription_bills_its_own_rate(
    mock: InProcessMock,
) -> None:
    mock.admin.add_fault(model="alignment", code=4005, message="transcript unreadable")
    task = run(mock, url_body(61, target("transcription", "json"), target("alignment", "srt")))
    targets = by_model(task)
    assert targets["alignment"]["status"] == "error"
    assert targets["alignment"]["cost"] == 0
    assert targets["transcription"]["cost"] == 2.0  # 1.0/min × 2 min
    assert task["cost"] == 2.0


def test_when_alignment_fails_mid_processing_the_pair_keeps_its_shared_rate(
    mock: InProcessMock,
) -> None:
    mock.admin.add_fault(model="alignment", code=5001)
    task = run(mock, url_body(61, target("transcription", "json"), target("alignment", "srt")))
    targets = by_model(task)
    assert targets["alignment"]["status"] == "error"
    assert (targets["transcription"]["cost"], targets["alignment"]["cost"]) == (1.5, 1.5)
    assert task["cost"] == 3.0


def test_task_cost_is_the_sum_of_its_targets(mock: InProcessMock) -> None:
    mock.admin.add_fault(model="piano", code=4001)
    body = url_body(
        150,
        target("vocals", variant="high_quality"),  # 3 × 1.5
        target("dialogue"),  # 3 × 1.5
        target("piano"),  # error before processing → 0
        target("music_detection", "txt"),  # 3 × 0.5
    )
    task = run(mock, body)
    assert [t["cost"] for t in task["targets"]] == [4.5, 4.5, 0, 1.5]
    assert task["cost"] == 10.5


def test_create_beyond_the_balance_is_402_and_creates_nothing(mock: InProcessMock) -> None:
    mock.admin.put_key(KEY, credits=3)
    message = error(mock.client.post("/tasks", json=url_body(200.53, target("bass"))), 402)
    assert "4" in message and "3" in message  # needs 4, has 3
    assert mock.client.get("/tasks").json() == []
    assert [e["kind"] for e in mock.admin.ledger(KEY)] == ["grant"]
    assert mock.admin.key_info(KEY)["reserved"] == 0
    journal = [(e["operationId"], e["status"]) for e in mock.admin.requests()]
    assert journal == [("createTask", 402), ("listTasks", 200)]


def test_reservations_count_against_the_balance(mock: InProcessMock) -> None:
    mock.admin.put_key(KEY, credits=6)
    first = create(mock.client, url_body(200.53, target("bass")))  # reserves 4
    info = mock.admin.key_info(KEY)
    assert (info["credits"], info["reserved"]) == (6, 4)
    error(mock.client.post("/tasks", json=url_body(200.53, target("drums"))), 402)  # 2 left
    create(mock.client, url_body(100, target("drums")))  # 2 fits exactly
    finish(mock, first["id"])


def test_completion_lowers_the_balance_by_exactly_the_cost(mock: InProcessMock) -> None:
    mock.admin.put_key(KEY, credits=12.5)  # the estimate, 12, is reserved at create
    mock.admin.add_fault(model="drums", code=4003)
    task = run(mock, url_body(200.53, target("bass"), target("drums"), target("vocals")))
    assert task["cost"] == 8.0
    info = mock.admin.key_info(KEY)
    assert info["credits"] == 4.5
    assert info["reserved"] == 0


def test_estimate_is_reserved_even_for_a_target_that_will_fail(mock: InProcessMock) -> None:
    # the balance check uses the estimate (every target completing), not the outcome
    mock.admin.put_key(KEY, credits=5)
    mock.admin.add_fault(model="drums")
    r = mock.client.post("/tasks", json=url_body(200.53, target("bass"), target("drums")))
    error(r, 402)


def test_upload_with_a_balance_of_zero_is_402(mock: InProcessMock, make_media: MakeMedia) -> None:
    mock.admin.put_key(KEY, credits=0)
    error(upload(mock.client, make_media("wav", 1.0)), 402)
    assert mock.client.get("/assets").json() == []
    mock.admin.put_key(KEY, credits=1)
    assert upload(mock.client, make_media("wav", 1.0)).status_code == 200


def test_unlimited_by_default(mock: InProcessMock) -> None:
    assert mock.admin.put_key(KEY)["credits"] is None
    task = run(mock, url_body(600, target("vocals")))
    assert task["cost"] == 10.0
    assert mock.admin.key_info(KEY)["credits"] is None
