"""The batch manifest: one SQLite file in OUT_DIR that records every step of every input
file, so a batch killed at any moment (SIGKILL included) continues where it stopped.

Tables (schema version ``SCHEMA``):

- ``meta(key, value)``: ``schema``, ``targets`` (the canonical wire targets, JSON),
  ``account`` (base URL and a fingerprint of the key), ``created_at``.
- ``files``: one row per input file *version*: ``rel_path``, ``sha256`` (streamed),
  ``size``, ``mtime_ns``, ``out_dir`` (relative to OUT_DIR), ``state`` (``pending``,
  ``done``, ``failed``, ``skipped``, ``superseded``), ``duration``/``estimate``,
  ``asset_id``/``uploaded_at``, ``create_token``/``create_sent_at`` (written *before*
  ``POST /tasks`` is sent), ``task_id``/``task_created_at``, ``cost``, ``error`` and
  ``error_kind`` (``input`` or ``api``). At most one row per path is not superseded; a
  changed file gets a new row, so its work starts again.
- ``targets``: each target's outcome (status, error code and message, cost).
- ``outputs``: each downloaded output (path relative to OUT_DIR, size, sha256).

Every write is one transaction, in WAL mode: a commit survives the process being killed
(SIGKILL) as soon as it returns. The create token is also fsynced before it returns
(``durable=True``), so even a power cut cannot make the batch forget a create it sent;
the other steps are cheap to redo (an upload, a poll, a download), and their commits
skip the fsync. One connection is shared by the batch's threads under a lock. Times
are the client's clock (unix seconds).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .report import OutputRecord, TargetOutcome

__all__ = ["MANIFEST_NAME", "SCHEMA", "FileRow", "Manifest", "ManifestError"]

MANIFEST_NAME = "audioshake-batch.sqlite"
SCHEMA = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    rel_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    out_dir TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    duration REAL,
    estimate REAL,
    asset_id TEXT,
    uploaded_at REAL,
    create_token TEXT,
    create_sent_at REAL,
    task_id TEXT,
    task_created_at REAL,
    cost REAL,
    error TEXT,
    error_kind TEXT,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS files_live_path ON files(rel_path)
    WHERE state != 'superseded';
CREATE TABLE IF NOT EXISTS targets (
    file_id INTEGER NOT NULL REFERENCES files(id),
    target_id TEXT NOT NULL,
    model TEXT NOT NULL,
    variant TEXT,
    status TEXT NOT NULL,
    code INTEGER,
    message TEXT,
    cost REAL,
    PRIMARY KEY (file_id, target_id)
);
CREATE TABLE IF NOT EXISTS outputs (
    file_id INTEGER NOT NULL REFERENCES files(id),
    target_id TEXT NOT NULL,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    downloaded_at REAL NOT NULL,
    PRIMARY KEY (file_id, path)
);
"""


class ManifestError(ValidationError):
    """OUT_DIR's manifest cannot be used for this batch (other targets, account or schema,
    or not a manifest). ``problem`` says why; ``option`` names the argument that starts a
    new batch there instead (``restart``): the message says ``restart=True``, and a
    program with its own words for it (the CLI: ``--restart``) builds its own."""

    option = "restart"

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"{problem}; use {self.option}=True to start a new batch there, or another out_dir",
            field="out_dir",
        )
        self.problem = problem


@dataclass(frozen=True, slots=True)
class FileRow:
    """One row of ``files``."""

    id: int
    rel_path: str
    sha256: str
    size: int
    mtime_ns: int
    out_dir: str
    state: str
    duration: float | None
    estimate: float | None
    asset_id: str | None
    uploaded_at: float | None
    create_token: str | None
    create_sent_at: float | None
    task_id: str | None
    task_created_at: float | None
    cost: float | None
    error: str | None
    error_kind: str | None
    updated_at: float


_COLUMNS = ", ".join(f.name for f in fields(FileRow))


