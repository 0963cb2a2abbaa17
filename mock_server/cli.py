"""``audioshake-mock``: ``serve`` (the mock on uvicorn), ``scenarios`` (the bundled ones),
``--version``. Also ``python -m mock_server``.

Only ``serve`` needs the ``[mock]`` extra, and imports it when it runs: ``--help``,
``--version`` and ``scenarios`` work on the base install, and ``serve`` without the extra
says which module is missing and how to install it. Commands import what they use when
they run, so ``--help`` loads typer and little else.

``serve`` prints where it serves, the keys it accepts, its admin, health and spec URLs;
then logs one line per request on stderr (``mock_server.logs``: ``--log-format json``,
``--quiet``; ``--verbose`` adds uvicorn's own messages, never its access log).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .extra import MissingExtraError, needs_mock_extra

if TYPE_CHECKING:
    from .config import MockConfig
    from .state import MockState

app = typer.Typer(add_completion=True, help="A stateful offline mock of the AudioShake API.")


def _banner(config: MockConfig, log_format: str | None) -> str:
    """The lines under ``serving on``: accepted keys, admin API, specs, access log."""
    base = config.public_base_url
    keys = ", ".join(config.api_keys) if config.api_keys else "any non-empty key (x-api-key)"
    admin = f"{base}/_mock/" if config.admin else "off (--no-admin)"
    dashboard = f"{base}/_mock/ui/" if config.admin else "off (--no-admin)"
    specs = f"{base}/openapi.yaml"
    if config.admin:
        specs += f", admin {base}/_mock/openapi.yaml"
    access = "off (--quiet)" if log_format is None else f"stderr ({log_format})"
    return "\n".join(
        [
            f"  API keys:    {keys}",
            f"  admin API:   {admin}",
            f"  dashboard:   {dashboard}",
            f"  health:      {base}/_mock/health",
            f"  specs:       {specs}",
            f"  access log:  {access}",
        ]
    )


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"audioshake-mock {version('audioshake-kit')}")
        except PackageNotFoundError:
            typer.echo("audioshake-mock (audioshake-kit is not installed as a package)")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A stateful offline mock of the AudioShake Tasks API."""


