"""Regression and multiclass fairness metrics, checked against scipy and fairlearn."""

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference as fl_dp,
)
from fairlearn.metrics import (
    equalized_odds_difference as fl_eo,
)
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error

from skfair.metrics import (
    ks_distance_between_groups,
    loss_gap_between_groups,
    mean_difference_between_groups,
    multiclass_demographic_parity_difference,
    multiclass_equalized_odds_difference,
    wasserstein_distance_between_groups,
)


def _regression_data(n=500, seed=0, ties=False):
    rng = np.random.RandomState(seed)
    groups = rng.choice(["a", "b", "c"], size=n)
    y_pred = rng.normal(size=n) + 0.5 * (groups == "b") - 0.3 * (groups == "c")
    if ties:
        y_pred = np.round(y_pred, 1)
    y_true = y_pred + rng.normal(size=n) * (1 + (groups == "a"))
    weights = rng.randint(1, 4, size=n).astype(float)
    return y_true, y_pred, groups, weights


def _pairs(groups):
    labels = np.unique(groups)
    return [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]


@pytest.mark.parametrize("ties", [False, True])
def test_ks_and_wasserstein_equal_scipy_worst_pair(ties):
    y_true, y_pred, groups, _ = _regression_data(ties=ties)
    ks = max(
        stats.ks_2samp(y_pred[groups == a], y_pred[groups == b]).statistic
        for a, b in _pairs(groups)
    )
    w1 = max(
        stats.wasserstein_distance(y_pred[groups == a], y_pred[groups == b])
        for a, b in _pairs(groups)
    )
    kw = dict(sensitive_features=groups)
    assert ks_distance_between_groups(y_true, y_pred, **kw) == pytest.approx(ks)
    assert wasserstein_distance_between_groups(y_true, y_pred, **kw) == pytest.approx(
        w1
    )


def test_weighted_distances_equal_repeated_rows_and_scipy_weights():
    y_true, y_pred, groups, weights = _regression_data(ties=True)
    rows = np.repeat(np.arange(y_pred.size), weights.astype(int))
    for metric in (ks_distance_between_groups, wasserstein_distance_between_groups):
        assert metric(
            y_true, y_pred, sensitive_features=groups, sample_weight=weights
        ) == pytest.approx(
            metric(y_true[rows], y_pred[rows], sensitive_features=groups[rows])
        )
    w1 = max(
        stats.wasserstein_distance(
            y_pred[groups == a],
            y_pred[groups == b],
            weights[groups == a],
            weights[groups == b],
        )
        for a, b in _pairs(groups)
    )
    assert wasserstein_distance_between_groups(
        None, y_pred, sensitive_features=groups, sample_weight=weights
    ) == pytest.approx(w1)


def test_mean_and_loss_gaps_equal_per_group_sklearn_values():
    y_true, y_pred, groups, weights = _regression_data()
    labels = np.unique(groups)
    means = [
        np.average(y_pred[groups == g], weights=weights[groups == g]) for g in labels
    ]
    assert mean_difference_between_groups(
        y_true, y_pred, sensitive_features=groups, sample_weight=weights
    ) == pytest.approx(max(means) - min(means))
    for loss, sk in (
        ("squared_error", mean_squared_error),
        ("absolute_error", mean_absolute_error),
    ):
        per_group = [
            sk(
                y_true[groups == g],
                y_pred[groups == g],
                sample_weight=weights[groups == g],
            )
            for g in labels
        ]
        assert loss_gap_between_groups(
            y_true, y_pred, sensitive_features=groups, sample_weight=weights, loss=loss
        ) == pytest.approx(max(per_group) - min(per_group))


