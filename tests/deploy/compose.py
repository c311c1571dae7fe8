"""compose.yaml and the Dockerfile read the way Docker would, to run their gateway as a local process.

Docker does not run on the development machines, so the deploy tests take the gateway service's
command and environment (the image's ``ENV`` overlaid by compose's ``environment``, interpolated
from a ``.env`` written by ``scripts/compose-env``) and start it as a real OS process, with only
what cannot work outside Docker adapted: Redis URLs, bind address, port and data directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from livebuy.processes import terminate
from livebuy.redis.embedded import free_port
from tests.servers import TIMEOUT_S, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
CLUSTER_COMPOSE_FILE = ROOT / "compose.cluster.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_ENV_SCRIPT = ROOT / "scripts" / "compose-env"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message} and $$.
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class MissingVariableError(ValueError):
    """A ``${NAME:?message}`` variable has no value: compose would refuse to start."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation over every string of a parsed compose file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        current = env.get(name)
        unset = current is None or (
            operator is not None and operator.startswith(":") and not current
        )
        if operator is not None and operator.endswith("?") and unset:
            raise MissingVariableError(f"required variable {name} is missing a value: {argument}")
        if operator is not None and operator.endswith("-") and unset:
            return argument
        return current or ""

    return _VARIABLE.sub(substitute, value)


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a ``.env`` file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def load_compose(env: dict[str, str], path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """compose.yaml (or ``path``) parsed and interpolated from ``env`` (MissingVariableError
    like compose)."""
    parsed: dict[str, Any] = yaml.safe_load(path.read_text())
    loaded: dict[str, Any] = interpolate(parsed, env)
    return loaded


def generate_env(directory: Path) -> dict[str, str]:
    """Run ``scripts/compose-env`` for a ``.env`` in ``directory`` and return its values."""
    path = directory / ".env"
    subprocess.run(
        [sys.executable, str(COMPOSE_ENV_SCRIPT)],
        env={**os.environ, "LIVEBUY_COMPOSE_ENV_FILE": str(path)},
        check=True,
        timeout=TIMEOUT_S,
    )
    return read_dotenv(path)


def image_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    instructions = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def image_env() -> dict[str, str]:
    """The environment the image's ``ENV`` instructions set (``KEY=VALUE`` form)."""
    env: dict[str, str] = {}
    for keyword, arguments in image_instructions():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def image_cmd() -> list[str]:
    """The image's ``CMD`` (exec form)."""
    commands = [
        json.loads(arguments) for keyword, arguments in image_instructions() if keyword == "CMD"
    ]
    command: list[str] = commands[-1]
    return command


class ComposedGateway:
    """compose.yaml's gateway service as a local process: its command, its environment."""

    def __init__(
        self, service: dict[str, Any], redis_url: str, data_dir: Path, **overrides: str
    ) -> None:
        self.port = free_port()
        command: list[str] = service.get("command", image_cmd())
        # The image installs livebuy on PATH; here the venv running the tests has it.
        self.argv = [str(Path(sys.executable).parent / command[0]), *command[1:]]
        host_env = {
            name: value for name, value in os.environ.items() if not name.startswith("LIVEBUY_")
        }
        self.env = {
            **host_env,
            **image_env(),
            **{name: str(value) for name, value in service["environment"].items()},
            "LIVEBUY_REDIS_URL": redis_url,
            "LIVEBUY_VIDEO_REDIS_URL": redis_url,
            "LIVEBUY_HOST": "127.0.0.1",
            "LIVEBUY_PORT": str(self.port),
            "LIVEBUY_DATA_DIR": str(data_dir),
            **overrides,
        }
        self.data_dir = data_dir
        self._log = tempfile.TemporaryFile()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        """The end of the process's output, for failure messages."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-3000:]

    async def start(self) -> None:
        """Start the process (cwd: an empty directory, like the image's) and wait for /readyz 200."""
        self._process = await asyncio.to_thread(
            subprocess.Popen,
            self.argv,
            env=self.env,
            cwd=self.data_dir,
            stdout=self._log,
            stderr=self._log,
        )
        await wait_until_ready(self._process, self.base_url, self._log)

    async def stop(self) -> None:
        """SIGTERM (graceful shutdown), SIGKILL after 10 s."""
        if self._process is not None:
            await asyncio.to_thread(terminate, self._process, 10)
        self._log.close()
