"""RejectOptionClassifier: the exact search against brute force over all regions."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from skfair.postprocessing import RejectOptionClassifier

RATES = {
    "demographic_parity": ("sel",),
    "equal_opportunity": ("tpr",),
    "false_positive_rate_parity": ("fpr",),
    "equalized_odds": ("tpr", "fpr"),
}


class _Scores(ClassifierMixin, BaseEstimator):
    """Prefit scorer: column 0 of X is the score (ties allowed)."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X):
        return np.asarray(X)[:, 0]


def _data(n=80, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["f", "m"], dtype=object), n, p=[0.45, 0.55])
    score = rng.normal(size=n) + 0.9 * (group == "m")
    if ties:
        score = np.round(score, 1)
    y = (score + rng.normal(size=n) > 0.4).astype(int)
    return score[:, None], y, group


def _rates(y_pred, y, mask, w):
    def mean(values, where):
        return np.sum(values * w * where) / np.sum(w * where)

    return {
        "sel": mean(y_pred, mask),
        "tpr": mean(y_pred, mask & (y == 1)),
        "fpr": mean(y_pred, mask & (y == 0)),
    }


def _brute_force(score, y, group, w, constraints, tolerance):
    """Best accuracy over every region [low, high) of cuts between scores."""
    distinct = np.unique(score)
    cuts = np.concatenate(([-np.inf], (distinct[1:] + distinct[:-1]) / 2, [np.inf]))
    best = -np.inf
    for deprived in ("f", "m"):
        is_d = group == deprived
        for i, j in itertools.combinations_with_replacement(range(cuts.size), 2):
            y_pred = np.where(is_d, score >= cuts[i], score >= cuts[j]).astype(int)
            rd, rf = _rates(y_pred, y, is_d, w), _rates(y_pred, y, ~is_d, w)
            if all(abs(rd[r] - rf[r]) <= tolerance + 1e-12 for r in RATES[constraints]):
                best = max(best, np.average(y_pred == y, weights=w))
    return best


@pytest.mark.parametrize("constraints", list(RATES))
@pytest.mark.parametrize("ties", [False, True])
def test_exact_optimum_equals_brute_force(constraints, ties):
    X, y, group = _data(ties=ties, seed=1 + ties)
    w = np.random.default_rng(5).uniform(0.5, 2.0, y.size)
    clf = RejectOptionClassifier(
        _Scores().fit(X, y), constraints=constraints, tolerance=0.05, prefit=True
    ).fit(X, y, sensitive_features=group, sample_weight=w)
    y_pred = clf.predict(X, sensitive_features=group)
    expected = _brute_force(X[:, 0], y, group, w, constraints, 0.05)
    accuracy = np.average(y_pred == y, weights=w)
    assert accuracy == pytest.approx(expected, abs=1e-12)
    assert clf.training_accuracy_ == pytest.approx(accuracy, abs=1e-12)
    rd = _rates(y_pred, y, group == "f", w)
    rf = _rates(y_pred, y, group == "m", w)
    for r in RATES[constraints]:
        assert abs(rd[r] - rf[r]) <= 0.05 + 1e-12


def test_deprived_group_is_positive_in_the_region_and_favoured_is_not():
    X, y, group = _data(n=400)
    clf = RejectOptionClassifier(LogisticRegression(), tolerance=0.03)
    clf.fit(X, y, sensitive_features=group)
    low, high = clf.critical_region_
    assert low < high  # the unconstrained model favours "m": a region is needed
    assert clf.deprived_group_ == "f"
    scores = clf.estimator_.predict_proba(X)[:, 1]
    y_pred = clf.predict(X, sensitive_features=group)
    inside = (scores >= low) & (scores < high)
    assert_array_equal(y_pred[inside & (group == "f")], 1)
    assert_array_equal(y_pred[inside & (group == "m")], 0)
    assert_array_equal(y_pred[~inside], (scores[~inside] >= high).astype(int))
    # A larger tolerance never lowers the training accuracy.
    loose = RejectOptionClassifier(LogisticRegression(), tolerance=0.2)
    loose.fit(X, y, sensitive_features=group)
    assert loose.training_accuracy_ >= clf.training_accuracy_


def test_sensitive_cols_equals_the_keyword_and_labels_come_back():
    X, y, group = _data(n=200)
    labels = np.where(y == 1, "yes", "no")
    X_with = np.column_stack([X[:, 0], group == "m"]).astype(float)
    by_cols = RejectOptionClassifier(LogisticRegression(), sensitive_cols=1)
    by_cols.fit(X_with, labels)
    by_keyword = RejectOptionClassifier(LogisticRegression())
    by_keyword.fit(X, labels, sensitive_features=group == "m")
    assert_array_equal(
        by_cols.predict(X_with), by_keyword.predict(X, sensitive_features=group == "m")
    )
    assert set(by_cols.predict(X_with)) <= {"yes", "no"}
    assert by_cols.score(X_with, labels) == pytest.approx(
        np.mean(by_cols.predict(X_with) == labels)
    )


def test_bad_input_raises_clear_errors():
    X, y, group = _data(n=60)
    three = np.where(np.arange(60) % 3 == 0, "x", group)
    with pytest.raises(ValueError, match="exactly two groups"):
        RejectOptionClassifier(LogisticRegression()).fit(X, y, sensitive_features=three)
    with pytest.raises(ValueError, match="binary"):
        RejectOptionClassifier(LogisticRegression()).fit(
            X, np.arange(60) % 3, sensitive_features=group
        )
    clf = RejectOptionClassifier(LogisticRegression()).fit(
        X, y, sensitive_features=group
    )
    with pytest.raises(ValueError, match="not seen in fit"):
        clf.predict(X, sensitive_features=np.full(60, "z"))
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        clf.predict(X)
    with pytest.raises(ValueError, match="has no positive samples"):
        RejectOptionClassifier(
            LogisticRegression(), constraints="equal_opportunity"
        ).fit(X, np.where(group == "f", 0, y), sensitive_features=group)
    with pytest.raises(ValueError, match="tolerance"):
        RejectOptionClassifier(LogisticRegression(), tolerance=-1).fit(
            X, y, sensitive_features=group
        )
