"""The exceptions of audioshake-kit, one tree:

    AudioShakeError
    ├── ConfigurationError          no API key, bad base URL
    ├── ValidationError             caught before the network; names the field
    ├── APIError                    the service answered badly, or not at all (.task_id)
    │   ├── APIStatusError          .status_code, .message, .request_id, .body
    │   │   ├── BadRequestError             400
    │   │   ├── AuthenticationError         401
    │   │   ├── InsufficientCreditsError    402
    │   │   ├── PermissionDeniedError       403 (gated model)
    │   │   │   └── LinkExpiredError        403 on a signed download link
    │   │   ├── NotFoundError               404
    │   │   ├── PayloadTooLargeError        413
    │   │   ├── UnsupportedMediaError       415
    │   │   ├── RateLimitError              429 (.retry_after)
    │   │   └── ServerError                 5xx
    │   ├── APIConnectionError      no answer (connection refused, reset, dropped)
    │   │   └── APITimeoutError
    │   └── UnexpectedResponseError a 2xx body that does not parse
    ├── WaitTimeoutError            wait() passed its deadline (.task: last known state)
    ├── TaskFailedError             only when asked: carries the failed targets
    └── WebhookSignatureError       a webhook payload failed verification

`status_error()` is the one place that maps a status code to its class.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .domain.errors import AudioShakeError, ValidationError, WebhookSignatureError
from .headers import parse_retry_after

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AudioShakeError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InsufficientCreditsError",
    "LinkExpiredError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TaskFailedError",
    "UnexpectedResponseError",
    "UnknownStatusWarning",
    "UnsupportedMediaError",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookSignatureError",
    "after_task_created",
    "status_error",
]


class ConfigurationError(AudioShakeError):
    """The client is not configured (e.g. no API key). ``setting`` names the argument at
    fault (``"api_key"``, ``"base_url"``) when there is one, so that a program (the CLI)
    can say it in its own words."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class APIError(AudioShakeError):
    """The service answered with an error, or did not answer. ``task_id`` is set when a
    multi-step call (``separate``) failed after its task was created: that task exists,
    is billed as its targets end, and can be resumed with ``wait`` and ``download``.
    ``lookup`` is set when a create's answer was lost and the task it may have made could
    not be looked up: a ``sending.CreateLookup`` saying what to look for later."""

    task_id: str | None = None
    lookup: Any = None

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class APIStatusError(APIError):
    """A non-2xx answer. ``body`` is the parsed JSON error body when there was one."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.body = body
        self.headers = headers or {}

    def __str__(self) -> str:
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status_code}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class InsufficientCreditsError(APIStatusError):
    status_code = 402


class PermissionDeniedError(APIStatusError):
    status_code = 403


class LinkExpiredError(PermissionDeniedError):
    """A signed output link was refused (expired, tampered, or the output is gone)."""


class NotFoundError(APIStatusError):
    status_code = 404


class PayloadTooLargeError(APIStatusError):
    status_code = 413


class UnsupportedMediaError(APIStatusError):
    status_code = 415


class RateLimitError(APIStatusError):
    status_code = 429

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers)


class ServerError(APIStatusError):
    status_code = 500


class APIConnectionError(APIError):
    """No usable answer: refused, reset or dropped connection.

    ``url`` is where the request went (the base URL, for the API), ``reason`` why it
    got no answer ("connection refused"); ``attempts`` and ``elapsed`` (seconds from the
    first attempt to the last) are set by the client when it gives up on retrying. With
    ``url`` and ``reason`` the message reads "could not reach URL (N attempts over S s):
    REASON"."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        url: str | None = None,
        request: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.url = url
        self.request = request
        self.reason = reason
        self.attempts = 1
        self.elapsed = 0.0

    def __str__(self) -> str:
        if self.url is None or self.reason is None:
            return self.message
        if self.attempts > 1:
            tries = f"{self.attempts} attempts over {self.elapsed:.1f} s"
        else:
            tries = "1 attempt"
        prefix = f"{self.request}: " if self.request else ""
        return f"{prefix}could not reach {self.url} ({tries}): {self.reason}"


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class UnexpectedResponseError(APIError):
    """A success status with a body that does not match the spec."""


class WaitTimeoutError(AudioShakeError):
    """``wait()`` reached its deadline; ``task`` is the last state seen."""

    def __init__(self, message: str, *, task: Any = None) -> None:
        super().__init__(message)
        self.task = task


class UnknownStatusWarning(UserWarning):
    """A target reported a status this kit does not know (the service added one). The
    target counts as not finished: ``wait()`` goes on, and ends by its timeout."""


class TaskFailedError(AudioShakeError):
    """Raised by ``wait(raise_on_failure=True)`` when a target ended in error."""

    def __init__(self, message: str, *, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaError,
    429: RateLimitError,
}


def status_error(
    status_code: int,
    message: str,
    *,
    request_id: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> APIStatusError:
    """The exception for a non-2xx answer: the one status → class mapping."""
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIStatusError
    return cls(message, status_code=status_code, request_id=request_id, body=body, headers=headers)


@contextmanager
def after_task_created(task_id: str) -> Iterator[None]:
    """Mark an ``APIError`` (or a ``KeyboardInterrupt``: Ctrl-C) raised in the block as
    coming after ``task_id`` existed, so the caller resumes that task instead of paying
    for a new one. Both get ``.task_id`` and a note."""
    try:
        yield
    except (APIError, KeyboardInterrupt) as exc:
        exc.task_id = task_id  # type: ignore[union-attr]
        exc.add_note(
            f"task {task_id} was created before this error and is billed as its targets end:"
            f" resume it with wait({task_id!r}) and download(), do not create it again"
        )
        raise
