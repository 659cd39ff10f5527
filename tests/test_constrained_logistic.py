"""Tests of skfair.inprocessing.ConstrainedLogisticRegression.

The fitted programs are checked against independent routes: scikit-learn's
LogisticRegression at the unconstrained end, scipy's SLSQP on the same
nonlinear program, and the KKT conditions written out with numpy.
"""

import pickle
import warnings

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skfair.exceptions import SmallCellWarning
from skfair.inprocessing import ConstrainedLogisticRegression, _problem
from skfair.metrics import equalized_odds_difference, make_fairness_scorer

SLICES = {
    "equalized_odds": (1, 0),
    "equal_opportunity": (1,),
    "false_positive_rate_parity": (0,),
    "demographic_parity": (None,),
}
CONSTRAINTS = list(SLICES)


def make_data(n=400, n_features=3, n_groups=2, seed=0, shift=0.8):
    """Groups whose feature distributions differ, so rates differ unconstrained."""
    rng = np.random.RandomState(seed)
    group = rng.randint(0, n_groups, n)
    X = rng.normal(size=(n, n_features)) + shift * group[:, None]
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) > 0.8).astype(int)
    return X, y, group


def rates_from_proba(proba, y, group, sample_weight=None, label=None):
    """Each group's weighted mean predicted probability on a label slice."""
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    on_slice = np.ones(len(y), bool) if label is None else y == label
    return np.array(
        [
            np.average(
                proba[on_slice & (group == g)], weights=w[on_slice & (group == g)]
            )
            for g in np.unique(group)
        ]
    )


def soft_gaps(clf, X, y, group, sample_weight=None):
    proba = clf.predict_proba(X)[:, 1]
    return np.array(
        [
            np.ptp(rates_from_proba(proba, y, group, sample_weight, label))
            for label in SLICES[clf.constraints]
        ]
    )


def objective(theta, X, y, sample_weight, C):
    """scikit-learn's objective: C * sum w logloss + 0.5 ||coef||^2."""
    z = X @ theta[:-1] + theta[-1]
    return C * np.sum(sample_weight * (np.logaddexp(0, z) - y * z)) + 0.5 * np.sum(
        theta[:-1] ** 2
    )


# --------------------------------------------------------------------------
# Independent routes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_unconstrained_end_matches_sklearn(C, fit_intercept):
    X, y, group = make_data(n=300, n_features=4)
    sw = np.random.RandomState(3).uniform(0.2, 3.0, len(y))
    ours = ConstrainedLogisticRegression(
        gap_of="predict_proba", tolerance=1.0, C=C, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=sw, sensitive_features=group)
    ref = LogisticRegression(
        C=C, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000
    ).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4, rtol=0)
    assert ours.coef_.shape == (1, 4) and ours.intercept_.shape == (1,)
    # The constraints are inactive: multipliers vanish (relative to the scale
    # of the objective, C * sum(sample_weight)).
    np.testing.assert_allclose(
        ours.constraint_multipliers_, 0.0, atol=1e-6 * C * sw.sum()
    )


def _slsqp(X, y, group, sw, C, tolerance, constraints):
    """Solve the same nonlinear program with scipy's SLSQP, all pairs of groups."""
    A = np.column_stack([X, np.ones(len(y))])
    groups = np.unique(group)

    def grad(theta):
        p = expit(A @ theta)
        g = C * A.T @ (sw * (p - y))
        g[:-1] += theta[:-1]
        return g

    def cell(label, g):
        on = group == g if label is None else (group == g) & (y == label)
        return A[on], sw[on] / sw[on].sum()

    def rate(theta, label, g):
        Ac, wc = cell(label, g)
        return wc @ expit(Ac @ theta)

    def rate_grad(theta, label, g):
        Ac, wc = cell(label, g)
        p = expit(Ac @ theta)
        return (wc * p * (1 - p)) @ Ac

    cons = []
    for label in SLICES[constraints]:
        for a in groups:
            for b in groups:
                if a != b:
                    cons.append(
                        {
                            "type": "ineq",
                            "fun": lambda t, lab=label, a=a, b=b: (
                                tolerance - rate(t, lab, a) + rate(t, lab, b)
                            ),
                            "jac": lambda t, lab=label, a=a, b=b: (
                                rate_grad(t, lab, b) - rate_grad(t, lab, a)
                            ),
                        }
                    )
    result = minimize(
        lambda t: objective(t, X, y, sw, C),
        np.zeros(A.shape[1]),
        jac=grad,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    return result.x


@pytest.mark.parametrize("constraints", CONSTRAINTS)
def test_matches_independent_slsqp_solve(constraints):
    X, y, group = make_data(n=300, n_groups=3, seed=1, shift=0.7)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, len(y))
    C, tolerance = 0.5, 0.03
    clf = ConstrainedLogisticRegression(
        gap_of="predict_proba", constraints=constraints, tolerance=tolerance, C=C
    ).fit(X, y, sample_weight=sw, sensitive_features=group)
    theta = np.r_[clf.coef_[0], clf.intercept_]
    theta_ref = _slsqp(X, y, group, sw, C, tolerance, constraints)
    # The reference point is feasible too, and the objectives agree.
    assert soft_gaps_theta(theta_ref, X, y, group, sw, constraints).max() <= (
        tolerance + 1e-6
    )
    f_ours = objective(theta, X, y, sw, C)
    f_ref = objective(theta_ref, X, y, sw, C)
    assert abs(f_ours - f_ref) <= 1e-4 * abs(f_ref)
    np.testing.assert_allclose(theta, theta_ref, atol=1e-3)
    # The unconstrained optimum violates the bound, so the constraint binds.
    unconstrained = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(
        X, y, sample_weight=sw
    )
    theta_free = np.r_[unconstrained.coef_[0], unconstrained.intercept_]
    assert (
        soft_gaps_theta(theta_free, X, y, group, sw, constraints).max() > 2 * tolerance
    )
    assert f_ours > objective(theta_free, X, y, sw, C)


