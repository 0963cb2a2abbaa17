"""Each status maps to one class of the error tree, carrying message, status and request id."""

from __future__ import annotations

import httpx
import pytest
import respx

from audioshake_kit import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AudioShake,
    AudioShakeError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnsupportedMediaError,
)

from .helpers import API


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (413, PayloadTooLargeError),
        (415, UnsupportedMediaError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_its_class_with_message_and_request_id(
    api: respx.MockRouter, status: int, cls: type[APIStatusError]
) -> None:
    api.get(f"{API}/tasks/task-1").respond(
        status,
        json={"statusCode": status, "error": "Reason", "message": f"the {status} message"},
        headers={"X-Request-Id": f"req-{status}"},
    )
    client = AudioShake("k", base_url=API, max_retries=0)
    with pytest.raises(cls) as info:
        client.get_task("task-1")
    err = info.value
    assert type(err) is cls
    assert isinstance(err, AudioShakeError)
    assert (err.status_code, err.message, err.request_id) == (
        status,
        f"the {status} message",
        f"req-{status}",
    )
    assert err.body["statusCode"] == status
    assert str(err) == f"{status}: the {status} message (request id req-{status})"


def test_a_non_json_error_body_keeps_its_status(api: respx.MockRouter) -> None:
    api.get(f"{API}/tasks/task-1").respond(
        401, text="<html>Unauthorized</html>", headers={"X-Request-Id": "r"}
    )
    with pytest.raises(AuthenticationError, match="Unauthorized") as info:
        AudioShake("k", base_url=API).get_task("task-1")
    assert info.value.request_id == "r"


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.RemoteProtocolError("dropped"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
    ],
)
def test_transport_errors_become_connection_errors(
    api: respx.MockRouter, exc: Exception, cls: type[Exception]
) -> None:
    api.get(f"{API}/assets").mock(side_effect=exc)
    with pytest.raises(cls, match="GET /assets"):
        AudioShake("k", base_url=API, max_retries=0).list_assets()


def test_a_bug_is_not_disguised_as_a_bad_response(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audioshake_client.api.tasks import get_task

    def broken(**kwargs: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(get_task, "sync_detailed", broken)
    with pytest.raises(TypeError, match="a bug"):
        AudioShake("k", base_url=API).get_task("task-1")
