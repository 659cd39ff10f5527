"""The per-cell and gap intervals of skfair.metrics._intervals."""

import numpy as np
import pytest
from scipy.stats import binomtest

from skfair.metrics._intervals import (
    binomial_bounds,
    difference_bounds,
    gap_bounds,
    rate_counts,
    rate_intervals,
)

SCIPY_METHODS = {"wilson": "wilson", "clopper-pearson": "exact"}


@pytest.mark.parametrize("method", sorted(SCIPY_METHODS))
@pytest.mark.parametrize("n", [1, 2, 3, 10, 57])
def test_binomial_bounds_equal_scipy(method, n):
    successes = np.arange(n + 1)
    lower, upper = binomial_bounds(
        successes, np.full(n + 1, n), tail=0.025, method=method
    )
    for k in successes:
        expected = binomtest(int(k), n).proportion_ci(
            confidence_level=0.95, method=SCIPY_METHODS[method]
        )
        assert lower[k] == pytest.approx(expected.low, abs=1e-12)
        assert upper[k] == pytest.approx(expected.high, abs=1e-12)


def test_jeffreys_is_the_beta_posterior_interval():
    from scipy.stats import beta

    lower, upper = binomial_bounds([2], [9], tail=0.05, method="jeffreys")
    assert lower[0] == pytest.approx(beta.ppf(0.05, 2.5, 7.5))
    assert upper[0] == pytest.approx(beta.ppf(0.95, 2.5, 7.5))


@pytest.mark.parametrize("method", ["wilson", "jeffreys", "clopper-pearson"])
def test_small_cells_never_give_zero_width(method):
    lower, upper = binomial_bounds(
        [0, 1, 1, 2, 3], [1, 1, 2, 3, 3], tail=0.025, method=method
    )
    assert np.all(upper - lower > 0.3)
    # An empty cell says nothing about its rate.
    lower, upper = binomial_bounds([0], [0], tail=0.025, method=method)
    assert (lower[0], upper[0]) == (0.0, 1.0)


def test_bad_method_is_named():
    with pytest.raises(ValueError, match="method must be one of"):
        binomial_bounds([1], [2], tail=0.025, method="wald")


def test_rate_counts_with_weights_use_kish_effective_size():
    table = np.zeros((1, 2, 2))
    table[0, 1, 1], table[0, 1, 0] = 3.0, 1.0  # weights 1.5 + 1.5 and 1
    squared = np.zeros((1, 2, 2))
    squared[0, 1, 1], squared[0, 1, 0] = 4.5, 1.0
    successes, trials = rate_counts(table, "tpr", squared)
    assert trials[0] == pytest.approx(16 / 5.5)
    assert successes[0] / trials[0] == pytest.approx(0.75)
    # Equal weights: the effective size is the number of rows.
    successes, trials = rate_counts(2 * table, "tpr", 4 * squared)
    assert trials[0] == pytest.approx(16 / 5.5)


def test_rate_intervals_hold_the_rate():
    table = np.array([[[5, 5], [2, 8]], [[1, 0], [0, 0]]], dtype=float)
    lower, upper = rate_intervals(table, "tpr")
    assert lower[0] < 0.8 < upper[0]
    assert (lower[1], upper[1]) == (0.0, 1.0)  # no positive row


@pytest.mark.parametrize("method", ["newcombe", "exact"])
def test_difference_bounds_contain_the_estimate(method):
    k, n = np.array([3.0, 40.0, 0.0]), np.array([10.0, 50.0, 0.0])
    first, second = np.array([0, 0, 1]), np.array([1, 2, 2])
    low, high = difference_bounds(k, n, first, second, tail=0.025, method=method)
    estimate = np.array([0.3 - 0.8, 0.3 - 0.5, 0.8 - 0.5])
    assert np.all(low[:1] <= estimate[:1]) and np.all(estimate[:1] <= high[:1])
    # Pairs with the empty group span the box [l1 - 1, u1 - 0].
    assert low[1] < -0.5 and high[1] > 0.5
    assert np.all(low >= -1) and np.all(high <= 1)


def test_gap_bounds_exact_contain_newcombe():
    table = np.array([[[30, 10], [5, 25]], [[12, 3], [4, 9]]], dtype=float)
    low_n, high_n = gap_bounds(table, ("tpr", "fpr"), method="newcombe")
    low_e, high_e = gap_bounds(table, ("tpr", "fpr"), method="exact")
    assert low_e <= low_n <= high_n <= high_e


def test_gap_bounds_one_group_is_nan_and_upper_side_starts_at_zero():
    table = np.array([[[30, 10], [5, 25]]], dtype=float)
    assert np.isnan(gap_bounds(table, ("selection",))).all()
    table = np.array([[[30, 10], [5, 25]], [[12, 3], [4, 9]]], dtype=float)
    low, high = gap_bounds(table, ("selection",), sides="upper")
    two_low, two_high = gap_bounds(table, ("selection",))
    assert low == 0.0 and high < two_high


@pytest.mark.parametrize("method", ["newcombe", "exact"])
def test_gap_bounds_cover_by_simulation(method):
    # Two groups, 25 and 15 rows, true selection rates .4 and .6: gap .2.
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(400):
        table = np.zeros((2, 2, 2))
        for g, (size, rate) in enumerate([(25, 0.4), (15, 0.6)]):
            selected = rng.binomial(size, rate)
            table[g, 0, 1], table[g, 0, 0] = selected, size - selected
        low, high = gap_bounds(table, ("selection",), method=method)
        hits += low <= 0.2 <= high
    assert hits / 400 >= 0.93
