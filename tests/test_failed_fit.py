"""A fit that raises leaves the estimator exactly as it was before the call.

Each case makes ``fit`` fail *after* the input validation has passed (the
point where attributes such as ``n_features_in_`` or ``classes_`` used to be
set already): the wrapped estimator's own fit, its scores, the linear
program, the repair's median distribution. A failed first fit must leave no
fitted attribute (``check_is_fitted`` raises), and a failed refit must keep
the previous fit untouched (same attributes, same objects, same outputs).
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

import skfair.inprocessing._constrained_logistic as clr_module
import skfair.postprocessing._threshold_optimizer as to_module
import skfair.preprocessing._disparate_impact as dir_module
from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing
from skfair.utils._testing import SENSITIVE, make_check_data

X, Y, _, X_NEW = make_check_data(n_samples=120)


class _NaNScores(ClassifierMixin, BaseEstimator):
    """A classifier whose fit works and whose probabilities are NaN."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), np.nan)


def _raise(*args, **kwargs):
    raise RuntimeError("forced failure")


# (name, estimator, how to make its fit fail: estimator -> (estimator, patch),
# the error message). A patch is (module, attribute) replaced by _raise for
# the failing fit.
_CASES = [
    (
        "ThresholdOptimizer-inner-fit",
        ThresholdOptimizer(LogisticRegression(), sensitive_cols=SENSITIVE),
        lambda est: (est.set_params(estimator__C=-1.0), None),
        "'C' parameter of LogisticRegression",
    ),
    (
        "ThresholdOptimizer-nan-scores",
        ThresholdOptimizer(LogisticRegression(), sensitive_cols=SENSITIVE),
        lambda est: (est.set_params(estimator=_NaNScores()), None),
        "NaN or infinite scores",
    ),
    (
        "ThresholdOptimizer-lp",
        ThresholdOptimizer(LogisticRegression(), sensitive_cols=SENSITIVE),
        lambda est: (est, (to_module, "optimal_vertex_weights")),
        "forced failure",
    ),
    (
        "Reweighing-inner-fit",
        Reweighing(LogisticRegression(), sensitive_cols=SENSITIVE),
        lambda est: (est.set_params(estimator__C=-1.0), None),
        "'C' parameter of LogisticRegression",
    ),
    (
        "ConstrainedLogisticRegression-solver",
        ConstrainedLogisticRegression(sensitive_cols=SENSITIVE, tolerance=0.05),
        lambda est: (est, (clr_module, "sequential_convex_fit")),
        "forced failure",
    ),
    (
        "DisparateImpactRemover-median",
        DisparateImpactRemover(sensitive_cols=SENSITIVE, random_state=0),
        lambda est: (est, (dir_module, "_median_quantile_function")),
        "forced failure",
    ),
]


def _failing_fit(estimator, make_fail, match, monkeypatch, X_fit):
    estimator, patch = make_fail(estimator)
    with monkeypatch.context() as m:
        if patch is not None:
            m.setattr(*patch, _raise)
        # The failure is the forced one, not an earlier validation error.
        with pytest.raises(Exception, match=match):
            estimator.fit(X_fit, Y[: len(X_fit)])
    return estimator


def _outputs(estimator):
    method = "transform" if hasattr(estimator, "transform") else "predict_proba"
    return np.asarray(getattr(estimator, method)(X_NEW))


@pytest.mark.parametrize(
    "estimator, make_fail, match", [c[1:] for c in _CASES], ids=[c[0] for c in _CASES]
)
def test_failed_first_fit_sets_nothing(estimator, make_fail, match, monkeypatch):
    estimator = clone(estimator)
    before = set(vars(estimator))
    estimator = _failing_fit(estimator, make_fail, match, monkeypatch, X)
    assert set(vars(estimator)) == before
    assert not [name for name in vars(estimator) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    with pytest.raises(NotFittedError):
        _outputs(estimator)


@pytest.mark.parametrize(
    "estimator, make_fail, match", [c[1:] for c in _CASES], ids=[c[0] for c in _CASES]
)
def test_failed_refit_keeps_the_previous_fit(estimator, make_fail, match, monkeypatch):
    estimator = clone(estimator)
    estimator.fit(X, Y)
    state = dict(vars(estimator))
    expected = _outputs(estimator)
    # Refit on other rows (fewer, one column dropped) so that a partial
    # refit would show in the attributes.
    X_other = X.drop(columns="age").iloc[:80]
    _failing_fit(estimator, make_fail, match, monkeypatch, X_other)
    assert vars(estimator).keys() == state.keys()
    for name, value in vars(estimator).items():
        if name.endswith("_") or name.startswith("_"):
            assert value is state[name], name
    np.testing.assert_array_equal(_outputs(estimator), expected)
