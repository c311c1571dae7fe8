"""The statistics of the report's A/B tests: pure functions of counts, no I/O.

- ``wilson_interval``: the Wilson score interval of a proportion (95 % by default), which stays
  inside [0, 1] and is usable at 0 or all successes, unlike the normal ("Wald") interval.
- ``two_proportion_z_test``: the pooled two-proportion z-test, two-sided: is a variant's rate
  different from the control's? ``z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with
  ``p = (x1 + x2) / (n1 + n2)``; ``p_value = erfc(|z| / sqrt 2)``.
- ``sample_warnings``: the conditions under which neither is to be trusted.
"""

from __future__ import annotations

import math

# The standard normal quantile of 0.975: a two-sided 95 % interval.
Z_95 = 1.959963984540054
# Below this many exposures per variant, the report warns the test is too small to read.
MIN_EXPOSURES = 100
# The z-test's normal approximation needs at least this many expected successes and failures.
MIN_EXPECTED = 10


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / trials``; ``None`` without trials."""
    if trials <= 0:
        return None
    rate = successes / trials
    z2 = z * z
    centre = (rate + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(rate * (1 - rate) / trials + z2 / (4 * trials**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z_test(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float] | None:
    """``(z, two-sided p-value)`` of the pooled z-test of b's rate against a's.

    ``None`` when it is undefined: a group without trials, or no variance at all (both rates 0
    or both 1).
    """
    if trials_a <= 0 or trials_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return None
    z = (successes_b / trials_b - successes_a / trials_a) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))


def sample_warnings(label: str, groups: list[tuple[str, int, int]]) -> list[str]:
    """Why the test on ``label`` may not be read yet; ``groups`` are (name, successes, trials).

    Too few exposures in a variant (< ``MIN_EXPOSURES``), or expected successes or failures
    under the pooled rate below ``MIN_EXPECTED`` (the z-test's approximation fails there).
    """
    total_successes = sum(successes for _, successes, _ in groups)
    total_trials = sum(trials for _, _, trials in groups)
    pooled = total_successes / total_trials if total_trials else 0.0
    warnings = []
    for name, _, trials in groups:
        if trials < MIN_EXPOSURES:
            warnings.append(f"{name}: {trials} exposures, fewer than {MIN_EXPOSURES}")
    expected = min(
        (min(pooled * trials, (1 - pooled) * trials) for _, _, trials in groups), default=0.0
    )
    if expected < MIN_EXPECTED:
        warnings.append(
            f"{label}: expected conversions or non-conversions below {MIN_EXPECTED} in a "
            "variant: the z-test's normal approximation is unreliable"
        )
    return warnings
