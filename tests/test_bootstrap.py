"""Count-table bootstrap, bootstrap_ci, and the intervals' coverage."""

import numpy as np
import pytest

from skfair.metrics import (
    MetricFrame,
    bootstrap_ci,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)
from skfair.metrics._bootstrap import resample_tables, stratified_indices


def _simulate(rng, n=1500):
    """The issue's truth: two groups of 750 rows, base rate 0.4 in each.

    Selection rates 0.5 / 0.4, TPR 0.8 / 0.7, FPR 0.3 / 0.2, so the true
    demographic-parity difference and equalized-odds difference are both 0.1.
    """
    group = np.repeat([0, 1], n // 2)
    y = (rng.random(n) < 0.4).astype(int)
    tpr = np.where(group == 0, 0.8, 0.7)
    fpr = np.where(group == 0, 0.3, 0.2)
    pred = (rng.random(n) < np.where(y == 1, tpr, fpr)).astype(int)
    return group, y, pred


def test_coverage_of_95_percent_intervals():
    hits_dp = hits_eo = 0
    n_sets = 300
    for seed in range(n_sets):
        group, y, pred = _simulate(np.random.default_rng(seed))
        mf = MetricFrame(
            metrics=selection_rate,
            y_true=y,
            y_pred=pred,
            sensitive_features=group,
            n_boot=1000,
            ci_quantiles=[0.025, 0.975],
            random_state=seed,
        )
        low, high = mf.difference_ci()
        hits_dp += low <= 0.1 <= high
        low, high = bootstrap_ci(
            "equalized_odds_difference",
            y,
            pred,
            sensitive_features=group,
            random_state=seed,
        )
        hits_eo += low <= 0.1 <= high
    assert 0.92 <= hits_dp / n_sets <= 0.975
    # Here the TPR and FPR gaps tie, so the pairwise interval of their
    # maximum is conservative: its upper end misses only if both kinds' do,
    # and its lower end is Bonferroni-corrected over the two kinds.
    assert 0.93 <= hits_eo / n_sets <= 0.995


def test_table_resamples_match_row_resamples():
    # A multinomial draw over a group's cells is a row resample counted: the
    # cells' means and covariances agree with brute-force row resampling.
    rng = np.random.default_rng(0)
    n = 400
    group = rng.integers(0, 3, n)
    t, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    cell = 4 * group + 2 * t + p
    raw = np.bincount(cell, minlength=12).reshape(3, 2, 2)
    n_boot = 4000
    tables = resample_tables(raw, n_boot=n_boot, rng=rng).reshape(n_boot, 12)
    rows = np.stack(
        [
            np.bincount(cell[index], minlength=12)
            for index in stratified_indices(group, 3, n_boot=n_boot, rng=rng)
        ]
    )
    # Group sizes are kept exactly (stratified).
    np.testing.assert_array_equal(
        tables.reshape(n_boot, 3, 4).sum(axis=2),
        np.broadcast_to(raw.sum((1, 2)), (n_boot, 3)),
    )
    np.testing.assert_array_equal(
        rows.reshape(n_boot, 3, 4).sum(axis=2), tables.reshape(n_boot, 3, 4).sum(axis=2)
    )
    np.testing.assert_allclose(tables.mean(axis=0), raw.ravel(), rtol=0.02)
    np.testing.assert_allclose(rows.mean(axis=0), raw.ravel(), rtol=0.02)
    np.testing.assert_allclose(np.cov(tables.T), np.cov(rows.T), atol=2.5)


def test_weighted_scheme_matches_weighted_row_bootstrap():
    # The normal approximation of each cell's resampled weight against the
    # brute-force row bootstrap of a weighted metric (a callable, rows route).
    rng = np.random.default_rng(1)
    n = 3000
    group = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)
    pred = (rng.random(n) < 0.3 + 0.2 * group).astype(int)
    w = rng.exponential(size=n)

    def rows_dp(y_true, y_pred, *, sensitive_features, sample_weight):
        return demographic_parity_difference(
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=sample_weight,
        )

    kwargs = {
        "sensitive_features": group,
        "sample_weight": w,
        "n_boot": 2000,
        "ci_quantiles": [0.05, 0.5, 0.95],
        "interval": "percentile",
    }
    table = bootstrap_ci(
        "demographic_parity_difference", y, pred, random_state=0, **kwargs
    )
    rows = bootstrap_ci(rows_dp, y, pred, random_state=0, **kwargs)
    np.testing.assert_allclose(table, rows, atol=0.006)
    # Ignoring the weights' spread would give visibly narrower intervals.
    unweighted = bootstrap_ci(
        "demographic_parity_difference",
        y,
        pred,
        sensitive_features=group,
        sample_weight=np.ones(n),
        n_boot=2000,
        ci_quantiles=[0.05, 0.95],
        interval="percentile",
        random_state=0,
    )
    assert (table[2] - table[0]) > 1.1 * (unweighted[1] - unweighted[0])


