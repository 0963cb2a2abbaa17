"""The work on one file, step by step, each step recorded in the manifest before the
next begins: examine (hash, type, estimate) → upload → record the create token → create
→ (the runner polls) → record target outcomes → download each output.

Exactly once: the token (``TOKEN_PREFIX:<sha256[:16]>:<random>``) is the task's
``metadata``; it is committed before ``POST /tasks`` is sent, so after a kill between
send and record the runner finds the task by it (``find_by_token``) instead of
creating a second one. The batch owns the ``metadata`` of the tasks it creates.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audioshake_client.models import Task
from audioshake_client.types import Unset

from ..domain.billing import task_cost
from ..downloads import plan_downloads
from ..errors import APIStatusError, NotFoundError
from ..sending import created_at
from .manifest import FileRow, Manifest
from .plan import Examined, InputFile, examine, sha256_file
from .report import BatchEvent, FileReport, OutputRecord, TargetOutcome

if TYPE_CHECKING:
    from ..client import AudioShake

__all__ = [
    "ASSET_MARGIN_S",
    "TOKEN_PREFIX",
    "FileSteps",
    "Item",
    "Stopped",
    "find_by_token",
    "outcomes_of",
]

TOKEN_PREFIX = "audioshake-batch"
ASSET_MARGIN_S = 3600.0
"""An asset older than its lifetime (72 h) minus this is uploaded again before use."""


class Stopped(Exception):
    """The batch is stopping (a crash elsewhere, a timeout): leave this file as it is."""


@dataclass
class Item:
    """One input file as the runner tracks it: its manifest row (None before it is
    examined, or when ignored) and, once known, a final report line."""

    file: InputFile
    row: FileRow | None
    out_dir: str = ""  # where a new version's outputs go (relative to OUT_DIR)
    final: FileReport | None = None

    @property
    def unchanged(self) -> bool:
        """The row describes the file as it is now (same size and mtime)."""
        row = self.row
        return row is not None and row.size == self.file.size and row.mtime_ns == self.file.mtime_ns


def _opt(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


def outcomes_of(task: Task) -> tuple[list[TargetOutcome], float | None]:
    """Each target's outcome, and the task's cost (else, when any target has a cost,
    ``billing.task_cost`` of them)."""
    outcomes = []
    for t in task.targets:
        err = _opt(t.error)
        outcomes.append(
            TargetOutcome(
                t.id,
                t.model,
                _opt(t.variant),
                str(getattr(t.status, "value", t.status)),
                None if err is None else err.code,
                None if err is None else err.message,
                _opt(t.cost),
            )
        )
    cost = _opt(task.cost)
    if cost is None:
        costs = [o.cost for o in outcomes if o.cost is not None]
        cost = task_cost(costs) if costs else None
    return outcomes, None if cost is None else float(cost)


def find_by_token(tasks: Iterator[Task], tokens: dict[str, Any], since: float) -> dict[str, Task]:
    """Tasks (newest first) whose ``metadata`` is one of ``tokens``, looking back to
    ``since`` (unix seconds) or until all are found."""
    found: dict[str, Task] = {}
    for task in tasks:
        if created_at(task) < since or len(found) == len(tokens):
            break
        meta = _opt(task.metadata)
        if meta in tokens and meta not in found:
            found[meta] = task
    return found


class FileSteps:
    """The per-file steps, run in the batch's worker threads."""

    def __init__(
        self,
        client: AudioShake,
        manifest: Manifest,
        wires: list[dict[str, Any]],
        out_dir: Path,
        emit: Callable[[BatchEvent], None],
        stop: threading.Event,
    ) -> None:
        self.client = client
        self.manifest = manifest
        self.wires = wires
        self.out_dir = out_dir
        self.emit = emit
        self.stop = stop
        self.asset_ttl = float(client.catalog.limits.asset_ttl_seconds)

    def now(self) -> float:
        return self.client.clock()

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Stopped()

    # -- examine -----------------------------------------------------------------------

    def examine(self, item: Item) -> FileRow | None:
        """The file's row, ready to upload; None when it is skipped or ignored (recorded
        in ``item.final`` and, when skipped, in the manifest)."""
        self.check_stop()
        row, f = item.row, item.file
        if item.unchanged and row is not None and row.estimate is not None:
            return row  # examined before, and not changed since
        seen = examine(self.client, f, self.wires)
        if seen.verdict == "ignored":
            item.final = FileReport(f.rel, "ignored", error=seen.reason)
            self.emit(BatchEvent("ignored", f.rel, {"reason": seen.reason}))
            return None
        try:
            sha = sha256_file(f.path)
        except OSError as exc:
            seen, sha = Examined("skipped", reason=f"cannot read {f.rel}: {exc}"), ""
        now = self.now()
        if row is not None and row.sha256 == sha:
            row = self.manifest.update(row.id, now, size=f.size, mtime_ns=f.mtime_ns)
            item.row = row
            if row.estimate is not None and seen.estimate is not None:
                known = {"estimate": row.estimate, "sha256": sha}
                self.emit(BatchEvent("examined", f.rel, known))
                return row  # touched, not changed: its recorded progress stands
        else:
            row = self._new_version(item, sha, now)
        if seen.estimate is None:
            row = self.manifest.update(
                row.id, now, state="skipped", error=seen.reason, error_kind="input"
            )
            item.row = row
            self.emit(BatchEvent("skipped", f.rel, {"reason": seen.reason}))
            return None
        est = seen.estimate
        row = self.manifest.update(
            row.id, now, duration=est.duration, estimate=est.total, state="pending"
        )
        item.row = row
        self.emit(BatchEvent("examined", f.rel, {"estimate": est.total, "sha256": sha}))
        return row

    def _new_version(self, item: Item, sha: str, now: float) -> FileRow:
        old, f = item.row, item.file
        if old is not None:
            self._remove_outputs(old)
        return self.manifest.add_file(
            rel_path=f.rel,
            sha256=sha,
            size=f.size,
            mtime_ns=f.mtime_ns,
            out_dir=item.out_dir if old is None else old.out_dir,
            now=now,
            supersedes=None if old is None else old.id,
        )

    def _remove_outputs(self, old: FileRow) -> None:
        """Delete the outputs of a superseded version that are still as downloaded."""
        for rec in self.manifest.outputs(old.id):
            path = self.out_dir / rec.path
            try:
                if path.stat().st_size == rec.size and sha256_file(path) == rec.sha256:
                    path.unlink()
            except OSError:
                continue

    # -- upload and create ----------------------------------------------------------------

    def upload(self, item: Item, row: FileRow) -> FileRow:
        self.check_stop()
        started = self.now()
        asset = self.client.upload(item.file.path)
        row = self.manifest.update(row.id, self.now(), asset_id=asset.id, uploaded_at=started)
        item.row = row
        self.emit(BatchEvent("uploaded", item.file.rel, {"asset_id": asset.id}))
        return row

    def create(self, item: Item, row: FileRow) -> Task:
        """Upload if needed, then create the task, exactly once (see the module doc)."""
        if (
            row.asset_id is None
            or row.uploaded_at is None
            or (self.now() >= row.uploaded_at + self.asset_ttl - ASSET_MARGIN_S)
        ):
            row = self.upload(item, row)
        self.check_stop()
        if row.create_token is None:
            token = f"{TOKEN_PREFIX}:{row.sha256[:16]}:{secrets.token_hex(8)}"
            now = self.now()
            row = self.manifest.update(
                row.id, now, durable=True, create_token=token, create_sent_at=now
            )
            item.row = row
        assert row.create_token is not None and row.asset_id is not None
        self.emit(BatchEvent("create_sending", item.file.rel, {"token": row.create_token}))
        try:
            try:
                task = self._send_create(row)
            except NotFoundError:  # the asset expired or vanished: no task was created
                row = self.upload(item, row)
                task = self._send_create(row)
        except APIStatusError as exc:
            if 400 <= exc.status_code < 500 and exc.status_code not in (408, 429):
                # Refused outright (e.g. 402): no task exists, so a later run need not
                # look for one by this token.
                item.row = self.manifest.update(row.id, self.now(), create_token=None)
            raise
        self.record_task(item, task, "task_created")
        return task

    def _send_create(self, row: FileRow) -> Task:
        assert row.asset_id is not None and row.create_token is not None
        return self.client.create_task(self.wires, asset_id=row.asset_id, metadata=row.create_token)

    def record_task(self, item: Item, task: Task, event: str) -> None:
        assert item.row is not None
        item.row = self.manifest.record_task(item.row.id, task.id, created_at(task), self.now())
        self.emit(BatchEvent(event, item.file.rel, {"task_id": task.id}))

    # -- finish and download ---------------------------------------------------------------

    def record_finished(self, item: Item, task: Task) -> None:
        """Every target's outcome and the cost, once the task has ended."""
        assert item.row is not None
        outcomes, cost = outcomes_of(task)
        self.manifest.record_targets(item.row.id, outcomes, cost, self.now())
        failed = [o.label for o in outcomes if o.status != "completed"]
        self.emit(
            BatchEvent("task_finished", item.file.rel, {"cost": cost or 0.0, "failed": failed})
        )

    def download(self, item: Item, task: Task) -> None:
        """Download the outputs not yet on disk as recorded; then the file is done."""
        row = item.row
        assert row is not None
        have = {o.path: o for o in self.manifest.outputs(row.id)}
        rel = item.file.rel

        def progress(path: Path, done: int, total: int | None) -> None:
            self.emit(BatchEvent("download_progress", rel, {"done": done, "total": total}))

        for planned in plan_downloads(task, self.out_dir / row.out_dir):
            self.check_stop()
            where = planned.path.relative_to(self.out_dir).as_posix()
            rec = have.get(where)
            if rec is not None and _has_size(planned.path, rec.size):
                continue
            planned.path.parent.mkdir(parents=True, exist_ok=True)
            path = self.client.download_output(planned, progress)
            out = OutputRecord(
                planned.target_id,
                planned.name,
                planned.format,
                where,
                path.stat().st_size,
                sha256_file(path),
            )
            self.manifest.record_output(row.id, out, self.now())
            self.emit(BatchEvent("output_downloaded", rel, {"path": where, "size": out.size}))
        item.row = self.manifest.update(
            row.id, self.now(), state="done", error=None, error_kind=None
        )
        self.emit(BatchEvent("file_done", rel, {}))

    def fail(self, item: Item, message: str, kind: str) -> None:
        """A file-level failure (``kind``: ``api``, ``io``); tried again on the next run."""
        if item.row is not None:
            item.row = self.manifest.update(
                item.row.id, self.now(), state="failed", error=message, error_kind=kind
            )
        else:
            item.final = FileReport(item.file.rel, "failed", error=message, error_kind=kind)
        self.emit(BatchEvent("file_failed", item.file.rel, {"error": message}))


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False
