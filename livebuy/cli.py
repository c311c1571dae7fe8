"""The ``livebuy`` command: ``demo`` (everything on one machine), ``serve`` (production),
``loadtest``, ``verify-draw`` (recompute a published giveaway draw) and ``report`` (a show's
numbers afterwards).

A bad configuration is one line per problem on stderr and exit status 2: never a traceback, and
never a secret's value.
"""

from __future__ import annotations

import logging
import secrets
import signal
import socket
import sys
from importlib.metadata import version as package_version
from pathlib import Path

import typer
import uvicorn
from pydantic import SecretStr, ValidationError

from livebuy.app import create_app
from livebuy.logs import configure_logging
from livebuy.redis.embedded import EmbeddedRedis, RedisServerMissingError
from livebuy.server import draining_server, uvicorn_config
from livebuy.sessions.secret_file import MIN_SECRET_CHARS, load_or_create_secret
from livebuy.settings import PLACEHOLDER_TOKEN, Settings
from livebuy.supervisor import Supervisor, bind, die_with_parent, usable_cpus
from loadtest.config import SCENARIOS

cli = typer.Typer(help="livebuy: live-commerce show backend", no_args_is_help=True)
log = logging.getLogger(__name__)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"livebuy {package_version('livebuy')}")
        raise typer.Exit()


@cli.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="print the version, exit"
    ),
) -> None:
    """livebuy: live-commerce show backend."""


def _is_weak(secret: SecretStr) -> bool:
    value = secret.get_secret_value()
    return value == PLACEHOLDER_TOKEN or len(value) < MIN_SECRET_CHARS


def _weak_secrets(settings: Settings) -> list[str]:
    """The secrets that must not guard a server: placeholder, empty or short (values never shown)."""
    weak = []
    if _is_weak(settings.security.session_secret):
        weak.append("LIVEBUY_SESSION_SECRET")
    if _is_weak(settings.security.producer_token):
        weak.append("LIVEBUY_PRODUCER_TOKEN")
    return weak


def _problems(error: ValidationError) -> list[str]:
    """One line per invalid value, naming its ``LIVEBUY_`` variable; never the value itself."""
    lines = []
    for problem in error.errors():
        # The flat field is the last part of the location (``port`` or ``server.port``); a rule
        # across fields has none, and its message names the variables.
        field = str(problem["loc"][-1]) if problem["loc"] else ""
        reason = problem["msg"].removeprefix("Value error, ")
        lines.append(f"LIVEBUY_{field.upper()}: {reason}" if field else reason)
    return lines


