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


def _table(group, y, pred, weight=None):
    """The (group, y_true, y_pred) table by brute force, groups sorted."""
    labels, codes = np.unique(group, return_inverse=True)
    table = np.zeros((labels.size, 2, 2))
    np.add.at(table, (codes, y, pred), 1.0 if weight is None else weight)
    return table


def _small_group_data(seed=8):
    """300 rows in two groups and a third group of one row."""
    rng = np.random.default_rng(seed)
    group = np.concatenate([rng.integers(0, 2, 300), [2]])
    y = np.concatenate([rng.integers(0, 2, 300), [1]])
    pred = np.concatenate([(rng.random(300) < 0.3 + 0.4 * y[:300]), [1]]).astype(int)
    return group, y, pred


@pytest.mark.parametrize(
    ("metric", "kinds", "kw"),
    [
        ("demographic_parity_difference", ("selection",), {}),
        ("equal_opportunity_difference", ("tpr",), {}),
        ("equalized_odds_difference", ("tpr", "fpr"), {}),
        ("equalized_odds_difference", ("tpr", "fpr"), {"agg": "mean"}),
    ],
)
def test_default_interval_of_differences_is_gap_bounds(metric, kinds, kw):
    from skfair.metrics._fairness import FAIRNESS_METRICS
    from skfair.metrics._intervals import gap_bounds

    group, y, pred = _small_group_data()
    agg = kw.get("agg", "worst_case")
    got = bootstrap_ci(metric, y, pred, sensitive_features=group, **kw)
    table = _table(group, y, pred)
    np.testing.assert_allclose(got, gap_bounds(table, kinds, agg=agg))
    # No resampling: neither the seed nor n_boot matters.
    again = bootstrap_ci(
        metric, y, pred, sensitive_features=group, n_boot=3, random_state=9, **kw
    )
    np.testing.assert_array_equal(got, again)
    # Contains the estimate, and a one-row group leaves the gap wide open.
    estimate = FAIRNESS_METRICS[metric](y, pred, sensitive_features=group, **kw)
    assert got[0] <= estimate <= got[1]
    assert got[1] - got[0] > 0.5
    # Weights: the weighted rates and Kish's effective sizes.
    w = np.random.default_rng(1).uniform(0.5, 3, y.size)
    got = bootstrap_ci(metric, y, pred, sensitive_features=group, sample_weight=w, **kw)
    expected = gap_bounds(
        _table(group, y, pred, w), kinds, squared=_table(group, y, pred, w * w), agg=agg
    )
    np.testing.assert_allclose(got, expected)
    exact = bootstrap_ci(metric, y, pred, sensitive_features=group, interval="exact")
    plain = bootstrap_ci(metric, y, pred, sensitive_features=group)
    assert exact[0] <= plain[0] + 1e-12 and plain[1] <= exact[1] + 1e-12


def test_asymmetric_quantiles_of_the_pairwise_interval_are_one_sided_bounds():
    from skfair.metrics._intervals import gap_bounds

    group, y, pred = _simulate(np.random.default_rng(4))
    quantiles = [0.01, 0.2, 0.5, 0.9]
    got = bootstrap_ci(
        "equalized_odds_difference",
        y,
        pred,
        sensitive_features=group,
        ci_quantiles=quantiles,
    )
    table = _table(group, y, pred)
    kinds = ("tpr", "fpr")
    expected = [
        gap_bounds(table, kinds, tails=(0.01, None))[0],
        gap_bounds(table, kinds, tails=(0.2, None))[0],
        equalized_odds_difference(y, pred, sensitive_features=group),
        gap_bounds(table, kinds, tails=(None, 0.1))[1],
    ]
    np.testing.assert_allclose(got, expected)
    assert np.all(np.diff(got) >= 0)


