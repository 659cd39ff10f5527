"""ThresholdOptimizer on multiclass targets: one LP over per-group randomized maps."""

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from skfair.postprocessing import ThresholdOptimizer
from skfair.postprocessing._multiclass import (
    confusion_counts,
    multiclass_costs,
    solve_multiclass_lp,
)

CONSTRAINTS = ("demographic_parity", "equalized_odds", "equal_opportunity")


def make_label_shift(n=1500, seed=0):
    """3 classes, 3 groups, each group with its own class mix (label shift)."""
    rng = np.random.RandomState(seed)
    groups = rng.choice(3, size=n)
    priors = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6]])
    cumulative = priors.cumsum(axis=1)[groups]
    y = (rng.uniform(size=n)[:, None] > cumulative).sum(axis=1)
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    X = centres[y] + rng.normal(size=(n, 2))
    return X, y, groups


def expected_rates(proba, y, groups, n_classes=3):
    """Mean decision probabilities per group, and per group and true class."""
    group_ids = np.unique(groups)
    rates = np.array([proba[groups == g].mean(axis=0) for g in group_ids])
    class_rates = np.array(
        [
            [proba[(groups == g) & (y == c)].mean(axis=0) for c in range(n_classes)]
            for g in group_ids
        ]
    )
    return rates, class_rates


@pytest.fixture(scope="module")
def data():
    return make_label_shift()


