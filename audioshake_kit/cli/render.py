"""What the CLI prints: JSON shapes (``*_json``), rich tables and progress bars."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audioshake_client.models import Asset, Model, Target, Task
from audioshake_client.types import Unset
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ..domain.media import MEDIA_EXTRA
from ..domain.status import is_failed
from ..types import Estimate, TaskResult

__all__ = [
    "Bars",
    "api_json",
    "estimate_json",
    "estimate_table",
    "models_table",
    "print_json",
    "result_json",
    "result_table",
    "tasks_table",
]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


DATETIME_KEYS = frozenset({"createdAt", "updatedAt", "completedAt", "expiresAt"})
"""The datetime fields of a Task, its targets and an Asset, as the API names them."""


def api_json(item: Task | Asset) -> dict[str, Any]:
    """``item.to_dict()`` with UTC datetimes ending in ``Z`` as the API sends them (the
    generated ``to_dict`` writes ``isoformat()``: ``+00:00``)."""
    return _utc_z(item.to_dict())


def _utc_z(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _utc_z_value(k, v) for k, v in data.items()}


def _utc_z_value(key: str, value: Any) -> Any:
    if key in DATETIME_KEYS and isinstance(value, str) and value.endswith("+00:00"):
        return value[: -len("+00:00")] + "Z"
    if isinstance(value, dict):
        return _utc_z(value)
    if isinstance(value, list):
        return [_utc_z(v) if isinstance(v, dict) else v for v in value]
    return value


def _opt(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


def _label(target: Target) -> str:
    variant = _opt(target.variant)
    return target.model + (f"@{variant}" if variant else "")


# -- JSON shapes (documented in each command's help) --------------------------------------


def estimate_json(est: Estimate) -> dict[str, Any]:
    return {
        "duration": est.duration,
        "minutes": est.minutes,
        "lines": [
            {
                "model": c.model,
                "variant": c.variant,
                "minutes": c.minutes,
                "rate": c.rate,
                "credits": c.credits,
            }
            for c in est.lines
        ],
        "total": est.total,
        "approximate": est.approximate,
    }


def result_json(result: TaskResult, estimate: Estimate | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "task": api_json(result.task),
        "succeeded": [
            {"id": t.id, "model": t.model, "variant": _opt(t.variant), "cost": _opt(t.cost)}
            for t in result.succeeded
        ],
        "failed": [
            {
                "id": f.target.id,
                "model": f.model,
                "code": f.code,
                "message": f.message,
                "cost": f.cost,
                "charged": f.charged,
            }
            for f in result.failed
        ],
        "cost": result.cost,
        "files": [str(p) for p in result.files],
    }
    if estimate is not None:
        data["estimate"] = estimate_json(estimate)
    return data


# -- tables --------------------------------------------------------------------------------


APPROXIMATE = "≈"
"""Marks a figure made from a duration read from headers (``Estimate.approximate``)."""
APPROXIMATE_NOTE = (
    f"{APPROXIMATE} duration read from the file's headers; the service bills the decoded"
    f" length: install {MEDIA_EXTRA} for an exact estimate"
)


def estimate_table(est: Estimate) -> Table:
    mark = APPROXIMATE if est.approximate else ""
    table = Table(
        title=f"Estimate: {mark}{est.duration:.1f} s of input → {mark}{est.minutes} billed min",
        caption=escape(APPROXIMATE_NOTE) if est.approximate else None,
    )
    for col in ("target", "minutes", "credits/min", "credits"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for c in est.lines:
        name = c.model + (f"@{c.variant}" if c.variant else "")
        table.add_row(escape(name), f"{mark}{c.minutes}", f"{c.rate:g}", f"{mark}{c.credits:g}")
    table.add_row("[b]total[/b]", "", "", f"[b]{mark}{est.total:g}[/b]")
    return table


def print_result(result: TaskResult) -> None:
    """The result table, then a note when failed targets were charged."""
    out.print(result_table(result))
    if result.refund_note:
        out.print(f"note: {result.refund_note}", markup=False)


def result_table(result: TaskResult) -> Table:
    table = Table(title=f"Task {escape(result.task.id)}")
    for col in ("target", "status", "outputs / error", "credits"):
        table.add_column(col)
    for t in result.task.targets:
        if is_failed(t.status):
            err_ = _opt(t.error)
            detail = escape(f"{err_.code} {err_.message}") if err_ else "failed"
            status = "[red]error[/red]"
        else:
            outs = [] if isinstance(t.output, Unset) else t.output
            detail = ", ".join(f"{o.name}.{o.format_}" for o in outs)
            status = "[green]completed[/green]" if t.status == "completed" else str(t.status)
        cost = _opt(t.cost)
        table.add_row(escape(_label(t)), status, detail, "" if cost is None else f"{cost:g}")
    return table


def _variants(model: Model) -> str:
    """``id`` per variant, ``*`` on the default, ``(rate)`` where it has its own."""
    names = []
    for v in _opt(model.variants) or []:
        rate = _opt(v.credits_per_minute)
        names.append(v.id + ("*" if _opt(v.default) else "") + (f" ({rate:g})" if rate else ""))
    return ", ".join(names)


def models_table(models: Sequence[Model]) -> Table:
    """One row per model; long cells wrap (``fold``) rather than being cut at the width,
    but an id stays whole."""
    table = Table(title="Models", caption="variants: * the default, (credits/min) its own rate")
    table.add_column("id", no_wrap=True)  # whole, to copy into -t
    for col in ("name", "category", "credits/min", "variants", "residual", "formats", "access"):
        table.add_column(col, overflow="fold")
    for m in models:
        rate = _opt(m.credits_per_minute)
        residual = _opt(m.supports_residual)
        table.add_row(
            escape(m.id),
            escape(m.name),
            escape(_opt(m.category) or ""),
            "" if rate is None else f"{rate:g}",
            escape(_variants(m)),
            "" if residual is None else ("yes" if residual else "no"),
            ", ".join(m.output_formats),
            m.access,
        )
    return table


def tasks_table(tasks: Sequence[Task]) -> Table:
    table = Table(title="Tasks")
    for col in ("id", "created", "targets", "cost"):
        table.add_column(col)
    for task in tasks:
        states = ", ".join(f"{_label(t)}:{t.status}" for t in task.targets)
        cost = _opt(task.cost)
        table.add_row(
            escape(task.id),
            task.created_at.isoformat(),
            escape(states),
            "" if cost is None else f"{cost:g}",
        )
    return table


def assets_table(assets: Sequence[Asset]) -> Table:
    table = Table(title="Assets")
    for col in ("id", "name", "format", "expires"):
        table.add_column(col)
    for a in assets:
        expires = _opt(a.expires_at)
        when = "" if expires is None else expires.isoformat()
        table.add_row(escape(a.id), escape(a.name), escape(a.format_), when)
    return table


# -- progress ------------------------------------------------------------------------------


class Bars:
    """Progress bars on stderr, or nothing when ``enabled`` is false (--json, no TTY)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and err.is_terminal

    @contextmanager
    def bytes(self, label: str) -> Iterator[Callable[[int, int | None], None]]:
        """A bar for one transfer; yields ``update(done, total)``."""
        if not self.enabled:
            yield lambda done, total: None
            return
        columns = (TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            bar = progress.add_task(label, total=None)
            yield lambda done, total: progress.update(bar, completed=done, total=total)

    @contextmanager
    def files(self) -> Iterator[Callable[[Path, int, int | None], None]]:
        """One bar per downloaded file; yields ``update(path, done, total)``."""
        if not self.enabled:
            yield lambda path, done, total: None
            return
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
        with Progress(*columns, console=err) as progress:
            bars: dict[Path, Any] = {}

            def update(path: Path, done: int, total: int | None) -> None:
                if path not in bars:
                    bars[path] = progress.add_task(path.name, total=total)
                progress.update(bars[path], completed=done, total=total)

            yield update

    @contextmanager
    def targets(self, count: int | None) -> Iterator[Callable[[Target], None]]:
        """A bar of ended targets; yields ``on_target(target)``."""
        if not self.enabled:
            yield lambda target: None
            return
        columns = (TextColumn("processing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err) as progress:
            bar = progress.add_task("targets", total=count)

            def ended(target: Target) -> None:
                progress.advance(bar)
                mark = "[green]✓[/green]" if target.status == "completed" else "[red]✗[/red]"
                progress.console.print(f"{mark} {escape(_label(target))} {target.status}")

            yield ended
