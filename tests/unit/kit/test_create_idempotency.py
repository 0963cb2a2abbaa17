"""POST /tasks is never re-sent blindly: after an ambiguous failure the client looks for
the task in GET /tasks first, so one call never creates (and bills) two tasks."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from audioshake_kit import APIConnectionError, AsyncAudioShake, AudioShake, ServerError
from audioshake_kit.sending import CreateLookup

from .helpers import API, START, FakeClock, target_json, task_json

TARGETS = ["vocals@high_quality:wav,mp3", "drums+residual"]
SERVER_TARGETS = [
    target_json("vocals", formats=("wav", "mp3"), variant="high_quality", tid="t1"),
    {**target_json("drums", tid="t2"), "residual": True},
]
METADATA = '{"job": 7, "note": "ünïcode"}'


class FakeService:
    """Just enough of the service: creates tasks, lists them newest first, and can drop
    the connection after creating (the ambiguous failure)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tasks: list[dict[str, Any]] = []
        self.posts: list[bytes] = []
        self.drop_after_create = 0  # how many POSTs lose their answer after creating
        self.fail_before_create: list[httpx.Response | Exception] = []

    def create(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request.content)
        if self.fail_before_create:
            failure = self.fail_before_create.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        body = json.loads(request.content)
        task = task_json(
            f"task-{len(self.tasks) + 1}",
            SERVER_TARGETS,
            created=self.clock.now(),
            asset_id=body.get("assetId"),
            metadata=body.get("metadata"),
        )
        self.tasks.insert(0, task)
        if self.drop_after_create:
            self.drop_after_create -= 1
            raise httpx.RemoteProtocolError("connection dropped after the request was sent")
        return httpx.Response(200, json=task)

    def list(self, request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("skip", 0))
        take = int(request.url.params.get("take", 10))
        return httpx.Response(200, json=self.tasks[skip : skip + take])


@pytest.fixture
def service(api: respx.MockRouter, clock: FakeClock) -> FakeService:
    svc = FakeService(clock)
    api.post(f"{API}/tasks").mock(side_effect=svc.create)
    api.get(f"{API}/tasks").mock(side_effect=svc.list)
    return svc


def create(client: AudioShake) -> Any:
    return client.create_task(TARGETS, asset_id="asset-1", metadata=METADATA)


def test_a_dropped_answer_is_found_not_paid_twice(client: AudioShake, service: FakeService) -> None:
    service.drop_after_create = 1
    task = create(client)
    assert len(service.posts) == 1
    assert task.id == "task-1" and len(service.tasks) == 1


def test_not_found_is_sent_again_unchanged(client: AudioShake, service: FakeService) -> None:
    service.fail_before_create = [httpx.ConnectError("refused")]
    task = create(client)
    assert len(service.posts) == 2
    assert service.posts[0] == service.posts[1]
    assert json.loads(service.posts[1])["metadata"] == METADATA
    assert task.id == "task-1"


def test_connect_error_after_server_created_it(
    client: AudioShake, api: respx.MockRouter, service: FakeService
) -> None:
    """respx: the server records the task, then the client sees ConnectError."""
    created = {"n": 0}

    def create_then_drop(request: httpx.Request) -> httpx.Response:
        service.create(request)
        created["n"] += 1
        raise httpx.ConnectError("connection reset")

    api.post(f"{API}/tasks").mock(side_effect=create_then_drop)
    assert create(client).id == "task-1"
    assert created["n"] == 1


def test_an_older_identical_task_is_not_taken_for_it(
    client: AudioShake, service: FakeService, clock: FakeClock
) -> None:
    service.tasks = [task_json("old", SERVER_TARGETS, created=START - 60, metadata=METADATA)]
    service.fail_before_create = [httpx.ReadTimeout("slow")]
    task = create(client)
    assert task.id != "old" and len(service.posts) == 2


def test_a_task_this_client_already_has_is_not_taken_for_it(
    client: AudioShake, service: FakeService
) -> None:
    first = create(client)  # same source, targets, metadata, seconds ago
    service.fail_before_create = [
        httpx.Response(503, json={"statusCode": 503, "error": "x", "message": "busy"})
    ]
    second = create(client)
    assert second.id != first.id and len(service.posts) == 3


def test_different_metadata_or_targets_do_not_match(
    client: AudioShake, service: FakeService
) -> None:
    service.tasks = [
        task_json("other-meta", SERVER_TARGETS, created=START, metadata="other"),
        task_json("other-targets", [target_json("vocals")], created=START, metadata=METADATA),
        task_json(
            "other-asset", SERVER_TARGETS, created=START, asset_id="asset-2", metadata=METADATA
        ),
    ]
    service.fail_before_create = [httpx.ConnectError("refused")]
    task = create(client)
    assert task.id not in {"other-meta", "other-targets", "other-asset"}
    assert len(service.posts) == 2


