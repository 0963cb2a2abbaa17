"""The mock's one error type, rendered as the contract's JSON error body."""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["MockError", "error_body"]


class MockError(Exception):
    """An HTTP error answer: ``status``, a ``message`` that names the problem, headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_body(status: int, message: str) -> dict[str, object]:
    return {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}
