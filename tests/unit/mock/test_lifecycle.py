"""Lifecycle: create → every target ``processing``; each target ends at its own time;
``completedAt`` and ``Task.cost`` appear once the last one ends; ``GET /tasks`` lists
newest first with ``skip``/``take``."""

from __future__ import annotations

import pytest

from mock_server.clock import format_time, parse_time
from mock_server.harness import InProcessMock

from .helpers import create, error, get_task, target, url_body

THREE = url_body(120, target("vocals"), target("drums"), target("bass", "mp3"))


def test_create_starts_every_target_processing_with_no_cost(mock: InProcessMock) -> None:
    task = create(mock.client, THREE)
    assert [t["status"] for t in task["targets"]] == ["processing"] * 3
    assert task["completedAt"] is None
    assert "cost" not in task
    for t in task["targets"]:
        assert "cost" not in t
        assert t["output"] == []
        assert t["taskId"] == task["id"]
    assert task["createdAt"] == format_time(mock.now())
    assert get_task(mock.client, task["id"]) == task


def test_targets_end_at_their_own_times_and_the_task_completes_with_the_last(
    mock: InProcessMock,
) -> None:
    task_id = create(mock.client, THREE)["id"]
    ended_at: dict[str, str] = {}
    for _ in range(400):  # 0.25 s steps, 100 s at most
        before = mock.now()
        mock.advance(0.25)
        task = get_task(mock.client, task_id)
        for t in task["targets"]:
            if t["status"] != "processing" and t["id"] not in ended_at:
                assert t["status"] == "completed"
                assert before < parse_time(t["updatedAt"]) <= mock.now()  # ended in this step
                ended_at[t["id"]] = t["updatedAt"]
                assert t["cost"] == 2.0  # 120 s → 2 minutes × 1 credit
        if len(ended_at) < 3:
            assert task["completedAt"] is None, "completed while a target was processing"
            assert "cost" not in task
        else:
            break
    assert len(ended_at) == 3
    assert len(set(ended_at.values())) > 1, "targets should end at their own times"
    assert task["completedAt"] == max(ended_at.values())
    assert task["cost"] == sum(t["cost"] for t in task["targets"]) == 6.0


def test_a_target_that_ended_does_not_change_again(mock: InProcessMock) -> None:
    task_id = create(mock.client, THREE)["id"]
    mock.advance(600)
    done = get_task(mock.client, task_id)
    mock.advance(600)
    again = get_task(mock.client, task_id)
    assert [t["status"] for t in again["targets"]] == ["completed"] * 3
    assert again["completedAt"] == done["completedAt"]
    assert again["cost"] == done["cost"]
    assert [t["updatedAt"] for t in again["targets"]] == [t["updatedAt"] for t in done["targets"]]


def test_list_is_newest_first_and_pages_with_skip_and_take(mock: InProcessMock) -> None:
    ids = []
    for i in range(7):
        ids.append(create(mock.client, url_body(30, target("drums"), name=f"{i}.mp3"))["id"])
        if i != 3:  # tasks 3 and 4 share a createdAt: the id breaks the tie
            mock.advance(1)
    newest_first = ids[::-1]

    listed = mock.client.get("/tasks", params={"take": 100}).json()
    assert [t["id"] for t in listed] == newest_first
    keys = [(t["createdAt"], t["id"]) for t in listed]
    assert keys == sorted(keys, reverse=True)
    assert listed[2]["createdAt"] == listed[3]["createdAt"]

    assert [t["id"] for t in mock.client.get("/tasks").json()] == newest_first  # default 10
    page = mock.client.get("/tasks", params={"skip": 2, "take": 3}).json()
    assert [t["id"] for t in page] == newest_first[2:5]
    tail = mock.client.get("/tasks", params={"skip": 5, "take": 10}).json()
    assert [t["id"] for t in tail] == newest_first[5:]
    assert mock.client.get("/tasks", params={"skip": 7}).json() == []
    assert [t["id"] for t in mock.client.get("/tasks?take=1").json()] == newest_first[:1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("take=0", "take"),
        ("take=101", "take"),
        ("take=-5", "take"),
        ("take=many", "take"),
        ("skip=-1", "skip"),
        ("skip=x&take=5", "skip"),
    ],
)
def test_paging_parameters_out_of_range_are_400_naming_the_parameter(
    mock: InProcessMock, query: str, field: str
) -> None:
    message = error(mock.client.get(f"/tasks?{query}"), 400)
    assert field in message


def test_take_at_the_bounds_is_accepted(mock: InProcessMock) -> None:
    create(mock.client, url_body(30, target("drums")))
    assert len(mock.client.get("/tasks?take=1").json()) == 1
    assert len(mock.client.get("/tasks?take=100").json()) == 1


def test_metadata_and_write_destination_are_kept_as_given(mock: InProcessMock) -> None:
    metadata = '{"job": 42, "note": "ünïcode ✓"}'
    body = url_body(5, target("vocals")) | {
        "metadata": metadata,
        "writeDestination": "s3://bucket/prefix/",
    }
    task = create(mock.client, body)
    assert task["metadata"] == metadata
    assert task["writeDestination"] == "s3://bucket/prefix/"
    mock.advance(60)
    done = get_task(mock.client, task["id"])
    assert done["metadata"] == metadata
    # no S3 here: the outputs are still served by the mock itself
    assert done["targets"][0]["output"][0]["link"].startswith(mock.base_url)
