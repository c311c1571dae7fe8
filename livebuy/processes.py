"""Stopping the child processes livebuy and its tools start (redis-server, servers under test)."""

from __future__ import annotations

import subprocess


def terminate(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGTERM (each child's graceful shutdown), then SIGKILL if it has not exited in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
