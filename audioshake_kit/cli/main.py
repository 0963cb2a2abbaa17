"""The ``audioshake`` command. Exit codes: 0 every target completed, 1 some target failed,
2 usage or validation error, 3 API or network error, 4 timeout, 130 interrupted (Ctrl-C).
Errors are one line on stderr (``AUDIOSHAKE_DEBUG=1`` shows the traceback); ``-v`` shows
each HTTP request, answer and retry on stderr (the ``audioshake_kit`` logger, ``logs``).

Only typer is imported to build the commands: the client, the generated models, the media
probe and the rich renderer load inside the command that runs, so ``--help`` is quick.
(No ``from __future__ import annotations`` here: typer would ``eval`` every string
annotation of every command to build the help.)
"""

import functools
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

from ..domain.media import MediaError
from ..domain.words import plural
from ..errors import (
    APIError,
    AudioShakeError,
    ConfigurationError,
    TaskFailedError,
    ValidationError,
    WaitTimeoutError,
    after_task_created,
)
from .batch import batch as batch_command
from .context import ExitCode, make_client, make_offline_client

if TYPE_CHECKING:
    from audioshake_client.models import Task

    from ..client import AudioShake
    from ..types import TargetSpec, TaskResult

__all__ = ["ExitCode", "app"]


class Command(TyperCommand):
    """Usage lines name a required argument as its help does (``FILE``): typer would
    write ``{FILE}``."""

    # ctx: typer's vendored click Context, from a private module, hence Any
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument) and param.required:
                pieces.append(param.make_metavar(ctx))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


app = typer.Typer(
    name="audioshake",
    help="Stems, dialogue and transcripts from the AudioShake API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
tasks_app = typer.Typer(help="The account's tasks.", no_args_is_help=True, rich_markup_mode=None)
assets_app = typer.Typer(
    help="The account's uploaded assets.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(tasks_app, name="tasks")
app.add_typer(assets_app, name="assets")

ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="API key [default: $AUDIOSHAKE_API_KEY].", show_default=False),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL [default: $AUDIOSHAKE_BASE_URL, else https://api.audioshake.ai].",
        show_default=False,
    ),
]
OFFLINE = (
    "Not used: estimate sends nothing (the price list is packaged); accepted so that"
    " the options every other command takes work here too."
)
OfflineApiKey = Annotated[str | None, typer.Option("--api-key", help=OFFLINE, show_default=False)]
OfflineBaseUrl = Annotated[str | None, typer.Option("--base-url", help=OFFLINE, show_default=False)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (its shape is given above).")]
Targets = Annotated[
    list[str],
    typer.Option(
        "--target", "-t", help="MODEL[@VARIANT][:FMT,FMT][+residual]; repeat for more targets."
    ),
]
DEFAULT_WAIT_TIMEOUT_S = 3 * 3600.0  # the longest input a model takes, as a bound
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Give up waiting after this many seconds (a task is still billed; resume it"
        " with 'audioshake wait').",
    ),
]
MediaFile = Annotated[
    Path, typer.Argument(help="Audio or video file.", metavar="FILE", show_default=False)
]

TaskId = Annotated[str, typer.Argument(help="Task id.", metavar="TASK_ID", show_default=False)]

F = TypeVar("F", bound=Callable[..., Any])


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"audioshake {version('audioshake-kit')}")
        raise typer.Exit()


def _log_to_stderr() -> Callable[[], None]:
    """Show the kit's log (``audioshake_kit``, DEBUG) on stderr; returns the undo."""
    import logging
    import sys

    from ..logs import LOGGER

    logger = logging.getLogger(LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return undo


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show each HTTP request and answer (method, URL, status, ms, request id)"
            " and each retry on stderr; keys and link signatures are left out.",
        ),
    ] = False,
) -> None:
    """Stems, dialogue and transcripts from the AudioShake API."""
    if verbose:
        ctx.call_on_close(_log_to_stderr())


def _fail(code: ExitCode, message: str) -> typer.Exit:
    from rich.text import Text

    from . import render

    render.err.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)
    return typer.Exit(code)


def _interrupted(exc: KeyboardInterrupt, hint: str | None) -> str:
    task_id = getattr(exc, "task_id", None)  # set by errors.after_task_created
    if task_id is not None:
        return (
            f"interrupted; task {task_id} was created and is billed as its targets end:"
            f" resume with 'audioshake wait {task_id}' then"
            f" 'audioshake download {task_id} -o DIR'"
        )
    return f"interrupted; {hint}" if hint else "interrupted"


