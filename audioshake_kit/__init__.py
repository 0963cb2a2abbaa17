"""audioshake-kit: a spec-driven toolkit for the AudioShake Tasks API.

``AudioShake`` / ``AsyncAudioShake`` are the facade; the exceptions form one tree
(``errors``); tasks, targets, assets and models are the generated client's models.
"""

from audioshake_client.models import Asset, Model, Target, Task

from .async_client import AsyncAudioShake
from .billing import Charge
from .catalog import Catalog, ModelSpec, VariantSpec, get_catalog
from .client import AudioShake
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AudioShakeError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InsufficientCreditsError,
    LinkExpiredError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    UnexpectedResponseError,
    UnsupportedMediaError,
    ValidationError,
    WaitTimeoutError,
    WebhookSignatureError,
)
from .ratelimit import RateLimiter
from .targets import format_target, parse_target
from .types import Estimate, FailedTarget, TargetLike, TargetSpec, TaskResult
from .webhooks import sign_payload, verify_and_parse

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "Asset",
    "AsyncAudioShake",
    "AudioShake",
    "AudioShakeError",
    "AuthenticationError",
    "BadRequestError",
    "Catalog",
    "Charge",
    "ConfigurationError",
    "Estimate",
    "FailedTarget",
    "InsufficientCreditsError",
    "LinkExpiredError",
    "Model",
    "ModelSpec",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimiter",
    "ServerError",
    "Target",
    "TargetLike",
    "TargetSpec",
    "Task",
    "TaskFailedError",
    "TaskResult",
    "UnexpectedResponseError",
    "UnsupportedMediaError",
    "ValidationError",
    "VariantSpec",
    "WaitTimeoutError",
    "WebhookSignatureError",
    "format_target",
    "get_catalog",
    "parse_target",
    "sign_payload",
    "verify_and_parse",
]
__version__ = "0.1.0"
