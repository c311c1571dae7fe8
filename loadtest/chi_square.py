"""Pearson's chi-square test of independence and its p-value, without SciPy.

The p-value of a chi-square statistic ``x`` with ``k`` degrees of freedom is the regularized upper
incomplete gamma function ``Q(k/2, x/2)``. It is computed here as in Numerical Recipes (§6.2): the
power series of ``P(a, x)`` below ``x < a + 1``, Lentz's continued fraction of ``Q(a, x)`` above;
both converge to double precision in a few dozen terms for the tables a benchmark builds. SciPy
would bring ~40 MB of compiled code to the load-test tools for this one function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_EPSILON = 1e-15
_MAX_TERMS = 10_000
_TINY = 1e-300  # keeps Lentz's denominators off zero


def regularized_gamma_q(a: float, x: float) -> float:
    """``Q(a, x) = Γ(a, x) / Γ(a)``, the regularized upper incomplete gamma function.

    Raises:
        ValueError: ``a <= 0`` or ``x < 0``.
    """
    if a <= 0 or x < 0:
        raise ValueError(f"Q(a, x) needs a > 0 and x >= 0, not a={a}, x={x}")
    if x == 0:
        return 1.0
    if x < a + 1:
        return max(0.0, 1.0 - _lower_series(a, x))
    return _upper_fraction(a, x)


def _prefactor(a: float, x: float) -> float:
    """``x^a e^-x / Γ(a)``, in logs so large ``x`` does not overflow."""
    return math.exp(a * math.log(x) - x - math.lgamma(a))


def _lower_series(a: float, x: float) -> float:
    """``P(a, x)`` by its power series (converges fast for ``x < a + 1``)."""
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_TERMS):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return total * _prefactor(a, x)


def _upper_fraction(a: float, x: float) -> float:
    """``Q(a, x)`` by its continued fraction, evaluated with modified Lentz (``x >= a + 1``)."""
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    fraction = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        step = d * c
        fraction *= step
        if abs(step - 1) < _EPSILON:
            break
    return fraction * _prefactor(a, x)


def chi_square_sf(statistic: float, degrees_of_freedom: int) -> float:
    """The p-value: probability that a chi-square variable with ``degrees_of_freedom`` is at least
    ``statistic``."""
    if degrees_of_freedom < 1:
        raise ValueError(f"degrees of freedom must be at least 1, not {degrees_of_freedom}")
    return regularized_gamma_q(degrees_of_freedom / 2, max(statistic, 0.0) / 2)


@dataclass(frozen=True)
class IndependenceTest:
    """The outcome of a chi-square test of independence on a contingency table."""

    statistic: float
    degrees_of_freedom: int
    p_value: float
    min_expected: float  # the smallest expected count (below 5 the test is rough)


def independence_test(table: Sequence[Sequence[int]]) -> IndependenceTest | None:
    """Pearson's chi-square test that rows and columns of ``table`` (counts) are independent.

    Rows or columns that are all zero are left out (they carry no information); ``None`` when
    fewer than two rows or two columns remain, where independence cannot be tested.
    """
    rows = [list(row) for row in table if sum(row) > 0]
    if not rows:
        return None
    kept = [j for j in range(len(rows[0])) if sum(row[j] for row in rows) > 0]
    rows = [[row[j] for j in kept] for row in rows]
    if len(rows) < 2 or len(kept) < 2:
        return None
    row_totals = [sum(row) for row in rows]
    column_totals = [sum(column) for column in zip(*rows, strict=True)]
    total = sum(row_totals)
    statistic = 0.0
    min_expected = math.inf
    for row, row_total in zip(rows, row_totals, strict=True):
        for observed, column_total in zip(row, column_totals, strict=True):
            expected = row_total * column_total / total
            min_expected = min(min_expected, expected)
            statistic += (observed - expected) ** 2 / expected
    degrees = (len(rows) - 1) * (len(kept) - 1)
    return IndependenceTest(
        statistic=statistic,
        degrees_of_freedom=degrees,
        p_value=chi_square_sf(statistic, degrees),
        min_expected=min_expected,
    )