def test_identical_distributions_give_zero_and_one_group_gives_zero():
    y = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    groups = ["a"] * 3 + ["b"] * 3
    for metric in (
        ks_distance_between_groups,
        wasserstein_distance_between_groups,
        mean_difference_between_groups,
        loss_gap_between_groups,
    ):
        assert metric(y, y, sensitive_features=groups) == 0.0
        assert metric(y, y, sensitive_features=["a"] * 6) == 0.0
    # A group whose rows all weigh zero is left out.
    shifted = np.array([1.0, 2.0, 3.0, 9.0, 9.0, 9.0])
    assert (
        ks_distance_between_groups(
            None,
            shifted,
            sensitive_features=["a"] * 3 + ["b"] * 3,
            sample_weight=[1, 1, 1, 0, 0, 0],
        )
        == 0.0
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_pred=[1.0, np.nan], sensitive_features=["a", "b"]), "NaN"),
        (dict(y_pred=[1.0, 2.0], sensitive_features=["a"]), "rows"),
        (dict(y_pred=[1.0, 2.0]), "sensitive_features is required"),
        (dict(y_pred=["x", "y"], sensitive_features=["a", "b"]), "real numbers"),
        (
            dict(
                y_pred=[1.0, 2.0], sensitive_features=["a", "b"], sample_weight=[0, 0]
            ),
            "zero",
        ),
    ],
)
def test_regression_metrics_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ks_distance_between_groups(None, **kwargs)


def test_loss_gap_bad_loss_and_missing_y_true():
    with pytest.raises(ValueError, match="loss must be one of"):
        loss_gap_between_groups([1.0], [1.0], sensitive_features=["a"], loss="huber")
    with pytest.raises(ValueError, match="y_true is required"):
        loss_gap_between_groups(None, [1.0], sensitive_features=["a"])


# --------------------------------------------------------------------------
# Multiclass: one-vs-rest, against fairlearn's binary metrics
# --------------------------------------------------------------------------


def _multiclass_data(n=400, seed=1):
    rng = np.random.RandomState(seed)
    groups = rng.choice(["a", "b", "c"], size=n)
    y_true = rng.choice(["x", "y", "z"], size=n)
    flip = rng.uniform(size=n) < 0.3 + 0.2 * (groups == "b")
    y_pred = np.where(flip, rng.choice(["x", "y", "z"], size=n), y_true)
    weights = rng.uniform(0.5, 2.0, size=n)
    return y_true, y_pred, groups, weights


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (multiclass_demographic_parity_difference, fl_dp),
        (multiclass_equalized_odds_difference, fl_eo),
    ],
)
def test_multiclass_metrics_equal_fairlearn_one_vs_rest(ours, theirs):
    y_true, y_pred, groups, weights = _multiclass_data()
    expected = np.array(
        [
            theirs(
                (y_true == c).astype(int),
                (y_pred == c).astype(int),
                sensitive_features=groups,
                sample_weight=weights,
            )
            for c in ("x", "y", "z")
        ]
    )
    kw = dict(sensitive_features=groups, sample_weight=weights)
    per_class = ours(y_true, y_pred, agg=None, **kw)
    assert_allclose(per_class, expected, atol=1e-12)
    assert ours(y_true, y_pred, **kw) == pytest.approx(expected.max())
    assert ours(y_true, y_pred, agg="mean", **kw) == pytest.approx(expected.mean())
    # labels= chooses and orders the classes.
    assert_allclose(
        ours(y_true, y_pred, labels=["z", "x"], agg=None, **kw), expected[[2, 0]]
    )


def test_multiclass_metrics_bad_input():
    y_true, y_pred, groups, _ = _multiclass_data(n=30)
    with pytest.raises(ValueError, match="agg must be one of"):
        multiclass_demographic_parity_difference(
            y_true, y_pred, sensitive_features=groups, agg="max"
        )
    with pytest.raises(ValueError, match="missing"):
        multiclass_equalized_odds_difference(
            np.where(y_true == "x", None, y_true), y_pred, sensitive_features=groups
        )
    with pytest.raises(ValueError, match="sensitive"):
        multiclass_equalized_odds_difference(y_true, y_pred)
