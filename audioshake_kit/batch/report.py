"""What a batch did: per-file outcomes, totals, and the machine-readable JSON report
(``OUT_DIR/audioshake-batch-report.json``). Pure data; the CLI renders it with rich.

A file's ``status``:

- ``done``: every target completed and every output is on disk.
- ``partial``: some targets failed (their error is given); the others' outputs are kept.
- ``failed``: no target completed, or an API/network error stopped the file (it is
  tried again on the next run).
- ``skipped``: the input could not be read or is not a supported media type.
- ``ignored``: not media (no media suffix and no known signature), e.g. ``cover.jpg``.
- ``pending``: not finished when the batch stopped (``timeout``).
- ``estimated``: a dry run's line.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "REPORT_NAME",
    "BatchEvent",
    "BatchReport",
    "FileReport",
    "FileStatus",
    "OutputRecord",
    "TargetOutcome",
    "write_report",
]

REPORT_NAME = "audioshake-batch-report.json"

FileStatus = Literal["done", "partial", "failed", "skipped", "ignored", "pending", "estimated"]
FAILURES: frozenset[str] = frozenset({"partial", "failed", "skipped"})


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """How one target of a file's task ended."""

    target_id: str
    model: str
    variant: str | None
    status: str  # completed | error
    code: int | None = None
    message: str | None = None
    cost: float | None = None

    @property
    def label(self) -> str:
        return self.model + (f"@{self.variant}" if self.variant else "")


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One downloaded output; ``path`` is relative to OUT_DIR."""

    target_id: str
    name: str
    format: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FileReport:
    """One input file (``path`` relative to INPUT_DIR, with ``/`` separators)."""

    path: str
    status: FileStatus
    sha256: str | None = None
    duration: float | None = None
    estimate: float | None = None
    approximate: bool = False  # the estimate's duration was read from headers (≈)
    cost: float | None = None
    asset_id: str | None = None
    task_id: str | None = None
    targets: tuple[TargetOutcome, ...] = ()
    outputs: tuple[OutputRecord, ...] = ()
    error: str | None = None
    error_kind: str | None = None  # input (skipped), api, io (tried again), target


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """A step of the batch, given to ``on_event`` (from the batch's worker threads).

    ``kind``: ``planned`` (``files`` found, ``todo`` not finished; ``resumed``: a
    manifest was there, of whose files ``done`` are finished, ``in_flight`` have a task
    not finished and ``left`` have none yet; ``limit``: requests per second let
    through; ``done_paths``, ``in_flight_paths``, and
    the ``estimates`` and ``costs`` already recorded, by path), ``examined``,
    ``skipped``, ``ignored``, ``uploaded``, ``create_sending`` (recorded in the
    manifest, about to be sent), ``task_created``, ``task_recovered`` (found by its token after a crash),
    ``task_finished``, ``download_progress``, ``output_downloaded``, ``file_done``,
    ``file_failed``, ``poll``. Every event's ``data`` has ``requests``: the API requests
    sent so far by the batch, and ``at``: the time on the client's clock."""

    kind: str
    path: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchReport:
    """The outcome of ``AudioShake.batch()``. ``estimated`` and ``spent`` are credits
    (``spent``: the tasks' settled cost); ``requests``: API requests sent by this run;
    ``elapsed``: seconds on the client's clock."""

    input_dir: str
    out_dir: str
    targets: tuple[str, ...]
    files: tuple[FileReport, ...]
    dry_run: bool = False
    estimated: float = 0.0
    spent: float = 0.0
    requests: int = 0
    elapsed: float = 0.0
    timed_out: bool = False
    manifest: str | None = None
    report: str | None = None

    def count(self, *statuses: str) -> int:
        return sum(1 for f in self.files if f.status in statuses)

    @property
    def ok(self) -> bool:
        """Every (non-ignored) file is done and the batch did not time out."""
        return not self.timed_out and self.count(*FAILURES, "pending") == 0

    @property
    def api_failed(self) -> bool:
        """A file failed because of the API or the network (not its input or a target)."""
        return any(f.status == "failed" and f.error_kind == "api" for f in self.files)

    def counts(self) -> dict[str, int]:
        statuses = ("done", "partial", "failed", "skipped", "ignored", "pending", "estimated")
        return {s: self.count(s) for s in statuses if self.count(s)}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts()
        data["ok"] = self.ok
        return data


def write_report(report: BatchReport, path: Path) -> None:
    """Write the JSON report atomically (temp file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(report.to_json(), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
