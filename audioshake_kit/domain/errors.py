"""The root of the kit's exception tree and the errors the domain raises itself.

``audioshake_kit.errors`` builds the rest of the tree (the API errors) on these and
re-exports them; import them from there.
"""

from __future__ import annotations

__all__ = ["AudioShakeError", "ValidationError", "WebhookSignatureError"]


class AudioShakeError(Exception):
    """Base of every error raised by audioshake-kit."""


class ValidationError(AudioShakeError, ValueError):
    """A request broke a rule of the API; raised before anything is sent. ``field`` names
    the argument at fault, ``problem`` is the message without it (a program such as the
    CLI names its own option instead)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.problem = message


class WebhookSignatureError(AudioShakeError):
    """A webhook payload's signature header is missing, malformed, stale or wrong."""