class Manifest:
    """The open manifest of one OUT_DIR. Use ``Manifest.open``; every method is
    thread-safe and every write commits before it returns."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, out_dir: Path, *, targets: Sequence[dict[str, Any]], account: str, now: float
    ) -> Manifest:
        """Open (or create) ``OUT_DIR/audioshake-batch.sqlite``; ``ManifestError`` when it
        was made for other targets, another account or another schema."""
        path = out_dir / MANIFEST_NAME
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_DDL)
            manifest = cls(path, conn)
            manifest._check_meta(json.dumps(list(targets), sort_keys=True), account, now)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ManifestError(f"cannot use {path} as the batch manifest: {exc}") from None
        except ManifestError:
            conn.close()
            raise
        return manifest

    @staticmethod
    def account(base_url: str, api_key: str) -> str:
        """Which account a manifest belongs to: the base URL and a hash of the key."""
        return f"{base_url} key-sha256:{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"

    @staticmethod
    def archive(out_dir: Path) -> Path | None:
        """Move the manifest aside (``<name>.old``, replacing an older one) so that the
        next ``open`` starts a new batch. The tasks it recorded are not touched."""
        base = out_dir / MANIFEST_NAME
        old = base.with_name(base.name + ".old")
        if not base.exists():
            return None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{old}{suffix}").unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):  # SQLite finds the WAL by the file's name
            src = Path(f"{base}{suffix}")
            if src.exists():
                os.replace(src, Path(f"{old}{suffix}"))
        return old

    def _check_meta(self, targets: str, account: str, now: float) -> None:
        wanted = {"schema": str(SCHEMA), "targets": targets, "account": account}
        with self._tx() as cur:
            have = dict(cur.execute("SELECT key, value FROM meta").fetchall())
            if not have:
                rows = [*wanted.items(), ("created_at", repr(now))]
                cur.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", rows)
                return
        if have.get("schema") != wanted["schema"]:
            raise ManifestError(
                f"{self.path} has manifest schema {have.get('schema')}, this version reads {SCHEMA}"
            )
        if have.get("targets") != targets:
            raise ManifestError(
                f"{self.path} was made for other targets ({_labels(have.get('targets'))}) "
                f"than this batch ({_labels(targets)})"
            )
        if have.get("account") != account:
            raise ManifestError(
                f"{self.path} was made with another API key or base URL; its tasks are "
                "not visible to this one"
            )

    @contextmanager
    def _tx(self, *, durable: bool = False) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            if durable:
                cur.execute("PRAGMA synchronous=FULL")  # this commit fsyncs the WAL
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                if durable:
                    cur.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- reads ---------------------------------------------------------------------------

    def live_rows(self) -> dict[str, FileRow]:
        """The current (not superseded) row of every path, by relative path."""
        with self._tx() as cur:
            rows = cur.execute(
                f"SELECT {_COLUMNS} FROM files WHERE state != 'superseded'"
            ).fetchall()
        return {r[1]: FileRow(*r) for r in rows}

    def row(self, file_id: int) -> FileRow:
        with self._tx() as cur:
            found = cur.execute(f"SELECT {_COLUMNS} FROM files WHERE id = ?", (file_id,))
            return FileRow(*found.fetchone())

    def targets(self, file_id: int) -> list[TargetOutcome]:
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT target_id, model, variant, status, code, message, cost FROM targets "
                "WHERE file_id = ? ORDER BY rowid",
                (file_id,),
            ).fetchall()
        return [TargetOutcome(*r) for r in rows]

    def outputs(self, file_id: int) -> list[OutputRecord]:
        with self._tx() as cur:
            rows = cur.execute(
                "SELECT target_id, name, format, path, size, sha256 FROM outputs "
                "WHERE file_id = ? ORDER BY rowid",
                (file_id,),
            ).fetchall()
        return [OutputRecord(*r) for r in rows]

    # -- writes --------------------------------------------------------------------------

    def add_file(
        self,
        *,
        rel_path: str,
        sha256: str,
        size: int,
        mtime_ns: int,
        out_dir: str,
        now: float,
        supersedes: int | None = None,
    ) -> FileRow:
        """A new file version (``supersedes``: the id of the row it replaces)."""
        with self._tx() as cur:
            if supersedes is not None:
                cur.execute(
                    "UPDATE files SET state = 'superseded', updated_at = ? WHERE id = ?",
                    (now, supersedes),
                )
            cur.execute(
                "INSERT INTO files(rel_path, sha256, size, mtime_ns, out_dir, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rel_path, sha256, size, mtime_ns, out_dir, now),
            )
            file_id = cur.lastrowid
        assert file_id is not None
        return self.row(file_id)

    def update(self, file_id: int, now: float, *, durable: bool = False, **values: Any) -> FileRow:
        """Set columns of one file row in one transaction; returns the new row.
        ``durable``: fsynced before it returns (the create token)."""
        names = set(values) - {f.name for f in fields(FileRow)}
        if names or "id" in values:
            raise ValueError(f"not a settable column of files: {sorted(names) or ['id']}")
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self._tx(durable=durable) as cur:
            cur.execute(
                f"UPDATE files SET {assignments}, updated_at = ? WHERE id = ?",
                (*values.values(), now, file_id),
            )
        return self.row(file_id)

    def record_task(self, file_id: int, task_id: str, created_at: float, now: float) -> FileRow:
        """The task that was created (or found) for this file."""
        return self.update(file_id, now, task_id=task_id, task_created_at=created_at)

    def record_targets(
        self, file_id: int, outcomes: Sequence[TargetOutcome], cost: float | None, now: float
    ) -> None:
        """Every target's outcome and the task's cost, in one transaction."""
        with self._tx() as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO targets(file_id, target_id, model, variant, status, "
                "code, message, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (file_id, o.target_id, o.model, o.variant, o.status, o.code, o.message, o.cost)
                    for o in outcomes
                ],
            )
            cur.execute(
                "UPDATE files SET cost = ?, updated_at = ? WHERE id = ?", (cost, now, file_id)
            )

    def record_output(self, file_id: int, output: OutputRecord, now: float) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO outputs(file_id, target_id, name, format, path, size, "
                "sha256, downloaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    output.target_id,
                    output.name,
                    output.format,
                    output.path,
                    output.size,
                    output.sha256,
                    now,
                ),
            )


def _labels(targets_json: str | None) -> str:
    try:
        wires = json.loads(targets_json or "[]")
        return ", ".join(str(w.get("model")) for w in wires) or "none"
    except (ValueError, AttributeError):
        return "unreadable"