@pytest.mark.parametrize(
    "metric, kw",
    [
        ("equalized_odds_difference", {}),
        ("equalized_odds_difference", {"agg": "mean", "method": "to_overall"}),
        ("equalized_odds_ratio", {}),
        ("demographic_parity_ratio", {}),
        ("equal_opportunity_difference", {}),
        ("average_odds_difference", {"privileged_group": "b"}),
        ("disparate_impact_ratio", {"privileged_group": "b"}),
    ],
)
def test_named_metrics_table_route_equals_rows_route(metric, kw):
    from skfair.metrics._fairness import FAIRNESS_METRICS

    rng = np.random.default_rng(2)
    n = 2000
    group = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    y = rng.integers(0, 2, n)
    pred = (rng.random(n) < np.where(y == 1, 0.7, 0.3)).astype(int)
    function = FAIRNESS_METRICS[metric]

    def by_rows(y_true, y_pred, **kwargs):
        return function(y_true, y_pred, **kwargs)

    common = {"sensitive_features": group, "n_boot": 1500, "random_state": 0}
    table = bootstrap_ci(metric, y, pred, **common, **kw)
    rows = bootstrap_ci(by_rows, y, pred, **common, interval="percentile", **kw)
    table_pct = bootstrap_ci(function, y, pred, **common, interval="percentile", **kw)
    np.testing.assert_allclose(table_pct, rows, atol=0.02)
    estimate = function(y, pred, sensitive_features=group, **kw)
    assert table[0] <= estimate <= table[1]


def test_basic_interval_is_reflected_percentile():
    rng = np.random.default_rng(3)
    group, y, pred = _simulate(rng)
    kwargs = {"sensitive_features": group, "random_state": 5, "n_boot": 500}
    low, high = bootstrap_ci(
        "equalized_odds_difference", y, pred, interval="percentile", **kwargs
    )
    basic = bootstrap_ci(
        "equalized_odds_difference", y, pred, interval="basic", **kwargs
    )
    estimate = equalized_odds_difference(y, pred, sensitive_features=group)
    np.testing.assert_allclose(basic, [2 * estimate - high, 2 * estimate - low])


def test_bootstrap_ci_errors():
    y = [0, 1, 1, 0]
    sf = ["a", "a", "b", "b"]
    with pytest.raises(ValueError, match="not a skfair fairness metric"):
        bootstrap_ci("accuracy", y, y, sensitive_features=sf)
    with pytest.raises(TypeError, match="callable"):
        bootstrap_ci(3, y, y, sensitive_features=sf)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_ci(
            "equalized_odds_difference", y, y, sensitive_features=sf, n_boot=-1
        )
    with pytest.raises(ValueError, match="ci_quantiles"):
        bootstrap_ci(
            "equalized_odds_difference",
            y,
            y,
            sensitive_features=sf,
            ci_quantiles=[0, 1],
        )
    with pytest.raises(ValueError, match="interval"):
        bootstrap_ci(
            "equalized_odds_difference", y, y, sensitive_features=sf, interval="bca"
        )
    with pytest.raises(ValueError, match="random_state"):
        bootstrap_ci(
            "equalized_odds_difference", y, y, sensitive_features=sf, random_state="x"
        )
    with pytest.raises(ValueError, match="method"):
        bootstrap_ci(
            "equalized_odds_difference", y, y, sensitive_features=sf, method="x"
        )


def test_n_jobs_does_not_change_rows_route():
    rng = np.random.default_rng(4)
    group, y, pred = _simulate(rng, n=300)

    def dp(y_true, y_pred, **kwargs):
        return demographic_parity_difference(y_true, y_pred, **kwargs)

    kwargs = {"sensitive_features": group, "n_boot": 40, "random_state": 0}
    np.testing.assert_array_equal(
        bootstrap_ci(dp, y, pred, **kwargs),
        bootstrap_ci(dp, y, pred, n_jobs=2, **kwargs),
    )
