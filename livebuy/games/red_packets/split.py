"""Splitting a rain's budget into packets: random within [min, max], summing exactly to it."""

from __future__ import annotations

import random


def feasible(budget: int, count: int, low: int, high: int) -> bool:
    """Whether ``count`` packets of ``low``..``high`` can add up to exactly ``budget``."""
    return 0 < count and 0 < low <= high and count * low <= budget <= count * high


def split(budget: int, count: int, low: int, high: int, rng: random.Random) -> list[int]:
    """``count`` amounts in ``[low, high]`` summing to ``budget``, in random order.

    Each packet takes a random share of what is left (at most twice the even share, the usual
    red-packet rule, so early packets do not drain the budget), bounded so the packets still to
    come can always make up the rest within their own bounds.

    Raises:
        ValueError: the split is not feasible.
    """
    if not feasible(budget, count, low, high):
        raise ValueError("need count * min <= budget <= count * max")
    spread = high - low
    left = budget - count * low
    amounts = []
    for index in range(count):
        still = count - index - 1
        floor = max(0, left - still * spread)
        ceiling = min(spread, left)
        fair = 2 * left // (still + 1)
        extra = rng.randint(floor, max(floor, min(ceiling, fair)))
        amounts.append(low + extra)
        left -= extra
    rng.shuffle(amounts)
    return amounts
