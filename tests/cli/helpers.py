"""Running the ``livebuy`` command as a real process with a clean environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.servers import TIMEOUT_S


def cli_env(**values: str) -> dict[str, str]:
    """This process's environment without its ``LIVEBUY_*`` settings, plus ``values``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LIVEBUY_") or name == "LIVEBUY_TEST_TIMEOUT_SCALE"
    }
    env.update({"LIVEBUY_LOG_JSON": "false", "LIVEBUY_LOAD_DEMO": "false", **values})
    return env


async def run_livebuy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m livebuy <args>`` to completion, its output captured as text."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "livebuy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S * 3,
    )