def _load_settings(**values: object) -> Settings:
    """Settings from the environment (``values`` win over it).

    Every bad value is one line on stderr, then exit 2. The environment is checked on its own too,
    so a bad ``LIVEBUY_PORT`` is named even where ``--port`` overrides it (copies of the settings
    read it again).
    """
    try:
        Settings()
        return Settings(**values)
    except ValidationError as error:
        for line in _problems(error):
            typer.echo(f"livebuy: bad configuration: {line}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def demo(
    speed: float = typer.Option(1.0, help="rehearsal speed of the program clock"),
    port: int = typer.Option(8000, help="HTTP and websocket port on 127.0.0.1"),
    video: bool = typer.Option(True, help="stream the live HLS test video (needs ffmpeg)"),
) -> None:
    """Run the demo event: embedded Redis (unless LIVEBUY_REDIS_URL is set), catalog, looping show."""
    settings = _load_settings(speed=speed, port=port, host="127.0.0.1", video_enabled=video)
    if settings.security.producer_token.get_secret_value() == PLACEHOLDER_TOKEN:
        settings = settings.updated(producer_token=SecretStr(secrets.token_urlsafe(16)))
    if settings.security.session_secret.get_secret_value() == PLACEHOLDER_TOKEN:
        # Kept next to the embedded Redis data, so sessions outlive a restart of the demo.
        generated = load_or_create_secret(Path(settings.server.data_dir) / "session-secret")
        settings = settings.updated(session_secret=SecretStr(generated))
    settings = settings.updated(
        allowed_origins=[f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    )
    configure_logging(settings.server.log_json)
    # uvicorn re-raises the signal that stopped it once it has shut down; SIGTERM's default action
    # would then kill the process before the embedded redis-server is stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    embedded: EmbeddedRedis | None = None
    redis_url = settings.redis.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(
            Path(settings.server.data_dir) / "redis", appendfsync=settings.redis.redis_appendfsync
        )
        try:
            embedded.start()
        except RedisServerMissingError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from error
        redis_url = embedded.url
    try:
        base = f"http://127.0.0.1:{port}"
        typer.echo(
            f"livebuy demo\n"
            f"  viewer page    {base}/\n"
            f"  producer       {base}/console   token: "
            f"{settings.security.producer_token.get_secret_value()}\n"
            f"  websocket      ws://127.0.0.1:{port}/ws/shows/spring-runway\n"
            f"  API            {base}/docs\n"
            f"  redis          {redis_url}{' (embedded)' if embedded else ''}\n"
            f"  speed          x{speed}\n"
            "Ctrl-C stops the demo."
        )
        uvicorn.Server(uvicorn_config(create_app(settings, redis_url), settings)).run()
    finally:
        if embedded is not None:
            embedded.stop()


@cli.command()
def serve(
    host: str = typer.Option(None, help="bind address (default LIVEBUY_HOST)"),
    port: int = typer.Option(None, help="port (default LIVEBUY_PORT)"),
    insecure_dev: bool = typer.Option(
        False, "--insecure-dev", help="allow placeholder or short secrets (local development only)"
    ),
    workers: int | None = typer.Option(
        None,
        min=1,
        help="gateway processes on the one port (default: the CPUs this process may use); "
        "1 runs the gateway in this process",
    ),
    listen_fd: int | None = typer.Option(
        None, hidden=True, help="a worker's inherited listening socket"
    ),
) -> None:
    """Run gateway processes against an external Redis (LIVEBUY_REDIS_URL, required).

    Refuses placeholder, empty or short (< 16 characters) secrets unless ``--insecure-dev``.
    SIGTERM drains (``/readyz`` 503, then viewers closed with 1012 over LIVEBUY_DRAIN_WINDOW_MS).
    """
    settings = _load_settings()
    weak = _weak_secrets(settings)
    if weak and not insecure_dev:
        typer.echo(
            f"livebuy: refusing to start: {' and '.join(weak)} must be set to a random value of "
            f"at least {MIN_SECRET_CHARS} characters (not the placeholder); "
            "pass --insecure-dev to run with weak secrets on a development machine",
            err=True,
        )
        raise typer.Exit(2)
    if host is not None:
        settings = settings.updated(host=host)
    if port is not None:
        settings = settings.updated(port=port)
    if settings.redis.redis_url is None:
        typer.echo(
            "LIVEBUY_REDIS_URL is required for serve (use `livebuy demo` to embed Redis)", err=True
        )
        raise typer.Exit(2)
    configure_logging(settings.server.log_json)
    if weak and listen_fd is None:
        log.warning(
            "INSECURE: started with --insecure-dev and weak %s: anyone can forge viewer sessions "
            "or act as the producer; never expose this server",
            " and ".join(weak),
        )
    if listen_fd is not None:
        # A worker of ``serve --workers N``: its parent bound the port.
        die_with_parent()
        server = draining_server(create_app(settings, settings.redis.redis_url), settings)
        server.run(sockets=[socket.socket(fileno=listen_fd)])
        return
    count = usable_cpus() if workers is None else workers
    if count == 1:
        draining_server(create_app(settings, settings.redis.redis_url), settings).run()
        return
    _supervise(settings, count, insecure_dev)


def _supervise(settings: Settings, count: int, insecure_dev: bool) -> None:
    """``count`` workers on one listening socket, until SIGTERM/SIGINT and their drain."""
    host, port = settings.server.host, settings.server.port
    try:
        sock = bind(host, port)
    except OSError as error:
        typer.echo(f"livebuy: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    drain = settings.drain
    # The workers' drain, uvicorn's graceful shutdown (5 s) and the lifespan's steps, with room.
    stop_timeout_s = (drain.drain_grace_ms + drain.drain_window_ms) / 1000 + 30

    def command(fd: int) -> list[str]:
        extra = ["--insecure-dev"] if insecure_dev else []
        return [sys.executable, "-m", "livebuy", "serve", "--listen-fd", str(fd), *extra]

    log.info("serving on http://%s:%d with %d worker processes", host, port, count)
    raise typer.Exit(Supervisor(sock, count, command, stop_timeout_s).run())


def _known_scenario(value: str) -> str:
    if value not in (*SCENARIOS, "fairness"):
        raise typer.BadParameter(f"one of {', '.join(SCENARIOS)}, fairness")
    return value


@cli.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def loadtest(
    ctx: typer.Context,
    scenario: str = typer.Argument(
        callback=_known_scenario, help=" | ".join((*SCENARIOS, "fairness"))
    ),
    users: int = typer.Option(50, help="users to hold"),
    spawn_rate: float = typer.Option(25.0, help="users started per second"),
    duration: float = typer.Option(30.0, help="seconds, ramp included"),
    cue_rate: float = typer.Option(2.0, help="producer cues per second"),
    deal_units: int | None = typer.Option(None, help="flash: units on sale (default users/2)"),
    chat_rate: float = typer.Option(0.5, help="chat messages/s per chatter"),
    drop_mode: str = typer.Option("first_come", help="drop: how the deal sells (or lottery)"),
    max_delay_ms: float = typer.Option(500.0, help="drop, fairness: users tap after 0..this ms"),
    show: str = typer.Option("spring-runway", help="show id"),
    host: str | None = typer.Option(
        None, help="target this server (http://host:port) instead of starting one"
    ),
    token: str | None = typer.Option(
        None, help="producer token of --host (default LIVEBUY_PRODUCER_TOKEN)"
    ),
    workers: int = typer.Option(
        0, min=0, help="Locust worker processes beside a master (0: one process runs everything)"
    ),
    out: str = typer.Option("loadtest-results", help="report folder"),
) -> None:
    """Run a Locust scenario headless, bounded in time; exit 1 on a seq gap or an oversold unit.

    Starts a server (embedded Redis, livebuy serve) unless --host targets one; reports go to --out.

    Options of python -m loadtest.run not listed here pass through as given. `fairness` is the
    fairness benchmark (python -m loadtest.fairness): it takes --show, --host, --token and
    --max-delay-ms from here and its own options (--clients, --units, --bots, ...) as given.
    """
    # Imported here: the load test pulls in Locust, which the server never needs.
    from loadtest.run import main as run_loadtest

    if scenario == "fairness":
        shared: dict[str, object | None] = {
            "--show": show,
            "--host": host,
            "--token": token,
            "--max-delay-ms": max_delay_ms,
        }
        raise typer.Exit(run_loadtest(["fairness", *_flags(shared), *ctx.args]))
    options: dict[str, object | None] = {
        "--users": users,
        "--spawn-rate": spawn_rate,
        "--duration": duration,
        "--cue-rate": cue_rate,
        "--deal-units": deal_units,
        "--chat-rate": chat_rate,
        "--drop-mode": drop_mode,
        "--max-delay-ms": max_delay_ms,
        "--show": show,
        "--host": host,
        "--token": token,
        "--workers": workers,
        "--out": out,
    }
    raise typer.Exit(run_loadtest([scenario, *_flags(options), *ctx.args]))


def _flags(options: dict[str, object | None]) -> list[str]:
    """``--name value`` pairs for the options that have a value."""
    return [
        item for name, value in options.items() if value is not None for item in (name, str(value))
    ]


@cli.command("verify-draw")
def verify_draw(
    source: str = typer.Argument(
        help="the published proof: a URL (GET /api/shows/{show}/giveaways/{id}, or a lottery "
        "deal's GET /api/shows/{show}/deals/{id}/draw), a file, or -"
    ),
    commitment: str | None = typer.Option(
        None, help="the commitment you saw published when the draw opened (checked too)"
    ),
) -> None:
    """Recompute a giveaway's or lottery deal's draw from its published proof: OK (exit 0) or
    MISMATCH (1)."""
    from livebuy.games.draw import verify
    from livebuy.games.proof_source import ProofSourceError, parse_proof, read_source

    try:
        proof, opened = parse_proof(read_source(source))
    except ProofSourceError as error:
        typer.echo(f"MISMATCH: {error}")
        raise typer.Exit(1) from None
    reasons = verify(proof, commitment or opened)
    if reasons:
        typer.echo("MISMATCH")
        for reason in reasons:
            typer.echo(f"- {reason}")
        raise typer.Exit(1)
    typer.echo(
        f"OK: {len(proof.winners)} winner(s) of {len(proof.entries)} entries, "
        f"seed matches commitment {proof.commitment}"
    )


@cli.command()
def report(
    show_id: str = typer.Argument(help="the show to report on, e.g. spring-runway"),
    out: str | None = typer.Option(None, help="write here (default: standard output)"),
    as_json: bool = typer.Option(False, "--json", help="the figures as JSON instead of HTML"),
    server: str | None = typer.Option(
        None, help="ask a running server (its base URL) instead of reading Redis directly"
    ),
    token: str | None = typer.Option(
        None, help="producer token for --server (default LIVEBUY_PRODUCER_TOKEN)"
    ),
    redis_url: str | None = typer.Option(
        None, help="read this Redis (default LIVEBUY_REDIS_URL) when no --server is given"
    ),
) -> None:
    """Write a show's report: a self-contained HTML page with inline SVG charts, or --json."""
    from livebuy.analytics.report_cli import ReportSourceError, fetch_report, read_report
    from livebuy.analytics.report_html import render

    settings = _load_settings()
    try:
        if server is not None:
            secret = token or settings.security.producer_token.get_secret_value()
            figures = fetch_report(server, show_id, secret)
        else:
            url = redis_url or settings.redis.redis_url
            if url is None:
                typer.echo(
                    "livebuy report: give --server URL (a running server) or --redis-url "
                    "(or LIVEBUY_REDIS_URL)",
                    err=True,
                )
                raise typer.Exit(2)
            figures = read_report(url, show_id, settings)
    except ReportSourceError as error:
        typer.echo(f"livebuy report: {error}", err=True)
        raise typer.Exit(1) from None
    text = figures.model_dump_json(indent=2) if as_json else render(figures)
    if out is None:
        typer.echo(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli())
