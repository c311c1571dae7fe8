"""The hand-written chi-square p-value against closed forms and published critical values."""

from __future__ import annotations

import math

import pytest

from loadtest.chi_square import chi_square_sf, independence_test, regularized_gamma_q

# (statistic, degrees of freedom, p): upper critical values of the chi-square distribution, as
# SciPy's chi2.isf(p, df) gives them (the NIST/SEMATECH e-Handbook table 1.3.6.7.4 prints them
# to three decimals).
CRITICAL_VALUES = [
    (3.841458820694124, 1, 0.05),
    (6.634896601021214, 1, 0.01),
    (9.487729036781154, 4, 0.05),
    (13.276704135987622, 4, 0.01),
    (11.344866730144373, 3, 0.01),
    (20.515005652432873, 5, 0.001),
    (18.307038053275146, 10, 0.05),
    (124.34211340400407, 100, 0.05),
]


@pytest.mark.parametrize(("statistic", "degrees", "p"), CRITICAL_VALUES)
def test_critical_values_give_their_p(statistic: float, degrees: int, p: float) -> None:
    """At a published critical value the p-value is the table's level."""
    assert chi_square_sf(statistic, degrees) == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("x", [0.001, 0.1, 0.5, 1.0, 2.5, 7.0, 30.0, 200.0])
def test_closed_forms_for_one_two_and_four_degrees(x: float) -> None:
    """Q matches erfc for 1 degree and exp(-x/2)(1 + x/2 ...) for 2 and 4, on both methods' sides."""
    assert chi_square_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-9, abs=1e-300)
    assert chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9)
    assert chi_square_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-9)


def test_edges_and_bad_arguments() -> None:
    """Q(a, 0) is 1, a huge statistic gives ~0, and a ≤ 0, x < 0 or 0 degrees are refused."""
    assert regularized_gamma_q(2.5, 0) == 1.0
    assert 0 <= chi_square_sf(10_000, 4) < 1e-300
    for a, x in ((0, 1), (-1, 1), (1, -0.5)):
        with pytest.raises(ValueError):
            regularized_gamma_q(a, x)
    with pytest.raises(ValueError):
        chi_square_sf(1.0, 0)


def test_independence_of_a_two_by_two_table() -> None:
    """A worked 2×2 table: statistic 20/3 on one degree, p = erfc(sqrt(10/3))."""
    result = independence_test([[10, 20], [20, 10]])
    assert result is not None
    assert result.statistic == pytest.approx(20 / 3)
    assert result.degrees_of_freedom == 1
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(10 / 3)))
    assert result.min_expected == 15


def test_proportional_rows_are_independent_and_empty_columns_are_dropped() -> None:
    """Rows in the same proportions give statistic 0 and p 1; an all-zero column is left out."""
    result = independence_test([[10, 0, 20, 30], [20, 0, 40, 60]])
    assert result is not None
    assert result.statistic == pytest.approx(0, abs=1e-12)
    assert result.degrees_of_freedom == 2
    assert result.p_value == pytest.approx(1.0)


def test_a_table_without_two_outcomes_cannot_be_tested() -> None:
    """Nobody won (or one bucket only): no test, None rather than a division by zero."""
    assert independence_test([[0, 0, 0], [5, 6, 7]]) is None
    assert independence_test([[3, 0], [4, 0]]) is None
    assert independence_test([]) is None