def soft_gaps_theta(theta, X, y, group, sw, constraints):
    proba = expit(X @ theta[:-1] + theta[-1])
    return np.array(
        [
            np.ptp(rates_from_proba(proba, y, group, sw, label))
            for label in SLICES[constraints]
        ]
    )


@pytest.mark.parametrize("constraints", CONSTRAINTS)
def test_kkt_conditions(constraints):
    """Stationarity, sign and complementary slackness with the reported multipliers."""
    X, y, group = make_data(n=400, n_groups=3, seed=4)
    sw = np.random.RandomState(5).uniform(0.5, 2.0, len(y))
    C, tolerance = 2.0, 0.02
    clf = ConstrainedLogisticRegression(
        gap_of="predict_proba", constraints=constraints, tolerance=tolerance, C=C
    ).fit(X, y, sample_weight=sw, sensitive_features=group)
    A = np.column_stack([X, np.ones(len(y))])
    theta = np.r_[clf.coef_[0], clf.intercept_]
    p = expit(A @ theta)
    grad_f = C * A.T @ (sw * (p - y))
    grad_f[:-1] += theta[:-1]
    lagrangian = grad_f.copy()
    multipliers = clf.constraint_multipliers_
    assert multipliers.shape == (len(SLICES[constraints]), 3)
    # Duals come from an interior-point solve: "zero" means small next to the
    # objective's scale C * sum(sample_weight).
    small = 1e-5 * C * sw.sum()
    for k, label in enumerate(SLICES[constraints]):
        on_slice = np.ones(len(y), bool) if label is None else y == label
        rates = rates_from_proba(p, y, group, sw, label)
        for g in range(3):
            cell = on_slice & (group == g)
            w = sw[cell] / sw[cell].sum()
            lagrangian += multipliers[k, g] * ((w * p[cell] * (1 - p[cell])) @ A[cell])
            # Positive multipliers sit at the top of the band, negative at the
            # bottom (complementary slackness).
            if multipliers[k, g] > small:
                assert rates[g] >= rates.max() - 1e-6
            if multipliers[k, g] < -small:
                assert rates[g] <= rates.min() + 1e-6
        # Stationarity in the band's bounds: the multipliers sum to zero.
        assert abs(multipliers[k].sum()) <= small
        if np.ptp(rates) < tolerance - 1e-6:
            np.testing.assert_allclose(multipliers[k], 0, atol=small)
        else:
            assert np.abs(multipliers[k]).max() > 100 * small  # active: it binds
    assert np.abs(grad_f).max() > 1.0  # the loss alone is not stationary...
    assert np.abs(lagrangian).max() <= 1e-5 * (1 + np.abs(grad_f).max())  # ...it is


# --------------------------------------------------------------------------
# What tolerance means
# --------------------------------------------------------------------------


def decision_gaps(clf, X, y, group, sample_weight=None):
    """Each slice's largest minus smallest group rate of ``predict == classes_[1]``."""
    positive = (clf.predict(X) == clf.classes_[1]).astype(float)
    return gaps_of(positive, clf.constraints, y, group, sample_weight)


def gaps_of(values, constraints, y, group, sample_weight=None):
    return np.array(
        [
            np.ptp(rates_from_proba(values, y, group, sample_weight, label))
            for label in SLICES[constraints]
        ]
    )


def rate_step(y, group, constraints, sample_weight=None):
    """The rates' granularity: the largest share of one row in one cell's weight.

    One value for every slice (the coarsest cell's step), as the estimator's
    bound allows (the largest gap over the slices moves in such steps).
    """
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    steps = []
    for label in SLICES[constraints]:
        on = np.ones(len(y), bool) if label is None else y == label
        cells = [w[on & (group == g)] for g in np.unique(group)]
        steps.append(max(cell.max() / cell.sum() for cell in cells))
    return np.full(len(steps), max(steps))


@pytest.mark.parametrize("constraints", CONSTRAINTS)
@pytest.mark.parametrize("tolerance", [0.0, 0.01, 0.05])
def test_training_probability_constraints_hold(constraints, tolerance):
    X, y, group = make_data(n=500, n_groups=3, seed=6)
    clf = ConstrainedLogisticRegression(
        constraints=constraints, tolerance=tolerance, gap_of="predict_proba"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y, sensitive_features=group)
    gaps = soft_gaps(clf, X, y, group)
    assert gaps.max() <= tolerance + 1e-6
    np.testing.assert_allclose(clf.constrained_gaps_, gaps, atol=1e-9)
    # training_gaps_ always reports the decisions.
    np.testing.assert_allclose(
        clf.training_gaps_, decision_gaps(clf, X, y, group), atol=1e-12
    )
    assert clf.n_iter_.shape == (1,) and 1 <= clf.n_iter_[0] <= clf.max_iter


@pytest.mark.parametrize("constraints", CONSTRAINTS)
@pytest.mark.parametrize("tolerance", [0.0, 0.01, 0.05])
def test_training_decision_gaps_hold(constraints, tolerance):
    """The default: tolerance bounds the gaps of predict, up to one rate step."""
    X, y, group = make_data(n=500, n_groups=3, seed=6)
    sw = np.random.RandomState(7).uniform(0.5, 2.0, len(y))
    clf = ConstrainedLogisticRegression(constraints=constraints, tolerance=tolerance)
    clf.fit(X, y, sample_weight=sw, sensitive_features=group)
    gaps = decision_gaps(clf, X, y, group, sw)
    assert np.all(gaps <= tolerance + rate_step(y, group, constraints, sw) + 1e-12)
    np.testing.assert_allclose(clf.training_gaps_, gaps, atol=1e-12)
    np.testing.assert_allclose(clf.constrained_gaps_, gaps, atol=1e-12)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    tolerance=st.sampled_from([0.0, 0.01, 0.02, 0.05]),
    n_groups=st.integers(2, 3),
)
def test_decision_bound_holds_for_every_seed(seed, tolerance, n_groups):
    """The training-data bound (unlike a held-out trend) holds for every draw."""
    X, y, group = make_data(n=600, n_groups=n_groups, seed=seed, shift=1.0)
    clf = ConstrainedLogisticRegression(tolerance=tolerance).fit(
        X, y, sensitive_features=group
    )
    gaps = decision_gaps(clf, X, y, group)
    assert np.all(gaps <= tolerance + rate_step(y, group, "equalized_odds") + 1e-12)
    # The metric users call agrees.
    assert equalized_odds_difference(
        y, clf.predict(X), sensitive_features=group
    ) == pytest.approx(gaps.max(), abs=1e-12)