def guarded(func: F, *, interrupted: str | None = None) -> F:
    """Turn the facade's exceptions into one line on stderr and an exit code; Ctrl-C
    exits 130, saying how to resume a task already created (else ``interrupted``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ValidationError, ConfigurationError, MediaError) as exc:
            raise _fail(ExitCode.USAGE, str(exc)) from None
        except WaitTimeoutError as exc:
            raise _fail(ExitCode.TIMEOUT, str(exc)) from None
        except TaskFailedError as exc:
            raise _fail(ExitCode.TARGET_FAILED, str(exc)) from None
        except APIError as exc:
            message = str(exc) or type(exc).__name__
            if exc.task_id is not None:  # paid for: resume it, do not separate again
                message += (
                    f" (task {exc.task_id} was created: resume with"
                    f" 'audioshake wait {exc.task_id}' and 'audioshake download {exc.task_id}')"
                )
            raise _fail(ExitCode.API, message) from None
        except (AudioShakeError, OSError) as exc:
            raise _fail(ExitCode.API, str(exc) or type(exc).__name__) from None
        except KeyboardInterrupt as exc:
            raise _fail(ExitCode.INTERRUPTED, _interrupted(exc, interrupted)) from None
        except Exception as exc:
            if os.environ.get("AUDIOSHAKE_DEBUG"):
                raise
            raise _fail(ExitCode.API, f"unexpected {type(exc).__name__}: {exc}") from None

    return wrapper  # type: ignore[return-value]


def _exit_for(result: "TaskResult") -> None:
    if result.failed:
        raise typer.Exit(ExitCode.TARGET_FAILED)


def _specs(
    client: "AudioShake", targets: list[str], language: str | None, transcript: str | None
) -> "list[TargetSpec]":
    from ..targets import apply_options, parse_target

    if not targets:
        raise ValidationError("give at least one -t TARGET", field="--target")
    specs = [parse_target(t, field=f"--target {t}") for t in targets]
    return apply_options(specs, client.catalog, language=language, transcript=transcript)


@app.command(cls=Command)
@guarded
def separate(
    file: MediaFile,
    target: Targets = [],  # noqa: B006 - typer reads the default
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the outputs.")] = Path(
        "."
    ),
    language: Annotated[
        str | None, typer.Option(help="Language of transcription/alignment targets (ISO code).")
    ] = None,
    transcript: Annotated[
        str | None,
        typer.Option(help="Transcript for alignment: a .txt/.json file or an HTTPS URL."),
    ] = None,
    metadata: Annotated[str | None, typer.Option(help="Stored with the task as-is.")] = None,
    max_credits: Annotated[
        float | None,
        typer.Option("--max-credits", help="Refuse (exit 2) if the estimate is higher."),
    ] = None,
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT_S,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """Upload FILE, run the targets, wait, and save the outputs to OUTPUT/<file stem>/.

    Prints the estimate and the task id before waiting, then a table per target and the
    credits charged. --json prints one object: {"task": Task, "succeeded": [{id, model,
    variant, cost}], "failed": [{id, model, code, message}], "cost": number|null, "files":
    [path], "estimate": {duration, minutes, lines: [{model, variant, minutes, rate,
    credits}], total}}.
    """
    from ..targets import is_url
    from ..types import outputs_dir
    from . import render

    bars = render.Bars(not json_)
    with make_client(api_key, base_url) as client:
        specs = _specs(client, target, language, transcript)
        est = client.estimate(file, specs)
        if not json_:
            render.out.print(render.estimate_table(est))
        if max_credits is not None and est.total > max_credits:
            raise ValidationError(
                f"the estimate, {est.total:g} credits, is over {max_credits:g}; nothing was sent",
                field="--max-credits",
            )
        with bars.bytes(f"upload {file.name}") as progress:
            asset = client.upload(file, on_progress=progress)
        if transcript is not None and not is_url(transcript):
            t_asset = client.upload(transcript)
            specs = [
                replace(s, transcript_asset_id=t_asset.id) if s.transcript_asset_id else s
                for s in specs
            ]
        task = client.create_task(specs, asset_id=asset.id, metadata=metadata)
        with after_task_created(task.id):
            if not json_:
                render.out.print(
                    f"Task [b]{task.id}[/b] created;"
                    f" waiting for {plural(len(task.targets), 'target')}"
                )
            with bars.targets(len(task.targets)) as on_target:
                result = client.wait(task, timeout=timeout, on_target=on_target)
            with bars.files() as progress_files:
                dest = outputs_dir(file, output)  # the layout of AudioShake.separate
                files = client.download(result, dest, on_progress=progress_files)
        result = replace(result, files=tuple(files))
    if json_:
        render.print_json(render.result_json(result, est))
    else:
        render.print_result(result)
        if result.files:
            render.out.print(f"Outputs in {result.files[0].parent}", markup=False)
        charged = "unknown" if result.cost is None else f"{result.cost:g}"
        render.out.print(f"Charged: {charged} credits (estimate {est.total:g})")
    _exit_for(result)


@app.command(cls=Command)
@guarded
def estimate(
    file: MediaFile,
    target: Targets = [],  # noqa: B006
    api_key: OfflineApiKey = None,
    base_url: OfflineBaseUrl = None,
    json_: Json = False,
) -> None:
    """Credits the targets would cost on FILE. Sends nothing.

    ≈ marks an approximate figure: without the [media] extra, the duration of an mp3,
    aac, m4a, mp4 or mov file is read from its headers. --json: {"duration": seconds,
    "minutes": billed minutes, "lines": [{model, variant, minutes, rate, credits}],
    "total": credits, "approximate": bool}.
    """
    from . import render

    client = make_offline_client(api_key, base_url)
    with client:
        est = client.estimate(file, _specs(client, target, None, None))
    if json_:
        render.print_json(render.estimate_json(est))
    else:
        render.out.print(render.estimate_table(est))


@app.command(cls=Command)
@guarded
def wait(
    task_id: TaskId,
    timeout: Timeout = DEFAULT_WAIT_TIMEOUT_S,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """Wait for a task to end and show its targets (exit 1 if any failed, 4 on timeout).

    --json: {"task": Task, "succeeded": [{id, model, variant, cost}], "failed": [{id,
    model, code, message}], "cost": number|null, "files": []}.
    """
    from . import render

    with (
        make_client(api_key, base_url) as client,
        render.Bars(not json_).targets(None) as on_target,
    ):
        result = client.wait(task_id, timeout=timeout, on_target=on_target)
    if json_:
        render.print_json(render.result_json(result))
    else:
        render.print_result(result)
    _exit_for(result)


@app.command(cls=Command)
@guarded
def download(
    task_id: TaskId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the outputs.")] = Path(
        "."
    ),
    format_: Annotated[
        list[str] | None, typer.Option("--format", "-f", help="Only these formats (repeatable).")
    ] = None,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """Save the outputs of a task's completed targets to OUTPUT/<output name>.<ext>.

    --json: {"task": task id, "files": [path]}.
    """
    from . import render

    with make_client(api_key, base_url) as client, render.Bars(not json_).files() as progress:
        files = client.download(task_id, output, formats=format_, on_progress=progress)
    if json_:
        render.print_json({"task": task_id, "files": [str(p) for p in files]})
    else:
        for path in files:
            render.out.print(str(path), markup=False)


@app.command(cls=Command)
@guarded
def models(
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """The models available to the account.

    --json: [Model], each as GET /models returns it ({id, name, category, access,
    creditsPerMinute, outputFormats, …}).
    """
    from . import render

    with make_client(api_key, base_url) as client:
        found = client.models()
    if json_:
        render.print_json([m.to_dict() for m in found])
    else:
        render.out.print(render.models_table(found))


@tasks_app.command("list", cls=Command)
@guarded
def tasks_list(
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 20,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """The newest tasks.

    --json: [Task], each as GET /tasks returns it (UTC times end in Z).
    """
    from . import render

    with make_client(api_key, base_url) as client:
        found: list[Task] = []
        for task in client.list_tasks():
            if len(found) >= limit:
                break
            found.append(task)
    if json_:
        render.print_json([render.api_json(t) for t in found])
    else:
        render.out.print(render.tasks_table(found))


@tasks_app.command("get", cls=Command)
@guarded
def tasks_get(
    task_id: TaskId,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """One task, with fresh output links.

    --json: Task, as GET /tasks/{id} returns it.
    """
    from ..types import TaskResult
    from . import render

    with make_client(api_key, base_url) as client:
        task = client.get_task(task_id)
    if json_:
        render.print_json(render.api_json(task))
    else:
        render.print_result(TaskResult.from_task(task))


@assets_app.command("list", cls=Command)
@guarded
def assets_list(
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """The live (unexpired) uploaded assets.

    --json: [Asset], each as GET /assets returns it ({id, name, format, link, …}).
    """
    from . import render

    with make_client(api_key, base_url) as client:
        found = client.list_assets()
    if json_:
        render.print_json([render.api_json(a) for a in found])
    else:
        render.out.print(render.assets_table(found))


@app.command(cls=Command)
@guarded
def usage(
    distribution: Annotated[
        bool, typer.Option("--distribution", help="Per model instead of per month.")
    ] = False,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
    json_: Json = False,
) -> None:
    """Targets run and minutes processed, per month or, with --distribution, per model
    (as the API's task statistics give them; they hold no credits).

    --json: [{month, totalTargets, totalMinutes}] or [{model, totalTargets, totalMinutes}]
    (totalMinutes is a string, as the API gives it).
    """
    from . import render

    with make_client(api_key, base_url) as client:
        entries = client.usage("distribution" if distribution else "usage")
    rows = [e.to_dict() for e in entries]
    if json_:
        render.print_json(rows)
        return
    key = "model" if distribution else "month"
    for row in rows:
        targets = plural(row["totalTargets"], "target")
        line = f"{row[key]}: {targets}, {row['totalMinutes']} min"
        render.out.print(line, markup=False)


# the command's code is in cli/batch.py
app.command("batch", cls=Command)(
    guarded(batch_command, interrupted="run the same command again to resume")
)
