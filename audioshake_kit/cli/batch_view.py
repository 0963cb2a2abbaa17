"""What ``audioshake batch`` shows: live progress on stderr and the summary tables."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..batch import BatchEvent, BatchReport
from . import render

__all__ = ["Live", "estimate_table", "failures_table", "resuming_line", "summary_table"]

_MAX_ROWS = 50
_RATE_WINDOW_S = 3.0  # the request rate shown is over the last few seconds


# -- live progress ---------------------------------------------------------------------


class Live:
    """Progress on stderr: files done/failed/running, credits spent vs estimated, and the
    request rate. Events arrive from the batch's worker threads."""

    def __init__(self, *, enabled: bool, notes: bool = True) -> None:
        self.enabled = enabled and render.err.is_terminal
        self.notes = notes  # one-off lines on stderr (resuming), terminal or not
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._bar: Any = None
        self._done: set[str] = set()
        self._failed: set[str] = set()
        self._started: set[str] = set()
        self._estimated = 0.0
        self._spent = 0.0
        self._samples: deque[tuple[float, int]] = deque()  # (time, requests so far)

    @contextmanager
    def show(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        columns = (
            TextColumn("files"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=render.err, transient=False) as progress:
            self._progress = progress
            self._bar = progress.add_task("files", total=None, status="starting")
            yield

    def on_event(self, event: BatchEvent) -> None:
        if event.kind == "planned" and event.data.get("resumed") and self.notes:
            render.err.print(resuming_line(event), markup=False, soft_wrap=True)
        if self._progress is None:
            return
        with self._lock:
            self._apply(event)
            now = time.monotonic()
            self._samples.append((now, int(event.data.get("requests", 0))))
            while self._samples[0][0] < now - _RATE_WINDOW_S:
                self._samples.popleft()
            done, failed = len(self._done), len(self._failed)
            running = len(self._started - self._done - self._failed)
            status = (
                f"[green]{done} done[/green] [red]{failed} failed[/red] {running} running · "
                f"{self._spent:g}/{self._estimated:g} credits · {self._rate():.0f} req/s"
            )
            self._progress.update(self._bar, completed=done + failed, status=status)

    def _apply(self, event: BatchEvent) -> None:
        kind, path = event.kind, event.path or ""
        if kind == "planned":
            assert self._progress is not None
            self._progress.update(self._bar, total=event.data["files"])
        elif kind == "examined":
            self._estimated += float(event.data.get("estimate", 0.0))
            self._started.add(path)
        elif kind == "task_finished":
            self._spent += float(event.data.get("cost", 0.0))
        elif kind == "file_done":
            self._done.add(path)
        elif kind in ("file_failed", "skipped"):
            self._failed.add(path)
        elif path:
            self._started.add(path)

    def _rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


def resuming_line(event: BatchEvent) -> str:
    """What a rerun picks up: files finished, with a task in flight, and left."""
    d = event.data
    return (
        f"Resuming from the manifest: {d.get('done', 0)} of {d.get('files', 0)} files done,"
        f" {d.get('in_flight', 0)} in flight, {d.get('left', 0)} left"
    )


# -- tables ----------------------------------------------------------------------------


def summary_table(report: BatchReport) -> Table:
    title = "Batch" + (" (stopped at --timeout; run again to continue)" if report.timed_out else "")
    table = Table(title=title, show_header=False)  # rows of name and value: no header row
    table.add_column("name")
    table.add_column("value", justify="right")
    for status, n in report.counts().items():
        table.add_row(status, str(n))
    table.add_row("credits spent / estimated", f"{report.spent:g} / {report.estimated:g}")
    rate = report.requests / report.elapsed if report.elapsed > 0 else 0.0
    table.add_row("API requests", f"{report.requests} ({rate:.1f}/s)")
    table.add_row("elapsed", f"{report.elapsed:.1f} s")
    return table


def failures_table(report: BatchReport) -> list[Table]:
    bad = [f for f in report.files if f.status in ("partial", "failed", "skipped", "pending")]
    if not bad:
        return []
    table = Table(title="Not done")
    for col in ("file", "status", "error"):
        table.add_column(col)
    for f in bad[:_MAX_ROWS]:
        table.add_row(escape(f.path), f.status, escape(f.error or ""))
    if len(bad) > _MAX_ROWS:
        table.add_row(f"… {len(bad) - _MAX_ROWS} more in the JSON report", "", "")
    return [table]


def estimate_table(report: BatchReport) -> Table:
    table = Table(title=f"Estimate (dry run): {', '.join(report.targets)}")
    for col in ("file", "seconds", "credits"):
        table.add_column(col, justify="left" if col == "file" else "right")
    approximate = any(f.approximate for f in report.files)
    if approximate:
        table.caption = escape(render.APPROXIMATE_NOTE)
    for f in report.files:
        if f.status == "estimated":
            mark = render.APPROXIMATE if f.approximate else ""
            table.add_row(
                escape(f.path), f"{mark}{f.duration or 0:.1f}", f"{mark}{f.estimate or 0:g}"
            )
        elif f.status == "skipped":
            table.add_row(escape(f.path), "", f"[red]skipped[/red] {escape(f.error or '')}")
    total = f"{render.APPROXIMATE if approximate else ''}{report.estimated:g}"
    table.add_row("[b]total[/b]", "", f"[b]{total}[/b]")
    return table