def test_constraint_binds_and_the_model_stays_informative():
    """Without the constraint the gaps are large; with it, accuracy stays useful."""
    X, y, group = make_data(n=1000, n_groups=2, seed=0, shift=1.0)
    free = ConstrainedLogisticRegression(tolerance=1.0).fit(
        X, y, sensitive_features=group
    )
    fair = ConstrainedLogisticRegression(tolerance=0.0).fit(
        X, y, sensitive_features=group
    )
    assert decision_gaps(free, X, y, group).max() > 0.2
    step = rate_step(y, group, "equalized_odds")
    assert np.all(decision_gaps(fair, X, y, group) <= step + 1e-12)
    majority = max(np.mean(y), 1 - np.mean(y))
    assert majority + 0.02 < fair.score(X, y) < free.score(X, y)


def test_held_out_gaps_shrink_with_tolerance_on_average():
    """Held-out gaps are noisy per seed; over seeds, tolerance 0 beats no bound."""
    fair_gaps, free_gaps = [], []
    for seed in range(4):
        X, y, group = make_data(n=2000, seed=100 + seed, shift=1.0)
        X_test, y_test, g_test = make_data(n=4000, seed=200 + seed, shift=1.0)
        for tolerance, out in ((0.0, fair_gaps), (1.0, free_gaps)):
            clf = ConstrainedLogisticRegression(tolerance=tolerance).fit(
                X, y, sensitive_features=group
            )
            out.append(
                equalized_odds_difference(
                    y_test, clf.predict(X_test), sensitive_features=g_test
                )
            )
    assert np.mean(fair_gaps) < 0.3 * np.mean(free_gaps)


# --------------------------------------------------------------------------
# Weights, labels, groups
# --------------------------------------------------------------------------


def test_integer_sample_weight_equals_row_repetition():
    X, y, group = make_data(n=200, seed=9)
    counts = np.random.RandomState(10).randint(0, 4, len(y))
    weighted = ConstrainedLogisticRegression(
        gap_of="predict_proba", tolerance=0.01
    ).fit(X, y, sample_weight=counts, sensitive_features=group)
    rows = np.repeat(np.arange(len(y)), counts)
    repeated = ConstrainedLogisticRegression(
        gap_of="predict_proba", tolerance=0.01
    ).fit(X[rows], y[rows], sensitive_features=group[rows])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-6)


def test_arbitrary_binary_labels():
    X, y, group = make_data(n=300, seed=11)
    base = ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, y, sensitive_features=group
    )
    labels = np.array(["denied", "granted"])
    clf = ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, labels[y], sensitive_features=group
    )
    assert clf.classes_.tolist() == ["denied", "granted"]
    np.testing.assert_allclose(clf.coef_, base.coef_, atol=1e-10)
    assert set(clf.predict(X)) <= {"denied", "granted"}
    np.testing.assert_array_equal(clf.predict(X), labels[base.predict(X)])
    # The positive class is classes_[1], whatever the labels' order: with -1/+1
    # labels where +1 marks the same rows as 1, the model is the same.
    signed = ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, 2 * y - 1, sensitive_features=group
    )
    np.testing.assert_allclose(signed.coef_, base.coef_, atol=1e-10)


def test_intersectional_groups():
    X, y, g1 = make_data(n=800, seed=12)
    g2 = np.random.RandomState(13).choice(["a", "b"], len(y))
    X = X + (g2 == "b")[:, None] * 0.5
    sf = np.column_stack([g1.astype(str), g2])
    clf = ConstrainedLogisticRegression(gap_of="predict_proba", tolerance=0.01).fit(
        X, y, sensitive_features=sf
    )
    assert len(clf.groups_) == 4 and isinstance(clf.groups_[0], tuple)
    assert clf.constraint_multipliers_.shape == (2, 4)
    combined = np.char.add(np.char.add(sf[:, 0], "|"), sf[:, 1])
    assert soft_gaps(clf, X, y, combined).max() <= 0.01 + 1e-6
    single = ConstrainedLogisticRegression(gap_of="predict_proba", tolerance=0.01).fit(
        X, y, sensitive_features=combined
    )
    np.testing.assert_allclose(clf.coef_, single.coef_, atol=1e-8)
    # With two groups only the result differs (the constraint is weaker).
    by_one = ConstrainedLogisticRegression(gap_of="predict_proba", tolerance=0.01).fit(
        X, y, sensitive_features=g2
    )
    assert soft_gaps(by_one, X, y, combined).max() > 0.02


def test_sensitive_cols_are_group_labels_not_features():
    X, y, group = make_data(n=300, seed=14)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.insert(1, "sex", np.where(group == 1, "male", "female"))
    clf = ConstrainedLogisticRegression(tolerance=0.01, sensitive_cols="sex").fit(
        frame, y
    )
    ref = ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, y, sensitive_features=frame["sex"]
    )
    assert clf.n_features_in_ == 4 and clf.coef_.shape == (1, 3)
    assert clf.feature_names_in_.tolist() == ["a", "sex", "b", "c"]
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(clf.decision_function(frame), ref.decision_function(X))
    np.testing.assert_array_equal(clf.predict(frame), ref.predict(X))
    with pytest.raises(ValueError, match="both"):
        clf.fit(frame, y, sensitive_features=group)
    # Positional sensitive_cols on a numeric array work the same way.
    Xg = np.column_stack([X, group])
    pos = ConstrainedLogisticRegression(tolerance=0.01, sensitive_cols=-1).fit(Xg, y)
    np.testing.assert_allclose(pos.coef_, ref.coef_, atol=1e-10)