@app.command()
def scenarios() -> None:
    """List the bundled scenarios, each usable by name (serve --scenario NAME)."""
    from .scenario import bundled_scenarios, describe

    bundled = bundled_scenarios()
    width = max((len(name) for name in bundled), default=0)
    for name, path in bundled.items():
        typer.echo(f"{name:<{width}}  {describe(path)}".rstrip())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8000,
    clock: Annotated[str, typer.Option(help="real (wall time × speed) or manual.")] = "real",
    speed: Annotated[float, typer.Option(help="Real clock speed factor.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the mock's RNG.")] = 0,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            help="Requests per rolling second per key, or off (default: the service's limit)."
        ),
    ] = None,
    api_key: Annotated[
        list[str] | None, typer.Option("--api-key", help="Accept only these keys (repeatable).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where files go (default: temp dir).")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="A bundled scenario's name (see 'audioshake-mock scenarios') or a YAML file."
        ),
    ] = None,
    seed_from: Annotated[
        Path | None,
        typer.Option(
            "--seed-from",
            help="A cassette recorded by 'proxy --record': rebuild its last assets and tasks "
            "(recorded statuses) for --seed-key before serving; the old -> new ids go to stderr.",
        ),
    ] = None,
    seed_key: Annotated[
        str | None,
        typer.Option(
            "--seed-key",
            help="The key seeded from --seed-from (default: the first --api-key; required "
            "when no --api-key is given).",
        ),
    ] = None,
    no_admin: Annotated[bool, typer.Option("--no-admin", help="Turn off /_mock/ routes.")] = False,
    cors_origin: Annotated[
        list[str] | None, typer.Option("--cors-origin", help="Allowed CORS origins (default *).")
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="Access log on stderr: text (one line per request) or json (one object per line).",
        ),
    ] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", help="No access log.")] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Also uvicorn's own messages (start-up, shutdown) on stderr."
        ),
    ] = False,
) -> None:
    """Serve the mock over HTTP until Ctrl-C or SIGTERM."""
    try:
        with needs_mock_extra("audioshake-mock serve"):
            from .app import build_app
            from .config import MockConfig
            from .logs import configure
            from .scenario import ScenarioError, apply_scenario, load_scenario
            from .serving import BindError, listen, run
            from .state import MockState
    except MissingExtraError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    if clock not in ("real", "manual"):
        raise typer.BadParameter("must be real or manual", param_hint="--clock")
    if rate_limit not in (None, "off") and not rate_limit.isdigit():
        raise typer.BadParameter("must be a number or off", param_hint="--rate-limit")
    if log_format not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--log-format")
    if seed_key is not None and seed_from is None:
        raise typer.BadParameter("needs --seed-from CASSETTE", param_hint="--seed-key")
    if seed_from is not None and seed_key is None:
        if not api_key:
            raise typer.BadParameter(
                "required with --seed-from when no --api-key is given", param_hint="--seed-key"
            )
        seed_key = api_key[0]
    if seed_key is not None and api_key and seed_key not in api_key:
        typer.echo(f"error: --seed-key {seed_key!r} is not one of the --api-key keys", err=True)
        raise typer.Exit(2)
    config = MockConfig(
        clock=clock,  # type: ignore[arg-type]
        speed=speed,
        seed=seed,
        api_keys=list(api_key or []),
        data_dir=data_dir,
        admin=not no_admin,
        cors_origins=list(cor_origin) if (cor_origin := cors_origin) else ["*"],
    )
    if rate_limit is not None:  # before the scenario, which may set it too
        config.rate_limit = None if rate_limit == "off" else int(rate_limit)
    loaded = None
    if scenario is not None:
        try:
            loaded = load_scenario(scenario)
        except ScenarioError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        loaded.configure(config)
    if seed_from is not None:
        _check_seed(seed_from)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    try:
        sock = listen(host, port)
    except BindError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    bound = sock.getsockname()[1]
    config.public_base_url = f"http://{host}:{bound}"
    state = MockState(config)
    state.data_dir.mkdir(parents=True, exist_ok=True)  # printed below: it exists from now
    if loaded is not None:
        from .admin import MockAdmin

        try:
            apply_scenario(loaded, MockAdmin(state))
        except ValueError as exc:
            typer.echo(f"error: {scenario}: {exc}", err=True)
            raise typer.Exit(2) from None
    if seed_from is not None and seed_key is not None:
        try:
            _seed(state, seed_key, seed_from)
        except typer.Exit:
            sock.close()
            state.close()
            raise
    configure(None if quiet else log_format)  # type: ignore[arg-type]
    limit = "off" if config.rate_limit is None else config.rate_limit
    typer.echo(
        f"audioshake-mock serving on {config.public_base_url} (clock {clock}, "
        f"rate limit {limit}, data dir {state.data_dir})\n"
        + _banner(config, None if quiet else log_format),
        err=False,
    )
    try:
        run(build_app(state), sock, verbose=verbose)
    finally:
        state.close()
        typer.echo("audioshake-mock stopped")


def _check_seed(cassette: Path) -> None:
    """Exit 2 naming the file and the problem when ``cassette`` cannot seed a tenant."""
    from .proxy.fixtures import check_cassette

    try:
        check_cassette(cassette)
    except ValueError as exc:
        typer.echo(f"error: --seed-from: {exc}", err=True)
        raise typer.Exit(2) from None


def _seed(state: MockState, key: str, cassette: Path) -> None:
    """Seed ``key`` from ``cassette``; one summary line, then recorded -> new ids, on
    stderr. Exit 2 naming the file and the problem when the mock cannot rebuild it."""
    from .admin import MockAdmin
    from .logs import key_hash
    from .proxy.fixtures import seed_tenant

    try:
        result = seed_tenant(MockAdmin(state), key, cassette)
    except ValueError as exc:
        found = str(exc) if str(exc).startswith(str(cassette)) else f"{cassette}: {exc}"
        typer.echo(f"error: --seed-from: {found}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"seeded key={key_hash(key)} from {cassette}: {len(result.assets)} asset(s), "
        f"{len(result.tasks)} task(s)",
        err=True,
    )
    for old, new in result.assets.items():
        typer.echo(f"  asset {old} -> {new}", err=True)
    for old, new in result.tasks.items():
        typer.echo(f"  task {old} -> {new} ({', '.join(result.statuses[old])})", err=True)


