"""A plain-Python model of one auction: what ``auction_step.lua`` and the settler must do."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Ceiling:
    """A bidder's highest bid so far and when it was set (ties: the earlier wins)."""

    max: int
    order: int


@dataclass
class AuctionModel:
    """One auction from its start at ``started_at``; amounts in minor units, times in ms."""

    start_price: int
    ladder: list[list[int]]
    started_at: int
    duration_ms: int
    mode: str
    extend_ms: int
    status: str = "open"
    price: int = 0
    leader: str = ""
    leader_max: int = 0
    ends_at: int = 0
    order: int = 0
    ceilings: dict[str, Ceiling] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    charged: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.price = self.start_price
        self.ends_at = self.started_at + self.duration_ms

    def increment(self, price: int) -> int:
        """The ladder's step at ``price``."""
        return [step for start, step in self.ladder if price >= start][-1]

    def floor(self) -> int:
        """The lowest acceptable bid now."""
        return self.start_price if not self.leader else self.price + self.increment(self.price)

    def bid(self, now: int, bidder: str, kind: str, value: int) -> str:
        """The outcome (``leading``/``outbid``) or the refusal code."""
        if self.status != "open" or now >= self.ends_at:
            return "auction_closed"
        self.order += 1
        if bidder == self.leader:
            if kind != "max":
                return "already_leading"
            if value <= self.leader_max:
                return "bid_too_low"
            self.leader_max = value
            self.ceilings[bidder] = Ceiling(value, self.order)
            return "leading"
        floor = self.floor()
        if value < floor:
            return "bid_too_low"
        if not self.leader:
            self.price, outcome = (floor if kind == "max" else value), "leading"
        elif value > self.leader_max:
            if kind == "max":
                proxy = self.leader_max + self.increment(self.leader_max)
                self.price = max(floor, min(value, proxy))
            else:
                self.price = value
            outcome = "leading"
        else:
            self.price, outcome = min(self.leader_max, value + self.increment(value)), "outbid"
        if outcome == "leading":
            self.leader, self.leader_max = bidder, value
        if self.ceilings.get(bidder, Ceiling(0, 0)).max < value:
            self.ceilings[bidder] = Ceiling(value, self.order)
        if self.mode == "extend" and self.ends_at - now < self.extend_ms:
            self.ends_at = now + self.extend_ms
        return outcome

    def close(self, now: int) -> None:
        """The closer's step: only once the clock ran out."""
        if self.status == "open" and now >= self.ends_at:
            self.status = "closed" if self.leader else "unsold"

    def settle(self, declines: set[str]) -> None:
        """One settling step: charge the next candidate (winner first, then by ceiling)."""
        if self.status == "closed":
            self._offer(self.leader, self.price, declines)
        elif self.status == "payment_failed":
            left = sorted(
                (-ceiling.max, ceiling.order, bidder)
                for bidder, ceiling in self.ceilings.items()
                if bidder not in self.tried
            )
            if not left:
                self.status = "unsold"
                return
            _, _, bidder = left[0]
            self._offer(bidder, self.ceilings[bidder].max, declines)

    def _offer(self, bidder: str, price: int, declines: set[str]) -> None:
        self.tried.append(bidder)
        self.leader, self.price = bidder, price
        if bidder in declines:
            self.status = "payment_failed"
        else:
            self.status = "sold"
            self.charged.append((bidder, price))