def test_asymmetric_quantiles_of_the_basic_interval():
    from skfair.metrics._fairness import _eodds_difference_tables

    group, y, pred = _simulate(np.random.default_rng(3))
    quantiles = np.array([0.01, 0.3, 0.9])
    got = bootstrap_ci(
        "equalized_odds_difference",
        y,
        pred,
        sensitive_features=group,
        ci_quantiles=quantiles,
        interval="basic",
        n_boot=400,
        random_state=7,
    )
    # The same resamples, drawn here from the same seed.
    tables = resample_tables(
        _table(group, y, pred).astype(int), n_boot=400, rng=np.random.default_rng(7)
    )
    values = _eodds_difference_tables(tables, None)
    estimate = equalized_odds_difference(y, pred, sensitive_features=group)
    expected = np.clip(2 * estimate - np.quantile(values, 1 - quantiles), 0, 1)
    np.testing.assert_allclose(got, expected)
    # Asymmetric: not the percentile quantiles, and not symmetric about them.
    assert not np.allclose(got, np.quantile(values, quantiles))


@pytest.mark.parametrize("interval", ["auto", "newcombe", "bayesian", "percentile"])
def test_integer_groups_with_gaps_make_no_phantom_groups(interval):
    rng = np.random.default_rng(11)
    n = 400
    y = rng.integers(0, 2, n)
    pred = rng.integers(0, 2, n)
    first = np.array([1, 3])[rng.integers(0, 2, n)]
    relabelled = np.where(first == 1, "one", "three")
    metric = "equalized_odds_difference"
    if interval == "bayesian":
        metric = "equalized_odds_ratio"
    common = {"n_boot": 200, "random_state": 2, "interval": interval}
    expected = bootstrap_ci(metric, y, pred, sensitive_features=relabelled, **common)
    got = bootstrap_ci(metric, y, pred, sensitive_features=first, **common)
    np.testing.assert_allclose(got, expected)
    # Two columns, {1, 3} x {5}: the fused codes hold two groups, not 2 x 6.
    both = np.column_stack([first, np.full(n, 5)])
    got = bootstrap_ci(metric, y, pred, sensitive_features=both, **common)
    np.testing.assert_allclose(got, expected)


def test_posterior_draws_are_never_degenerate():
    from skfair.metrics._bootstrap import posterior_tables

    raw = np.array([[[0, 0], [0, 1]], [[40, 10], [15, 35]]])
    tables = posterior_tables(raw, n_boot=20000, rng=np.random.default_rng(0))
    np.testing.assert_allclose(tables.sum(axis=(-1, -2)), [[1, 100]] * 20000)
    # The one-row group's TPR is its Jeffreys posterior, Beta(1.5, 0.5).
    tpr = tables[:, 0, 1, 1] / tables[:, 0, 1].sum(axis=-1)
    from scipy.stats import beta

    np.testing.assert_allclose(
        np.quantile(tpr, [0.1, 0.5, 0.9]),
        beta(1.5, 0.5).ppf([0.1, 0.5, 0.9]),
        atol=0.01,
    )
    ratio = bootstrap_ci(
        "equal_opportunity_ratio",
        [1] + [1, 0] * 50,
        [1] + [1, 0, 0, 1] * 25,
        sensitive_features=[0] + [1] * 100,
        random_state=0,
    )
    assert ratio[1] - ratio[0] > 0.3
    overall = bootstrap_ci(
        "demographic_parity_difference",
        [1] + [1, 0] * 50,
        [1] + [1, 0, 0, 1] * 25,
        sensitive_features=[0] + [1] * 100,
        method="to_overall",
        random_state=0,
    )
    assert overall[1] - overall[0] > 0.3


def test_interval_names_are_checked():
    y, sf = [0, 1, 1, 0], [0, 0, 1, 1]
    with pytest.raises(ValueError, match="pairwise interval"):
        bootstrap_ci(
            "demographic_parity_ratio", y, y, sensitive_features=sf, interval="newcombe"
        )
    with pytest.raises(ValueError, match="pairwise interval"):
        bootstrap_ci(
            "demographic_parity_difference",
            y,
            y,
            sensitive_features=sf,
            interval="exact",
            method="to_overall",
        )

    def callable_metric(y_true, y_pred, **kwargs):
        return 0.0

    with pytest.raises(ValueError, match="bayesian"):
        bootstrap_ci(callable_metric, y, y, sensitive_features=sf, interval="bayesian")