def test_prediction_methods_agree():
    X, y, group = make_data(n=300, seed=15)
    clf = ConstrainedLogisticRegression(tolerance=0.02).fit(
        X, y, sensitive_features=group
    )
    scores = clf.decision_function(X)
    np.testing.assert_allclose(scores, X @ clf.coef_[0] + clf.intercept_[0])
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], expit(scores))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    np.testing.assert_array_equal(clf.predict(X), (scores > 0).astype(int))
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])


# --------------------------------------------------------------------------
# Bad input and solver trouble
# --------------------------------------------------------------------------


def test_group_without_both_labels_raises():
    X, y, group = make_data(n=200, seed=16)
    group = group.copy()
    group[np.flatnonzero((group == 1) & (y == 0))[:10]] = 2  # negatives only
    with pytest.raises(ValueError, match="group 2 has no rows with label 1"):
        ConstrainedLogisticRegression().fit(X, y, sensitive_features=group)
    # Equal opportunity needs positives only in each group, FPR parity negatives.
    with pytest.raises(ValueError, match="group 2 has no rows with label 1"):
        ConstrainedLogisticRegression(constraints="equal_opportunity").fit(
            X, y, sensitive_features=group
        )
    ConstrainedLogisticRegression(constraints="false_positive_rate_parity").fit(
        X, y, sensitive_features=group
    )
    ConstrainedLogisticRegression(constraints="demographic_parity").fit(
        X, y, sensitive_features=group
    )
    # Zero weight on a group's positives counts as no positives.
    _, _, group = make_data(n=200, seed=16)
    sw = np.where((group == 1) & (y == 1), 0.0, 1.0)
    with pytest.raises(ValueError, match="group 1 has no rows with label 1"):
        ConstrainedLogisticRegression().fit(
            X, y, sample_weight=sw, sensitive_features=group
        )


def test_bad_targets_raise():
    X, y, group = make_data(n=120, seed=17)
    with pytest.raises(ValueError, match="binary"):
        ConstrainedLogisticRegression().fit(
            X, y + (X[:, 2] > 1), sensitive_features=group
        )
    with pytest.raises(ValueError, match="Unknown label type"):
        ConstrainedLogisticRegression().fit(X, X[:, 0], sensitive_features=group)
    with pytest.raises(ValueError, match="two classes"):
        ConstrainedLogisticRegression().fit(
            X, np.ones_like(y), sensitive_features=group
        )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tolerance": -0.01}, "tolerance"),
        ({"C": 0.0}, "'C'"),
        ({"constraints": "parity"}, "constraints"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters_raise(params, match):
    X, y, group = make_data(n=100, seed=18)
    with pytest.raises(ValueError, match=match):
        ConstrainedLogisticRegression(**params).fit(X, y, sensitive_features=group)


def test_unknown_solver_lists_installed_ones():
    X, y, group = make_data(n=100, seed=19)
    with pytest.raises(ValueError, match="not an installed cvxpy solver") as info:
        ConstrainedLogisticRegression(solver="NO_SUCH_SOLVER").fit(
            X, y, sensitive_features=group
        )
    for name in cp.installed_solvers():
        assert name in str(info.value)


def test_missing_groups_raise():
    X, y, group = make_data(n=100, seed=20)
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        ConstrainedLogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="rows"):
        ConstrainedLogisticRegression().fit(X, y, sensitive_features=group[:-1])


def test_other_solver_gives_the_same_model():
    X, y, group = make_data(n=300, seed=21)
    ref = ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, y, sensitive_features=group
    )
    other = ConstrainedLogisticRegression(tolerance=0.01, solver="osqp").fit(
        X, y, sensitive_features=group
    )
    np.testing.assert_allclose(other.coef_, ref.coef_, atol=1e-5)


def _patch_solve(monkeypatch, status=None, error=None):
    original = _problem._Subproblem.solve

    def solve(self, solver, verbose=False):
        if error is not None:
            raise cp.error.SolverError(error)
        original(self, solver, verbose)
        return status

    monkeypatch.setattr(_problem._Subproblem, "solve", solve)


def test_infeasible_status_raises(monkeypatch):
    X, y, group = make_data(n=100, seed=22)
    _patch_solve(monkeypatch, status="infeasible")
    with pytest.raises(ValueError, match="constraints are infeasible.*'infeasible'"):
        ConstrainedLogisticRegression().fit(X, y, sensitive_features=group)


def test_solver_error_raises(monkeypatch):
    X, y, group = make_data(n=100, seed=23)
    _patch_solve(monkeypatch, error="numerical trouble")
    clf = ConstrainedLogisticRegression()
    with pytest.raises(ValueError, match="failed on the subproblem: numerical trouble"):
        clf.fit(X, y, sensitive_features=group)
    assert not hasattr(clf, "coef_")


def test_inaccurate_status_warns_with_status(monkeypatch):
    X, y, group = make_data(n=100, seed=24)
    _patch_solve(monkeypatch, status="optimal_inaccurate")
    with pytest.warns(ConvergenceWarning, match="optimal_inaccurate"):
        ConstrainedLogisticRegression().fit(X, y, sensitive_features=group)


def test_max_iter_reached_warns_with_violation():
    X, y, group = make_data(n=300, seed=25)
    with pytest.warns(ConvergenceWarning, match="max_iter=2.*violation"):
        ConstrainedLogisticRegression(max_iter=2, gap_of="predict_proba").fit(
            X, y, sensitive_features=group
        )
    # Bounding the decisions: the bound still holds (exact correction), and
    # the warning says so.
    with pytest.warns(ConvergenceWarning, match="max_iter=2.*still meet the bound"):
        clf = ConstrainedLogisticRegression(max_iter=2).fit(
            X, y, sensitive_features=group
        )
    step = rate_step(y, group, "equalized_odds")
    assert np.all(decision_gaps(clf, X, y, group) <= step + 1e-12)


