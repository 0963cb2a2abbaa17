"""The one definition of a finished target: completed, error, or the undocumented
``failed``; anything else (processing, or a status the service added) is not."""

from __future__ import annotations

import pytest
from audioshake_client.models import TargetStatus

from audioshake_kit.domain.status import all_finished, is_failed, is_finished, is_known


@pytest.mark.parametrize(
    ("status", "finished", "failed", "known"),
    [
        ("processing", False, False, True),
        ("completed", True, False, True),
        ("error", True, True, True),
        ("failed", True, True, True),
        ("queued", False, False, False),
        ("", False, False, False),
        (TargetStatus.COMPLETED, True, False, True),
        (TargetStatus("cancelled"), False, False, False),
    ],
)
def test_status_table(status: str, finished: bool, failed: bool, known: bool) -> None:
    assert (is_finished(status), is_failed(status), is_known(status)) == (finished, failed, known)


def test_a_task_has_finished_when_every_target_has() -> None:
    assert all_finished(["completed", "error", "failed"])
    assert not all_finished(["completed", "processing"])
    assert not all_finished(["completed", "queued"])
    assert all_finished([])
