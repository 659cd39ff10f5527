"""gap_upper_bound and gap_confidence_interval (skfair.metrics._certified)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import optimize, stats

from skfair.metrics import (
    average_odds_difference,
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    gap_confidence_interval,
    gap_upper_bound,
)
from skfair.metrics._certified import (
    METRIC_RATES,
    _box_upper,
    _exact_test_upper,
    gap_upper_bound_from_table,
)
from skfair.metrics._intervals import gap_bounds

METRICS = sorted(METRIC_RATES)
GAP_METRICS = [m for m in METRICS if m != "average_odds_difference"]


def _fpr_difference(y_true, y_pred, *, sensitive_features):
    # The false positive rate gap is the equalized odds gap of the negatives
    # alone, where every true positive rate is 0.
    negative = np.asarray(y_true) == 0
    return equalized_odds_difference(
        np.asarray(y_true)[negative],
        np.asarray(y_pred)[negative],
        sensitive_features=np.asarray(sensitive_features)[negative],
    )


SAMPLE_VALUE = {
    "demographic_parity_difference": demographic_parity_difference,
    "equalized_odds_difference": equalized_odds_difference,
    "equal_opportunity_difference": equal_opportunity_difference,
    "false_positive_rate_difference": _fpr_difference,
    "average_odds_difference": lambda *a, **k: abs(average_odds_difference(*a, **k)),
}


def _data(n=400, n_groups=3, seed=0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    y_true = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < 0.3 + 0.15 * groups + 0.2 * y_true).astype(int)
    return y_true, y_pred, groups


def _extra(metric, privileged=0):
    return (
        {"privileged_group": privileged} if metric == "average_odds_difference" else {}
    )


# ----------------------------------------------------------------------------
# Coverage


def _draw_table(rng, sizes, rates):
    """A (group, y_true, y_pred) table: fixed label cells, binomial decisions."""
    sizes, rates = np.asarray(sizes), np.asarray(rates)
    positives = rng.binomial(sizes, rates)
    return np.stack([sizes - positives, positives], axis=-1).astype(float)


@pytest.mark.parametrize(
    "metric, true_gap",
    [
        ("equalized_odds_difference", 0.3),
        ("equal_opportunity_difference", 0.3),
        ("false_positive_rate_difference", 0.1),
        ("average_odds_difference", 0.2),
    ],
)
def test_coverage_at_small_cells(metric, true_gap):
    # Group 1 has 6 positive and 9 negative rows: a normal bound breaks there.
    sizes = np.array([[300, 200], [9, 6]])  # [group, y_true]
    rates = np.array([[0.2, 0.6], [0.3, 0.9]])  # FPR, TPR per group
    rng = np.random.default_rng(0)
    hits = [
        gap_upper_bound_from_table(_draw_table(rng, sizes, rates), metric=metric)
        >= true_gap - 1e-12
        for _ in range(400)
    ]
    # Exact: at least .95 in expectation; 400 draws put .925 ~2.5 SE below.
    assert np.mean(hits) >= 0.925


def test_coverage_of_a_zero_gap_with_three_groups():
    sizes = np.array([[40, 30], [12, 5], [200, 150]])
    rates = np.full((3, 2), 0.5)
    rng = np.random.default_rng(1)
    bounds = [
        gap_upper_bound_from_table(
            _draw_table(rng, sizes, rates), metric="equalized_odds_difference"
        )
        for _ in range(200)
    ]
    assert min(bounds) > 0  # a bound, never the sample gap itself
    lower_hits = []
    for _ in range(200):
        table = _draw_table(rng, sizes, rates)
        lower, _ = gap_bounds(table, ("tpr", "fpr"), method="exact")
        lower_hits.append(lower <= 0)
    assert np.mean(lower_hits) >= 0.95


# ----------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("metric", METRICS)
def test_bound_is_at_least_the_sample_gap_and_monotone(metric):
    y_true, y_pred, groups = _data()
    kw = dict(sensitive_features=groups, metric=metric, **_extra(metric))
    observed = SAMPLE_VALUE[metric](
        y_true, y_pred, sensitive_features=groups, **_extra(metric)
    )
    bounds = [
        gap_upper_bound(y_true, y_pred, confidence=c, **kw)
        for c in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
    ]
    assert bounds[0] >= observed
    assert np.all(np.diff(bounds) > 0)
    assert bounds[-1] <= 1.0
    lower, upper = gap_confidence_interval(y_true, y_pred, **kw)
    assert lower <= observed <= upper
    assert upper == pytest.approx(
        gap_upper_bound(y_true, y_pred, confidence=0.975, **kw)
    )


def test_two_dimensional_groups_equal_tuple_labels():
    y_true, y_pred, groups = _data(n_groups=4)
    two_d = np.column_stack([groups // 2, groups % 2])
    tuples = np.array([f"{a}-{b}" for a, b in two_d])
    for metric in GAP_METRICS:
        assert gap_upper_bound(
            y_true, y_pred, sensitive_features=two_d, metric=metric
        ) == gap_upper_bound(y_true, y_pred, sensitive_features=tuples, metric=metric)
    assert gap_upper_bound(
        y_true,
        y_pred,
        sensitive_features=two_d,
        metric="average_odds_difference",
        privileged_group=(1, 0),
    ) == gap_upper_bound(
        y_true,
        y_pred,
        sensitive_features=tuples,
        metric="average_odds_difference",
        privileged_group="1-0",
    )


@pytest.mark.parametrize("metric", METRICS)
def test_unit_weights_equal_no_weights_and_scale_does_not_matter(metric):
    y_true, y_pred, groups = _data()
    kw = dict(sensitive_features=groups, metric=metric, **_extra(metric))
    plain = gap_upper_bound(y_true, y_pred, **kw)
    ones = np.ones(len(y_true))
    assert gap_upper_bound(y_true, y_pred, sample_weight=ones, **kw) == (
        pytest.approx(plain, abs=1e-10)
    )
    assert gap_upper_bound(y_true, y_pred, sample_weight=7.5 * ones, **kw) == (
        pytest.approx(plain, abs=1e-10)
    )


def test_uneven_weights_shrink_the_effective_size():
    y_true, y_pred, groups = _data(n_groups=2)
    weights = np.where(np.arange(len(y_true)) % 4 == 0, 10.0, 0.1)
    plain = gap_upper_bound(y_true, y_pred, sensitive_features=groups)
    weighted = gap_upper_bound(
        y_true, y_pred, sensitive_features=groups, sample_weight=weights
    )
    # Kish's effective size is about a third of the rows: a wider bound.
    assert weighted > plain


def test_a_zero_weight_group_is_left_out():
    y_true, y_pred, groups = _data(n_groups=3)
    weights = (groups != 2).astype(float)
    keep = groups != 2
    assert gap_upper_bound(
        y_true, y_pred, sensitive_features=groups, sample_weight=weights
    ) == pytest.approx(
        gap_upper_bound(y_true[keep], y_pred[keep], sensitive_features=groups[keep]),
        abs=1e-12,
    )


def test_pos_label_and_string_labels():
    y_true, y_pred, groups = _data()
    names = np.array(["no", "yes"])
    assert gap_upper_bound(
        names[y_true], names[y_pred], sensitive_features=groups, pos_label="yes"
    ) == gap_upper_bound(y_true, y_pred, sensitive_features=groups)
    # The other label as positive: true and false positive rates swap roles.
    flipped = gap_upper_bound(
        names[y_true], names[y_pred], sensitive_features=groups, pos_label="no"
    )
    assert flipped == gap_upper_bound(1 - y_true, 1 - y_pred, sensitive_features=groups)


def test_inputs_are_not_modified():
    y_true, y_pred, groups = _data()
    weights = np.linspace(0.5, 2, len(y_true))
    copies = [a.copy() for a in (y_true, y_pred, groups, weights)]
    gap_upper_bound(y_true, y_pred, sensitive_features=groups, sample_weight=weights)
    for before, after in zip(copies, (y_true, y_pred, groups, weights), strict=True):
        np.testing.assert_array_equal(before, after)


def test_the_default_is_tighter_than_the_even_box():
    # 10,000 rows against 30: the exact test (and, above its size limit, the
    # box split by size) beats the even split of the first version.
    table = np.array([[[6000, 0], [0, 4000]], [[10, 5], [5, 10]]], dtype=float)
    for metric, kinds in [
        ("equalized_odds_difference", ("tpr", "fpr")),
        ("demographic_parity_difference", ("selection",)),
    ]:
        split = gap_upper_bound_from_table(table, metric=metric)
        _, even = gap_bounds(table, kinds, method="exact", sides="upper")
        assert split < even - 0.01


# ----------------------------------------------------------------------------
# An independent route: brute force with scipy


def _brute_force_pair(k, n, alpha):
    """max(U_0 - L_1, U_1 - L_0), tails minimizing the normal width."""
    s = 0.5 / np.sqrt(n)

    def width(a):
        return s[0] * stats.norm.isf(a) + s[1] * stats.norm.isf(alpha - a)

    a = optimize.minimize_scalar(
        width, bounds=(1e-12, alpha - 1e-12), method="bounded", options={"xatol": 1e-14}
    ).x
    tails = (a, alpha - a)

    def upper(i):
        return (
            1.0 if k[i] == n[i] else stats.beta.ppf(1 - tails[i], k[i] + 1, n[i] - k[i])
        )

    def lower(i):
        return 0.0 if k[i] == 0 else stats.beta.ppf(tails[i], k[i], n[i] - k[i] + 1)

    return max(upper(0) - lower(1), upper(1) - lower(0))


@pytest.mark.parametrize("seed", range(4))
def test_the_box_equals_brute_force_with_scipy_beta(seed):
    # The box bound (used for cells above _EXACT_TEST_ROWS and for average
    # odds): the one-sided Clopper-Pearson ends at tails split by size.
    rng = np.random.default_rng(seed)
    n = np.array([rng.integers(30, 3000), rng.integers(3, 60)])
    k = np.array([rng.integers(0, n[0] + 1), rng.integers(0, n[1] + 1)])
    expected = _brute_force_pair(k, n, 0.1)
    got = max(
        _box_upper(k[0], n[0], k[1], n[1], 0.1),
        _box_upper(k[1], n[1], k[0], n[0], 0.1),
    )
    assert got == pytest.approx(expected, abs=1e-7)


def _acceptance(k_high, n_high, k_low, n_low, p, q):
    """P_(p, q)(observed high rate - low rate <= the observed one), enumerated."""
    observed = k_high / n_high - k_low / n_low
    i, j = np.meshgrid(np.arange(n_high + 1), np.arange(n_low + 1), indexing="ij")
    small = i / n_high - j / n_low <= observed + 1e-12
    pmf_high = stats.binom.pmf(np.arange(n_high + 1), n_high, p[:, None])
    pmf_low = stats.binom.pmf(np.arange(n_low + 1), n_low, q[:, None])
    return np.einsum("gi,gj,ij->g", pmf_high, pmf_low, small)


@pytest.mark.parametrize(
    "cells", [(4, 6, 3, 9), (7, 9, 2, 6), (1, 3, 5, 12), (9, 12, 9, 12)]
)
def test_the_exact_test_bound_equals_a_grid_search(cells):
    # The largest p - q over a fine grid of the confidence set, with every
    # probability enumerated over all outcomes (scipy.stats.binom), and the
    # nuisance rate q over its Clopper-Pearson interval (scipy.stats.beta).
    k_high, n_high, k_low, n_low = cells
    alpha = 0.05
    nuisance = alpha * 0.05
    q_low = stats.beta.ppf(nuisance / 2, k_low, n_low - k_low + 1) if k_low else 0.0
    q_high = (
        stats.beta.ppf(1 - nuisance / 2, k_low + 1, n_low - k_low)
        if k_low < n_low
        else 1.0
    )
    q = np.linspace(q_low, q_high, 401)
    best = -np.inf
    for p in np.linspace(0, 1, 1001):
        inside = _acceptance(k_high, n_high, k_low, n_low, np.full(q.shape, p), q)
        inside = inside > alpha - nuisance
        if inside.any():
            best = max(best, np.max(p - q[inside]))
    got = _exact_test_upper(k_high, n_high, k_low, n_low, alpha)
    # Never below the grid's value; above it by the tolerance and the grid.
    assert best - 1e-9 <= got <= best + 1e-3 + 4e-3


def test_average_odds_equal_brute_force_with_equal_cells():
    # Four cells of 50 rows: the tails are alpha / 4 each.
    table = np.array([[[30, 20], [15, 35]], [[40, 10], [25, 25]]], dtype=float)
    tail = 0.05 / 4
    beta = stats.beta

    def upper(k, n):
        return beta.ppf(1 - tail, k + 1, n - k)

    def lower(k, n):
        return beta.ppf(tail, k, n - k + 1)

    # Group 1 privileged, group 0 the unprivileged side.
    fu, tu, fp, tp = (20, 50), (35, 50), (10, 50), (25, 50)
    above = (upper(*fu) - lower(*fp) + upper(*tu) - lower(*tp)) / 2
    below = (upper(*fp) - lower(*fu) + upper(*tp) - lower(*tu)) / 2
    got = gap_upper_bound_from_table(table, metric="average_odds_difference")
    assert got == pytest.approx(max(above, below), abs=1e-9)


# ----------------------------------------------------------------------------
# Empty cells and errors


def test_an_empty_cell_gives_one_with_a_warning():
    from skfair.exceptions import UndefinedRateWarning

    y_true, y_pred, groups = _data()
    y_true = np.where(groups == 2, 0, y_true)  # group 2: no positive rows
    for metric in ("equalized_odds_difference", "equal_opportunity_difference"):
        with pytest.warns(UndefinedRateWarning, match="group 2 has no rows with a"):
            assert (
                gap_upper_bound(
                    y_true, y_pred, sensitive_features=groups, metric=metric
                )
                == 1.0
            )
    with pytest.warns(UndefinedRateWarning, match="privileged group has no"):
        assert (
            gap_upper_bound(
                y_true,
                y_pred,
                sensitive_features=groups,
                metric="average_odds_difference",
                privileged_group=2,
            )
            == 1.0
        )
    with pytest.warns(UndefinedRateWarning):
        assert gap_confidence_interval(y_true, y_pred, sensitive_features=groups) == (
            0.0,
            1.0,
        )
    # Rates whose cells all have rows are unaffected: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for metric in (
            "demographic_parity_difference",
            "false_positive_rate_difference",
        ):
            assert (
                gap_upper_bound(
                    y_true, y_pred, sensitive_features=groups, metric=metric
                )
                < 1.0
            )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metric": "equalized_odds"}, "metric must be one of"),
        ({"metric": None}, "metric must be one of"),
        ({"confidence": 1.0}, "confidence must be a float in"),
        ({"confidence": 0}, "confidence must be a float in"),
        ({"confidence": "high"}, "confidence must be a float in"),
        ({"confidence": True}, "confidence must be a float in"),
        ({"sensitive_features": np.zeros(400)}, "at least two groups"),
        ({"sample_weight": np.r_[np.ones(200), np.zeros(200)]}, "at least two groups"),
        ({"sample_weight": np.r_[np.nan, np.ones(399)]}, "NaN"),
        ({"sample_weight": np.ones(3)}, "sample_weight"),
        ({"sensitive_features": np.zeros(10)}, "rows"),
        ({"privileged_group": 0}, "only used with"),
        ({"metric": "average_odds_difference"}, "privileged_group="),
        (
            {"metric": "average_odds_difference", "privileged_group": 9},
            "not one of the groups",
        ),
    ],
)
def test_errors_name_the_problem(kwargs, message):
    y_true, y_pred, groups = _data()
    if "sample_weight" in kwargs and len(kwargs["sample_weight"]) == 400:
        groups = np.repeat([0, 1], 200)
    call = {"sensitive_features": groups, **kwargs}
    with pytest.raises(ValueError, match=message):
        gap_upper_bound(y_true, y_pred, **call)


def test_bad_labels_are_named():
    y_true, y_pred, groups = _data()
    with pytest.raises(ValueError, match="NaN"):
        gap_upper_bound(np.r_[np.nan, y_true[1:]], y_pred, sensitive_features=groups)
    with pytest.raises(ValueError, match="rows"):
        gap_upper_bound(y_true, y_pred[:-1], sensitive_features=groups)
    with pytest.raises(ValueError, match="sensitive_features is required"):
        gap_upper_bound(y_true, y_pred, sensitive_features=None)


def test_table_errors():
    with pytest.raises(ValueError, match="shape"):
        gap_upper_bound_from_table(np.ones((2, 4)), metric="equalized_odds_difference")
    with pytest.raises(ValueError, match="non-negative"):
        gap_upper_bound_from_table(
            -np.ones((2, 2, 2)), metric="equalized_odds_difference"
        )
    with pytest.raises(ValueError, match="at least two groups"):
        gap_upper_bound_from_table(
            np.array([np.ones((2, 2)), np.zeros((2, 2))]),
            metric="demographic_parity_difference",
        )


def test_the_metrics_still_import_without_scikit_learn():
    code = (
        "import sys; import skfair.metrics as m; "
        "m.gap_upper_bound([1, 0, 1, 0], [1, 0, 0, 0], "
        "sensitive_features=[0, 0, 1, 1]); "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_cells_above_the_exact_test_size_use_the_box(monkeypatch):
    from skfair.metrics import _certified

    table = np.array([[[300, 100], [80, 220]], [[40, 10], [20, 30]]], dtype=float)
    exact = gap_upper_bound_from_table(table, metric="equal_opportunity_difference")
    monkeypatch.setattr(_certified, "_EXACT_TEST_ROWS", 0)
    boxed = gap_upper_bound_from_table(table, metric="equal_opportunity_difference")
    tpr = [(220, 300), (30, 50)]
    assert boxed == pytest.approx(
        max(_box_upper(*tpr[0], *tpr[1], 0.05), _box_upper(*tpr[1], *tpr[0], 0.05))
    )
    assert exact < boxed


def test_skipping_pairs_by_hoeffding_reach_does_not_change_the_bound():
    from skfair.metrics._certified import _pairwise_upper

    rng = np.random.default_rng(3)
    for _ in range(3):
        n = rng.integers(5, 120, size=4)
        k = rng.binomial(n, rng.uniform(0.2, 0.8, size=4))
        every_pair = max(
            _exact_test_upper(k[g], n[g], k[h], n[h], 0.05)
            for g in range(4)
            for h in range(4)
            if g != h
        )
        assert _pairwise_upper(k, n, 0.05) == every_pair