def test_inputs_not_modified():
    X, y, group = make_data(n=200, seed=26)
    sw = np.random.RandomState(27).uniform(0.5, 2, len(y))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(g=group)
    copies = (X.copy(), y.copy(), group.copy(), sw.copy(), frame.copy())
    ConstrainedLogisticRegression(tolerance=0.01).fit(
        X, y, sample_weight=sw, sensitive_features=group
    )
    clf = ConstrainedLogisticRegression(tolerance=0.01, sensitive_cols="g").fit(
        frame, y, sample_weight=sw
    )
    clf.predict(frame)
    for before, after in zip(copies, (X, y, group, sw, frame), strict=True):
        if isinstance(before, pd.DataFrame):
            pd.testing.assert_frame_equal(before, after)
        else:
            np.testing.assert_array_equal(before, after)


# --------------------------------------------------------------------------
# scikit-learn integration, caching, determinism, pickling
# --------------------------------------------------------------------------


def _grouped_frame(n=600, seed=28):
    X, y, group = make_data(n=n, seed=seed)
    frame = pd.DataFrame(X * 3 + 1, columns=["a", "b", "c"])
    frame["sex"] = np.where(group == 1, "m", "f")
    return frame, y


def _pipeline(**params):
    scale = ColumnTransformer(
        [
            ("scale", StandardScaler(), ["a", "b", "c"]),
            ("group", "passthrough", ["sex"]),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return Pipeline(
        [
            ("prep", scale),
            ("clf", ConstrainedLogisticRegression(sensitive_cols="sex", **params)),
        ]
    )


def test_pipeline_and_cross_val_score():
    frame, y = _grouped_frame()
    pipe = _pipeline(tolerance=0.01).fit(frame, y)
    assert pipe.predict(frame).shape == (len(y),)
    scores = cross_val_score(_pipeline(tolerance=0.01), frame, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.6)


def test_grid_search_over_tolerance_and_C_with_fairness_scorer():
    frame, y = _grouped_frame()
    scoring = {
        "eo": make_fairness_scorer("equalized_odds_difference", sensitive_cols="sex"),
        "accuracy": "accuracy",
    }
    search = GridSearchCV(
        _pipeline(),
        {"clf__tolerance": [0.0, 0.2, 1.0], "clf__C": [0.1, 1.0]},
        scoring=scoring,
        refit="eo",
        cv=3,
    ).fit(frame, y)
    results = search.cv_results_
    assert search.best_params_["clf__tolerance"] == 0.0
    # Larger tolerance: worse (more negative) fairness score, better accuracy.
    by_tol = {
        tol: np.mean(
            [
                results["mean_test_eo"][i]
                for i, p in enumerate(results["params"])
                if p["clf__tolerance"] == tol
            ]
        )
        for tol in (0.0, 1.0)
    }
    assert by_tol[0.0] > by_tol[1.0]


def test_metadata_routing_of_sensitive_features():
    import sklearn

    X, y, group = make_data(n=300, seed=29)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = ConstrainedLogisticRegression(
            gap_of="predict_proba", tolerance=0.01
        ).set_fit_request(sensitive_features=True)
        search = GridSearchCV(clf, {"C": [0.5, 1.0]}, cv=3).fit(
            X, y, sensitive_features=group
        )
    assert soft_gaps(search.best_estimator_, X, y, group).max() <= 0.01 + 1e-6


def test_refit_reuses_the_compiled_problem():
    # Six groups: a shape no other test uses, so the pool's state is ours.
    X, y, group = make_data(n=900, n_features=5, n_groups=6, seed=30, shift=0.2)
    X2, y2, group2 = make_data(n=1200, n_features=5, n_groups=6, seed=31, shift=0.2)
    ConstrainedLogisticRegression(tolerance=0.01).fit(X, y, sensitive_features=group)
    built = _problem.SUBPROBLEM_POOL.n_built
    (subproblem,) = _problem.SUBPROBLEM_POOL.cached(6, 2)
    compiled = subproblem.problem._cache.param_prog
    assert compiled is not None
    # Different data, tolerance, C and number of features; same number of
    # groups and slices: nothing is rebuilt or recompiled (the subproblem's
    # size does not depend on the features).
    ConstrainedLogisticRegression(tolerance=0.05, C=0.3).fit(
        X2[:, :3], y2, sensitive_features=group2
    )
    assert _problem.SUBPROBLEM_POOL.n_built == built
    assert _problem.SUBPROBLEM_POOL.cached(6, 2) == [subproblem]
    assert subproblem.problem._cache.param_prog is compiled
    assert subproblem.problem.is_dpp()
    # A new shape builds a new problem.
    ConstrainedLogisticRegression(constraints="demographic_parity").fit(
        X, y, sensitive_features=group
    )
    assert _problem.SUBPROBLEM_POOL.n_built == built + 1


def test_deterministic_and_picklable():
    X, y, group = make_data(n=300, seed=32)
    clf = ConstrainedLogisticRegression(tolerance=0.01)
    first = clone(clf).fit(X, y, sensitive_features=group)
    second = clone(clf).fit(X, y, sensitive_features=group)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict_proba(X), first.predict_proba(X))


def test_verbose_prints_iterations(capsys):
    X, y, group = make_data(n=100, seed=33)
    ConstrainedLogisticRegression(verbose=1).fit(X, y, sensitive_features=group)
    assert "[SCP] iter   1" in capsys.readouterr().out


def test_equalized_odds_on_held_out_data_shrinks():
    """The thresholded EO gap of held-out data falls well below the unconstrained."""
    X, y, group = make_data(n=3000, seed=34, shift=1.0)
    X_test, y_test, g_test = make_data(n=3000, seed=35, shift=1.0)
    fair = ConstrainedLogisticRegression(tolerance=0.0).fit(
        X, y, sensitive_features=group
    )
    free = LogisticRegression().fit(X, y)
    eo_fair = equalized_odds_difference(
        y_test, fair.predict(X_test), sensitive_features=g_test
    )
    eo_free = equalized_odds_difference(
        y_test, free.predict(X_test), sensitive_features=g_test
    )
    assert eo_fair < 0.3 * eo_free


# --------------------------------------------------------------------------
# The decisions' bound on real data (issue: Adult and German Credit)
# --------------------------------------------------------------------------


def _one_hot_standardised(frame):
    from sklearn.preprocessing import OneHotEncoder

    categorical = [c for c in frame.columns if str(frame[c].dtype) == "category"]
    numeric = [c for c in frame.columns if c not in categorical]
    encoder = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("scale", StandardScaler(), numeric),
        ],
        sparse_threshold=0.0,
    )
    return encoder.fit_transform(frame)