@pytest.mark.parametrize("constraints", ["demographic_parity", "equalized_odds"])
def test_acceptance_constraints_hold_and_accuracy_beats_constant(data, constraints):
    # The acceptance test: constraints met to 1e-6 in expected rates,
    # expected accuracy >= best constant rule's + 0.10.
    X, y, groups = data
    opt = ThresholdOptimizer(
        LogisticRegression(), constraints=constraints, random_state=0
    ).fit(X, y, sensitive_features=groups)
    proba = opt.predict_proba(X, sensitive_features=groups)
    assert proba.shape == (len(y), 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    rates, class_rates = expected_rates(proba, y, groups)
    if constraints == "demographic_parity":
        assert np.ptp(rates, axis=0).max() <= 1e-6
        # Label shift: the classes' rates differ, so parity is not free.
        assert np.ptp(class_rates, axis=0).max() > 0.1
    else:
        assert np.ptp(class_rates, axis=0).max() <= 1e-6
    accuracy = proba[np.arange(len(y)), y].mean()
    best_constant = np.bincount(y).max() / len(y)
    assert accuracy >= best_constant + 0.10
    assert opt.score(X, y, sensitive_features=groups) == pytest.approx(accuracy)
    # The fitted attributes report the same training rates.
    assert_allclose(opt.decision_rates_, rates, atol=1e-12)
    assert_allclose(opt.class_decision_rates_, class_rates, atol=1e-12)


def test_equal_opportunity_equalises_every_recall(data):
    X, y, groups = data
    opt = ThresholdOptimizer(
        LogisticRegression(), constraints="equal_opportunity", random_state=0
    ).fit(X, y, sensitive_features=groups)
    _, class_rates = expected_rates(
        opt.predict_proba(X, sensitive_features=groups), y, groups
    )
    recalls = np.diagonal(class_rates, axis1=1, axis2=2)  # (group, class)
    assert np.ptp(recalls, axis=0).max() <= 1e-6
    # Only recalls are constrained: the other entries may differ.
    assert np.ptp(class_rates, axis=0).max() > 1e-3


def _cvxpy_optimum(counts, cost, constraints, tolerance):
    """The same problem written independently: pairwise |rate_g - rate_h| <= tol."""
    n_groups, k, _ = counts.shape
    maps = [cp.Variable((k, k), nonneg=True) for _ in range(n_groups)]
    cons = [cp.sum(m, axis=1) == 1 for m in maps]
    rates = []
    for g, m in enumerate(maps):
        by_class = counts[g] / counts[g].sum(axis=1, keepdims=True)  # (y, a)
        if constraints == "demographic_parity":
            share = counts[g].sum(axis=0) / counts[g].sum()
            rates.append(share @ m)
        elif constraints == "equalized_odds":
            rates.append(cp.vec(by_class @ m, order="C"))
        else:
            rates.append(cp.hstack([by_class[c] @ m[:, c] for c in range(k)]))
    for g in range(n_groups):
        for h in range(g + 1, n_groups):
            cons.append(cp.abs(rates[g] - rates[h]) <= tolerance)
    objective = sum(
        cp.sum(cp.multiply(counts[g].T @ cost, m)) for g, m in enumerate(maps)
    )
    problem = cp.Problem(cp.Minimize(objective), cons)
    problem.solve(solver=cp.CLARABEL)
    return problem.value


@pytest.mark.parametrize("constraints", CONSTRAINTS)
@pytest.mark.parametrize("tolerance", [0.0, 0.05])
@pytest.mark.parametrize("objective", ["accuracy", "balanced_accuracy", "matrix"])
def test_lp_optimum_equals_an_independent_cvxpy_formulation(
    constraints, tolerance, objective
):
    rng = np.random.RandomState(3)
    counts = rng.uniform(0.5, 10.0, size=(3, 3, 3))
    classes = np.arange(3)
    if objective == "matrix":
        objective = rng.uniform(-1.0, 3.0, size=(3, 3))
    cost = multiclass_costs(objective, counts.sum(axis=(0, 2)), classes)
    maps = solve_multiclass_lp(counts, cost, constraints, tolerance)
    assert_allclose(maps.sum(axis=2), 1.0)
    assert (maps >= 0).all()
    ours = np.einsum("gya,yd,gad->", counts, cost, maps)
    assert ours == pytest.approx(
        _cvxpy_optimum(counts, cost, constraints, tolerance), abs=1e-6
    )


def test_lp_matches_brute_force_over_deterministic_maps_without_constraints():
    # With a tolerance of 1 nothing binds: the optimum is deterministic, the
    # best decision per (group, predicted class), found by enumeration.
    rng = np.random.RandomState(5)
    counts = rng.uniform(0.0, 5.0, size=(2, 3, 3))
    cost = multiclass_costs("balanced_accuracy", counts.sum(axis=(0, 2)), np.arange(3))
    maps = solve_multiclass_lp(counts, cost, "equalized_odds", 1.0)
    best = np.inf
    for choice in np.ndindex(*(3,) * 6):  # a decision per (group, cell)
        det = np.zeros((2, 3, 3))
        det[np.repeat([0, 1], 3), np.tile(range(3), 2), choice] = 1.0
        best = min(best, np.einsum("gya,yd,gad->", counts, cost, det))
    assert np.einsum("gya,yd,gad->", counts, cost, maps) == pytest.approx(best)


class _LabelModel(ClassifierMixin, BaseEstimator):
    """A model with predict only: its output is the predicted class itself."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X)[:, 0] > 0).astype(int)]


def test_two_class_lp_agrees_with_the_binary_roc_lp():
    # On predicted labels, the binary ROC-hull LP and the K x K map LP
    # (K = 2) solve the same problem by different routes. (Multiclass
    # equal_opportunity equalises every class's recall, which for K = 2 is
    # equalized odds, so it is not compared here.)
    rng = np.random.RandomState(7)
    n = 600
    groups = rng.choice(3, size=n)
    X = rng.normal(size=(n, 1)) + 0.5 * groups[:, None]
    y = (X[:, 0] + rng.normal(size=n) > 0.6).astype(int)
    model = _LabelModel().fit(X, y)
    cells = model.predict(X)
    for constraints in ("demographic_parity", "equalized_odds"):
        binary = ThresholdOptimizer(
            model, constraints=constraints, prefit=True, random_state=0
        ).fit(X, y, sensitive_features=groups)
        counts = confusion_counts(groups, y, cells, None, 3, 2)
        cost = multiclass_costs("accuracy", counts.sum(axis=(0, 2)), np.arange(2))
        maps = solve_multiclass_lp(counts, cost, constraints, 0.0)
        accuracy = 1.0 - np.einsum("gya,yd,gad->", counts, cost, maps)
        assert binary.score(X, y, sensitive_features=groups) == pytest.approx(
            accuracy, abs=1e-9
        )


def test_tolerance_relaxes_and_bounds_the_gaps(data):
    X, y, groups = data
    scores = []
    for tolerance in (0.0, 0.02, 0.1, 1.0):
        opt = ThresholdOptimizer(
            LogisticRegression(), constraints="equalized_odds", tolerance=tolerance
        ).fit(X, y, sensitive_features=groups)
        _, class_rates = expected_rates(
            opt.predict_proba(X, sensitive_features=groups), y, groups
        )
        assert np.ptp(class_rates, axis=0).max() <= tolerance + 1e-8
        scores.append(opt.score(X, y, sensitive_features=groups))
    assert np.all(np.diff(scores) >= -1e-9)
    # Unconstrained, the maps can only improve on the model's own labels
    # (the identity map), here by using the group the model does not see.
    model = LogisticRegression().fit(X, y)
    assert scores[-1] > model.score(X, y)


def test_cost_matrix_objective(data):
    X, y, groups = data
    fit = ThresholdOptimizer(
        LogisticRegression(), constraints="demographic_parity", random_state=0
    ).fit
    accuracy = fit(X, y, sensitive_features=groups)
    # 0/1 costs are accuracy, at any positive scale.
    as_matrix = clone(accuracy).set_params(objective=5 * (1 - np.eye(3)))
    as_matrix.fit(X, y, sensitive_features=groups)
    assert_allclose(as_matrix.decision_maps_, accuracy.decision_maps_, atol=1e-8)
    # Making decision 2 very costly removes it.
    cost = 1 - np.eye(3)
    cost[:, 2] = 100.0
    costly = clone(accuracy).set_params(objective=cost)
    costly.fit(X, y, sensitive_features=groups)
    assert costly.predict_proba(X, sensitive_features=groups)[:, 2].max() < 1e-9


def test_balanced_accuracy_objective(data):
    X, y, groups = data
    opt = ThresholdOptimizer(
        LogisticRegression(),
        constraints="equalized_odds",
        objective="balanced_accuracy",
    ).fit(X, y, sensitive_features=groups)
    proba = opt.predict_proba(X, sensitive_features=groups)
    # Under equalized odds every group has the same per-class recalls.
    recall = [proba[y == c, c].mean() for c in range(3)]
    _, class_rates = expected_rates(proba, y, groups)
    assert_allclose(recall, np.diagonal(class_rates[0]), atol=1e-6)


def test_predict_draws_per_row_and_follows_predict_proba(data):
    X, y, groups = data
    labels = np.array(["cat", "dog", "emu"], dtype=object)
    opt = ThresholdOptimizer(
        LogisticRegression(), constraints="demographic_parity", random_state=3
    ).fit(X, labels[y], sensitive_features=groups)
    assert_array_equal(opt.classes_, labels)
    proba = opt.predict_proba(X, sensitive_features=groups)
    randomized = proba.max(axis=1) < 1.0
    assert randomized.sum() > 100
    pred = opt.predict(X, sensitive_features=groups)
    assert set(pred) <= set(labels)
    # A row's decision depends on the row and the seed only.
    perm = np.random.RandomState(0).permutation(len(y))
    assert_array_equal(
        opt.predict(X[perm], sensitive_features=groups[perm]), pred[perm]
    )
    single = [
        opt.predict(X[i : i + 1], sensitive_features=groups[i : i + 1])[0]
        for i in range(20)
    ]
    assert_array_equal(single, pred[:20])
    # Rows that need no draw get their certain decision.
    certain = ~randomized
    assert_array_equal(pred[certain], labels[proba[certain].argmax(axis=1)])
    # Over many distinct rows, the decision frequencies are the probabilities.
    onehot = pred[:, None] == labels[None, :]
    for g in range(3):
        assert_allclose(
            onehot[groups == g].mean(axis=0), proba[groups == g].mean(axis=0), atol=0.04
        )


def test_sample_weight_equals_repeated_rows(data):
    X, y, groups = data
    X, y, groups = X[:400], y[:400], groups[:400]
    weights = np.random.RandomState(1).randint(1, 4, size=400)
    rows = np.repeat(np.arange(400), weights)
    opt = ThresholdOptimizer(
        LogisticRegression(), constraints="equalized_odds", prefit=True
    )
    model = LogisticRegression().fit(X, y)
    weighted = clone(opt).set_params(estimator=model)
    weighted.fit(X, y, sensitive_features=groups, sample_weight=weights)
    repeated = clone(opt).set_params(estimator=model)
    repeated.fit(X[rows], y[rows], sensitive_features=groups[rows])
    assert_allclose(
        weighted.score(X, y, sensitive_features=groups, sample_weight=weights),
        repeated.score(X[rows], y[rows], sensitive_features=groups[rows]),
        atol=1e-9,
    )
    assert_allclose(
        weighted.class_decision_rates_, repeated.class_decision_rates_, atol=1e-8
    )


def test_refit_forgets_the_other_paths_rules(data):
    X, y, groups = data
    opt = ThresholdOptimizer(LogisticRegression(), random_state=0)
    opt.fit(X, y, sensitive_features=groups)
    assert hasattr(opt, "decision_maps_")
    y01 = (y == 2).astype(int)
    opt.fit(X, y01, sensitive_features=groups)
    assert not hasattr(opt, "decision_maps_")
    assert opt.predict_proba(X, sensitive_features=groups).shape == (len(y), 2)
    opt.fit(X, y, sensitive_features=groups)
    assert not hasattr(opt, "roc_hulls_")


def test_sensitive_cols_equals_keyword(data):
    X, y, groups = data
    Xg = np.column_stack([X, groups])
    by_cols = ThresholdOptimizer(
        LogisticRegression(), sensitive_cols=2, random_state=0
    ).fit(Xg, y)
    by_kw = ThresholdOptimizer(LogisticRegression(), random_state=0).fit(
        X, y, sensitive_features=groups
    )
    assert_allclose(
        by_cols.predict_proba(Xg), by_kw.predict_proba(X, sensitive_features=groups)
    )
    assert_array_equal(by_cols.predict(Xg), by_kw.predict(X, sensitive_features=groups))


class _DecisionOnly(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        return self.model_.decision_function(X)


def test_every_score_method_gives_the_models_predicted_class(data):
    X, y, groups = data
    reference = ThresholdOptimizer(LogisticRegression()).fit(
        X, y, sensitive_features=groups
    )
    for model in (_DecisionOnly(),):
        opt = ThresholdOptimizer(model).fit(X, y, sensitive_features=groups)
        assert_allclose(opt.decision_maps_, reference.decision_maps_, atol=1e-8)


@pytest.mark.parametrize(
    "case, match",
    [
        ("one_group", "one group only"),
        ("class_missing", "has no samples of class 2"),
        ("unseen_group", "not seen"),
        ("dict_objective", "is for binary y"),
        ("matrix_shape", r"shape \(3, 3\)"),
        ("matrix_nan", "finite"),
        ("binary_only_constraint", "is for binary y"),
        ("matrix_on_binary", "for multiclass y"),
        ("zero_weight_class", "zero total"),
    ],
)
def test_bad_input_gets_a_clear_value_error(data, case, match):
    X, y, groups = data
    est = ThresholdOptimizer(LogisticRegression(), constraints="equalized_odds")
    fit_args = dict(sensitive_features=groups)
    if case == "one_group":
        fit_args["sensitive_features"] = np.zeros_like(groups)
    elif case == "class_missing":
        keep = ~((groups == 1) & (y == 2))
        X, y, fit_args["sensitive_features"] = X[keep], y[keep], groups[keep]
    elif case == "dict_objective":
        est.set_params(objective={"fp": 1.0, "fn": 1.0})
    elif case == "matrix_shape":
        est.set_params(objective=np.ones((2, 2)))
    elif case == "matrix_nan":
        est.set_params(objective=np.full((3, 3), np.nan))
    elif case == "binary_only_constraint":
        est.set_params(constraints="false_positive_rate_parity")
    elif case == "matrix_on_binary":
        est.set_params(objective=np.ones((2, 2)))
        y = (y == 0).astype(int)
    elif case == "zero_weight_class":
        fit_args["sample_weight"] = (y != 1).astype(float)
    if case == "unseen_group":
        est.fit(X, y, **fit_args)
        with pytest.raises(ValueError, match=match):
            est.predict_proba(X[:3], sensitive_features=[0, 1, 7])
        return
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, **fit_args)


def test_plot_is_for_binary_y_only(data):
    X, y, groups = data
    opt = ThresholdOptimizer(LogisticRegression()).fit(X, y, sensitive_features=groups)
    with pytest.raises(ValueError, match="binary y only"):
        opt.plot()


def test_class_missing_from_a_group_is_fine_for_demographic_parity(data):
    X, y, groups = data
    keep = ~((groups == 1) & (y == 2))
    opt = ThresholdOptimizer(
        LogisticRegression(), constraints="demographic_parity"
    ).fit(X[keep], y[keep], sensitive_features=groups[keep])
    proba = opt.predict_proba(X[keep], sensitive_features=groups[keep])
    rates = np.array([proba[groups[keep] == g].mean(axis=0) for g in range(3)])
    assert np.ptp(rates, axis=0).max() <= 1e-6


def test_inputs_are_not_modified(data):
    X, y, groups = data
    copies = [a.copy() for a in (X, y, groups)]
    weights = np.ones(len(y))
    opt = ThresholdOptimizer(LogisticRegression(), random_state=0)
    opt.fit(X, y, sensitive_features=groups, sample_weight=weights)
    opt.predict(X, sensitive_features=groups)
    for a, b in zip((X, y, groups), copies, strict=True):
        assert_array_equal(a, b)
    assert_array_equal(weights, 1.0)
