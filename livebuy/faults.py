"""TEST-ONLY fault injection: crash the process at a named point, as ``kill -9`` would there.

Off unless ``LIVEBUY_FAULT_POINTS`` (a JSON list) names points; production never sets it. The
crash tests use it to hit each window of paying and cancelling deterministically instead of by
luck. Points (see docs/commerce.md):

- ``create:after_reserve``: an order's holds are taken (units reserved), it is not confirmed.
- ``pay:after_begin``: the payment lock and the charge attempt are written, nothing charged.
- ``pay:after_charge``: the gateway charged, the order does not know yet.
- ``pay:after_commit``: the order is paid, the answer is not sent.
- ``cancel:after_release``: the order is cancelled and its refund due, nothing refunded.
- ``refund:after_gateway``: the gateway refunded, the order does not know yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

FAULT_POINTS = frozenset(
    {
        "create:after_reserve",
        "pay:after_begin",
        "pay:after_charge",
        "pay:after_commit",
        "cancel:after_release",
        "refund:after_gateway",
    }
)
# The exit status of a process killed by SIGKILL, so logs read the same as a real kill -9.
KILLED_STATUS = 137


def _exit_now() -> None:
    # os._exit skips every finally block, atexit hook and buffered write: nothing is cleaned up.
    os._exit(KILLED_STATUS)


class Faults:
    """The armed fault points of a process; ``hit(point)`` crashes there when it is armed.

    Args:
        points: the armed points (unknown names are refused, so a typo cannot disarm a test).
        crash: what a crash is; exiting the process by default. The in-process stateful test
            raises instead, which also abandons the rest of the step.
    """

    def __init__(self, points: Iterable[str] = (), crash: Callable[[], None] = _exit_now) -> None:
        self.armed = set(points)
        unknown = self.armed - FAULT_POINTS
        if unknown:
            raise ValueError(f"unknown fault points: {sorted(unknown)}")
        self._crash = crash

    def hit(self, point: str) -> None:
        """Crash here if ``point`` is armed (a point fires once, then is disarmed)."""
        if point in self.armed:
            self.armed.discard(point)
            self._crash()
