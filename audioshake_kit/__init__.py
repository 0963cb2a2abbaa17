"""audioshake-kit: a spec-driven toolkit for the AudioShake Tasks API.

``AudioShake`` / ``AsyncAudioShake`` are the facade; the exceptions form one tree
(``errors``); tasks, targets, assets and models are the generated client's models.

Names are imported on first use (PEP 562), so ``import audioshake_kit.domain`` (which the
mock does) or ``from audioshake_kit import ValidationError`` loads no HTTP client.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from audioshake_client.models import Asset, Model, Target, Task

    from .async_client import AsyncAudioShake
    from .client import AudioShake
    from .domain.billing import Charge
    from .domain.catalog import Catalog, ModelSpec, VariantSpec, get_catalog
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
        UnknownStatusWarning,
        UnsupportedMediaError,
        ValidationError,
        WaitTimeoutError,
        WebhookSignatureError,
    )
    from .ratelimit import RateLimiter
    from .targets import format_target, parse_target
    from .types import Estimate, FailedTarget, TargetLike, TargetSpec, TaskResult
    from .webhooks import sign_payload, verify_and_parse

# public name -> the module that defines it
_LAZY: dict[str, str] = {
    "Asset": "audioshake_client.models",
    "Model": "audioshake_client.models",
    "Target": "audioshake_client.models",
    "Task": "audioshake_client.models",
    "AsyncAudioShake": ".async_client",
    "AudioShake": ".client",
    "Charge": ".domain.billing",
    "Catalog": ".domain.catalog",
    "ModelSpec": ".domain.catalog",
    "VariantSpec": ".domain.catalog",
    "get_catalog": ".domain.catalog",
    "APIConnectionError": ".errors",
    "APIError": ".errors",
    "APIStatusError": ".errors",
    "APITimeoutError": ".errors",
    "AudioShakeError": ".errors",
    "AuthenticationError": ".errors",
    "BadRequestError": ".errors",
    "ConfigurationError": ".errors",
    "InsufficientCreditsError": ".errors",
    "LinkExpiredError": ".errors",
    "NotFoundError": ".errors",
    "PayloadTooLargeError": ".errors",
    "PermissionDeniedError": ".errors",
    "RateLimitError": ".errors",
    "ServerError": ".errors",
    "TaskFailedError": ".errors",
    "UnexpectedResponseError": ".errors",
    "UnknownStatusWarning": ".errors",
    "UnsupportedMediaError": ".errors",
    "ValidationError": ".errors",
    "WaitTimeoutError": ".errors",
    "WebhookSignatureError": ".errors",
    "RateLimiter": ".ratelimit",
    "format_target": ".targets",
    "parse_target": ".targets",
    "Estimate": ".types",
    "FailedTarget": ".types",
    "TargetLike": ".types",
    "TargetSpec": ".types",
    "TaskResult": ".types",
    "sign_payload": ".webhooks",
    "verify_and_parse": ".webhooks",
}

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
    "UnknownStatusWarning",
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


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
