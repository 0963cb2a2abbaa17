"""What ``audioshake batch`` shows: live progress on stderr and the summary tables."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..batch import BatchEvent, BatchReport
from ..domain.billing import round_credits
from . import render

__all__ = ["Live", "Tally", "estimate_table", "failures_table", "resuming_line", "summary_table"]

_MAX_ROWS = 50
SUMMARY_EVERY_S = 30.0  # without a terminal, a summary line at least this often
_RATE_WINDOW_S = 3.0  # the request rate shown is over the last few seconds


# -- live progress ---------------------------------------------------------------------


class Tally:
    """The batch so far, from its events: files done, failed and running, credits spent
    vs estimated (by path, so that an event seen twice counts once), and the request
    rate on the batch's clock (each event's ``at``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.total: int | None = None
        self.limit: int | None = None  # requests per second the batch lets through
        self.done: set[str] = set()
        self.failed: set[str] = set()
        self.ignored: set[str] = set()
        self.started: set[str] = set()
        self.estimates: dict[str, float] = {}
        self.costs: dict[str, float] = {}
        self._start: float | None = None
        self._samples: deque[tuple[float, int]] = deque()  # (time, requests so far)

    def apply(self, event: BatchEvent) -> None:
        kind, path, data = event.kind, event.path or "", event.data
        now = float(data.get("at", self._clock()))
        if self._start is None:
            self._start = now
        count = int(data.get("requests", 0))
        if self._samples:  # events from several threads may come out of order
            last_at, last_count = self._samples[-1]
            now, count = max(now, last_at), max(count, last_count)
        self._samples.append((now, count))
        while self._samples[0][0] < now - _RATE_WINDOW_S:
            self._samples.popleft()
        if kind == "planned":
            self.total = int(data["files"])
            self.limit = data.get("limit")
            self.done.update(data.get("done_paths", ()))
            self.started.update(data.get("in_flight_paths", ()))
            self.estimates.update(data.get("estimates", {}))
            self.costs.update(data.get("costs", {}))
        elif kind == "examined":
            self.estimates[path] = float(data.get("estimate", 0.0))
            self.started.add(path)
        elif kind == "task_finished":
            self.costs[path] = float(data.get("cost", 0.0))
            self.started.add(path)
        elif kind == "file_done":
            self.done.add(path)
            self.failed.discard(path)
        elif kind in ("file_failed", "skipped"):
            self.failed.add(path)
        elif kind == "ignored":
            self.ignored.add(path)
        elif path:
            self.started.add(path)

    @property
    def finished(self) -> int:
        return len(self.done | self.failed | self.ignored)

    @property
    def running(self) -> int:
        return len(self.started - self.done - self.failed - self.ignored)

    @property
    def estimated(self) -> float:
        return round_credits(sum(self.estimates.values()))

    @property
    def spent(self) -> float:
        return round_credits(sum(self.costs.values()))

    def rate(self) -> float:
        """Requests per second over the last few seconds (over at least 1 s: two events
        close together say nothing of a rate), and never more than the batch's limit:
        events sample the count coarsely, so a window's edges can take in a request
        more than it had."""
        if not self._samples:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        rate = (n1 - n0) / max(1.0, t1 - t0)
        return rate if self.limit is None else min(rate, float(self.limit))

    def status(self, *, markup: bool = True) -> str:
        done, failed = len(self.done), len(self.failed)
        ok, bad = (
            (f"[green]{done} done[/green]", f"[red]{failed} failed[/red]")
            if markup
            else (
                f"{done} done",
                f"{failed} failed",
            )
        )
        ignored = f" {len(self.ignored)} ignored" if self.ignored else ""
        return (
            f"{ok} {bad}{ignored} {self.running} running · "
            f"{self.spent:g}/{self.estimated:g} credits · {self.rate():.0f} req/s"
        )


class Live:
    """Progress on stderr: files done/failed/running, credits spent vs estimated, and the
    request rate. Events arrive from the batch's worker threads."""

    def __init__(
        self,
        *,
        enabled: bool,
        notes: bool = True,
        console: Console | None = None,
        every: float = SUMMARY_EVERY_S,
    ) -> None:
        self.console = console or render.err
        self.enabled = enabled and self.console.is_terminal
        self.plain = enabled and not self.console.is_terminal  # CI logs: plain lines
        self.notes = notes  # one-off lines on stderr (resuming), terminal or not
        self.every = every
        self._last: float | None = None  # when the last plain summary line went out
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._bar: Any = None
        self.tally = Tally()

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
        with Progress(*columns, console=self.console, transient=False) as progress:
            self._progress = progress
            self._bar = progress.add_task("files", total=None, status="starting")
            yield

    def on_event(self, event: BatchEvent) -> None:
        if event.kind == "planned" and event.data.get("resumed") and self.notes:
            self.console.print(resuming_line(event), markup=False, soft_wrap=True)
        if self.plain:
            with self._lock:
                self._plain(event)
            return
        if self._progress is None:
            return
        with self._lock:
            self.tally.apply(event)
            t = self.tally
            self._progress.update(self._bar, total=t.total, completed=t.finished, status=t.status())

    def _plain(self, event: BatchEvent) -> None:
        """A line per file finished, and a summary at least every ``every`` seconds (on
        the batch's clock, as events arrive: polls come every few seconds)."""
        t = self.tally
        t.apply(event)
        now = float(event.data.get("at", time.monotonic()))
        if self._last is None:
            self._last = now
        word = _FINISHED.get(event.kind)
        if word is not None and event.path:
            where = f"{t.finished}/{t.total}" if t.total is not None else str(t.finished)
            self.console.print(f"{word} {event.path} ({where})", markup=False, soft_wrap=True)
        if now - self._last >= self.every:
            self._last = now
            self.console.print(
                f"files {t.finished}/{t.total} · " + t.status(markup=False),
                markup=False,
                soft_wrap=True,
            )


_FINISHED = {"file_done": "done", "file_failed": "failed", "skipped": "skipped"}


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
