"""Every refusal code a Lua script answers with has its error in the one refusal table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import livebuy
from livebuy.commerce.models import OrderStatus
from livebuy.errors import SCRIPT_REFUSALS, LivebuyError, OrderStateError, refusal

ROOT = Path(livebuy.__file__).parent
# ``refuse('code'``, ``{'error', 'code'`` and, in the chat scripts, ``{'code', retry_after_ms}``.
CODES = re.compile(
    r"refuse\('([a-z_]+)'|\{'error', '([a-z_]+)'|^\s*return \{'(?!error')([a-z_]+)', "
)
NOT_REFUSALS = {
    "ok",
    "noop",
    "refunded",
    "failed",
    "seen",
    # order_create.lua's stages: the step's own reply (a refusal among them) follows.
    "opened",
    "refused",
    "confirmed",
}


def test_every_script_refusal_is_in_the_table() -> None:
    """A code in any .lua refusal maps to a LivebuyError; none falls through to a 500."""
    found: set[str] = set()
    for path in ROOT.rglob("*.lua"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for match in CODES.finditer(line):
                found.update(code for code in match.groups() if code)
    assert {"out_of_stock", "coupon_rejected", "slow_mode", "unknown_order"} <= found
    assert found - NOT_REFUSALS - set(SCRIPT_REFUSALS) == set()


def test_order_statuses_refuse_as_order_state() -> None:
    """An order script refusing with the order's status is an invalid_order_state error."""
    for status in get_args(OrderStatus):
        error = refusal(status, "no", order_id="o1", reason=status)
        assert isinstance(error, OrderStateError) and isinstance(error, LivebuyError)
        assert error.to_json()["code"] == "invalid_order_state"
