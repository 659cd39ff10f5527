"""Every mitigator's fit warns about (group, label) cells of fewer than 30 rows."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from skfair.exceptions import SmallCellWarning
from skfair.inprocessing import AdversarialDebiasing, ConstrainedLogisticRegression
from skfair.postprocessing import (
    BarycenterRegressor,
    CalibratedEqualizedOdds,
    RejectOptionClassifier,
    ThresholdOptimizer,
)
from skfair.preprocessing import (
    CorrelationRemover,
    DisparateImpactRemover,
    FairResampler,
    Reweighing,
    reweighing_weights,
)
from skfair.reductions import ExponentiatedGradient, GridSearch
from skfair.utils._small_cells import small_cells


def _data(n_small_positives, n_small=60, n_large=600, seed=0):
    """Group 0 large, group 1 of ``n_small`` rows with that many positives."""
    rng = np.random.default_rng(seed)
    group = np.r_[np.zeros(n_large, int), np.ones(n_small, int)]
    X = rng.normal(size=(group.size, 3)) + 0.5 * group[:, None]
    y = (X[:, 0] + rng.normal(size=group.size) > 0.3).astype(int)
    small = np.flatnonzero(group == 1)
    y[small] = 0
    y[small[:n_small_positives]] = 1
    return np.column_stack([group, X]), y


CLASSIFIERS = [
    Reweighing(LogisticRegression(), sensitive_cols=0),
    FairResampler(sensitive_cols=0, random_state=0),
    ConstrainedLogisticRegression(sensitive_cols=0),
    AdversarialDebiasing(sensitive_cols=0, random_state=0, max_iter=2),
    ThresholdOptimizer(LogisticRegression(), sensitive_cols=0, random_state=0),
    RejectOptionClassifier(LogisticRegression(), sensitive_cols=0),
    CalibratedEqualizedOdds(LogisticRegression(), sensitive_cols=0, random_state=0),
    ExponentiatedGradient(
        LogisticRegression(), sensitive_cols=0, max_iter=5, random_state=0
    ),
    GridSearch(
        LogisticRegression(),
        constraints="equalized_odds",
        sensitive_cols=0,
        grid_size=3,
    ),
]


def _fit(estimator, X, y):
    if isinstance(estimator, FairResampler):
        return estimator.fit_resample(X, y)
    return estimator.fit(X, y)


@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_classifiers_name_the_small_cell(estimator):
    X, y = _data(n_small_positives=12)
    with pytest.warns(SmallCellWarning, match=r"\(1\.0, y=1\) 12 rows") as record:
        _fit(estimator, X, y)
    message = str(next(w.message for w in record if w.category is SmallCellWarning))
    assert message.startswith(type(estimator).__name__)
    assert "(0.0, y=" not in message  # the large group's cells are fine


@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=lambda e: type(e).__name__)
def test_no_warning_when_every_cell_has_30_rows(estimator):
    X, y = _data(n_small_positives=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallCellWarning)
        _fit(estimator, X, y)


@pytest.mark.parametrize(
    "estimator",
    [
        DisparateImpactRemover(sensitive_cols=0),
        CorrelationRemover(sensitive_cols=0),
        BarycenterRegressor(LinearRegression(), sensitive_cols=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_group_repairs_name_the_small_group(estimator):
    X, y = _data(n_small_positives=5, n_small=20)
    with pytest.warns(SmallCellWarning, match=r"group 1\.0 20 rows"):
        estimator.fit(X, y.astype(float))
    X, y = _data(n_small_positives=5, n_small=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallCellWarning)
        estimator.fit(X, y.astype(float))


def test_demographic_parity_counts_the_groups_not_the_cells():
    # 12 positives in a 60-row group: a (group, label) cell is small, the
    # group is not, and demographic parity compares groups only.
    X, y = _data(n_small_positives=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallCellWarning)
        ConstrainedLogisticRegression(
            constraints="demographic_parity", sensitive_cols=0
        ).fit(X, y)
    with pytest.warns(SmallCellWarning):
        ConstrainedLogisticRegression(sensitive_cols=0).fit(X, y)


def test_reweighing_weights_names_itself():
    X, y = _data(n_small_positives=12)
    with pytest.warns(SmallCellWarning, match="^reweighing_weights: 1 "):
        reweighing_weights(y, sensitive_features=X[:, 0])


def test_small_cells_lists_the_smallest_first_and_skips_empty_cells():
    codes = np.array([0] * 40 + [1] * 25 + [2] * 3)
    y = np.array([0, 1] * 20 + [0] * 5 + [1] * 20 + [1] * 3)
    cells = small_cells(codes, ["a", "b", "c"], y, [0, 1])
    # ('c', y=0) has no row: empty cells are the estimators' errors, not this.
    assert cells == [
        ("('c', y=1)", 3),
        ("('b', y=0)", 5),
        ("('a', y=0)", 20),
        ("('a', y=1)", 20),
        ("('b', y=1)", 20),
    ]
    assert small_cells(codes, ["a", "b", "c"], min_rows=4) == [("group 'c'", 3)]
