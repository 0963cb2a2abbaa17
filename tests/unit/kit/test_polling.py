"""wait_flow driven by a script of task states (no client, no HTTP), then wait() through
both clients with respx."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import httpx
import pytest
import respx
from audioshake_client.models import Target, Task
from audioshake_client.types import Response

from audioshake_kit import (
    AsyncAudioShake,
    AudioShake,
    NotFoundError,
    TaskFailedError,
    WaitTimeoutError,
)
from audioshake_kit.errors import APIConnectionError, APIError, UnknownStatusWarning, status_error
from audioshake_kit.flow import Op, Send, Sleep
from audioshake_kit.polling import WaitPolicy, wait_flow

from .helpers import API, FakeClock, target_json, task_json


def states(*targets: Sequence[tuple[str, str]]) -> list[Task]:
    """One Task per poll: each a list of (model, status)."""
    return [
        Task.from_dict(task_json(targets=[target_json(m, s) for m, s in poll])) for poll in targets
    ]


def drive(
    script: Sequence[Task | APIError],
    *,
    timeout: float | None = None,
    on_target: Callable[[Target], object] | None = None,
) -> tuple[Task, FakeClock, int]:
    """Run wait_flow, answering each Send (a read of the task) with the next scripted
    answer: a Task as a 200 response, or the APIError the read became."""
    clock = FakeClock(0.0)
    answers = iter(script)
    read: Op[Task] = Op("GET", "/tasks/{id}", _unused, _unused)
    flow = wait_flow(
        "task-1",
        read,
        WaitPolicy(timeout=timeout),
        clock=clock.now,
        rng=random.Random(0),
        on_target=on_target,
    )
    sent: Any = None
    fetches = 0
    while True:
        try:
            step = flow.send(sent)
        except StopIteration as stop:
            return stop.value, clock, fetches
        if isinstance(step, Sleep):
            clock.sleep(step.seconds)
            sent = None
        else:
            assert isinstance(step, Send) and step.op is read
            fetches += 1
            answer = next(answers)
            sent = answer if isinstance(answer, APIError) else ok(answer)


def ok(task: Task) -> Response[Task]:
    return Response(HTTPStatus.OK, b"", {}, task)


def _unused(client: object) -> Any:  # the script answers instead
    raise AssertionError("no request is sent")


def test_on_target_once_per_target_as_it_ends() -> None:
    ended: list[tuple[str, str]] = []
    script = states(
        [("vocals", "processing"), ("drums", "processing"), ("bass", "processing")],
        [("vocals", "completed"), ("drums", "processing"), ("bass", "processing")],
        [("vocals", "completed"), ("drums", "processing"), ("bass", "processing")],
        [("vocals", "completed"), ("drums", "error"), ("bass", "processing")],
        [("vocals", "completed"), ("drums", "error"), ("bass", "completed")],
    )
    task, _, fetches = drive(script, on_target=lambda t: ended.append((t.model, t.status)))
    assert ended == [("vocals", "completed"), ("drums", "error"), ("bass", "completed")]
    assert fetches == 5
    assert task is script[-1]


def test_interval_grows_with_jitter_and_a_cap() -> None:
    script = states(*([[("vocals", "processing")]] * 12), [("vocals", "completed")])
    _, clock, _ = drive(script)
    assert len(clock.sleeps) == 12
    assert 0.9 <= clock.sleeps[0] <= 1.1
    assert 1.35 <= clock.sleeps[1] <= 1.65
    assert all(s <= 11.0 for s in clock.sleeps) and clock.sleeps[-1] >= 9.0
    assert len(set(clock.sleeps)) == len(clock.sleeps)  # jittered


def test_timeout_reads_once_more_at_the_deadline_then_carries_the_last_task() -> None:
    script = states(*([[("vocals", "completed"), ("drums", "processing")]] * 20))
    with pytest.raises(WaitTimeoutError, match=r"1 of 2 targets not finished \(drums\)") as info:
        drive(script, timeout=5.0)
    assert isinstance(info.value.task, Task)
    assert info.value.task.targets[1].status == "processing"


def test_failed_is_read_as_a_failed_target_that_has_ended() -> None:
    script = states(
        [("vocals", "processing"), ("drums", "processing")],
        [("vocals", "failed"), ("drums", "completed")],
    )
    ended: list[str] = []
    _, _, fetches = drive(script, on_target=lambda t: ended.append(str(t.status)))
    assert fetches == 2 and sorted(ended) == ["completed", "failed"]


def test_an_unknown_status_is_not_finished_and_warned_about_once() -> None:
    script = states(*([[("vocals", "completed"), ("drums", "queued")]] * 20))
    with (
        pytest.warns(UnknownStatusWarning, match="'queued'") as warned,
        pytest.raises(WaitTimeoutError, match=r"1 of 2 targets not finished \(drums: 'queued'\)"),
    ):
        drive(script, timeout=5.0)
    assert len([w for w in warned if w.category is UnknownStatusWarning]) == 1


def test_an_unknown_status_that_later_ends_finishes_the_wait() -> None:
    script = states([("vocals", "queued")], [("vocals", "rendering")], [("vocals", "completed")])
    with pytest.warns(UnknownStatusWarning) as warned:
        task, _, fetches = drive(script)
    assert fetches == 3 and task.targets[0].status == "completed"
    assert {str(w.message).split("status ")[1].split(",")[0] for w in warned} == {
        "'queued'",
        "'rendering'",
    }


def test_timeout_zero_still_reads_once() -> None:
    script = states([("vocals", "completed")])
    task, _, fetches = drive(script, timeout=0)
    assert fetches == 1 and task.targets[0].status == "completed"


def test_retry_after_is_honoured_and_transient_errors_tolerated() -> None:
    limited = status_error(429, "slow down", headers={"Retry-After": "3"})
    script: list[Task | APIError] = [
        *states([("vocals", "processing")]),
        limited,
        APIConnectionError("reset"),
        *states([("vocals", "completed")]),
    ]
    task, clock, _ = drive(script)
    assert clock.sleeps[1] == 3.0
    assert task.targets[0].status == "completed"


def test_persistent_or_definite_errors_are_raised() -> None:
    with pytest.raises(NotFoundError):
        drive([status_error(404, "gone")])
    with pytest.raises(APIConnectionError):
        drive([APIConnectionError("down")] * 10)


# -- through the clients -------------------------------------------------------------------


def _poll_route(api: respx.MockRouter, *bodies: dict[str, Any]) -> respx.Route:
    route = api.get(f"{API}/tasks/task-1")
    route.side_effect = [httpx.Response(200, json=b) for b in bodies]
    return route


PARTIAL = [
    task_json(targets=[target_json("vocals"), target_json("drums")]),
    task_json(
        targets=[
            target_json("vocals", "completed", cost=1.0),
            target_json("drums", "error", error=(4001, "media could not be decoded")),
        ],
        cost=1.0,
    ),
]


def test_partial_failure_is_a_result_not_an_exception(
    client: AudioShake, api: respx.MockRouter
) -> None:
    _poll_route(api, *PARTIAL)
    result = client.wait("task-1")
    assert [t.model for t in result.succeeded] == ["vocals"]
    assert [(f.model, f.code, f.message) for f in result.failed] == [
        ("drums", 4001, "media could not be decoded")
    ]
    assert result.cost == 1.0 and not result.all_succeeded


def test_raise_on_failure_carries_the_result(client: AudioShake, api: respx.MockRouter) -> None:
    _poll_route(api, *PARTIAL)
    with pytest.raises(TaskFailedError, match="drums: 4001") as info:
        client.wait(Task.from_dict(PARTIAL[0]), raise_on_failure=True)
    assert info.value.result.succeeded[0].model == "vocals"


def test_wait_timeout_through_the_client(
    client: AudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    api.get(f"{API}/tasks/task-1").respond(200, json=PARTIAL[0])
    start = clock.now()
    with pytest.raises(WaitTimeoutError) as info:
        client.wait("task-1", timeout=30)
    assert clock.now() - start == pytest.approx(30.0)
    assert info.value.task.id == "task-1"


@pytest.mark.anyio
async def test_async_wait(
    aclient: AsyncAudioShake, api: respx.MockRouter, clock: FakeClock
) -> None:
    _poll_route(api, *PARTIAL)
    seen: list[str] = []
    async with aclient:
        result = await aclient.wait("task-1", on_target=lambda t: seen.append(t.model))
    assert seen == ["vocals", "drums"] and len(result.failed) == 1
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize(
    ("max_retries", "failures", "survives"),
    [(3, 5, True), (3, 6, False), (8, 8, True), (8, 9, False)],
    ids=["default-5-in-a-row", "default-6", "retries8-8-in-a-row", "retries8-9"],
)
def test_wait_tolerates_as_many_errors_in_a_row_as_the_client_retries(
    api: respx.MockRouter, clock: FakeClock, max_retries: int, failures: int, survives: bool
) -> None:
    """At least 5 (a wait is long), and ``max_retries`` when that is more."""
    route = api.get(f"{API}/tasks/task-1")
    route.side_effect = [httpx.Response(503, json={"message": "busy"})] * failures + [
        httpx.Response(200, json=PARTIAL[1])
    ]
    with AudioShake(
        "key",
        base_url=API,
        clock=clock.now,
        sleep=clock.sleep,
        rng=random.Random(0),
        max_retries=max_retries,
    ) as client:
        if survives:
            assert client.wait("task-1").task.id == "task-1"
        else:
            with pytest.raises(APIError, match="busy"):
                client.wait("task-1")
    assert route.call_count == (failures + 1 if survives else failures)