def _adult():
    from skfair.datasets import load_adult

    X, y = load_adult(split="train", return_X_y=True)
    group = np.asarray(X.pop("sex").astype(str))
    return _one_hot_standardised(X), np.asarray(y), group


def _german():
    from skfair.datasets import load_german_credit

    X, y = load_german_credit(return_X_y=True)
    group = np.asarray(X.pop("age_group").astype(str))
    X = X.drop(columns=["age", "sex", "personal_status_sex"])
    for column in X.columns:
        if X[column].dtype == object:
            X[column] = X[column].astype("category")
    return _one_hot_standardised(X), np.asarray(y), group


@pytest.mark.parametrize("load", [_adult, _german], ids=["adult", "german"])
def test_decisions_meet_the_bound_on_real_data(load):
    X, y, group = load()
    smallest_cell = np.bincount(
        2 * np.unique(group, return_inverse=True)[1] + (y == y.max())
    ).min()
    unconstrained = equalized_odds_difference(
        y, LogisticRegression(max_iter=1000).fit(X, y).predict(X),
        sensitive_features=group,
    )  # fmt: skip
    for tolerance in (0.0, 0.01, 0.02, 0.05):
        clf = ConstrainedLogisticRegression(tolerance=tolerance).fit(
            X, y, sensitive_features=group
        )
        gap = equalized_odds_difference(y, clf.predict(X), sensitive_features=group)
        assert gap <= tolerance + 1.5 / smallest_cell, (tolerance, gap)
        assert gap == pytest.approx(clf.training_gaps_.max(), abs=1e-12)
        if tolerance + 1.5 / smallest_cell < unconstrained:
            # Informative, not the constant model.
            assert 0.02 < np.mean(clf.predict(X)) < 0.98


def test_tolerance_zero_keeps_an_informative_model_on_an_adult_split():
    """A split where tolerance 0 used to end on the constant model.

    Equalized odds asks the fine-grained negatives slice (steps of 1/9,600)
    and the coarse positives slice (1/1,170) to meet 0 together, up to the
    rates' granularity. With each slice held to its own step, and the sharp
    stage free to leave the smooth solution, the last models had nearly no
    feasible threshold and the correction fell back to the constant model
    (training accuracy 0.76). Either change avoids it on this split: the
    coarsest cell's step as the allowance on every slice, or the anchored
    mean probabilities in the sharp stage (both are in).
    """
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from skfair.datasets import load_adult

    train, y_train = load_adult(split="train", return_X_y=True)
    test, y_test = load_adult(split="test", return_X_y=True)
    X = pd.concat([train, test], ignore_index=True)
    y = np.r_[np.asarray(y_train), np.asarray(y_test)]
    group = np.asarray(X.pop("sex").astype(str))
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype(str).astype("category")
    X_fit, _, y_fit, _, g_fit, _ = train_test_split(
        X,
        y,
        group,
        test_size=len(test) / len(X),
        random_state=5,
        stratify=np.char.add(y.astype(str), group),
    )
    A = _one_hot_standardised(X_fit)
    clf = ConstrainedLogisticRegression(tolerance=0.0).fit(
        A, y_fit, sensitive_features=g_fit
    )
    smallest_cell = pd.crosstab(g_fit, y_fit).to_numpy().min()
    gap = equalized_odds_difference(y_fit, clf.predict(A), sensitive_features=g_fit)
    assert gap <= 1.5 / smallest_cell
    assert clf.score(A, y_fit) > 0.82  # the constant model scores 0.76


# --------------------------------------------------------------------------
# Exact pieces, sparse and wide data, scaling, threads
# --------------------------------------------------------------------------


def test_feasible_threshold_matches_brute_force():
    from skfair.inprocessing import _decisions
    from skfair.inprocessing._problem import _RateConstrainedLogistic

    rng = np.random.RandomState(40)
    for trial in range(20):
        n = 60
        X, y, group = make_data(n=n, seed=trial)
        z = np.round(rng.normal(size=n) + 0.8 * group, 1)  # ties on purpose
        cells = np.where(y == 1, group, 2 + group)
        model = _RateConstrainedLogistic(X, y, np.ones(n), cells, 4, 1.0, True)
        bound = np.full(2, rng.uniform(0.0, 0.3))
        thresholds = _decisions.feasible_threshold(model.cells, z, 2, bound)

        def gaps_at(t, z=z, y=y, group=group):
            positive = (z > t).astype(float)
            return gaps_of(positive, "equalized_odds", y, group)

        # Every threshold between two distinct scores (and beyond both ends).
        distinct = np.unique(z)
        candidates = np.r_[distinct[0] - 1, (distinct[1:] + distinct[:-1]) / 2,
                           distinct[-1] + 1]  # fmt: skip
        feasible = [t for t in candidates if np.all(gaps_at(t) <= bound + 1e-12)]
        if np.all(gaps_at(0.0) <= bound + 1e-12):
            assert thresholds == [0.0]
            continue
        below = [t for t in feasible if t < 0]
        above = [t for t in feasible if t > 0]
        expected_positive = set()
        if below:
            expected_positive.add(int(np.sum(z > max(below))))
        if above:
            expected_positive.add(int(np.sum(z > min(above))))
        assert {int(np.sum(z > t)) for t in thresholds} == expected_positive
        for t in thresholds:
            assert np.all(gaps_at(t) <= bound + 1e-12)
            # Away from every score, so that rounding moves no row across.
            assert np.min(np.abs(z - t)) > 1e-7


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("gap_of", ["predict", "predict_proba"])
def test_sparse_input_equals_dense(fmt, gap_of):
    import scipy.sparse as sp

    X, y, group = make_data(n=400, n_features=6, seed=41)
    X[np.abs(X) < 0.8] = 0.0
    dense = ConstrainedLogisticRegression(tolerance=0.02, gap_of=gap_of).fit(
        X, y, sensitive_features=group
    )
    sparse = ConstrainedLogisticRegression(tolerance=0.02, gap_of=gap_of).fit(
        sp.csr_matrix(X).asformat(fmt), y, sensitive_features=group
    )
    # Sparse columns are scaled but not centred: another route to the same
    # program's solution.
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=2e-4)
    np.testing.assert_array_equal(
        sparse.predict(sp.csr_matrix(X).asformat(fmt)), dense.predict(X)
    )


