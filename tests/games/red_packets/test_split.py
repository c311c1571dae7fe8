"""The split of a rain's budget: every packet within bounds, the sum exactly the budget."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livebuy.games.red_packets.split import feasible, split


@st.composite
def terms(draw: st.DrawFn) -> tuple[int, int, int, int]:
    count = draw(st.integers(1, 300))
    low = draw(st.integers(1, 1000))
    high = draw(st.integers(low, low + 5000))
    budget = draw(st.integers(count * low, count * high))
    return budget, count, low, high


@given(terms(), st.integers(0, 2**32))
def test_split_is_exact_and_bounded(terms: tuple[int, int, int, int], seed: int) -> None:
    """Any feasible terms: count packets, each in [min, max], summing exactly to the budget."""
    budget, count, low, high = terms
    amounts = split(budget, count, low, high, random.Random(seed))
    assert len(amounts) == count and sum(amounts) == budget
    assert all(low <= amount <= high for amount in amounts)


@pytest.mark.parametrize(("budget", "count", "low", "high"), [(99, 10, 10, 20), (201, 10, 10, 20)])
def test_infeasible_terms_are_refused(budget: int, count: int, low: int, high: int) -> None:
    """count * min > budget or budget > count * max cannot be split."""
    assert not feasible(budget, count, low, high)
    with pytest.raises(ValueError, match="budget"):
        split(budget, count, low, high, random.Random(1))
