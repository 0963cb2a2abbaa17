"""The webhook verifier's edges. The service documents no signature: deliveries parse
without a secret; with one, only a valid, fresh ``v1`` over the exact body passes."""

from __future__ import annotations

import json

import pytest

from audioshake_kit.domain.signing import compute_signature, sign_payload, verify
from audioshake_kit.errors import WebhookSignatureError
from audioshake_kit.webhooks import verify_and_parse

SECRET = "whsec_edges"
NOW = 1_800_000_000
BODY = json.dumps(
    {
        "id": "task-1",
        "createdAt": "2026-11-29T12:00:00Z",
        "clientId": "c",
        "targets": [{"id": "t", "model": "vocals", "status": "completed", "formats": ["wav"]}],
    }
).encode()


def _verify(header: str | None) -> int:
    return verify(BODY, header, SECRET, now=lambda: NOW)


def test_an_unsigned_delivery_parses_without_a_secret() -> None:
    assert verify_and_parse(BODY).id == "task-1"
    assert verify_and_parse(BODY, None, None).targets[0].model == "vocals"


def test_with_a_secret_a_missing_header_is_an_error_that_says_so() -> None:
    with pytest.raises(WebhookSignatureError, match="a secret was given") as info:
        verify_and_parse(BODY, None, SECRET, now=lambda: NOW)
    assert "secret=None" in str(info.value)


def test_a_valid_signature_passes_and_returns_its_timestamp() -> None:
    assert _verify(sign_payload(BODY, SECRET, NOW)) == NOW
    signed = verify_and_parse(BODY, sign_payload(BODY, SECRET, NOW), SECRET, now=lambda: NOW)
    assert signed.id == "task-1"


@pytest.mark.parametrize(
    "header",
    [
        f"t={NOW}",  # a timestamp and no v1
        f"t={NOW},v1=",  # an empty v1
        f"t={NOW},v0={compute_signature(BODY, SECRET, NOW)}",  # the right hex under another scheme
        f"v1={compute_signature(BODY, SECRET, NOW)}",  # no timestamp
        f"t=soon,v1={compute_signature(BODY, SECRET, NOW)}",  # a timestamp that is no number
        "garbage",
    ],
)
def test_malformed_or_incomplete_headers_are_rejected(header: str) -> None:
    with pytest.raises(WebhookSignatureError):
        _verify(header)


def test_one_valid_v1_among_stale_ones_is_accepted() -> None:
    stale = compute_signature(BODY, "an-old-secret", NOW)
    valid = compute_signature(BODY, SECRET, NOW)
    assert _verify(f"t={NOW},v1={stale},v1={valid}") == NOW
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verify(f"t={NOW},v1={stale}")


def test_a_signature_outside_the_tolerance_is_rejected_unless_disabled() -> None:
    old = sign_payload(BODY, SECRET, NOW - 301)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        _verify(old)
    assert verify(BODY, old, SECRET, tolerance_s=None, now=lambda: NOW) == NOW - 301
    assert _verify(sign_payload(BODY, SECRET, NOW - 300)) == NOW - 300


def test_a_signature_over_another_body_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify(BODY + b" ", sign_payload(BODY, SECRET, NOW), SECRET, now=lambda: NOW)
