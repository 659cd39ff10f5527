"""AdversarialDebiasing: gradients against finite differences, and behaviour."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfair.inprocessing import AdversarialDebiasing
from skfair.inprocessing._adversarial import (
    _adversary_loss,
    _debiased_direction,
    _init_adversary,
    _init_predictor,
    _predictor_backward,
    _predictor_forward,
    _predictor_loss,
)
from skfair.metrics import demographic_parity_difference, equalized_odds_difference


def _small_problem(n=40, n_features=4, n_groups=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y01 = (rng.uniform(size=n) < 0.5).astype(float)
    codes = rng.integers(0, n_groups, n)
    weight = rng.uniform(0.5, 2.0, n)
    return X, y01, codes, weight, rng


def _numeric_gradient(loss, params, eps=1e-6):
    """Central differences of ``loss()`` in every entry of every array."""
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            old = p[index]
            p[index] = old + eps
            up = loss()
            p[index] = old - eps
            down = loss()
            p[index] = old
            g[index] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("hidden", [(), (5,), (6, 3)])
@pytest.mark.parametrize("constraints", ["demographic_parity", "equalized_odds"])
def test_gradients_equal_finite_differences(hidden, constraints):
    X, y01, codes, weight, rng = _small_problem()
    predictor = _init_predictor(X.shape[1], hidden, rng)
    for bias in predictor[1::2]:
        # Away from the ReLU's kink: with zero biases, a row whose hidden
        # units are all 0 has a pre-activation of exactly 0 in the next layer.
        bias[:] = rng.uniform(0.1, 0.3, bias.size)
    n_inputs = 1 if constraints == "demographic_parity" else 3
    adversary = _init_adversary(n_inputs, 3)
    adversary[0][0] = 0.7  # away from the kink of |c| at 0
    adversary[1][:] = rng.normal(size=adversary[1].shape)
    adversary[2][:] = rng.normal(size=3)

    def predictor_loss():
        return _predictor_loss(_predictor_forward(predictor, X)[0], y01, weight)[0]

    def adversary_loss():
        z = _predictor_forward(predictor, X)[0]
        return _adversary_loss(adversary, z, y01, codes, weight, constraints)[0]

    z, inputs = _predictor_forward(predictor, X)
    _, dz_p = _predictor_loss(z, y01, weight)
    _, grad_a, dz_a = _adversary_loss(adversary, z, y01, codes, weight, constraints)
    for analytic, numeric in (
        (_predictor_backward(predictor, inputs, dz_p), predictor_loss),
        (_predictor_backward(predictor, inputs, dz_a), adversary_loss),
    ):
        for a, f in zip(analytic, _numeric_gradient(numeric, predictor), strict=True):
            assert_allclose(a, f, rtol=1e-5, atol=1e-8)
    for a, f in zip(grad_a, _numeric_gradient(adversary_loss, adversary), strict=True):
        assert_allclose(a, f, rtol=1e-5, atol=1e-8)


def test_debiased_direction_is_orthogonal_to_the_adversary_gradient():
    rng = np.random.default_rng(0)
    g_p = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    g_a = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    flat_a = np.concatenate([g.ravel() for g in g_a])
    projected = _debiased_direction(g_p, g_a, 0.0)
    flat = np.concatenate([g.ravel() for g in projected])
    assert abs(flat @ flat_a) < 1e-12
    pushed = _debiased_direction(g_p, g_a, 2.0)
    diff = np.concatenate([g.ravel() for g in pushed]) - flat
    assert_allclose(diff, -2.0 * flat_a)


def _data(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + np.outer(group, [1.2, 0.0, 0.0])
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0.6).astype(int)
    return X, y, group


@pytest.mark.parametrize(
    "constraints, metric",
    [
        ("demographic_parity", demographic_parity_difference),
        ("equalized_odds", equalized_odds_difference),
    ],
)
def test_the_adversary_shrinks_the_gap(constraints, metric):
    X, y, group = _data()
    # Small batches: enough steps on 1,500 rows.
    params = dict(constraints=constraints, batch_size=64, random_state=0)
    plain = AdversarialDebiasing(adversary_loss_weight=0.0, **params)
    plain.fit(X, y, sensitive_features=group)
    fair = AdversarialDebiasing(adversary_loss_weight=1.0, **params)
    fair.fit(X, y, sensitive_features=group)
    gap_plain = metric(y, plain.predict(X), sensitive_features=group)
    gap_fair = metric(y, fair.predict(X), sensitive_features=group)
    assert gap_fair < 0.4 * gap_plain
    assert np.mean(fair.predict(X) == y) > 0.65


def test_reproducible_and_outputs_consistent():
    X, y, group = _data(n=300)
    X_cols = np.column_stack([X, group])
    labels = AdversarialDebiasing(hidden_layer_sizes=(4,), random_state=3)
    labels.fit(X, np.where(y == 1, "yes", "no"), sensitive_features=group)
    assert set(labels.predict(X)) <= {"yes", "no"}
    by_cols = AdversarialDebiasing(
        hidden_layer_sizes=(4,), sensitive_cols=3, random_state=3
    ).fit(X_cols, y)
    by_keyword = AdversarialDebiasing(hidden_layer_sizes=(4,), random_state=3).fit(
        X, y, sensitive_features=group
    )
    assert_array_equal(
        by_cols.decision_function(X_cols), by_keyword.decision_function(X)
    )
    proba = by_cols.predict_proba(X_cols)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(by_cols.predict(X_cols), (proba[:, 1] > 0.5).astype(int))
    again = AdversarialDebiasing(hidden_layer_sizes=(4,), random_state=3)
    again.fit(X, y, sensitive_features=group)
    assert_array_equal(again.decision_function(X), by_keyword.decision_function(X))
    assert len(by_cols.loss_curve_) == by_cols.n_iter_ == 40


def test_bad_input_raises_clear_errors():
    X, y, group = _data(n=100)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        AdversarialDebiasing(hidden_layer_sizes=(0,)).fit(
            X, y, sensitive_features=group
        )
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        AdversarialDebiasing().fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        AdversarialDebiasing().fit(X, np.arange(100) % 3, sensitive_features=group)
    with pytest.raises(ValueError, match="diverged"):
        AdversarialDebiasing(learning_rate=1e200, max_iter=2).fit(
            X * 1e200, y, sensitive_features=group
        )
    fitted = AdversarialDebiasing(max_iter=2).fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :2])


def test_one_group_and_a_group_without_a_compared_label_are_refused():
    # Issue 30: both fitted silently (nothing to debias against / an
    # undefined rate in the adversary's equalized-odds input).
    X, y, group = _data(n=100)
    with pytest.raises(ValueError, match="one group only"):
        AdversarialDebiasing(max_iter=2).fit(X, y, sensitive_features=np.zeros(100))
    y_no_positive = np.where(group == group[0], 0, y)
    with pytest.raises(
        ValueError, match=f"group {int(group[0])} has no rows with label 1"
    ):
        AdversarialDebiasing(constraints="equalized_odds", max_iter=2).fit(
            X, y_no_positive, sensitive_features=group
        )
    # Demographic parity compares all rows: a group with one label is fine.
    AdversarialDebiasing(max_iter=2).fit(X, y_no_positive, sensitive_features=group)
