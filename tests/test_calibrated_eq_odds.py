"""CalibratedEqualizedOdds against AIF360's CalibratedEqOddsPostprocessing."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from skfair.postprocessing import CalibratedEqualizedOdds


class _Probabilities(ClassifierMixin, BaseEstimator):
    """Prefit model: column 0 of X is the probability of the positive class."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - p, p])


def _data(n=2000, seed=0, shift=0.2):
    rng = np.random.default_rng(seed)
    male = rng.uniform(size=n) < 0.6
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + shift * male - 0.6)))
    y = (rng.uniform(size=n) < p).astype(int)  # calibrated by construction
    X = np.column_stack([p, rng.normal(size=n)])
    return X, y, male


def _aif360_mix_rates(p, y, male, cost_constraint):
    logging.disable(logging.WARNING)  # aif360 logs its missing optional extras
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from aif360.algorithms.postprocessing import CalibratedEqOddsPostprocessing
        from aif360.datasets import BinaryLabelDataset

    frame = pd.DataFrame({"sex": male.astype(float), "label": y.astype(float)})
    true = BinaryLabelDataset(
        df=frame, label_names=["label"], protected_attribute_names=["sex"]
    )
    pred = true.copy(deepcopy=True)
    pred.scores = p.reshape(-1, 1)
    ceo = CalibratedEqOddsPostprocessing(
        unprivileged_groups=[{"sex": 0.0}],
        privileged_groups=[{"sex": 1.0}],
        cost_constraint=cost_constraint,
    ).fit(true, pred)
    return ceo


@pytest.mark.parametrize("cost_constraint", ["fnr", "fpr", "weighted"])
def test_mix_rates_and_base_rates_equal_aif360s(cost_constraint):
    X, y, male = _data()
    ours = CalibratedEqualizedOdds(
        _Probabilities().fit(X, y), cost_constraint=cost_constraint, prefit=True
    ).fit(X, y, sensitive_features=male)
    theirs = _aif360_mix_rates(X[:, 0], y, male, cost_constraint)
    # groups_ is [False, True]: unprivileged (female) first.
    assert_allclose(ours.mix_rates_, [theirs.unpriv_mix_rate, theirs.priv_mix_rate])
    assert_allclose(ours.base_rates_, [theirs.base_rate_unpriv, theirs.base_rate_priv])
    assert (ours.mix_rates_ > 0).sum() == 1


def _generalized_rates(scores, y, mask):
    return (
        np.mean(1 - scores[mask & (y == 1)]),  # fnr
        np.mean(scores[mask & (y == 0)]),  # fpr
    )


@pytest.mark.parametrize("cost_constraint", ["fnr", "fpr", "weighted"])
def test_expected_costs_are_equal_after_mixing(cost_constraint):
    X, y, male = _data(seed=1)
    ceo = CalibratedEqualizedOdds(
        LogisticRegression(), cost_constraint=cost_constraint
    ).fit(X, y, sensitive_features=male)
    p = ceo.estimator_.predict_proba(X)[:, 1]
    costs = []
    for g, group in enumerate(ceo.groups_):
        mask = male == group
        alpha, mu = ceo.mix_rates_[g], y[mask].mean()
        # The expected score of a row: its probability or the base rate.
        expected = (1 - alpha) * p + alpha * mu
        fnr, fpr = _generalized_rates(expected, y, mask)
        costs.append(
            {"fnr": fnr, "fpr": fpr, "weighted": (fpr * (1 - mu) + fnr * mu) / 2}[
                cost_constraint
            ]
        )
    assert costs[0] == pytest.approx(costs[1], abs=1e-12)


def test_mixed_rows_get_the_base_rate_at_the_mix_rate_and_follow_the_row():
    X, y, male = _data(n=4000, seed=2)
    ceo = CalibratedEqualizedOdds(LogisticRegression(), random_state=0)
    ceo.fit(X, y, sensitive_features=male)
    p = ceo.estimator_.predict_proba(X)[:, 1]
    mixed_scores = ceo.predict_proba(X, sensitive_features=male)[:, 1]
    changed = mixed_scores != p
    for g, group in enumerate(ceo.groups_):
        mask = male == group
        assert_allclose(mixed_scores[mask & changed], ceo.base_rates_[g])
        assert changed[mask].mean() == pytest.approx(ceo.mix_rates_[g], abs=0.03)
    assert_array_equal(
        ceo.predict(X, sensitive_features=male), (mixed_scores > 0.5).astype(int)
    )
    perm = np.random.default_rng(0).permutation(len(y))
    assert_array_equal(
        ceo.predict_proba(X[perm], sensitive_features=male[perm]),
        ceo.predict_proba(X, sensitive_features=male)[perm],
    )
    other_seed = ceo.set_params(random_state=1).predict_proba(
        X, sensitive_features=male
    )[:, 1]
    assert not np.array_equal(other_seed, mixed_scores)


def test_three_groups_are_raised_to_the_highest_cost_or_warned():
    X, y, male = _data(seed=3)
    rng = np.random.default_rng(0)
    groups = np.where(male, "m", rng.choice(["f", "x"], len(y)))
    ceo = CalibratedEqualizedOdds(LogisticRegression()).fit(
        X, y, sensitive_features=groups
    )
    highest = np.argmax(ceo.costs_)
    assert ceo.mix_rates_[highest] == 0
    assert (ceo.mix_rates_[np.arange(3) != highest] > 0).all()
    # Group "m": every row positive with probability 0.9, so its fnr (0.1)
    # is the lowest and its trivial classifier's (base rate 1) is 0: it
    # cannot be raised to the others'.
    p = np.where(male, 0.9, X[:, 0])
    y_m = np.where(male, 1, y)
    with pytest.warns(UserWarning, match="of group 'm' .*cannot equalize"):
        ceo = CalibratedEqualizedOdds(_Probabilities().fit(X, y), prefit=True).fit(
            np.column_stack([p, X[:, 1]]), y_m, sensitive_features=groups
        )
    assert ceo.mix_rates_[list(ceo.groups_).index("m")] == 1


def test_bad_input_raises_clear_errors():
    X, y, male = _data(n=200)
    with pytest.raises(ValueError, match="Group True has no positive samples"):
        CalibratedEqualizedOdds(LogisticRegression()).fit(
            X, np.where(male, 0, y), sensitive_features=male
        )
    with pytest.raises(ValueError, match="cost_constraint"):
        CalibratedEqualizedOdds(LogisticRegression(), cost_constraint="tpr").fit(
            X, y, sensitive_features=male
        )
    with pytest.raises(ValueError, match="predict_proba"):
        from sklearn.svm import LinearSVC

        CalibratedEqualizedOdds(LinearSVC()).fit(X, y, sensitive_features=male)
    ceo = CalibratedEqualizedOdds(LogisticRegression()).fit(
        X, y, sensitive_features=male
    )
    with pytest.raises(ValueError, match="not seen in fit"):
        ceo.predict(X, sensitive_features=np.full(200, "z"))
