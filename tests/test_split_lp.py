"""The threshold LP solved group by group equals the direct LP (HiGHS).

``_split_lp`` searches over the shared rate bounds and solves each group on
its own; ``_lp.solve_vertex_weights`` is the direct LP over all groups at
once (the independent route here). On random instances, with weights,
tolerances and cost matrices (gains included), both reach the same optimum,
the split solution meets the constraints exactly, and where the optimal
operating points are unique (continuous scores, groups of 75+ rows) they
are the same.
"""

import numpy as np
import pytest

from skfair.postprocessing import ThresholdOptimizer, _lp, _split_lp
from skfair.postprocessing._roc import group_roc_hulls

RATES = {
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
    "false_positive_rate_parity": ("false_positive_rate",),
    "demographic_parity": ("selection_rate",),
}


def _instance(seed, n_groups, weighted=False, ties=False):
    rng = np.random.RandomState(seed)
    n = max(3000, 30 * n_groups)
    groups = rng.randint(0, n_groups, n)
    z = rng.normal(size=n) + rng.normal(scale=0.6, size=n_groups)[groups]
    y = (rng.random_sample(n) < 1 / (1 + np.exp(-(1.5 * z - 0.3)))).astype(np.uint8)
    # Both labels in every group (of 2+ rows: 30 on average), so that every
    # rate is defined.
    y[np.unique(groups, return_index=True)[1]] = 1
    y[n - 1 - np.unique(groups[::-1], return_index=True)[1]] = 0
    scores = z + rng.normal(scale=0.8, size=n)
    if ties:
        scores = np.round(scores, 1)
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    return group_roc_hulls(scores, y, w, groups, n_groups)


def _costs(name, hulls):
    total = sum(h.n_negatives + h.n_positives for h in hulls)
    table = {
        "accuracy": {"tp": 0.0, "fp": 1.0, "tn": 0.0, "fn": 1.0},
        "fn_heavy": {"tp": 0.0, "fp": 1.0, "tn": 0.0, "fn": 4.0},
        "gains": {"tp": -2.0, "fp": 1.0, "tn": -0.5, "fn": 0.3},
    }[name]
    return {key: value / total for key, value in table.items()}


def _operating_points(hulls, weights):
    return np.array(
        [[w @ h.fpr, w @ h.tpr] for h, w in zip(hulls, weights, strict=True)]
    )


def _check_same_optimum(hulls, costs, rates, tolerance, *, points=True):
    split, split_obj = _split_lp.solve_by_groups(
        hulls, costs=costs, rates=rates, tolerance=tolerance
    )
    direct, direct_obj = _lp.solve_vertex_weights(
        hulls, costs=costs, rates=rates, tolerance=tolerance
    )
    recomputed = sum(
        w @ _lp.vertex_costs(h, costs) for h, w in zip(hulls, split, strict=True)
    )
    assert recomputed == pytest.approx(split_obj, abs=1e-12)
    assert split_obj == pytest.approx(direct_obj, abs=1e-10)
    for w in split:
        assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    for rate in rates:
        values = [
            w @ _lp.rate_coefficients(h, rate)
            for h, w in zip(hulls, split, strict=True)
        ]
        assert np.ptp(values) <= tolerance + 1e-12
    if points:
        np.testing.assert_allclose(
            _operating_points(hulls, split), _operating_points(hulls, direct), atol=1e-7
        )


@pytest.mark.parametrize(
    "constraints",
    ["equal_opportunity", "demographic_parity", "false_positive_rate_parity"],
)
@pytest.mark.parametrize("seed", range(6))
def test_one_rate_equals_direct_lp(constraints, seed):
    rng = np.random.RandomState(100 + seed)
    n_groups = [2, 3, 7, 40, 150, 400][seed]
    hulls = _instance(seed, n_groups, weighted=seed % 2 == 1, ties=seed == 2)
    tolerance = [0.0, 0.02, 0.1][seed % 3]
    costs = _costs(["accuracy", "fn_heavy", "gains"][rng.randint(3)], hulls)
    # Small groups (a few rows) or tied scores often have several optimal
    # rules (an edge whose cost is flat); then only the optimum value agrees.
    unique = n_groups <= 40 and seed != 2
    _check_same_optimum(hulls, costs, RATES[constraints], tolerance, points=unique)


@pytest.mark.parametrize(
    "seed, tolerance, cost_name, constraints",
    [
        (0, 0.05, "fn_heavy", "false_positive_rate_parity"),
        (1, 0.1, "fn_heavy", "demographic_parity"),
        (4, 0.05, "accuracy", "demographic_parity"),
    ],
)
def test_breakpoints_equal_up_to_rounding(seed, tolerance, cost_name, constraints):
    # With tolerance 0.05, a breakpoint r and another one r' - 0.05 can be
    # the same number up to the last bit; such near-duplicates once stalled
    # the binary search on a tie of rounding, away from the optimum.
    hulls = _instance(seed, 150)
    _check_same_optimum(
        hulls, _costs(cost_name, hulls), RATES[constraints], tolerance, points=False
    )


@pytest.mark.parametrize(
    "seed, n_groups, tolerance, cost_name",
    [
        (0, 2, 0.0, "accuracy"),
        (1, 5, 0.05, "fn_heavy"),
        (2, 30, 0.0, "gains"),
        (3, 120, 0.02, "accuracy"),
    ],
)
def test_equalized_odds_equals_direct_lp(seed, n_groups, tolerance, cost_name):
    hulls = _instance(seed, n_groups, weighted=seed % 2 == 0, ties=seed == 3)
    _check_same_optimum(
        hulls,
        _costs(cost_name, hulls),
        RATES["equalized_odds"],
        tolerance,
        points=seed != 3,
    )


def test_ties_and_a_loose_tolerance_reach_the_optimum():
    # Tied scores and a tolerance so large that no constraint binds: many
    # optimal rules; the optimum value is what must agree.
    hulls = _instance(7, 25, ties=True)
    costs = _costs("accuracy", hulls)
    for rates in RATES.values():
        _check_same_optimum(hulls, costs, rates, 1.5, points=False)


def test_threshold_optimizer_uses_the_split_lp_for_many_groups(monkeypatch):
    # Forced down to a few groups, the equalized-odds estimator takes the
    # split route and predicts what the direct LP gives.
    rng = np.random.RandomState(0)
    n, n_groups = 4000, 12
    groups = rng.randint(0, n_groups, n)
    X = rng.normal(size=(n, 1)) + 0.2 * groups[:, None]
    y = (X[:, 0] + rng.normal(size=n) > 1.0).astype(int)
    from sklearn.linear_model import LogisticRegression

    direct = ThresholdOptimizer(LogisticRegression(), tolerance=0.01)
    direct.fit(X, y, sensitive_features=groups)
    calls = []
    original = _split_lp.solve_by_groups

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_split_lp, "EQUALIZED_ODDS_DIRECT_MAX_GROUPS", 4)
    monkeypatch.setattr(_split_lp, "solve_by_groups", spy)
    split = ThresholdOptimizer(LogisticRegression(), tolerance=0.01)
    split.fit(X, y, sensitive_features=groups)
    assert calls
    np.testing.assert_allclose(
        split.operating_points_, direct.operating_points_, atol=1e-7
    )
    np.testing.assert_allclose(
        split.predict_proba(X, sensitive_features=groups),
        direct.predict_proba(X, sensitive_features=groups),
        atol=1e-6,
    )
