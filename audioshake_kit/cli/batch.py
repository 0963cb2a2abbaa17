"""``audioshake batch``: a folder through the API, resumable (``audioshake_kit.batch``).

Registered by ``main.py``; the client factory and exit codes come from ``context``, the
live progress and the tables from ``batch_view`` (loaded when the command runs, so that
``audioshake --help`` imports no renderer). No ``from __future__ import annotations``:
typer would ``eval`` each string annotation to build the help.
"""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ValidationError
from .context import ExitCode, make_client, make_offline_client

__all__ = ["batch"]


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
    duration, estimate, approximate, cost, asset_id, task_id, targets, outputs, error,
    error_kind}], estimated, spent, requests, elapsed, timed_out, counts, ok}). Exit 0 when every file
    is done, 1 when a file or target failed (or, with --dry-run, a file cannot be read),
    3 on API/network errors, 4 on --timeout.
    """
    if output is None:
        raise ValidationError("give the output folder: -o OUT_DIR", field="--output")
    if restart and resume:
        raise ValidationError("--restart and --resume contradict each other", field="--restart")
    if not target:
        raise ValidationError("give at least one -t TARGET", field="--target")
    from . import render
    from .batch_view import Live, estimate_table, failures_table, summary_table

    make = make_offline_client if dry_run else make_client
    with make(api_key, base_url) as client:
        live = Live(enabled=not json_ and not dry_run, notes=not json_)
        with live.show():
            try:
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
            except ValidationError as exc:
                raise _in_cli_words(exc) from None
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


CLI_NAMES = {"out_dir": "--output", "input_dir": "INPUT_DIR"}
"""The command's names for the facade's arguments (``AudioShake.batch``) it may blame."""


def _in_cli_words(exc: ValidationError) -> ValidationError:
    """``exc`` told with the command's names: the facade's messages name its Python
    arguments (``out_dir``, ``restart=True``, ``recursive=True``), so errors that carry a
    remedy are worded here from their attributes, never by editing their text."""
    from ..batch.manifest import ManifestError
    from ..batch.plan import NoMediaError
    from ..domain.media import SUPPORTED_MEDIA

    if isinstance(exc, NoMediaError):
        hint = "" if exc.recursive else "; use -r for subfolders"
        return ValidationError(
            f"no media files in {exc.input_dir} (looked for {SUPPORTED_MEDIA}{hint})"
        )
    problem = exc.problem
    if isinstance(exc, ManifestError):
        problem += f"; use --{exc.option} to start a new batch there, or another OUT_DIR"
    field = CLI_NAMES.get(exc.field, exc.field) if exc.field else None
    return ValidationError(problem, field=field)