def test_lookup_pages_back_to_the_request_time(
    client: AudioShake, api: respx.MockRouter, service: FakeService
) -> None:
    def create_then_bury(request: httpx.Request) -> httpx.Response:
        service.create(request)
        # 150 newer tasks of another batch land on top of it before the lookup
        service.tasks[:0] = [
            task_json(f"noise-{i}", [target_json("bass")], created=START + 1) for i in range(150)
        ]
        raise httpx.ReadTimeout("no answer")

    api.post(f"{API}/tasks").mock(side_effect=create_then_bury)
    assert create(client).id == "task-1"
    pages = [c.request.url.params["skip"] for c in api.calls if c.request.method == "GET"]
    assert pages == ["0", "100"]
    assert len(service.posts) == 1


def test_429_is_sent_again_without_a_lookup(
    client: AudioShake, api: respx.MockRouter, service: FakeService, clock: FakeClock
) -> None:
    service.fail_before_create = [
        httpx.Response(
            429,
            json={"statusCode": 429, "error": "x", "message": "slow"},
            headers={"Retry-After": "1"},
        )
    ]
    create(client)
    assert len(service.posts) == 2
    assert not [c for c in api.calls if c.request.method == "GET"]
    assert clock.sleeps == [1.0]


def test_gives_up_after_max_retries_with_the_create_error(
    client: AudioShake, service: FakeService
) -> None:
    service.fail_before_create = [httpx.ConnectError("refused")] * 10
    with pytest.raises(APIConnectionError, match="refused"):
        create(client)
    assert len(service.posts) == 4
    service.fail_before_create = [
        httpx.Response(500, json={"statusCode": 500, "error": "x", "message": "boom"})
    ] * 10
    with pytest.raises(ServerError):
        create(client)


def test_unreadable_success_is_looked_up(
    client: AudioShake, api: respx.MockRouter, service: FakeService
) -> None:
    def create_garbled(request: httpx.Request) -> httpx.Response:
        service.create(request)
        return httpx.Response(200, text="<html>ok</html>")

    api.post(f"{API}/tasks").mock(side_effect=create_garbled)
    assert create(client).id == "task-1"
    assert len(service.posts) == 1


@pytest.mark.anyio
async def test_async_client_finds_it_too(aclient: AsyncAudioShake, service: FakeService) -> None:
    service.drop_after_create = 1
    async with aclient:
        task = await aclient.create_task(TARGETS, asset_id="asset-1", metadata=METADATA)
    assert task.id == "task-1" and len(service.posts) == 1


def test_a_failed_lookup_raises_the_create_error_not_a_resend(
    client: AudioShake, api: respx.MockRouter, service: FakeService, clock: FakeClock
) -> None:
    service.fail_before_create = [httpx.ConnectError("refused")]
    api.get(f"{API}/tasks").respond(500, json={"statusCode": 500, "error": "x", "message": "db"})
    started = clock.now()
    with pytest.raises(APIConnectionError, match="refused") as info:
        create(client)
    note = info.value.__notes__[0]
    assert "the task may exist and be billed" in note and "list_tasks()" in note
    assert len(service.posts) == 1
    # it kept looking for the whole bound, then gave up with what to look for
    assert clock.now() - started >= client.create_lookup_timeout - 8.0
    lookup = info.value.lookup
    assert isinstance(lookup, CreateLookup)
    assert lookup.body["assetId"] == "asset-1" and lookup.body["metadata"] == METADATA
    assert lookup.since <= started and lookup.attempts >= 5
    assert isinstance(lookup.last_error, ServerError)
    assert f"{lookup.attempts} lookups over 120 s failed" in note


class FlakyList:
    """GET /tasks fails ``failures`` times (a 503, a dropped connection …), then lists."""

    def __init__(self, service: FakeService, failures: list[httpx.Response | Exception]):
        self.service = service
        self.failures = failures
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return self.service.list(request)


def test_a_lost_answer_and_failing_lookups_still_find_the_task(
    client: AudioShake, api: respx.MockRouter, service: FakeService, clock: FakeClock
) -> None:
    """The create's answer is lost and the first lookups fail, more times in a row than
    max_retries allows one read: the task is still found, and paid for once."""
    service.drop_after_create = 1
    busy = httpx.Response(503, json={"statusCode": 503, "error": "x", "message": "busy"})
    failures: list[httpx.Response | Exception] = [busy] * 6 + [httpx.ConnectError("refused")] * 6
    flaky = FlakyList(service, failures)
    api.get(f"{API}/tasks").mock(side_effect=flaky)
    task = create(client)
    assert task.id == "task-1"
    assert len(service.posts) == 1 and len(service.tasks) == 1
    assert flaky.calls == 13  # 12 failures, each retried, then the page that has it
    assert clock.now() - START < client.create_lookup_timeout


def test_the_lookup_bound_is_configurable(
    client: AudioShake, api: respx.MockRouter, service: FakeService, clock: FakeClock
) -> None:
    client.create_lookup_timeout = 0.0
    service.drop_after_create = 1
    api.get(f"{API}/tasks").respond(503, json={"statusCode": 503, "error": "x", "message": "m"})
    with pytest.raises(APIConnectionError) as info:
        create(client)
    assert info.value.lookup.attempts == 1
    assert "1 lookup over 0 s failed" in info.value.__notes__[0]
