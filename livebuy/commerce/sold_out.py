"""The sold-out gate: a process refuses a buy of what it knows is sold out, before Redis.

Each process learns "sold out" from the ``stock`` frames it reads from a show's stream anyway,
and from the order script's own refusals; a later frame with stock (a restock, a cancellation, an
expired reservation) clears it. The gate may only refuse, never accept: ``order_create.lua`` stays
the one judge of every order it lets through. A flag lives at most ``hold_ms`` unless a frame or
refusal renews it, so a restock whose frame never reaches a show (the product was unpinned
meanwhile) still stops the gate within that time.
"""

from __future__ import annotations

from typing import Any

from livebuy.clock import Clock, now_ms
from livebuy.errors import LivebuyError, refusal

# What ``order_create.lua`` says of a line with no unit left, and of a deal whose cap is reached.
_NONE_LEFT = "0 left"
_DEAL_SOLD_OUT = "deal sold out"
# Flags kept at most; past it all are dropped (the gate then asks Redis again, which is safe).
MAX_FLAGS = 100_000


class SoldOutGate:
    """Per show: SKUs and deals this process saw sold out, each until ``hold_ms`` after it last did.

    Keyed by show, like the frames that set and clear the flags: a product's frames go to the
    shows where it is pinned or on a deal, so a show's own frames are what keep its flags true.
    """

    def __init__(self, hold_ms: int, clock: Clock = now_ms) -> None:
        self._hold_ms = hold_ms
        self._clock = clock
        self._skus: dict[tuple[str, str], int] = {}
        self._deals: dict[tuple[str, str], int] = {}

    @property
    def enabled(self) -> bool:
        """Whether the gate refuses at all (``LIVEBUY_SOLD_OUT_GATE_MS`` > 0)."""
        return self._hold_ms > 0

    def refusal(
        self, show_id: str, lines: list[dict[str, Any]], deal_id: str | None
    ) -> LivebuyError | None:
        """The error ``order_create.lua`` would answer, if a line's SKU or the deal is sold out.

        Lines are checked first, in order, then the deal, as the script does; ``deal_id`` is a
        deal the caller knows is running (the script refuses others with ``deal_not_active``).
        """
        now = self._clock()
        for index, line in enumerate(lines):
            if self._holds(self._skus, (show_id, line["sku"]), now):
                return _out_of_stock(index, line["sku"], _NONE_LEFT)
        if deal_id is not None and self._holds(self._deals, (show_id, deal_id), now):
            return _out_of_stock(0, lines[0]["sku"], _DEAL_SOLD_OUT)
        return None

    def holds_refused(self, show_id: str, sku: str, deal_id: str | None) -> bool:
        """Whether a buy of ``sku`` (of ``deal_id``) in ``show_id`` is flagged sold out now; a
        look only: unlike ``refusal``, a lapsed flag stays lapsed (its probe is still to come)."""
        now = self._clock()
        if self._skus.get((show_id, sku), now) > now:
            return True
        return deal_id is not None and self._deals.get((show_id, deal_id), now) > now

    def _holds(self, flags: dict[tuple[str, str], int], key: tuple[str, str], now: int) -> bool:
        until = flags.get(key)
        if until is None:
            return False
        if now < until:
            return True
        # Lapsed: this caller is the probe that asks the script, and the flag is renewed for
        # the others meanwhile; the probe's answer clears it (``accepted``) or renews it
        # (``refused``). Otherwise every request in flight when it lapsed would run the script.
        flags[key] = now + self._hold_ms
        return False

    def accepted(self, show_id: str, lines: list[dict[str, Any]], deal_id: str | None) -> None:
        """The script got past the stock checks for these lines (it made the order, or refused
        for a limit or a coupon, which it checks after stock): none of them is sold out now."""
        for line in lines:
            self._skus.pop((show_id, line["sku"]), None)
        if deal_id is not None:
            self._deals.pop((show_id, deal_id), None)

    def refused(self, show_id: str, deal_id: str | None, error: LivebuyError) -> None:
        """Learn from the script's refusal of an order in ``show_id``."""
        if error.code != "out_of_stock" or not self.enabled:
            return
        reason = error.details.get("reason")
        if reason == _NONE_LEFT:
            self._flag(self._skus, (show_id, str(error.details["sku"])))
        elif reason == _DEAL_SOLD_OUT and deal_id is not None:
            self._flag(self._deals, (show_id, deal_id))

    def stock(self, show_id: str, data: dict[str, Any]) -> None:
        """Apply a ``stock`` frame's data: SKUs and deals at zero are flagged, the rest cleared."""
        for sku in data["stock"]:
            self._set(self._skus, (show_id, sku["sku"]), sku["available"] == 0)
        for deal in data["deals"]:
            self._set(self._deals, (show_id, deal["deal_id"]), deal["units_left"] == 0)

    def deal_changed(self, show_id: str, deal_id: str) -> None:
        """A deal started afresh or ended: what was known of its units no longer holds."""
        self._deals.pop((show_id, deal_id), None)

    def forget(self, show_id: str) -> None:
        """Drop every flag of a show (its stream's history was lost: frames may be missing)."""
        for flags in (self._skus, self._deals):
            for key in [key for key in flags if key[0] == show_id]:
                del flags[key]

    def _set(self, flags: dict[tuple[str, str], int], key: tuple[str, str], sold_out: bool) -> None:
        if sold_out and self.enabled:
            self._flag(flags, key)
        else:
            flags.pop(key, None)

    def _flag(self, flags: dict[tuple[str, str], int], key: tuple[str, str]) -> None:
        if len(flags) >= MAX_FLAGS and key not in flags:
            flags.clear()
        flags[key] = self._clock() + self._hold_ms


def _out_of_stock(line: int, sku: str, detail: str) -> LivebuyError:
    # Word for word what order_scripts._create_refusal makes of the script's answer.
    return refusal(
        "out_of_stock",
        f"line {line} ({sku}): out_of_stock: {detail}",
        line=line,
        sku=sku,
        reason=detail,
    )
