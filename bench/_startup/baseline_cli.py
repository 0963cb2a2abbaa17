"""The baseline for ``audioshake --help`` (bench/startup.py): a two-command Typer app
with the same ``typer.Typer(...)`` settings as ``audioshake_kit/cli/main.py``'s ``app``
(keep them in step), and nothing else. The bench installs it into the fresh base venv as
a wheel with the console script ``bench-baseline-cli``, so both commands start the same
way: through a console script pip wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="bench-baseline-cli",
    help="A two-command Typer app: what any Typer CLI costs to start.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command()
def first(
    file: Annotated[Path, typer.Argument(help="A file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="A folder.")] = Path("."),
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The first command."""
    typer.echo(f"{file} {output} {json_}")


@app.command()
def second(
    name: Annotated[str, typer.Argument(help="A name.")],
    count: Annotated[int, typer.Option(help="How many.")] = 1,
) -> None:
    """The second command."""
    typer.echo(name * count)