@app.command()
def proxy(
    upstream: Annotated[
        str, typer.Option(help="The service to forward to, e.g. https://api.audioshake.ai.")
    ],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8080,
    record: Annotated[
        Path | None,
        typer.Option(help="Record every exchange into a VCR.py cassette in this folder."),
    ] = None,
    cassette: Annotated[
        str | None,
        typer.Option(help="The cassette's name (file NAME.yaml; default proxy-<UTC time>)."),
    ] = None,
    record_media: Annotated[
        bool,
        typer.Option(
            "--record-media", help="Keep media bodies as files beside the cassette (NAME.media/)."
        ),
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write the drift report (JSON) here when stopped.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Answer 400 to requests that break the spec.")
    ] = False,
    keep_links: Annotated[
        bool,
        typer.Option("--keep-links", help="Leave output links pointing at the upstream."),
    ] = False,
    log_format: Annotated[
        str,
        typer.Option("--log-format", help="Access log on stderr: text or json."),
    ] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", help="No access log.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also aiohttp's own messages on stderr.")
    ] = False,
) -> None:
    """Forward to --upstream, checking every request and response against the spec;
    report drift (stderr, X-Spec-Violations, --report) and record cassettes (--record)."""
    from .proxy.serve import ProxyOptions, run_proxy

    if log_format not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--log-format")
    if cassette is not None and record is None:
        raise typer.BadParameter("needs --record DIR", param_hint="--cassette")
    if record_media and record is None:
        raise typer.BadParameter("needs --record DIR", param_hint="--record-media")
    try:
        code = run_proxy(
            ProxyOptions(
                upstream=upstream,
                host=host,
                port=port,
                record=record,
                cassette=cassette,
                record_media=record_media,
                report=report,
                strict=strict,
                keep_links=keep_links,
                log_format=None if quiet else log_format,  # type: ignore[arg-type]
                verbose=verbose,
            )
        )
    except MissingExtraError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)


@app.command()
def fixtures(
    cassette: Annotated[Path, typer.Argument(help="A cassette recorded by 'proxy --record'.")],
    out: Annotated[Path, typer.Option(help="Folder for the JSON fixtures.")],
    allow_drift: Annotated[
        bool,
        typer.Option("--allow-drift", help="Write answers that break the spec too."),
    ] = False,
) -> None:
    """Write a cassette's JSON answers as fixtures (NNN-<operationId>-<status>.json),
    each checked against the spec first."""
    try:
        with needs_mock_extra("audioshake-mock fixtures"):
            from .proxy.fixtures import FixtureDriftError, write_fixtures
    except MissingExtraError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        written = write_fixtures(cassette, out, allow_drift=allow_drift)
    except FixtureDriftError as exc:
        typer.echo(f"error: {exc}\n(nothing written; --allow-drift writes them anyway)", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{len(written)} fixture(s) in {out}")


@app.command("check-live")
def check_live(
    api_key: Annotated[
        str | None,
        typer.Option(envvar="AUDIOSHAKE_API_KEY", help="Your key (default: AUDIOSHAKE_API_KEY)."),
    ] = None,
    upstream: Annotated[str, typer.Option(help="The service.")] = "https://api.audioshake.ai",
    model: Annotated[
        str | None, typer.Option(help="The target's model (default: the cheapest that fits).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Spend without asking.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the drift report here.")] = None,
    record: Annotated[
        Path | None, typer.Option(help="Record the exchanges as a cassette in this folder.")
    ] = None,
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 5.0,
    timeout: Annotated[float, typer.Option(help="Give up on the task after this long.")] = 900.0,
) -> None:
    """Run a short flow on the real service through the validating proxy (models, a 5 s
    generated clip, one cheap target, poll, download) and print the drift report. Says
    what it will spend and asks first (--yes to skip). Exit 1 on drift or failure."""
    if not api_key:
        typer.echo("error: no API key: set AUDIOSHAKE_API_KEY or pass --api-key", err=True)
        raise typer.Exit(2)
    try:
        with needs_mock_extra("audioshake-mock check-live"):
            from .proxy.live import run_check_live
    except MissingExtraError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    def confirm(question: str) -> bool:
        typer.echo(question)
        return yes or typer.confirm("Spend it?", default=False)

    typer.echo(f"check-live: {upstream} through the validating proxy")
    try:
        check = run_check_live(
            api_key,
            upstream=upstream,
            model=model,
            confirm=confirm,
            echo=typer.echo,
            poll_interval=poll_interval,
            timeout=timeout,
            record=record,
            report=report,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    found = check.report
    typer.echo(
        f"{found['totalRequests']} requests; {len(found['violations'])} distinct violations, "
        f"{len(found['undocumented'])} undocumented fields"
    )
    for v in found["violations"]:
        typer.echo(f"  violation x{v['count']}: {v['message']}")
    for v in found["undocumented"]:
        typer.echo(f"  undocumented x{v['count']}: {v['message']}")
    if check.error:
        typer.echo(f"error: {check.error}", err=True)
    if check.error or found["violations"]:
        raise typer.Exit(1)
