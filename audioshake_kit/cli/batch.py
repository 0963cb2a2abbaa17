"""``audioshake batch``: a folder through the API, resumable (``audioshake_kit.batch``).

Registered by ``main.py``; the client factory and exit codes come from ``context``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..batch import BatchEvent, BatchReport
from ..errors import ValidationError
from . import render
from .context import ExitCode, make_client, make_offline_client

__all__ = ["batch", "summary_table"]

_MAX_ROWS = 50
_RATE_WINDOW_S = 3.0  # the request rate shown is over the last few seconds


def batch(
    input_dir: Annotated[
        Path, typer.Argument(help="Folder of audio/video files.", metavar="INPUT_DIR")
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target", "-t", help="MODEL[@VARIANT][:FMT,FMT][+residual]; repeat for more."
        ),
    ] = [],  # noqa: B006 - typer reads the default
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Folder for outputs, manifest and report.", show_default=False
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Include subfolders.")
    ] = False,
    concurrency: Annotated[int, typer.Option(help="Workers for uploads and downloads.", min=1)] = 4,
    rate: Annotated[
        int | None,
        typer.Option(
            help="API requests per rolling second [default: the service's limit, less a margin].",
            min=1,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the estimate; send and write nothing.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start a new manifest (created tasks are kept).")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the manifest (the default).")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (exit 4); run again.")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="API key [default: $AUDIOSHAKE_API_KEY].", show_default=False
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="API base URL [default: $AUDIOSHAKE_BASE_URL].", show_default=False
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Run the targets on every media file in INPUT_DIR; outputs to
    OUTPUT/<relative path without suffix>/<output name>.<ext>.

    Resumable: a manifest in OUTPUT records every step, so the same command again (after
    a crash or Ctrl-C too) continues and never creates or pays a file's task twice.
    Changed files are processed again. The JSON report is OUTPUT/audioshake-batch-report.json
    (--json prints it: {input_dir, out_dir, targets, files: [{path, status, sha256,
    duration, estimate, cost, asset_id, task_id, targets, outputs, error, error_kind}],
    estimated, spent, requests, elapsed, timed_out, counts, ok}). Exit 0 when every file
    is done, 1 when a file or target failed (or, with --dry-run, a file cannot be read),
    3 on API/network errors, 4 on --timeout.
    """
    if output is None:
        raise ValidationError("give the output folder: -o OUT_DIR", field="--output")
    if restart and resume:
        raise ValidationError("--restart and --resume contradict each other", field="--restart")
    if not target:
        raise ValidationError("give at least one -t TARGET", field="--target")
    make = make_offline_client if dry_run else make_client
    with make(api_key, base_url) as client:
        live = _Live(enabled=not json_ and not dry_run)
        with live.show():
            report = client.batch(
                input_dir,
                target,
                output,
                recursive=recursive,
                concurrency=concurrency,
                rate=rate,
                dry_run=dry_run,
                restart=restart,
                timeout=timeout,
                on_event=live.on_event,
            )
    if json_:
        render.print_json(report.to_json())
    elif dry_run:
        render.out.print(estimate_table(report))
    else:
        render.out.print(summary_table(report))
        for table in failures_table(report):
            render.out.print(table)
        render.out.print(f"Report: {report.report}", markup=False, soft_wrap=True)
    if report.timed_out:
        raise typer.Exit(ExitCode.TIMEOUT)
    if report.api_failed:
        raise typer.Exit(ExitCode.API)
    if not report.ok:
        raise typer.Exit(ExitCode.TARGET_FAILED)


# -- live progress ---------------------------------------------------------------------


class _Live:
    """Progress on stderr: files done/failed/running, credits spent vs estimated, and the
    request rate. Events arrive from the batch's worker threads."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and render.err.is_terminal
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


# -- tables ----------------------------------------------------------------------------


def summary_table(report: BatchReport) -> Table:
    title = "Batch" + (" (stopped at --timeout; run again to continue)" if report.timed_out else "")
    table = Table(title=title)
    table.add_column("")
    table.add_column("", justify="right")
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
    for f in report.files:
        if f.status == "estimated":
            table.add_row(escape(f.path), f"{f.duration or 0:.1f}", f"{f.estimate or 0:g}")
        elif f.status == "skipped":
            table.add_row(escape(f.path), "", f"[red]skipped[/red] {escape(f.error or '')}")
    table.add_row("[b]total[/b]", "", f"[b]{report.estimated:g}[/b]")
    return table