def test_wide_data_compiles_a_problem_of_the_cells_size():
    """2,500 features: the subproblem's size does not depend on them."""
    rng = np.random.RandomState(42)
    n, d = 500, 2500
    group = rng.randint(0, 2, n)
    X = rng.normal(size=(n, d))
    X[:, :5] += group[:, None]
    y = (X[:, :5].sum(axis=1) + rng.normal(size=n) > 2).astype(int)
    clf = ConstrainedLogisticRegression(tolerance=0.05, C=0.1).fit(
        X, y, sensitive_features=group
    )
    assert clf.coef_.shape == (1, d)
    step = rate_step(y, group, "equalized_odds")
    assert np.all(decision_gaps(clf, X, y, group) <= 0.05 + step + 1e-12)
    (subproblem, *_) = _problem.SUBPROBLEM_POOL.cached(2, 2)
    assert subproblem.coords.shape == (5,)


def test_unscaled_features_converge_to_the_same_model():
    """A column of order 1e5 (like Adult's fnlwgt): same fit as sklearn's."""
    X, y, group = make_data(n=400, n_features=3, seed=43)
    X_raw = X * np.array([1e5, 1.0, 1e-3]) + np.array([2e5, 0.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = ConstrainedLogisticRegression(tolerance=1.0, gap_of="predict_proba").fit(
            X_raw, y, sensitive_features=group
        )
    ref = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        X_raw, y
    )
    np.testing.assert_allclose(
        ours.decision_function(X_raw), ref.decision_function(X_raw), atol=1e-5
    )


def test_convex_option_matches_one_cvxpy_exponential_cone_solve():
    """gap_of='decision_function' is the global optimum of the convex program."""
    X, y, group = make_data(n=300, n_groups=3, seed=44)
    sw = np.random.RandomState(45).uniform(0.5, 2.0, len(y))
    C, tolerance = 0.5, 0.1
    clf = ConstrainedLogisticRegression(
        tolerance=tolerance, C=C, gap_of="decision_function"
    ).fit(X, y, sample_weight=sw, sensitive_features=group)
    # The reference: one exponential-cone program, raw features.
    A = np.column_stack([X, np.ones(len(y))])
    theta = cp.Variable(A.shape[1])
    z = A @ theta
    loss = C * (sw @ cp.logistic(z) - (sw * y) @ z) + 0.5 * cp.sum_squares(theta[:-1])
    constraints = []
    for label in (1, 0):
        means = []
        for g in range(3):
            cell = (y == label) & (group == g)
            means.append((sw[cell] / sw[cell].sum()) @ A[cell] @ theta)
        for a in means:
            for b in means:
                constraints.append(a - b <= tolerance)
    cp.Problem(cp.Minimize(loss), constraints).solve(solver="CLARABEL")
    ref = theta.value
    np.testing.assert_allclose(clf.coef_[0], ref[:-1], atol=1e-4)
    np.testing.assert_allclose(clf.intercept_[0], ref[-1], atol=1e-4)
    scores = clf.decision_function(X)
    gaps = gaps_of(scores, "equalized_odds", y, group, sw)
    assert gaps.max() <= tolerance + 1e-6
    np.testing.assert_allclose(clf.constrained_gaps_, gaps, atol=1e-9)
    # The bound is active: the unconstrained model's mean scores differ more.
    free = LogisticRegression(C=C, tol=1e-10).fit(X, y, sample_weight=sw)
    free_gaps = gaps_of(free.decision_function(X), "equalized_odds", y, group, sw)
    assert free_gaps.max() > 2 * tolerance


def test_near_constant_result_warns():
    # Two groups whose feature distributions do not overlap and whose
    # label rates differ: a single threshold meets tolerance 0 only at an end.
    X = np.array([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2], [5.3]])
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    with pytest.warns(UserWarning, match="only a near-constant classifier"):
        clf = ConstrainedLogisticRegression(tolerance=0.0).fit(
            X, y, sensitive_features=group
        )
    assert len(set(clf.predict(X))) == 1


def test_threaded_fits_equal_serial_fits():
    """Fits in threads share the compiled-problem pool and the warning lock."""
    from joblib import Parallel, delayed

    datasets = [make_data(n=300, seed=50 + k) for k in range(6)]

    def fit(data):
        X, y, group = data
        return ConstrainedLogisticRegression(tolerance=0.01).fit(
            X, y, sensitive_features=group
        )

    serial = [fit(data) for data in datasets]
    filters_before = list(warnings.filters)
    threaded = Parallel(n_jobs=4, backend="threading")(
        delayed(fit)(data) for data in datasets
    )
    assert list(warnings.filters) == filters_before
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.intercept_, b.intercept_)


