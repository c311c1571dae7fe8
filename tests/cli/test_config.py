"""The command line fails politely: one line per bad setting, no traceback, no secret; --version."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from livebuy.cli import cli
from livebuy.redis.embedded import free_port
from loadtest.run import parse_args
from tests.cli.helpers import cli_env, run_livebuy

# Recognisable, so that any echo of it shows; long enough to be a usable token.
SECRET = "recognisable-Secret-Value-0123456789"


async def test_bad_settings_are_one_line_each_without_traceback_or_secret() -> None:
    """serve and demo: exit 2, one line naming each bad LIVEBUY_ variable, the token never shown."""
    env = cli_env(
        LIVEBUY_PORT="abc",
        LIVEBUY_CHAT_MAX_CHARS="0",
        LIVEBUY_PRODUCER_TOKEN=SECRET,
        LIVEBUY_SESSION_SECRET=SECRET,
        LIVEBUY_REDIS_URL="redis://127.0.0.1:1",
    )
    # demo's --port overrides LIVEBUY_PORT, which is still named: the environment is wrong.
    runs = await asyncio.gather(
        run_livebuy(env, "serve"),
        run_livebuy(env, "demo", "--port", str(free_port()), "--no-video"),
    )
    for done in runs:
        output = done.stdout + done.stderr
        assert done.returncode == 2, output
        lines = done.stderr.strip().splitlines()
        named = sorted(
            line.removeprefix("livebuy: bad configuration: ").split(":")[0] for line in lines
        )
        assert named == ["LIVEBUY_CHAT_MAX_CHARS", "LIVEBUY_PORT"], output
        assert "Traceback" not in output and SECRET not in output


def test_version_prints_the_installed_version() -> None:
    """``livebuy --version`` prints the package's version and exits 0."""
    done = CliRunner().invoke(cli, ["--version"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == f"livebuy {version('livebuy')}"


def test_loadtest_command_shows_the_runner_defaults() -> None:
    """``livebuy loadtest``'s options are the runner's, with the same defaults, listed in --help."""
    command = typer.main.get_command(cli)
    assert isinstance(command, TyperGroup)
    loadtest = command.commands["loadtest"]
    runner = vars(parse_args(["steady"]))
    options = {param.name: param for param in loadtest.params if param.name != "scenario"}
    assert set(options) <= set(runner)
    for name, option in options.items():
        default = None if runner[name] is None else str(runner[name])
        assert (None if option.default is None else str(option.default)) == default, name
    shown = CliRunner().invoke(cli, ["loadtest", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "[default: 50]" in shown.output and "gala" in shown.output
