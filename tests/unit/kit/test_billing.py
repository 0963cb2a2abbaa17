"""Billing rules (domain/billing.py): the table the mock charges and estimate() predicts."""

from __future__ import annotations

import pytest

from audioshake_kit.domain.billing import BillingTarget, billable_minutes, price_targets


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [
        (0, 1),
        (0.001, 1),
        (59.9, 1),
        (60.0, 1),
        (60.0000000001, 1),
        (60.01, 2),
        (200.53, 4),
        (9.485124588012695, 1),
        (1320, 22),
        (10800, 180),
    ],
)
def test_every_started_minute_counts_and_the_minimum_is_one(seconds: float, minutes: int) -> None:
    assert billable_minutes(seconds) == minutes


def test_negative_or_nan_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="duration"):
        billable_minutes(-1)
    with pytest.raises(ValueError, match="duration"):
        billable_minutes(float("nan"))


def credits(targets: list[BillingTarget], seconds: float) -> list[float]:
    return [c.credits for c in price_targets(targets, seconds)]


@pytest.mark.parametrize(
    ("targets", "seconds", "expected"),
    [
        # the documented webhook example: bass, 200.53 s → 4 credits
        ([BillingTarget("bass")], 200.53, [4.0]),
        # the real task: 9.485 s; vocals high_quality 1.5, drums 1
        ([BillingTarget("vocals", "high_quality"), BillingTarget("drums")], 9.485, [1.5, 1.0]),
        # third-party worked examples: 3:20 × 3 stems = 12; 22 min × (dialogue + music_fx) = 66
        ([BillingTarget("vocals"), BillingTarget("drums"), BillingTarget("bass")], 200, [4, 4, 4]),
        ([BillingTarget("dialogue"), BillingTarget("music_fx")], 22 * 60, [33.0, 33.0]),
        # a target that fails before processing (4xxx, or no code) costs nothing ...
        ([BillingTarget("bass", outcome="error"), BillingTarget("drums")], 61, [0.0, 2.0]),
        ([BillingTarget("bass", outcome="error", code=4001)], 61, [0.0]),
        ([BillingTarget("bass", outcome="error", code=4999)], 61, [0.0]),
        # ... one that fails mid-processing (5xxx) is charged as if it had completed
        (
            [BillingTarget("bass", outcome="error", code=5001), BillingTarget("drums")],
            61,
            [2.0, 2.0],
        ),
        ([BillingTarget("vocals", "high_quality", "error", 5000)], 61, [3.0]),
        # transcription + alignment bill 1.5/min together (0.75 each) ...
        ([BillingTarget("transcription"), BillingTarget("alignment")], 61, [1.5, 1.5]),
        # ... and at their own rate when the other one fails before processing
        (
            [BillingTarget("transcription"), BillingTarget("alignment", outcome="error")],
            61,
            [2.0, 0.0],
        ),
        (
            [BillingTarget("transcription"), BillingTarget("alignment", None, "error", 4005)],
            61,
            [2.0, 0.0],
        ),
        # a pair member that fails mid-processing keeps the shared rate for both
        (
            [BillingTarget("transcription", None, "error", 5001), BillingTarget("alignment")],
            61,
            [1.5, 1.5],
        ),
        ([BillingTarget("transcription")], 61, [2.0]),
        ([BillingTarget("music_detection")], 30, [0.5]),
        ([BillingTarget("multi_voice", "n_speaker")], 90, [20.0]),
    ],
)
def test_price_table(targets: list[BillingTarget], seconds: float, expected: list[float]) -> None:
    assert credits(targets, seconds) == expected


def test_pending_targets_are_priced_as_if_they_complete() -> None:
    assert credits([BillingTarget("bass", outcome="pending")], 61) == [2.0]
