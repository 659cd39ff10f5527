"""The per-cell and gap intervals of skfair.metrics._intervals."""

import numpy as np
import pytest
from scipy.stats import binomtest

from skfair.metrics._intervals import (
    binomial_bounds,
    difference_bounds,
    gap_bounds,
    gap_quantiles,
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


def test_explicit_tails_give_the_two_sided_and_one_sided_ends():
    table = np.array([[[30, 10], [5, 20]], [[8, 2], [4, 6]], [[3, 1], [0, 2]]])
    kinds = ("tpr", "fpr")
    low, high = gap_bounds(table, kinds)
    assert gap_bounds(table, kinds, tails=(0.025, 0.025)) == (low, high)
    _, upper = gap_bounds(table, kinds, sides="upper")
    only_upper = gap_bounds(table, kinds, tails=(None, 0.05))
    assert np.isnan(only_upper[0]) and only_upper[1] == upper
    # Asymmetric: a looser lower end (miss .2) lies above the strict one.
    loose_low, strict_high = gap_bounds(table, kinds, tails=(0.2, 0.001))
    assert low <= loose_low and high <= strict_high
    np.testing.assert_allclose(
        gap_quantiles(table, kinds, [0.2, 0.025, 0.975, 0.999]),
        [loose_low, low, high, strict_high],
    )
    with pytest.raises(ValueError, match="tails"):
        gap_bounds(table, kinds, tails=(None, None))
    with pytest.raises(ValueError, match="tails"):
        gap_bounds(table, kinds, tails=(0.025, 1.5))


def test_median_quantile_is_the_estimate():
    from skfair.metrics import equalized_odds_difference

    rng = np.random.default_rng(4)
    group = rng.integers(0, 3, 300)
    y = rng.integers(0, 2, 300)
    pred = rng.integers(0, 2, 300)
    table = np.zeros((3, 2, 2))
    np.add.at(table, (group, y, pred), 1)
    (median,) = gap_quantiles(table, ("tpr", "fpr"), [0.5])
    assert median == pytest.approx(
        equalized_odds_difference(y, pred, sensitive_features=group)
    )


def _wilson(k, n, confidence=0.95):
    ci = binomtest(int(k), int(n)).proportion_ci(confidence, method="wilson")
    return ci.low, ci.high


def test_group_report_intervals_equal_scipy_wilson():
    from skfair.metrics import group_report

    rng = np.random.default_rng(5)
    # Groups of 1, 3 and 40 rows; group "a" has no negative row.
    group = np.array(["a"] + ["b"] * 3 + ["c"] * 40)
    y = np.concatenate([[1], [0, 1, 1], rng.integers(0, 2, 40)])
    pred = np.concatenate([[1], [1, 0, 1], rng.integers(0, 2, 40)])
    report = group_report(y, pred, sensitive_features=group, confidence=0.9)
    for label, rows in [("a", group == "a"), ("b", group == "b"), ("c", None)]:
        rows = group == label if rows is None else rows
        t, p = y[rows], pred[rows]
        for column, k, n in [
            ("selection_rate", p.sum(), rows.sum()),
            ("true_positive_rate", (t & p).sum(), t.sum()),
            ("accuracy", (t == p).sum(), rows.sum()),
            ("base_rate", t.sum(), rows.sum()),
        ]:
            low, high = _wilson(k, n, 0.9)
            assert report.loc[label, f"{column}_low"] == pytest.approx(low)
            assert report.loc[label, f"{column}_high"] == pytest.approx(high)
            # Never zero width, even for one row.
            assert high - low > 0.3 or n > 3
    # No negative row: the FPR is undefined (NaN), and so is its interval.
    assert np.isnan(report.loc["a", "false_positive_rate"])
    assert np.isnan(report.loc["a", "false_positive_rate_low"])
    assert np.isnan(report.loc["a", "false_positive_rate_high"])
    columns = list(report.columns)
    i = columns.index("precision")
    assert columns[i : i + 3] == ["precision", "precision_low", "precision_high"]
    plain = group_report(y, pred, sensitive_features=group)
    assert not any(c.endswith("_low") for c in plain.columns)


def test_group_report_intervals_methods_and_weights():
    from skfair.metrics import group_report

    y, pred, group = [1, 1, 0, 0, 1], [1, 0, 0, 1, 1], ["a", "a", "a", "b", "b"]
    exact = group_report(
        y,
        pred,
        sensitive_features=group,
        confidence=0.95,
        interval_method="clopper-pearson",
    )
    ci = binomtest(1, 3).proportion_ci(0.95, method="exact")
    assert exact.loc["a", "selection_rate_low"] == pytest.approx(ci.low)
    assert exact.loc["a", "selection_rate_high"] == pytest.approx(ci.high)
    # Equal weights change nothing; unequal ones shrink the effective size.
    equal = group_report(
        y, pred, sensitive_features=group, confidence=0.95, sample_weight=[2.0] * 5
    )
    plain = group_report(y, pred, sensitive_features=group, confidence=0.95)
    np.testing.assert_allclose(equal["selection_rate_low"], plain["selection_rate_low"])
    weights = np.array([1.0, 1.0, 4.0, 1.0, 1.0])
    weighted = group_report(
        y, pred, sensitive_features=group, confidence=0.95, sample_weight=weights
    )
    # Group "a": weighted selection rate 1/6, Kish size 36 / 18 = 2 rows.
    successes, trials = (1 / 6) * 2, 2
    low, high = binomial_bounds(successes, trials, tail=0.025)
    assert weighted.loc["a", "selection_rate_low"] == pytest.approx(low)
    assert weighted.loc["a", "selection_rate_high"] == pytest.approx(high)
    for bad in ({"confidence": 1.0}, {"confidence": 0.9, "interval_method": "x"}):
        with pytest.raises(ValueError, match="confidence|interval_method"):
            group_report(y, pred, sensitive_features=group, **bad)


def test_metric_frame_rate_intervals_are_wilson_and_gap_is_pairwise():
    from skfair.metrics import MetricFrame, selection_rate, true_positive_rate

    rng = np.random.default_rng(6)
    group = np.array(["a"] * 2 + ["b"] * 50 + ["c"] * 30)
    y = rng.integers(0, 2, group.size)
    y[:2] = [1, 0]
    pred = rng.integers(0, 2, group.size)
    quantiles = [0.05, 0.975]
    mf = MetricFrame(
        metrics={"sel": selection_rate, "tpr": true_positive_rate},
        y_true=y,
        y_pred=pred,
        sensitive_features=group,
        n_boot=50,
        ci_quantiles=quantiles,
        random_state=0,
    )
    low, high = mf.by_group_ci
    for label in "abc":
        rows = group == label
        k, n = pred[rows].sum(), rows.sum()
        assert low.loc[label, "sel"] == pytest.approx(_wilson(k, n, 0.9)[0])
        assert high.loc[label, "sel"] == pytest.approx(_wilson(k, n, 0.95)[1])
        k, n = (pred[rows] & y[rows]).sum(), y[rows].sum()
        assert low.loc[label, "tpr"] == pytest.approx(_wilson(k, n, 0.9)[0])
    overall_low, _ = mf.overall_ci
    assert overall_low["sel"] == pytest.approx(_wilson(pred.sum(), pred.size, 0.9)[0])
    table = np.zeros((3, 2, 2))
    np.add.at(table, (np.searchsorted(list("abc"), group), y, pred), 1)
    gap_low, gap_high = mf.difference_ci()
    for name, kind in [("sel", "selection"), ("tpr", "tpr")]:
        expected = gap_quantiles(table, (kind,), quantiles)
        np.testing.assert_allclose([gap_low[name], gap_high[name]], expected)
        assert gap_low[name] <= mf.difference()[name] <= gap_high[name]
    # The other summaries come from posterior draws: a 2-row group's rate is
    # not known, so the ratio's interval is wide.
    ratio_low, ratio_high = mf.ratio_ci()
    assert (ratio_high - ratio_low).min() > 0.2


def _brute_force_over_box(low, high, weights, statistic, n=41):
    """Least and largest of the statistic on a grid over the box of rates."""
    # The grid of each rate, plus the middle of the intervals' common part
    # (where the ratio reaches 1), if they share one.
    common = (np.max(low) + np.min(high)) / 2
    axes = [
        np.union1d(np.linspace(a, b, n), [common] if a <= common <= b else [])
        for a, b in zip(low, high, strict=True)
    ]
    grids = np.meshgrid(*axes)
    rates = np.stack([g.ravel() for g in grids])
    if statistic == "ratio":
        largest = rates.max(axis=0)
        values = np.where(largest > 0, rates.min(axis=0) / largest, 0.0)
    else:
        overall = weights @ rates
        values = np.abs(rates - overall).max(axis=0)
    return values.min(), values.max()


@pytest.mark.parametrize("statistic", ["ratio", "to_overall"])
def test_box_bounds_equal_brute_force_over_the_box(statistic):
    from skfair.metrics._intervals import box_bounds

    table = np.array([[[30, 10], [5, 20]], [[8, 2], [4, 6]], [[3, 1], [0, 2]]])
    low, high = box_bounds(table, ("tpr",), tails=(0.05, 0.05), statistic=statistic)
    successes, trials = rate_counts(table, "tpr")
    # Six one-sided bounds (3 groups x 2 ends) share each end's 5%.
    cell_low, cell_high = binomial_bounds(successes, trials, tail=0.05 / 6)
    least, largest = _brute_force_over_box(
        cell_low, cell_high, trials / trials.sum(), statistic
    )
    assert high == pytest.approx(largest, abs=1e-9)
    # The lower end is at most the least value over the box (it is exact
    # for the ratio, and a valid, smaller bound for the gap to overall).
    assert low <= least + 1e-9
    if statistic == "ratio":
        assert low == pytest.approx(least, abs=1e-9)
    # The estimate lies inside; at parity the ratio's upper end is 1.
    rates = successes / trials
    estimate = (
        rates.min() / rates.max()
        if statistic == "ratio"
        else np.abs(rates - successes.sum() / trials.sum()).max()
    )
    assert low <= estimate <= high
    parity = np.array([[[10, 10], [10, 10]]] * 2)
    _, top = box_bounds(parity, ("selection",), tails=(0.05, 0.05), statistic="ratio")
    assert top == 1.0


def test_box_bounds_cover_at_parity_by_simulation():
    from skfair.metrics._intervals import box_bounds

    # Equal selection rates .3 in groups of 2,000 and 6 rows: ratio 1, gap 0.
    rng = np.random.default_rng(3)
    hits = np.zeros(2)
    for _ in range(300):
        table = np.zeros((2, 2, 2))
        for g, size in enumerate([2000, 6]):
            selected = rng.binomial(size, 0.3)
            table[g, 0, 1], table[g, 0, 0] = selected, size - selected
        for i, statistic in enumerate(["ratio", "to_overall"]):
            low, high = box_bounds(
                table, ("selection",), tails=(0.025, 0.025), statistic=statistic
            )
            hits[i] += low <= (1.0 if statistic == "ratio" else 0.0) <= high
    assert np.all(hits / 300 >= 0.95)


def _groups_table(groups):
    """Count table of groups given as (positives, tp, negatives, fp)."""
    table = np.zeros((len(groups), 2, 2))
    for g, (pos, tp, neg, fp) in enumerate(groups):
        table[g, 1] = pos - tp, tp
        table[g, 0] = neg - fp, fp
    return table


def _lower_end_inputs(table, kinds):
    from skfair.metrics._intervals import _pair_indices, rate_counts

    counts = {kind: rate_counts(table, kind) for kind in kinds}
    present = table.sum(axis=(1, 2)) > 0
    return counts, {kind: _pair_indices(present) for kind in kinds}


def _pair_far_ahead():
    """TPRs .70, .65, .75 on 5,000 positives each and .55 on 1,000: the pair
    (2, 3) is .05 ahead of the next, 3 standard errors."""
    return _groups_table(
        [
            (5000, 3500, 8000, 1600),
            (5000, 3250, 8000, 1200),
            (5000, 3750, 8000, 2000),
            (1000, 550, 2300, 230),
        ]
    )


def test_screened_lower_end_gains_on_a_pair_far_ahead():
    from skfair.metrics._intervals import _bonferroni_lower_ends

    table = _pair_far_ahead()
    kinds = ("tpr", "fpr")
    low, _ = gap_bounds(table, kinds)
    counts, pairs = _lower_end_inputs(table, kinds)
    bonferroni = max(_bonferroni_lower_ends(counts, pairs, 0.025, "newcombe"))
    successes, trials = counts["tpr"]
    ideal, _ = difference_bounds(successes, trials, [2], [3], tail=0.025)
    assert bonferroni < low < ideal[0]
    # The gain is most of the way from Bonferroni to the single pair's bound.
    assert low - bonferroni > 0.5 * (ideal[0] - bonferroni)


def test_contrast_of_tails_sharing_a_group_is_the_pair_of_the_others():
    from skfair.metrics._intervals import _contrast_lower_bounds, _tails

    # (r_0 - r_2) - (r_1 - r_2) = r_0 - r_1: the small group 2 cancels.
    table = _groups_table([(900, 630, 900, 90), (800, 480, 800, 160), (12, 6, 9, 2)])
    counts, pairs = _lower_end_inputs(table, ("tpr",))
    tails = _tails(pairs)
    plus, minus = tails["tpr"]
    first = int(np.flatnonzero((plus == 0) & (minus == 2))[0])
    second = int(np.flatnonzero((plus == 1) & (minus == 2))[0])
    bounds = _contrast_lower_bounds(counts, tails, "tpr", [first], 0.01)
    successes, trials = counts["tpr"]
    expected, _ = difference_bounds(successes, trials, [0], [1], tail=0.01)
    assert bounds[0, second] == pytest.approx(expected[0], abs=1e-12)
    # Against itself a tail's contrast is exactly 0: every coefficient is 0.
    assert bounds[0, first] == 0.0


def test_screened_lower_end_without_contrasts_stays_valid(monkeypatch):
    from skfair.metrics import _intervals
    from skfair.metrics._intervals import _bonferroni_lower_ends

    table = _pair_far_ahead()
    kinds = ("tpr", "fpr")
    with_contrasts, _ = gap_bounds(table, kinds)
    # Many groups: the slacks from the tails' own bounds only.
    monkeypatch.setattr(_intervals, "_MAX_CONTRAST_SIZE", 0)
    without, _ = gap_bounds(table, kinds)
    counts, pairs = _lower_end_inputs(table, kinds)
    bonferroni = max(_bonferroni_lower_ends(counts, pairs, 0.025, "newcombe"))
    assert bonferroni <= without <= with_contrasts


def test_screened_lower_end_claims_no_gap_at_parity():
    # Six groups with equal rates (one of 40 rows): the lower end is above 0
    # (the audit's "beyond sampling noise") in at most 2.5% of samples.
    rng = np.random.default_rng(3)
    sizes = [4000, 3000, 2000, 1000, 400, 40]
    claims = 0
    for _ in range(1000):
        groups = []
        for n in sizes:
            pos = rng.binomial(n, 0.4)
            groups.append((pos, rng.binomial(pos, 0.7), n - pos, 0))
            groups[-1] = groups[-1][:3] + (rng.binomial(n - pos, 0.2),)
        low, _ = gap_bounds(_groups_table(groups), ("tpr", "fpr"))
        claims += low > 0
    assert claims / 1000 <= 0.035
