"""Resumable batch processing: a folder of files through the API, paced under the rate
limit, never paid twice. ``AudioShake.batch()`` (and so ``audioshake batch``) calls
``run_batch``, which uses only the client's public API; nothing here imports the client
at run time.

- ``plan``: which files, their hash and estimate; the dry run.
- ``manifest``: the SQLite record of every step, in OUT_DIR.
- ``steps``: the work on one file; the exactly-once create token.
- ``runner``: the worker pools, resuming; ``poller``: reading the tasks.
- ``pacing``: one limiter for every request of the batch.
- ``report``: per-file outcomes and the JSON report.

Outputs go to ``OUT_DIR/<relative path without suffix>/<output name>.<ext>``.
Sync only: ``AsyncAudioShake`` has no ``batch()`` (the engine runs on threads).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..targets import check_targets
from .manifest import MANIFEST_NAME
from .pacing import paced_client
from .plan import dry_run as _dry_run
from .report import REPORT_NAME, BatchEvent, BatchReport, FileReport, OutputRecord, TargetOutcome
from .runner import BatchOptions, BatchRunner
from .steps import TOKEN_PREFIX

if TYPE_CHECKING:
    from ..client import AudioShake
    from ..types import TargetLike

__all__ = [
    "MANIFEST_NAME",
    "REPORT_NAME",
    "TOKEN_PREFIX",
    "BatchEvent",
    "BatchReport",
    "FileReport",
    "OutputRecord",
    "TargetOutcome",
    "run_batch",
]


def run_batch(
    client: AudioShake,
    input_dir: str | os.PathLike[str],
    targets: Sequence[TargetLike] | TargetLike,
    out_dir: str | os.PathLike[str],
    *,
    recursive: bool = False,
    concurrency: int = 4,
    rate: int | None = None,
    dry_run: bool = False,
    restart: bool = False,
    timeout: float | None = None,
    on_event: Callable[[BatchEvent], object] | None = None,
) -> BatchReport:
    """See ``AudioShake.batch``."""
    wires = check_targets(targets, client.catalog)
    labels = tuple(_label(w) for w in wires)
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError("must be a whole number of at least 1", field="concurrency")
    if rate is not None and (not isinstance(rate, int) or rate < 1):
        raise ValidationError("must be a whole number of requests per second, ≥ 1", field="rate")
    if timeout is not None and timeout < 0:
        raise ValidationError("must not be negative", field="timeout")
    source, dest = Path(input_dir), Path(out_dir)
    if dest.exists() and not dest.is_dir():
        raise ValidationError(f"{dest} exists and is not a folder", field="out_dir")
    if dest.resolve() == source.resolve():
        raise ValidationError(
            "must not be INPUT_DIR itself (outputs would be taken for inputs)", field="out_dir"
        )
    if dry_run:
        return _dry_run(client, source, dest, wires, labels, recursive=recursive)
    options = BatchOptions(source, dest, recursive, concurrency, restart, timeout)
    with paced_client(client, rate) as (paced, limiter):
        return BatchRunner(paced, limiter, wires, labels, options, on_event).run()


def _label(wire: dict[str, object]) -> str:
    text = str(wire["model"])
    if wire.get("variant"):
        text += f"@{wire['variant']}"
    formats = wire.get("formats")
    if isinstance(formats, list) and formats:
        text += ":" + ",".join(str(f) for f in formats)
    return text + ("+residual" if wire.get("residual") else "")