def test_small_cell_coverage_of_the_default_gap_intervals():
    # Group B has 4 expected rows per label; true gaps: DP .1, EO .15.
    from skfair.metrics._intervals import gap_bounds

    rng = np.random.default_rng(12)
    sizes, base = (2000, 8), 0.5
    tpr, fpr = (0.8, 0.65), (0.3, 0.25)
    true_dp = abs(
        (base * tpr[0] + (1 - base) * fpr[0]) - (base * tpr[1] + (1 - base) * fpr[1])
    )
    true_eo = max(abs(tpr[0] - tpr[1]), abs(fpr[0] - fpr[1]))
    hits = np.zeros(2)
    n_sets = 400
    for _ in range(n_sets):
        table = np.zeros((2, 2, 2))
        for g in range(2):
            cells = [
                (1 - base) * (1 - fpr[g]),
                (1 - base) * fpr[g],
                base * (1 - tpr[g]),
                base * tpr[g],
            ]
            table[g] = rng.multinomial(sizes[g], cells).reshape(2, 2)
        low, high = gap_bounds(table, ("selection",))
        hits[0] += low <= true_dp <= high
        low, high = gap_bounds(table, ("tpr", "fpr"))
        hits[1] += low <= true_eo <= high
    assert np.all(hits / n_sets >= 0.93)


def test_default_interval_of_ratios_and_gaps_to_overall_is_the_box():
    from skfair.metrics._intervals import box_quantiles

    group, y, pred = _small_group_data()
    table = _table(group, y, pred)
    for metric, kinds, kw, statistic in [
        ("demographic_parity_ratio", ("selection",), {}, "ratio"),
        ("equalized_odds_ratio", ("tpr", "fpr"), {}, "ratio"),
        (
            "equal_opportunity_difference",
            ("tpr",),
            {"method": "to_overall"},
            "to_overall",
        ),
    ]:
        got = bootstrap_ci(metric, y, pred, sensitive_features=group, **kw)
        expected = box_quantiles(table, kinds, [0.025, 0.975], statistic=statistic)
        np.testing.assert_allclose(got, expected)
    mf = MetricFrame(
        metrics=selection_rate,
        y_true=y,
        y_pred=pred,
        sensitive_features=group,
        n_boot=20,
        ci_quantiles=[0.025, 0.975],
        random_state=0,
    )
    np.testing.assert_allclose(
        mf.ratio_ci(),
        box_quantiles(table, ("selection",), [0.025, 0.975], statistic="ratio"),
    )
    np.testing.assert_allclose(
        mf.difference_ci(method="to_overall"),
        box_quantiles(table, ("selection",), [0.025, 0.975], statistic="to_overall"),
    )


@pytest.mark.parametrize(
    "metric, interval",
    [
        ("demographic_parity_ratio", "bayesian"),
        ("demographic_parity_difference", "percentile"),
        ("demographic_parity_difference", "basic"),
        (demographic_parity_difference, "percentile"),  # a callable: rows
    ],
)
def test_too_few_draws_for_the_quantiles_is_a_clear_error(metric, interval):
    # Issue 30: n_boot=1 gave a point (both bounds the one draw) as an interval.
    group, y, pred = _small_group_data()
    kwargs = {"sensitive_features": group, "interval": interval, "random_state": 0}
    for n_boot, quantiles, needed in [
        (1, [0.025, 0.975], 40),
        (39, [0.025, 0.975], 40),
        (19, [0.05, 0.95], 20),
        (1, [0.5], 2),
    ]:
        with pytest.raises(
            ValueError, match=f"n_boot={n_boot} is too few.*>= {needed}"
        ):
            bootstrap_ci(
                metric, y, pred, n_boot=n_boot, ci_quantiles=quantiles, **kwargs
            )
    # The smallest allowed n_boot gives an interval, its bounds ordered.
    low, high = bootstrap_ci(metric, y, pred, n_boot=40, **kwargs)
    assert low <= high
    # The count-table intervals draw nothing: n_boot does not matter there.
    if interval == "percentile" and isinstance(metric, str):
        assert np.isfinite(
            bootstrap_ci(metric, y, pred, sensitive_features=group, n_boot=1)
        ).all()
