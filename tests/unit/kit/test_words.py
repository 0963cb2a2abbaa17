"""Counted nouns in messages for people: "1 failed target", "2 failed targets"."""

from __future__ import annotations

import pytest
from audioshake_client.models import Task

from audioshake_kit.domain.words import plural
from audioshake_kit.types import TaskResult

from .helpers import target_json, task_json


@pytest.mark.parametrize(
    ("n", "noun", "nouns", "expected"),
    [
        (0, "target", None, "0 targets"),
        (1, "target", None, "1 target"),
        (2, "target", None, "2 targets"),
        (1, "try", "tries", "1 try"),
        (3, "try", "tries", "3 tries"),
        (1.0, "credit", None, "1 credit"),
        (1.5, "credit", None, "1.5 credits"),
    ],
)
def test_plural(n: float, noun: str, nouns: str | None, expected: str) -> None:
    assert plural(n, noun, nouns) == expected


def _charged(*models: str) -> TaskResult:
    targets = [
        {**target_json(m, "error", error=(5001, "processing failed")), "cost": 1.0} for m in models
    ]
    return TaskResult.from_task(Task.from_dict(task_json(targets=targets)))


def test_refund_note_for_one_charged_target_is_singular() -> None:
    note = _charged("vocals").refund_note
    assert note is not None
    assert note.startswith(
        "1 failed target (vocals) failed mid-processing and was charged 1 credit;"
    )
    assert "may refund it:" in note
    assert "(s)" not in note


def test_refund_note_for_two_charged_targets_is_plural() -> None:
    note = _charged("vocals", "drums").refund_note
    assert note is not None
    assert note.startswith(
        "2 failed targets (vocals, drums) failed mid-processing and were charged 2 credits;"
    )
    assert "may refund them:" in note
