"""The batch engine: worker pools for the per-file steps (``steps.FileSteps``:
``concurrency`` workers that examine, upload and create, and as many that download, so
that downloads never hold up the paced requests) and one poller for the tasks, every
request through one shared limiter (``pacing``).

On start it reads the manifest and picks up each file where it stopped: a file whose
create token is recorded but no task id is first looked for by that token in
``GET /tasks`` (``recover``); a task already known is polled again (fresh links); a
done file whose outputs went missing is downloaded again; a changed file starts over.

The main thread submits work, polls the tasks that are processing (``poller``), and
waits. Time goes through the client's clock and sleep.

A file's API or I/O error is recorded and the batch goes on; ``BREAKER`` of them in a
row (or an authentication or access error) stop it. Any other exception, including one
raised by ``on_event``, stops the batch as a crash would: the manifest holds every step
recorded so far, and the same call continues.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audioshake_client.models import Task

from ..domain.billing import round_credits
from ..errors import (
    APIError,
    AuthenticationError,
    LinkExpiredError,
    PermissionDeniedError,
)
from ..sending import CLOCK_SKEW_S
from .manifest import MANIFEST_NAME, FileRow, Manifest
from .pacing import PacedLimiter
from .plan import discover, output_dir, require_media
from .poller import Poller
from .report import REPORT_NAME, BatchEvent, BatchReport, FileReport, FileStatus, write_report
from .steps import FileSteps, Item, Stopped, find_by_token

if TYPE_CHECKING:
    from ..client import AudioShake

__all__ = ["BREAKER", "BatchOptions", "BatchRunner"]

MAX_WAIT_S = 0.5  # longest wait for a worker before the deadline and polls are checked
BREAKER = 8  # file failures (API, I/O) in a row that stop the batch


@dataclass(frozen=True, slots=True)
class BatchOptions:
    input_dir: Path
    out_dir: Path
    recursive: bool = False
    concurrency: int = 4
    restart: bool = False
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    task_id: str | None = None  # a task to poll
    error: Exception | None = None


class BatchRunner:
    """Runs one batch; ``run()`` once."""

    def __init__(
        self,
        client: AudioShake,
        limiter: PacedLimiter,
        wires: list[dict[str, Any]],
        labels: tuple[str, ...],
        options: BatchOptions,
        on_event: Callable[[BatchEvent], object] | None = None,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.wires = wires
        self.labels = labels
        self.options = options
        self._on_event = on_event
        self._stop = threading.Event()
        self._clock = client.clock
        self._sleep = client.sleep
        self._steps: FileSteps | None = None

    def _emit(self, event: BatchEvent) -> None:
        """Give ``on_event`` the event, with the count of requests sent so far."""
        if self._on_event is not None:
            at, count = self.limiter.stamp()
            data = {**event.data, "requests": count, "at": at}
            self._on_event(BatchEvent(event.kind, event.path, data))

    def run(self) -> BatchReport:
        opts = self.options
        started = self._clock()
        found = discover(opts.input_dir, recursive=opts.recursive, exclude=[opts.out_dir])
        require_media(opts.input_dir, found, recursive=opts.recursive)
        opts.out_dir.mkdir(parents=True, exist_ok=True)
        if opts.restart:
            Manifest.archive(opts.out_dir)
        resumed = (opts.out_dir / MANIFEST_NAME).exists()
        account = Manifest.account(self.client.base_url, self.client.api_key)
        manifest = Manifest.open(opts.out_dir, targets=self.wires, account=account, now=started)
        items: list[Item] = []
        try:
            items = self._items(manifest)
            steps = FileSteps(
                self.client, manifest, self.wires, opts.out_dir, self._emit, self._stop
            )
            self._steps = steps
            self._recover(steps, items)
            prepare, waiting = self._route(steps, items)
            todo = len(prepare) + len(waiting)
            planned = {
                "files": len(items),
                "todo": todo,
                "resumed": resumed,
                "limit": self.limiter.limit,
                "done": len(items) - todo,
                "in_flight": len(waiting),
                "left": len(prepare),
                "done_paths": sorted(i.file.rel for i in _finished_items(items, prepare, waiting)),
                "in_flight_paths": sorted(i.file.rel for i in waiting.values()),
                "estimates": {
                    i.file.rel: i.row.estimate
                    for i in items
                    if i.row is not None and i.unchanged and i.row.estimate is not None
                },
                "costs": {
                    i.file.rel: i.row.cost
                    for i in items
                    if i.row is not None and i.unchanged and i.row.cost is not None
                },
            }
            self._emit(BatchEvent("planned", None, planned))
            timed_out = self._loop(steps, prepare, waiting, started)
        except BaseException:
            with contextlib.suppress(Exception):
                self._report(manifest, items, started, timed_out=False)
            manifest.close()
            raise
        report = self._report(manifest, items, started, timed_out=timed_out)
        manifest.close()
        return report

    # -- start-up ------------------------------------------------------------------------

    def _items(self, manifest: Manifest) -> list[Item]:
        """The files found, with their rows; a new file's output folder is chosen here,
        in sorted order, so that clashing names get the same folders every time."""
        opts = self.options
        files = discover(opts.input_dir, recursive=opts.recursive, exclude=[opts.out_dir])
        live = manifest.live_rows()
        taken = {r.out_dir for r in live.values()}
        items = []
        for f in files:
            row = live.get(f.rel)
            out = row.out_dir if row is not None else output_dir(f.rel, taken.__contains__)
            taken.add(out)
            items.append(Item(f, row, out))
        return items

    def _recover(self, steps: FileSteps, items: list[Item]) -> None:
        """Find the tasks whose create was sent but not recorded (a kill in between)."""
        lost: dict[str, Item] = {}
        sent: list[float] = []
        for item in items:  # changed files too: a task found belongs to the old version
            row = item.row
            if row is not None and row.create_token and not row.task_id:
                lost[row.create_token] = item
                sent.append(row.create_sent_at or 0.0)
        if not lost:
            return
        found = find_by_token(self.client.list_tasks(), lost, min(sent) - CLOCK_SKEW_S)
        for token, task in found.items():
            steps.record_task(lost[token], task, "task_recovered")

    def _route(self, steps: FileSteps, items: list[Item]) -> tuple[deque[Item], dict[str, Item]]:
        """What each file needs next: the pool's steps, or its task polled."""
        prepare: deque[Item] = deque()
        waiting: dict[str, Item] = {}
        for item in items:
            row = item.row
            if row is None or not item.unchanged:
                prepare.append(item)
                continue
            if row.task_id and not _finished(steps, item, row):
                waiting[row.task_id] = item
            elif not row.task_id:
                prepare.append(item)
        return prepare, waiting

    # -- the loop ------------------------------------------------------------------------

    def _loop(
        self,
        steps: FileSteps,
        prepare: deque[Item],
        waiting: dict[str, Item],
        started: float,
    ) -> bool:
        """Run until every file is finished (False) or the deadline passed (True)."""
        opts = self.options
        deadline = None if opts.timeout is None else started + opts.timeout
        fetch: deque[tuple[Item, Task]] = deque()
        running: dict[Future[_Outcome], Item] = {}
        poller = Poller(self.client, self.limiter, steps, self._emit, self._clock())
        failures: list[Exception] = []
        n = opts.concurrency
        ups = ThreadPoolExecutor(n, thread_name_prefix="audioshake-batch-up")
        downs = ThreadPoolExecutor(n, thread_name_prefix="audioshake-batch-down")
        busy = {ups: 0, downs: 0}
        where: dict[Future[_Outcome], ThreadPoolExecutor] = {}
        try:
            while True:
                for future in [f for f in running if f.done()]:
                    busy[where.pop(future)] -= 1
                    self._harvest(future.result(), running.pop(future), waiting, failures)
                now = self._clock()
                if deadline is not None and now >= deadline:
                    return True
                while busy[downs] < n and fetch:
                    item, task = fetch.popleft()
                    job = downs.submit(self._job, self._download(steps), item, task)
                    running[job], where[job] = item, downs
                    busy[downs] += 1
                while busy[ups] < n and prepare:
                    item = prepare.popleft()
                    job = ups.submit(self._job, self._prepare(steps), item)
                    running[job], where[job] = item, ups
                    busy[ups] += 1
                if not (running or fetch or prepare or waiting):
                    return False
                if waiting and now >= poller.next_at:
                    poller.poll(waiting, fetch)
                elif running:
                    pause = MAX_WAIT_S if not waiting else poller.next_at - now
                    wait(
                        running,
                        timeout=min(MAX_WAIT_S, max(0.0, pause)),
                        return_when=FIRST_COMPLETED,
                    )
                else:
                    until = poller.next_at if deadline is None else min(poller.next_at, deadline)
                    self._sleep(max(0.0, until - now))
        finally:
            self._stop.set()
            for pool in (ups, downs):
                pool.shutdown(wait=True, cancel_futures=True)

    def _prepare(self, steps: FileSteps) -> Callable[[Item], str | None]:
        """Examine, upload and create; the id of the task to poll, if any."""

        def run(item: Item) -> str | None:
            row = steps.examine(item)
            if row is None or (row.task_id and _finished(steps, item, row)):
                return None
            if row.task_id:  # same content as recorded, touched since
                return row.task_id
            return steps.create(item, row).id

        return run

    def _download(self, steps: FileSteps) -> Callable[[Item, Task], None]:
        def run(item: Item, task: Task) -> None:
            steps.download(item, task)

        return run

    def _job(self, step: Callable[..., str | None], item: Item, *args: Any) -> _Outcome:
        """One step of one file in a worker; its API/I/O error fails only that file."""
        try:
            return _Outcome(task_id=step(item, *args))
        except Stopped:
            return _Outcome()
        except LinkExpiredError as exc:
            # Stored in the report, read from Python and from the CLI: name both switches.
            message = (
                f"{exc}; the outputs are gone (kept 72 h): start a new batch to run it again"
                " (--restart; restart=True in Python)"
            )
            self._fail(item, message, "api")
            return _Outcome(error=exc)
        except (AuthenticationError, PermissionDeniedError):
            raise  # every other file would fail the same way
        except APIError as exc:
            self._fail(item, str(exc), "api")
            return _Outcome(error=exc)
        except OSError as exc:
            self._fail(item, f"{type(exc).__name__}: {exc}", "io")
            return _Outcome(error=exc)

    def _fail(self, item: Item, message: str, kind: str) -> None:
        assert self._steps is not None
        self._steps.fail(item, message, kind)

    def _harvest(
        self, outcome: _Outcome, item: Item, waiting: dict[str, Item], failures: list[Exception]
    ) -> None:
        if outcome.error is not None:
            failures.append(outcome.error)
            if len(failures) >= BREAKER:
                error = failures[-1]
                error.add_note(f"the batch stopped: {BREAKER} files failed in a row")
                raise error
            return
        failures.clear()
        if outcome.task_id is not None:
            waiting[outcome.task_id] = item

    # -- the report ------------------------------------------------------------------------

    def _report(
        self, manifest: Manifest, items: list[Item], started: float, *, timed_out: bool
    ) -> BatchReport:
        files = [self._file_report(manifest, item) for item in items]
        path = self.options.out_dir / REPORT_NAME
        report = BatchReport(
            input_dir=str(self.options.input_dir),
            out_dir=str(self.options.out_dir),
            targets=self.labels,
            files=tuple(files),
            estimated=round_credits(sum(f.estimate or 0.0 for f in files)),
            spent=round_credits(sum(f.cost or 0.0 for f in files)),
            requests=self.limiter.count,
            elapsed=round(self._clock() - started, 3),
            timed_out=timed_out,
            manifest=str(manifest.path),
            report=str(path),
        )
        write_report(report, path)
        return report

    def _file_report(self, manifest: Manifest, item: Item) -> FileReport:
        if item.final is not None and (item.row is None or item.final.status == "ignored"):
            return item.final
        if item.row is None or not item.unchanged:
            return FileReport(item.file.rel, "pending")
        row = manifest.row(item.row.id)
        targets = tuple(manifest.targets(row.id))
        status: FileStatus
        error, kind = row.error, row.error_kind
        if row.state in ("skipped", "failed"):
            status = "skipped" if row.state == "skipped" else "failed"
        elif row.state != "done":
            status = "pending"
        else:
            bad = [t for t in targets if t.status != "completed"]
            status = "done" if not bad else "partial" if len(bad) < len(targets) else "failed"
            if bad:
                error = "; ".join(f"{t.label}: {t.code} {t.message}" for t in bad)
                kind = "target"
        return FileReport(
            path=item.file.rel,
            status=status,
            sha256=row.sha256 or None,
            duration=row.duration,
            estimate=row.estimate,
            cost=row.cost,
            asset_id=row.asset_id,
            task_id=row.task_id,
            targets=targets,
            outputs=tuple(manifest.outputs(row.id)),
            error=error,
            error_kind=kind,
        )


def _finished_items(
    items: list[Item], prepare: deque[Item], waiting: dict[str, Item]
) -> list[Item]:
    """The files with nothing left to do (neither to prepare nor waited for)."""
    busy = {id(i) for i in prepare} | {id(i) for i in waiting.values()}
    return [i for i in items if id(i) not in busy]


def _finished(steps: FileSteps, item: Item, row: FileRow) -> bool:
    """Whether the file is done with its outputs on disk; else mark it pending again."""
    if row.state == "done" and _outputs_present(steps, row):
        return True
    if row.state != "pending":
        item.row = steps.manifest.update(
            row.id, steps.now(), state="pending", error=None, error_kind=None
        )
    return False


def _outputs_present(steps: FileSteps, row: FileRow) -> bool:
    for rec in steps.manifest.outputs(row.id):
        path = steps.out_dir / rec.path
        if not path.is_file() or path.stat().st_size != rec.size:
            return False
    return True
