"""ExponentiatedGradient and GridSearch (skfair.reductions).

Checked against fairlearn 0.15's reductions on small data (the same grid,
the same best responses, the same optimum of an equivalent problem), and
against direct computations of the mixture's training rates.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair.reductions import ExponentiatedGradient, GridSearch
from skfair.reductions._base import warm_start_parameter
from skfair.reductions._grid_search import integer_grid
from skfair.reductions._moments import classification_moment

fairlearn_reductions = pytest.importorskip("fairlearn.reductions")


def _data(n=600, seed=0, n_groups=2):
    """Features shifted by group, labels from the features: the rates differ."""
    rng = np.random.default_rng(seed)
    group = rng.choice(n_groups, size=n, p=None)
    group[0] = 0  # fairlearn orders groups by appearance, skfair sorts them
    x1 = rng.normal(size=n) + 0.9 * group
    x2 = rng.normal(size=n)
    y = (x1 - 0.5 * x2 + rng.normal(size=n) > 0.6).astype(np.int64)
    y[0] = 1  # fairlearn orders events by appearance too
    return np.column_stack([x1, x2]), y, group


def _expected_rates(p, y, group, sample_weight=None):
    """Per-group expected selection rate, TPR and FPR, computed directly."""
    w = np.ones_like(p) if sample_weight is None else sample_weight
    out = {}
    for g in np.unique(group):
        m = group == g
        out[g] = {
            "selection_rate": np.average(p[m], weights=w[m]),
            "true_positive_rate": np.average(p[m & (y == 1)], weights=w[m & (y == 1)]),
            "false_positive_rate": np.average(p[m & (y == 0)], weights=w[m & (y == 0)]),
        }
    return out


def _gap(rates, name):
    values = [r[name] for r in rates.values()]
    return max(values) - min(values)


_CONSTRAINT_RATES = {
    "demographic_parity": ["selection_rate"],
    "equalized_odds": ["true_positive_rate", "false_positive_rate"],
    "equal_opportunity": ["true_positive_rate"],
    "false_positive_rate_parity": ["false_positive_rate"],
}


# --------------------------------------------------------------------------
# The mixture meets the constraints on the training data
# --------------------------------------------------------------------------


@pytest.mark.parametrize("constraints", list(_CONSTRAINT_RATES))
@pytest.mark.parametrize("n_groups", [2, 3])
def test_mixture_training_gaps_within_tolerance_plus_eps(constraints, n_groups):
    X, y, group = _data(n_groups=n_groups)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=y.size)
    eg = ExponentiatedGradient(
        LogisticRegression(), constraints=constraints, tolerance=0.02, eps=0.01
    )
    eg.fit(X, y, sensitive_features=group, sample_weight=sw)
    p = eg.predict_proba(X)[:, 1]
    rates = _expected_rates(p, y, group, sw)
    for name in _CONSTRAINT_RATES[constraints]:
        gap = _gap(rates, name)
        assert gap <= 0.02 + 0.01
        # The attribute is the same figure.
        assert eg.training_gaps_[name] == pytest.approx(gap, abs=1e-9)
    assert eg.training_error_ == pytest.approx(
        np.average(np.where(y == 1, 1 - p, p), weights=sw), abs=1e-9
    )
    # The unconstrained model violates the constraint: the test can fail.
    base = LogisticRegression().fit(X, y, sample_weight=sw).predict(X)
    base_rates = _expected_rates(base.astype(float), y, group, sw)
    assert max(_gap(base_rates, n) for n in _CONSTRAINT_RATES[constraints]) > 0.06
    assert_allclose(eg.weights_.sum(), 1.0)
    assert len(eg.predictors_) == eg.weights_.size == eg.lambda_vecs_.shape[0]
    assert eg.lambda_vecs_.shape[1] == len(eg.constraint_pairs_)


def test_error_rate_parity():
    X, y, group = _data(seed=3)
    eg = ExponentiatedGradient(
        LogisticRegression(), constraints="error_rate_parity", tolerance=0.02
    ).fit(X, y, sensitive_features=group)
    p = eg.predict_proba(X)[:, 1]
    errors = [np.mean(np.where(y == 1, 1 - p, p)[group == g]) for g in (0, 1)]
    assert abs(errors[0] - errors[1]) <= 0.03
    assert eg.training_gaps_["error_rate"] == pytest.approx(
        abs(errors[0] - errors[1]), abs=1e-9
    )


# --------------------------------------------------------------------------
# Differential tests against fairlearn
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "constraints, moment",
    [
        ("demographic_parity", "DemographicParity"),
        ("equal_opportunity", "TruePositiveRateParity"),
    ],
)
def test_exponentiated_gradient_matches_fairlearn_optimum(constraints, moment):
    # With two groups and one event, "every group within b of the overall
    # rate" (fairlearn) is "the two groups within b / max share of each
    # other" (skfair), so both solve the same problem: their mixtures'
    # training errors must agree (the same objective value), within the
    # duality gaps of both runs.
    X, y, group = _data(n=800, seed=2)
    event = np.ones(y.size, bool) if constraints == "demographic_parity" else y == 1
    shares = np.bincount(group[event]) / event.sum()
    tolerance = 0.02
    ours = ExponentiatedGradient(
        LogisticRegression(), constraints=constraints, tolerance=tolerance
    ).fit(X, y, sensitive_features=group)
    bound = tolerance * shares.max()
    theirs = fairlearn_reductions.ExponentiatedGradient(
        LogisticRegression(),
        getattr(fairlearn_reductions, moment)(difference_bound=bound),
        eps=0.01,
    ).fit(X, y, sensitive_features=group)
    p_theirs = theirs._pmf_predict(X)[:, 1]
    m = classification_moment(constraints, y, np.ones(y.size), group, 2, tolerance)
    error_theirs = m.error(p_theirs)
    assert ours.training_error_ == pytest.approx(error_theirs, abs=0.01)
    # The constrained optimum costs accuracy: the unconstrained error is lower.
    base = LogisticRegression().fit(X, y).predict(X)
    assert m.error(base.astype(float)) < ours.training_error_ - 0.01


def test_grid_search_matches_fairlearn_grid_and_predictors():
    X, y, group = _data(n=500, seed=4)
    # fairlearn's reference is the last group in sorted order, skfair's the
    # heaviest: the same group here.
    assert np.bincount(group).argmax() == 1
    ours = GridSearch(
        LogisticRegression(),
        constraints="demographic_parity",
        grid_size=7,
        warm_start=False,
    ).fit(X, y, sensitive_features=group)
    theirs = fairlearn_reductions.GridSearch(
        LogisticRegression(),
        fairlearn_reductions.DemographicParity(),
        grid_size=7,
    ).fit(X, y, sensitive_features=group)
    lambdas = theirs.lambda_vecs_
    signed = (lambdas.loc["+"] - lambdas.loc["-"]).to_numpy()
    # fairlearn's multipliers of the first group (the last is the reference).
    assert_allclose(ours.lambda_vecs_[:, 0], signed[0])
    assert_allclose(ours.lambda_vecs_[:, 0], np.linspace(-2, 2, 7))
    # The same cost-sensitive problems: the same classifiers.
    for mine, fl in zip(ours.predictors_, theirs.predictors_, strict=True):
        assert_array_equal(mine.predict(X), fl.predict(X))


def test_grid_matches_fairlearn_in_two_dimensions():
    # Equalized odds with two groups: one dimension per event.
    # The grid's values; here group 0 is the heavier, so skfair's dimensions
    # are group 1's where fairlearn's are group 0's (its reference is the
    # last in sorted order).
    X, y, group = _data(n=400, seed=5)
    for grid_size in (5, 13):
        ours = GridSearch(
            LogisticRegression(), constraints="equalized_odds", grid_size=grid_size
        ).fit(X, y, sensitive_features=group)
        theirs = fairlearn_reductions.GridSearch(
            LogisticRegression(),
            fairlearn_reductions.EqualizedOdds(),
            grid_size=grid_size,
        ).fit(X, y, sensitive_features=group)
        signed = theirs.lambda_vecs_.loc["+"] - theirs.lambda_vecs_.loc["-"]
        assert ours.grid_groups_.tolist() == [1, 0]
        # skfair's dimensions: (positives, group 1), (negatives, group 1).
        expected = signed.loc[[("label=1", 0), ("label=0", 0)]].to_numpy().T
        assert_allclose(ours.lambda_vecs_, expected)


@pytest.mark.parametrize(
    "constraints, grid_size",
    [("demographic_parity", 5), ("equalized_odds", 10), ("equalized_odds", 13)],
)
def test_grid_search_does_not_depend_on_the_group_labels(constraints, grid_size):
    # Issue 30: renaming the groups so that their sorted order flips changed
    # the grid (built relative to the last group in sorted order), the chosen
    # point and some predictions. Unequal groups, so the reference differs.
    X, y, group = _data(n=400, seed=11)
    group = np.where(np.arange(400) % 3 == 0, 1, group)  # group 1 the larger
    assert (group == 1).sum() > (group == 0).sum()
    X_new, _, group_new = _data(n=200, seed=12)
    renamed = np.array(["z", "a"], dtype=object)  # 0 -> "z", 1 -> "a": flips
    fits = [
        GridSearch(
            LogisticRegression(), constraints=constraints, grid_size=grid_size
        ).fit(X, y, sensitive_features=g)
        for g in (group, renamed[group])
    ]
    original, relabelled = fits
    assert relabelled.groups_.tolist() == ["a", "z"]
    # The reference group (the heaviest, last) is the same group of rows.
    assert original.grid_groups_.tolist() == [0, 1]
    assert relabelled.grid_groups_.tolist() == ["z", "a"]
    assert_allclose(relabelled.lambda_vecs_, original.lambda_vecs_)
    assert_allclose(relabelled.training_errors_, original.training_errors_)
    assert_allclose(relabelled.training_gaps_, original.training_gaps_)
    assert relabelled.best_idx_ == original.best_idx_
    assert_array_equal(relabelled.predict(X_new), original.predict(X_new))
    assert_array_equal(relabelled.predict(X), original.predict(X))


def test_grid_reference_is_the_heaviest_group():
    # Three groups, the heaviest sorting first: it is the reference (last).
    X, y, group = _data(n=600, seed=13, n_groups=3)
    group = np.where(np.arange(600) % 2 == 0, 0, group)
    weight = np.bincount(group)
    assert weight.argmax() == 0
    gs = GridSearch(LogisticRegression(), grid_size=9).fit(
        X, y, sensitive_features=group
    )
    assert gs.grid_groups_[-1] == 0
    assert_array_equal(gs.grid_groups_, np.argsort(-weight, kind="stable")[[1, 2, 0]])


def test_integer_grid_is_the_l1_ball():
    points, m = integer_grid(2, 13)
    assert m == 2
    assert len(points) == 13 == len({tuple(p) for p in points})
    assert (np.abs(points).sum(axis=1) <= 2).all()
    points, m = integer_grid(1, 11)
    assert_array_equal(points[:, 0], np.arange(-5, 6))


def test_grid_search_selection_is_the_documented_trade_off():
    X, y, group = _data(n=500, seed=6)
    gs = GridSearch(LogisticRegression(), grid_size=9, constraint_weight=0.7)
    gs.fit(X, y, sensitive_features=group)
    errors, gaps = [], []
    for predictor in gs.predictors_:
        pred = predictor.predict(X).astype(float)
        errors.append(np.mean(pred != y))
        gaps.append(_gap(_expected_rates(pred, y, group), "selection_rate"))
    assert_allclose(gs.training_errors_, errors)
    assert_allclose(gs.training_gaps_, gaps)
    loss = 0.3 * np.array(errors) + 0.7 * np.array(gaps)
    assert gs.best_idx_ == int(np.argmin(loss))
    assert_array_equal(gs.predict(X), gs.predictors_[gs.best_idx_].predict(X))
    # The chosen one is fairer than the unconstrained model.
    base = LogisticRegression().fit(X, y).predict(X).astype(float)
    assert gaps[gs.best_idx_] < _gap(_expected_rates(base, y, group), "selection_rate")
    proba = gs.predict_proba(X)
    assert proba.shape == (y.size, 2)
    assert_allclose(proba.sum(axis=1), 1.0)


# --------------------------------------------------------------------------
# Prediction: a row's draw depends on the row and the seed only
# --------------------------------------------------------------------------


def _fitted_eg(**params):
    X, y, group = _data()
    eg = ExponentiatedGradient(
        LogisticRegression(), tolerance=0.0, random_state=0, **params
    )
    return eg.fit(X, y, sensitive_features=group), X, y, group


def test_predict_is_reproducible_per_row():
    eg, X, y, _ = _fitted_eg()
    p = eg.predict_proba(X)[:, 1]
    randomized = (p > 0) & (p < 1)
    assert randomized.sum() > 50  # the mixture randomizes on these rows
    full = eg.predict(X)
    assert_array_equal(full, eg.predict(X))
    perm = np.random.default_rng(0).permutation(y.size)
    assert_array_equal(eg.predict(X[perm]), full[perm])
    assert_array_equal([eg.predict(X[i : i + 1])[0] for i in range(20)], full[:20])
    # Rows whose probability is 0 or 1 are not randomized.
    assert_array_equal(full[p == 1], 1)
    assert_array_equal(full[p == 0], 0)
    # Over the randomized rows, the positive rate is the expected one.
    assert abs(full[randomized].mean() - p[randomized].mean()) < 0.1
    # Another seed changes some randomized decisions.
    other = eg.set_params(random_state=1).predict(X)
    assert (other != full)[randomized].any()
    assert eg.score(X, y) == pytest.approx(np.mean(np.where(y == 1, p, 1 - p)))


def test_deterministic_option_uses_the_best_single_feasible_predictor():
    eg, X, y, group = _fitted_eg(randomized=False)
    proba = eg.predict_proba(X)[:, 1]
    assert set(np.unique(proba)) <= {0.0, 1.0}
    assert_array_equal(eg.predict(X), proba.astype(int))
    m = classification_moment("equalized_odds", y, np.ones(y.size), group, 2, 0.0)
    best = None
    for i, predictor in enumerate(eg.predictors_):
        d = predictor.predict(X).astype(float)
        if max(m.gaps(m.rates(d)).values()) <= eg.tolerance + eg.eps:
            if best is None or m.error(d) < best[1]:
                best = (i, m.error(d))
    if best is not None:
        assert eg.deterministic_index_ == best[0]
        assert eg.training_error_ == pytest.approx(best[1])
    d = eg.predictors_[eg.deterministic_index_].predict(X).astype(float)
    assert_array_equal(proba, d)
    assert not eg.__sklearn_tags__().non_deterministic


def test_sensitive_cols_drops_the_column_and_predict_needs_no_groups():
    X, y, group = _data()
    frame = pd.DataFrame(
        {"x1": X[:, 0], "sex": np.where(group, "M", "F"), "x2": X[:, 1]}
    )
    by_cols = ExponentiatedGradient(
        LogisticRegression(), sensitive_cols="sex", random_state=0
    ).fit(frame, y)
    by_kw = ExponentiatedGradient(LogisticRegression(), random_state=0).fit(
        frame.drop(columns="sex"), y, sensitive_features=frame["sex"]
    )
    assert_array_equal(by_cols.groups_, ["F", "M"])
    assert_array_equal(by_cols.predict(frame), by_kw.predict(frame.drop(columns="sex")))
    assert by_cols.predictors_[0].n_features_in_ == 2


# --------------------------------------------------------------------------
# Warm starts
# --------------------------------------------------------------------------


def test_warm_start_parameter_rule():
    assert warm_start_parameter(LogisticRegression(), "auto") == "warm_start"
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    assert warm_start_parameter(pipe, "auto") == "logisticregression__warm_start"
    # An ensemble's warm_start adds members: never used automatically.
    assert warm_start_parameter(HistGradientBoostingClassifier(), "auto") is None
    assert warm_start_parameter(LogisticRegression(), False) is None
    with pytest.raises(ValueError, match="has no warm_start parameter"):
        warm_start_parameter(KNeighborsClassifier(), True)


def test_warm_starts_reach_the_same_optimum():
    X, y, group = _data(n=800, seed=7)
    fits = {}
    for warm in ("auto", False):
        eg = ExponentiatedGradient(
            LogisticRegression(), tolerance=0.02, warm_start=warm
        ).fit(X, y, sensitive_features=group)
        fits[warm] = eg
    assert fits["auto"].training_error_ == pytest.approx(
        fits[False].training_error_, abs=0.005
    )
    assert fits["auto"].predictors_[1].warm_start


def test_pipeline_estimator_gets_the_weights():
    X, y, group = _data()
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    eg = ExponentiatedGradient(pipe, tolerance=0.02).fit(X, y, sensitive_features=group)
    assert max(eg.training_gaps_.values()) <= 0.03


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Reduction", [ExponentiatedGradient, GridSearch])
def test_estimator_without_sample_weight_is_refused(Reduction):
    X, y, group = _data(n=100)
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit does not"):
        Reduction(KNeighborsClassifier()).fit(X, y, sensitive_features=group)


@pytest.mark.parametrize("Reduction", [ExponentiatedGradient, GridSearch])
def test_group_without_negatives_is_named(Reduction):
    X, y, group = _data(n=200)
    y = y.copy()
    y[group == 1] = 1
    with pytest.raises(ValueError, match="Group 1 has no negative samples"):
        Reduction(LogisticRegression(), constraints="equalized_odds").fit(
            X, y, sensitive_features=group
        )


@pytest.mark.parametrize("Reduction", [ExponentiatedGradient, GridSearch])
def test_one_group_is_a_clear_error(Reduction):
    # Issue 30: GridSearch fitted one group silently, ExponentiatedGradient
    # crashed with "zero-size array to reduction operation maximum".
    X, y, _ = _data(n=100)
    with pytest.raises(ValueError, match=r"one group only \('a'\).*at least two"):
        Reduction(LogisticRegression()).fit(X, y, sensitive_features=["a"] * 100)


@pytest.mark.parametrize("Reduction", [ExponentiatedGradient, GridSearch])
def test_bad_targets_and_missing_groups(Reduction):
    X, y, group = _data(n=100)
    with pytest.raises(ValueError, match="Only binary classification"):
        Reduction(LogisticRegression()).fit(
            X, y + (group == 1) * np.arange(100) % 3, sensitive_features=group
        )
    with pytest.raises(ValueError, match="needs the sensitive features"):
        Reduction(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="predict 0 or 1"):
        Reduction(LinearRegression()).fit(X, y, sensitive_features=group)


def test_max_iter_reached_warns():
    X, y, group = _data()
    with pytest.warns(Warning, match="stopped after max_iter=1"):
        ExponentiatedGradient(LogisticRegression(), max_iter=1, tolerance=0.0).fit(
            X, y, sensitive_features=group
        )


def test_inputs_are_not_modified():
    X, y, group = _data()
    sw = np.ones(y.size)
    copies = [a.copy() for a in (X, y, group, sw)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ExponentiatedGradient(LogisticRegression(), max_iter=3).fit(
            X, y, sensitive_features=group, sample_weight=sw
        )
    for original, copy in zip((X, y, group, sw), copies, strict=True):
        assert_array_equal(original, copy)


# --------------------------------------------------------------------------
# Regression: bounded group loss
# --------------------------------------------------------------------------


def _regression_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(2, n)
    group[0] = 0
    X = rng.normal(size=(n, 2))
    noise = rng.normal(scale=0.3 + 0.5 * group, size=n)
    y = X[:, 0] + np.where(group == 1, 1.5, 0.2) * X[:, 1] + noise
    return X, y, group


def test_bounded_group_loss_matches_fairlearn():
    X, y, group = _regression_data()
    tolerance = 0.9
    base = (LinearRegression().fit(X, y).predict(X) - y) ** 2
    assert base[group == 1].mean() > tolerance + 0.05  # the constraint binds
    ours = ExponentiatedGradient(
        LinearRegression(),
        constraints="bounded_group_loss",
        tolerance=tolerance,
        random_state=0,
    ).fit(X, y, sensitive_features=group)
    # The mixture's expected losses, computed from its members directly.
    members = np.column_stack(
        [np.clip(h.predict(X), y.min(), y.max()) for h in ours.predictors_]
    )
    losses = (members - y[:, None]) ** 2 @ ours.weights_
    group_losses = [losses[group == g].mean() for g in (0, 1)]
    assert max(group_losses) <= tolerance + ours.eps
    assert ours.training_gaps_["group_loss"] == pytest.approx(max(group_losses))
    assert ours.training_error_ == pytest.approx(losses.mean())
    theirs = fairlearn_reductions.ExponentiatedGradient(
        LinearRegression(),
        fairlearn_reductions.BoundedGroupLoss(
            fairlearn_reductions.SquareLoss(y.min(), y.max()), upper_bound=tolerance
        ),
        eps=0.01,
    ).fit(X, y, sensitive_features=group)
    members = np.column_stack(
        [np.clip(h.predict(X), y.min(), y.max()) for h in theirs.predictors_]
    )
    theirs_loss = ((members - y[:, None]) ** 2 @ theirs.weights_.to_numpy()).mean()
    # The same problem: the same optimum, within the duality gaps.
    assert ours.training_error_ == pytest.approx(theirs_loss, abs=0.01)


def test_bounded_group_loss_predict_and_errors():
    X, y, group = _regression_data(n=300, seed=1)
    eg = ExponentiatedGradient(
        LinearRegression(),
        constraints="bounded_group_loss",
        tolerance=0.9,
        random_state=0,
    ).fit(X, y, sensitive_features=group)
    assert not hasattr(eg, "predict_proba")
    pred = eg.predict(X)
    # The same member for a row alone (its prediction may differ in the last
    # bit: the regressor's matrix product is batched).
    alone = [eg.predict(X[i : i + 1])[0] for i in range(10)]
    assert_allclose(alone, pred[:10], rtol=1e-12)
    # Each prediction is one of the used members' predictions.
    members = np.column_stack(
        [
            h.predict(X)
            for h, w in zip(eg.predictors_, eg.weights_, strict=True)
            if w > 0
        ]
    )
    assert members.shape[1] > 1  # a real mixture: rows pick different members
    assert np.isclose(members, pred[:, None]).any(axis=1).all()
    assert eg.__sklearn_tags__().estimator_type == "regressor"
    with pytest.raises(ValueError, match="must be a regressor"):
        ExponentiatedGradient(
            LogisticRegression(), constraints="bounded_group_loss"
        ).fit(X, (y > 0).astype(int), sensitive_features=group)
