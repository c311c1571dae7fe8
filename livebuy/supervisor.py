"""``livebuy serve --workers N``: a parent binds the port once and keeps N gateway processes on it.

The parent only supervises: it never imports the app. Each worker is ``livebuy serve`` handed the
listening socket's file descriptor (a full gateway: hubs, elected-loop candidates, its own Redis
pool). Why one shared socket rather than ``SO_REUSEPORT`` per worker is in docs/architecture.md
("Every core of a host"). A worker that exits on its own is restarted after a backoff that doubles
with each quick failure; SIGTERM and SIGINT are forwarded to every worker, and the parent waits
for their drain (bounded) before it exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger(__name__)

# How often the parent looks at its workers (a crash is noticed within this).
POLL_S = 0.1
RESTART_MIN_S = 0.5
RESTART_MAX_S = 30.0
# A worker that ran this long before exiting was healthy: its next restart waits the minimum.
STABLE_S = 30.0
# uvicorn's default accept backlog.
BACKLOG = 2048
_PR_SET_PDEATHSIG = 1

# The command that runs a worker on the inherited listening socket ``fd``.
WorkerCommand = Callable[[int], list[str]]


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and taskset narrow)."""
    return len(os.sched_getaffinity(0))


def bind(host: str, port: int) -> socket.socket:
    """The listening TCP socket every worker accepts from."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (a supervisor killed with -9
    leaves no orphan gateways holding the port); a no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """N worker processes on one listening socket, restarted when they die."""

    def __init__(
        self, sock: socket.socket, workers: int, command: WorkerCommand, stop_timeout_s: float
    ) -> None:
        self._sock = sock
        self._slots = [_Slot(index) for index in range(workers)]
        self._command = command
        self._stop_timeout_s = stop_timeout_s
        self._stop_signal: int | None = None

    def run(self) -> int:
        """Run until SIGTERM or SIGINT, then stop every worker; returns the exit status."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in self._slots:
                self._start(slot)
            while self._stop_signal is None:
                self._look_after_workers()
                time.sleep(POLL_S)
            self._stop_all(self._stop_signal)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._sock.close()
        return 0

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._stop_signal is None:
            self._stop_signal = sig
            return
        # A second signal: forwarded at once (uvicorn stops without draining on a second one).
        self._signal_all(sig)

    def _start(self, slot: _Slot) -> None:
        fd = self._sock.fileno()
        # libuv (uvloop) accepts one connection per wake-up instead of draining the shared
        # backlog, so a burst of handshakes spreads over the workers instead of the first awake.
        env = {**os.environ, "UV_TCP_SINGLE_ACCEPT": "1"}
        slot.process = subprocess.Popen(self._command(fd), pass_fds=(fd,), env=env)
        slot.started_at = time.monotonic()
        slot.restart_at = None
        log.info("worker %d started (pid %d)", slot.index, slot.process.pid)

    def _look_after_workers(self) -> None:
        now = time.monotonic()
        for slot in self._slots:
            if slot.restart_at is not None:
                if now >= slot.restart_at:
                    self._start(slot)
                continue
            process = slot.process
            if process is None or process.poll() is None:
                continue
            ran_s = now - slot.started_at
            slot.quick_failures = 0 if ran_s >= STABLE_S else slot.quick_failures + 1
            delay_s = min(RESTART_MIN_S * 2 ** max(slot.quick_failures - 1, 0), RESTART_MAX_S)
            slot.restart_at = now + delay_s
            log.error(
                "worker %d (pid %d) exited with %s after %.1f s; restarting in %.1f s",
                slot.index,
                process.pid,
                _describe(process.returncode),
                ran_s,
                delay_s,
            )

    def _signal_all(self, sig: int) -> None:
        for slot in self._slots:
            if slot.process is not None and slot.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(sig)

    def _stop_all(self, sig: int) -> None:
        """Forward ``sig`` (each worker drains), wait at most ``stop_timeout_s``, then SIGKILL."""
        log.info("%s: stopping %d worker(s)", signal.Signals(sig).name, len(self._slots))
        self._signal_all(sig)
        deadline = time.monotonic() + self._stop_timeout_s
        for slot in self._slots:
            process = slot.process
            if process is None:
                continue
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                log.error(
                    "worker %d (pid %d) did not stop in time: killed", slot.index, process.pid
                )
                process.kill()
                process.wait()


def _describe(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"status {returncode}"