def test_decision_bound_without_intercept():
    """No intercept to move: the exact correction falls back to the zero model."""
    X, y, group = make_data(n=500, seed=46, shift=1.0)
    for tolerance in (0.0, 0.05):
        clf = ConstrainedLogisticRegression(tolerance=tolerance, fit_intercept=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            clf.fit(X - X.mean(axis=0), y, sensitive_features=group)
        gaps = decision_gaps(clf, X - X.mean(axis=0), y, group)
        assert np.all(gaps <= tolerance + rate_step(y, group, "equalized_odds") + 1e-12)
        assert clf.intercept_.tolist() == [0.0]


def test_no_near_constant_warning_when_the_data_make_it_so():
    """Rare positives and weak features: unconstrained, the model predicts one
    class too; the bound is not the cause, so no warning."""
    rng = np.random.RandomState(47)
    n = 2000
    group = rng.randint(0, 2, n)
    X = rng.normal(size=(n, 3))
    y = (rng.uniform(size=n) < 0.03).astype(int)
    free = LogisticRegression().fit(X, y)
    assert free.predict(X).mean() < 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # About 30 positives a group: the small-cell warning is expected.
        warnings.filterwarnings("ignore", category=SmallCellWarning)
        clf = ConstrainedLogisticRegression(tolerance=0.0).fit(
            X, y, sensitive_features=group
        )
    assert clf.predict(X).mean() < 0.01


@pytest.mark.parametrize(
    "temperature, anchor", [(1.0, None), (0.2, None), (None, None), (0.2, 1.0)]
)
def test_program_derivatives_match_finite_differences(temperature, anchor):
    """Gradient, rates' Jacobian and Lagrangian Hessian of the smooth program,
    with the anchored second block of rates the continuation adds."""
    from skfair.inprocessing._problem import _RateConstrainedLogistic

    rng = np.random.default_rng(3)
    n = 400
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1]
    group = rng.integers(0, 2, n)
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    cells = np.where(y == 1, group, 2 + group)
    model = _RateConstrainedLogistic(X, y, rng.exponential(size=n), cells, 4, 1.0, True)
    model.temperature, model.anchor = temperature, anchor
    model.rate_offsets = rng.normal(scale=0.01, size=4)
    n_rates = 4 * len(model.temperatures)
    theta = rng.normal(scale=0.5, size=model.n_params)
    multipliers = rng.normal(size=n_rates)

    def lagrangian_gradient(t):
        gradient, jacobian = model.first_order(t, model.scores(t))
        return gradient + jacobian.T @ multipliers

    loss, rates, z = model.evaluate(theta)
    assert rates.shape == (n_rates,)
    gradient, jacobian = model.first_order(theta, z)
    h = 1e-6
    for j in range(model.n_params):
        e = np.zeros(model.n_params)
        e[j] = h
        up, down = model.evaluate(theta + e), model.evaluate(theta - e)
        np.testing.assert_allclose(
            (up[0] - down[0]) / (2 * h), gradient[j], rtol=1e-6, atol=1e-9
        )
        np.testing.assert_allclose(
            (up[1] - down[1]) / (2 * h), jacobian[:, j], rtol=1e-5, atol=1e-8
        )
        numeric = (lagrangian_gradient(theta + e) - lagrangian_gradient(theta - e)) / (
            2 * h
        )
        hessian = model.lagrangian_hessian(z, multipliers)
        # The Gram product runs in single precision (it only steers steps).
        np.testing.assert_allclose(hessian[:, j], numeric, rtol=1e-4, atol=1e-6)


def test_tolerance_zero_with_three_groups_keeps_an_informative_model(three_group_data):
    """Three groups, cells of ~2,000 to 4,600 rows: every one of the six
    (group, label) rates must agree within one row's step. The smooth runs
    end a few steps away; the projection onto the decisions closes the gap
    (before it, the fit fell back to the constant model, accuracy 0.575)."""
    X, y, group = three_group_data(20_000, seed=0)
    clf = ConstrainedLogisticRegression(tolerance=0.0).fit(
        X, y, sensitive_features=group
    )
    step = rate_step(y, group, "equalized_odds")
    assert np.all(decision_gaps(clf, X, y, group) <= step + 1e-12)
    constant_accuracy = max(np.mean(y), 1 - np.mean(y))
    assert clf.score(X, y) > constant_accuracy + 0.03


def test_small_cells_do_not_leave_the_constant_model():
    """With a 6-row cell the continuation ended at the constant model.

    One row moves that cell's rate by 1/6, so the bound is tolerance + 1/6;
    looser fits moved to this bound's thresholds give a non-constant model
    within it (before: the constant one at every tolerance up to 0.02).
    """
    rng = np.random.default_rng(3)
    sizes, shifts = (1200, 700, 60), (0.0, 0.8, -1.2)
    X, y, group = [], [], []
    for g, (n, shift) in enumerate(zip(sizes, shifts, strict=True)):
        features = rng.normal(size=(n, 3)) + shift
        logit = features @ np.array([1.2, -0.8, 0.5]) + 0.6 * shift - 0.4
        X.append(features)
        y.append((logit + rng.normal(0, 1.0 + abs(shift), n) > 0).astype(int))
        group.append(np.full(n, g))
    X, y, group = np.vstack(X), np.concatenate(y), np.concatenate(group)
    for tolerance in (0.0, 0.02):
        with pytest.warns(SmallCellWarning, match=r"\(2, y=1\)"):
            clf = ConstrainedLogisticRegression(tolerance=tolerance).fit(
                X, y, sensitive_features=group
            )
        pred = clf.predict(X)
        assert 0.05 < pred.mean() < 0.95
        cells = [(y == label) & (group == g) for g in range(3) for label in (0, 1)]
        step = max(1.0 / c.sum() for c in cells)
        assert step > 1.0 / 30  # the small-cell case
        assert (
            equalized_odds_difference(y, pred, sensitive_features=group)
            <= tolerance + step + 1e-12
        )
        assert clf.score(X, y) > np.mean(y == np.bincount(y).argmax())
