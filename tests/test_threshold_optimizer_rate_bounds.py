"""Tests of ThresholdOptimizer's ``rate_bounds`` and ``constraints=None``.

The bounds are checked on the expected decisions of ``predict_proba`` on the
training rows (to 1e-9), and the optimum against brute force over the ROC
points of every threshold, computed here one threshold at a time.
"""

import re

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from skfair.postprocessing import ThresholdOptimizer

PRECISION = 1e-9


class ColumnScorer(ClassifierMixin, BaseEstimator):
    """A 'fitted' scorer whose positive-class probability is X[:, 0]."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        s = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - s, s])


def scored_data(seed=0, n=600, n_groups=3):
    """Scores in (0, 1) with ties, labels and groups with different skill."""
    rng = np.random.RandomState(seed)
    groups = rng.randint(0, n_groups, size=n)
    z = rng.normal(size=n) + 0.5 * groups
    y = (rng.random_sample(n) < 1 / (1 + np.exp(-(1.5 * z - 0.5)))).astype(int)
    noise = (0.3 + 0.4 * groups) * rng.normal(size=n)
    s = np.clip(np.round(1 / (1 + np.exp(-(z + noise))), 2), 0.01, 0.99)
    return s[:, None], y, groups


def fitted(X, y, groups, sample_weight=None, **params):
    scorer = ColumnScorer().fit(X, y)
    opt = ThresholdOptimizer(scorer, prefit=True, random_state=0, **params)
    return opt.fit(X, y, sensitive_features=groups, sample_weight=sample_weight)


def group_rates(opt, X, y, groups, w=None):
    """{rate: array per group} of predict_proba's expected decisions."""
    w = np.ones(y.size) if w is None else w
    p = opt.predict_proba(X, sensitive_features=groups)[:, 1]
    out = {"true_positive_rate": [], "false_positive_rate": [], "selection_rate": []}
    for g in np.unique(groups):
        m = groups == g
        pos, neg = m & (y == 1), m & (y == 0)
        with np.errstate(invalid="ignore"):  # NaN: the rate is undefined
            out["true_positive_rate"].append((w * p)[pos].sum() / w[pos].sum())
            out["false_positive_rate"].append((w * p)[neg].sum() / w[neg].sum())
        out["selection_rate"].append((w * p)[m].sum() / w[m].sum())
    return {k: np.array(v) for k, v in out.items()}


def group_accuracy(opt, X, y, groups):
    """Expected accuracy of each group's decisions (ties in cost are equal)."""
    p = opt.predict_proba(X, sensitive_features=groups)[:, 1]
    correct = np.where(y == 1, p, 1 - p)
    return np.array([correct[groups == g].mean() for g in np.unique(groups)])


def roc_points(scores, y, w):
    """(FPR, TPR) of 'never' and of every rule 'score >= t', t a score."""
    neg, pos = w[y == 0].sum(), w[y == 1].sum()
    points = [(0.0, 0.0)]
    for t in np.unique(scores)[::-1]:
        pred = scores >= t
        points.append((w[pred & (y == 0)].sum() / neg, w[pred & (y == 1)].sum() / pos))
    return np.array(points), neg, pos


def brute_min_errors_tpr_at_least(scores, y, w, lo):
    """Fewest expected errors of a randomized threshold rule with TPR >= lo.

    The optimum over the convex hull of the ROC points cut by TPR >= lo is at
    a vertex of that polygon: a ROC point with TPR >= lo, or the point where
    the segment between two ROC points crosses TPR = lo. All are tried.
    """
    pts, neg, pos = roc_points(scores, y, w)
    f, t = pts[:, 0], pts[:, 1]
    errors = neg * f + pos * (1 - t)
    best = errors[t >= lo - 1e-15].min()
    for i in np.flatnonzero(t < lo):
        for j in np.flatnonzero(t > lo):
            mu = (lo - t[i]) / (t[j] - t[i])
            fm = (1 - mu) * f[i] + mu * f[j]
            best = min(best, neg * fm + pos * (1 - lo))
    return best


def upper_envelope(points, f):
    """Largest TPR reachable at FPR f: the upper hull of the points at f."""
    pts = sorted({(float(a), float(b)) for a, b in points})
    hull = []
    for p in pts:
        while len(hull) >= 2:
            (ox, oy), (ax, ay) = hull[-2], hull[-1]
            if (ax - ox) * (p[1] - oy) - (ay - oy) * (p[0] - ox) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    xs, ys = [], []
    for x, yv in hull:
        if xs and x == xs[-1]:
            ys[-1] = max(ys[-1], yv)
        else:
            xs.append(x)
            ys.append(yv)
    return np.interp(f, xs, ys), np.array(xs), np.array(ys)


# ---------------------------------------------------------------------------
# Bounds met on the training rows, with any parity constraint
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "constraints",
    [
        None,
        "equalized_odds",
        "equal_opportunity",
        "false_positive_rate_parity",
        "demographic_parity",
    ],
)
@pytest.mark.parametrize(
    "rate_bounds",
    [
        {"true_positive_rate": (0.8, None)},
        {"false_positive_rate": (None, 0.15)},
        {"selection_rate": (0.3, 0.4)},
        {"true_positive_rate": (0.6, None), "false_positive_rate": (None, 0.4)},
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_bounds_met_on_training_rows(constraints, rate_bounds, weighted):
    X, y, groups = scored_data()
    w = None
    if weighted:
        w = np.random.RandomState(1).uniform(0.2, 3.0, size=y.size)
    opt = fitted(X, y, groups, w, constraints=constraints, rate_bounds=rate_bounds)
    rates = group_rates(opt, X, y, groups, w)
    for rate, (lo, hi) in rate_bounds.items():
        if lo is not None:
            assert (rates[rate] >= lo - PRECISION).all(), (rate, rates[rate])
        if hi is not None:
            assert (rates[rate] <= hi + PRECISION).all(), (rate, rates[rate])
    # The parity constraint still holds.
    parity = {
        "equalized_odds": ("true_positive_rate", "false_positive_rate"),
        "equal_opportunity": ("true_positive_rate",),
        "false_positive_rate_parity": ("false_positive_rate",),
        "demographic_parity": ("selection_rate",),
    }.get(constraints, ())
    for rate in parity:
        assert np.ptp(rates[rate]) <= PRECISION, (rate, rates[rate])
    # The fitted attributes say the same as predict_proba.
    np.testing.assert_allclose(
        opt.operating_points_,
        np.column_stack([rates["false_positive_rate"], rates["true_positive_rate"]]),
        atol=1e-12,
    )


def test_bounds_bind():
    """Without the bound a group's recall is below it, with it exactly at it."""
    X, y, groups = scored_data()
    free = fitted(X, y, groups, constraints=None)
    free_tpr = group_rates(free, X, y, groups)["true_positive_rate"]
    lo = float(np.sort(free_tpr)[1])  # above the lowest group's recall
    assert free_tpr.min() < lo - 0.01
    bounded = fitted(
        X, y, groups, constraints=None, rate_bounds={"true_positive_rate": (lo, None)}
    )
    tpr = group_rates(bounded, X, y, groups)["true_positive_rate"]
    low = np.argmin(free_tpr)
    assert abs(tpr[low] - lo) <= PRECISION
    # The groups already above the bound keep their own best accuracy (a
    # rule of the same cost, maybe another one of equal cost).
    others = np.arange(len(tpr)) != low
    np.testing.assert_allclose(
        group_accuracy(bounded, X, y, groups)[others],
        group_accuracy(free, X, y, groups)[others],
        atol=1e-12,
    )
    assert (tpr[others] >= lo - PRECISION).all()
    assert bounded.score(X, y, sensitive_features=groups) < free.score(
        X, y, sensitive_features=groups
    )


@pytest.mark.parametrize("lo", [0.0, 0.55, 0.8, 0.93])
@pytest.mark.parametrize("weighted", [False, True])
def test_no_parity_optimum_equals_brute_force(lo, weighted):
    X, y, groups = scored_data(seed=3, n=400)
    w = np.ones(y.size)
    if weighted:
        w = np.random.RandomState(2).uniform(0.2, 3.0, size=y.size)
    opt = fitted(
        X,
        y,
        groups,
        w if weighted else None,
        constraints=None,
        rate_bounds={"true_positive_rate": (lo, None)},
    )
    errors = sum(
        brute_min_errors_tpr_at_least(
            X[groups == g, 0], y[groups == g], w[groups == g], lo
        )
        for g in np.unique(groups)
    )
    expected_accuracy = 1 - errors / w.sum()
    score = opt.score(X, y, sample_weight=w, sensitive_features=groups)
    assert score == pytest.approx(expected_accuracy, abs=1e-9)


def test_equalized_odds_with_recall_bound_equals_brute_force():
    """Equalized odds (tolerance 0) and recall >= lo, against an exact search.

    A common operating point (f, t) is reachable iff f <= t <= min_g H_g(f)
    for each group's upper hull H_g; the errors, sum_g N_g f + P_g (1 - t),
    fall as t grows, so t = min_g H_g(f), and the best f is a breakpoint:
    a hull vertex's FPR of some group, or where min_g H_g(f) = lo.
    """
    X, y, groups = scored_data(seed=5, n=500)
    lo = 0.85
    opt = fitted(
        X,
        y,
        groups,
        constraints="equalized_odds",
        rate_bounds={"true_positive_rate": (lo, None)},
    )
    labels = np.unique(groups)
    envelopes = [
        upper_envelope(
            roc_points(X[groups == g, 0], y[groups == g], np.ones(y.size)[groups == g])[
                0
            ],
            0.0,
        )
        for g in labels
    ]
    candidates = [np.concatenate([xs for _, xs, _ in envelopes])]
    for _, xs, ys in envelopes:
        candidates.append([np.interp(lo, ys, xs)])  # where H_g(f) = lo
    candidates = np.unique(np.clip(np.concatenate(candidates), 0, 1))
    n_neg = sum((y[groups == g] == 0).sum() for g in labels)
    n_pos = sum((y[groups == g] == 1).sum() for g in labels)
    best = np.inf
    for f in candidates:
        t = min(np.interp(f, xs, ys) for _, xs, ys in envelopes)
        if t >= lo - 1e-12 and t >= f:
            best = min(best, n_neg * f + n_pos * (1 - t))
    assert opt.score(X, y, sensitive_features=groups) == pytest.approx(
        1 - best / y.size, abs=1e-9
    )
    rates = group_rates(opt, X, y, groups)
    assert (rates["true_positive_rate"] >= lo - PRECISION).all()


def test_non_binding_bounds_change_nothing():
    X, y, groups = scored_data()
    for constraints in ("equalized_odds", "demographic_parity"):
        plain = fitted(X, y, groups, constraints=constraints)
        loose = fitted(
            X,
            y,
            groups,
            constraints=constraints,
            rate_bounds={"true_positive_rate": (0.0, 1.0), "selection_rate": (0, 1)},
        )
        assert loose.score(X, y, sensitive_features=groups) == pytest.approx(
            plain.score(X, y, sensitive_features=groups), abs=1e-9
        )


# ---------------------------------------------------------------------------
# Bounds per group
# ---------------------------------------------------------------------------


def test_per_group_bounds():
    X, y, groups = scored_data()
    free_opt = fitted(X, y, groups, constraints=None)
    free = group_rates(free_opt, X, y, groups)
    target = float(free["true_positive_rate"][0]) + 0.1
    opt = fitted(
        X,
        y,
        groups,
        constraints=None,
        rate_bounds={
            "true_positive_rate": {0: (target, None)},
            "false_positive_rate": {2: (None, 0.1)},
        },
    )
    rates = group_rates(opt, X, y, groups)
    assert abs(rates["true_positive_rate"][0] - target) <= PRECISION
    assert rates["false_positive_rate"][2] <= 0.1 + PRECISION
    # Group 1 is not named: it keeps its unbounded best accuracy.
    assert group_accuracy(opt, X, y, groups)[1] == pytest.approx(
        group_accuracy(free_opt, X, y, groups)[1], abs=1e-12
    )


def test_per_group_bounds_with_string_and_intersectional_labels():
    X, y, groups = scored_data()
    names = np.array(["a", "b", "c"])[groups]
    opt = fitted(
        X,
        y,
        names,
        constraints=None,
        rate_bounds={"selection_rate": {"b": (0.5, None)}},
    )
    assert group_rates(opt, X, y, names)["selection_rate"][1] >= 0.5 - PRECISION
    two = np.column_stack([names, np.where(X[:, 0] > 0.5, "hi", "lo")])
    opt = fitted(
        X,
        y,
        two,
        constraints=None,
        rate_bounds={"selection_rate": {("b", "lo"): (0.3, None)}},
    )
    index = [tuple(g) for g in opt.groups_].index(("b", "lo"))
    assert opt.selection_rates_[index] >= 0.3 - PRECISION


def test_unknown_group_is_named():
    X, y, groups = scored_data()
    with pytest.raises(ValueError, match=r"names group 7, which is not a group"):
        fitted(X, y, groups, rate_bounds={"true_positive_rate": {7: (0.5, None)}})


def test_undefined_bounded_rate_is_an_error():
    X, y, groups = scored_data()
    y = y.copy()
    y[groups == 1] = 0  # group 1 has no positives: its TPR is undefined
    bounds = {"true_positive_rate": (0.5, None)}
    with pytest.raises(
        ValueError, match=r"Group 1 has no positive samples.*rate_bounds"
    ):
        fitted(X, y, groups, constraints=None, rate_bounds=bounds)
    # Bounding the other groups only works.
    opt = fitted(
        X,
        y,
        groups,
        constraints=None,
        rate_bounds={"true_positive_rate": {0: (0.5, None), 2: (0.5, None)}},
    )
    rates = group_rates(opt, X, y, groups)["true_positive_rate"]
    assert rates[0] >= 0.5 - PRECISION and rates[2] >= 0.5 - PRECISION


# ---------------------------------------------------------------------------
# Infeasible bounds
# ---------------------------------------------------------------------------


def test_infeasible_names_group_bound_and_best_value():
    X, y, groups = scored_data()
    bounds = {"true_positive_rate": (0.9, None), "false_positive_rate": (None, 0.05)}
    with pytest.raises(ValueError) as info:
        fitted(X, y, groups, constraints=None, rate_bounds=bounds)
    message = str(info.value)
    found = re.search(
        r"group (\d): false_positive_rate <= 0.05 is out of reach\. The smallest "
        r"false_positive_rate that group \d can reach is ([0-9.e-]+)",
        message,
    )
    assert found, message
    g, best = int(found.group(1)), float(found.group(2))
    # Without parity constraints a group's smallest FPR at TPR >= 0.9 is its
    # ROC hull's FPR at TPR 0.9, computed here from the group's ROC points.
    m = groups == g
    _, xs, ys = upper_envelope(roc_points(X[m, 0], y[m], np.ones(m.sum()))[0], 0.0)
    assert best == pytest.approx(np.interp(0.9, ys, xs), rel=1e-5)
    # The groups before it met both bounds: their smallest FPR is <= 0.05.
    for h in range(g):
        mh = groups == h
        _, xs, ys = upper_envelope(roc_points(X[mh, 0], y[mh], np.ones(mh.sum()))[0], 0)
        assert np.interp(0.9, ys, xs) <= 0.05
    assert "no parity constraint" in message


def test_infeasible_best_value_is_the_frontier_under_parity():
    """The reported best value is reachable, and a little beyond it is not."""
    X, y, groups = scored_data()
    bounds = {"false_positive_rate": (None, 0.1), "true_positive_rate": (0.8, None)}
    with pytest.raises(ValueError, match="constraints='equalized_odds'") as info:
        fitted(X, y, groups, constraints="equalized_odds", rate_bounds=bounds)
    message = str(info.value)
    # TPR bounds come first: those of every group fit with EO; the first FPR
    # bound cannot be added to them.
    found = re.search(
        r"group 0: false_positive_rate <= 0.1 is out of reach\. The smallest "
        r"false_positive_rate that group 0 can reach is ([0-9.e-]+)",
        message,
    )
    assert found, message
    best = float(found.group(1))
    assert best > 0.1
    ok = fitted(
        X,
        y,
        groups,
        constraints="equalized_odds",
        rate_bounds={
            "false_positive_rate": (None, best + 1e-6),
            "true_positive_rate": (0.8, None),
        },
    )
    assert group_rates(ok, X, y, groups)["false_positive_rate"][0] <= best + 1e-6
    with pytest.raises(ValueError, match="out of reach"):
        fitted(
            X,
            y,
            groups,
            constraints="equalized_odds",
            rate_bounds={
                "false_positive_rate": (None, best - 1e-4),
                "true_positive_rate": (0.8, None),
            },
        )


# ---------------------------------------------------------------------------
# Parameters, multiclass, many groups
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate_bounds, match",
    [
        ({"recall": (0.5, None)}, r"unknown rate\(s\) \['recall'\]"),
        ({"true_positive_rate": 0.5}, r"must be a pair \(lower, upper\)"),
        ({"true_positive_rate": (0.5,)}, r"must be a pair"),
        ({"true_positive_rate": (1.5, None)}, r"lower bound must be in \[0, 1\]"),
        ({"true_positive_rate": (None, float("nan"))}, r"upper bound must be in"),
        ({"true_positive_rate": (True, None)}, r"lower bound must be a real"),
        ({"selection_rate": (0.6, 0.4)}, r"lower bound 0.6 above upper bound 0.4"),
        ({"selection_rate": {0: "x"}}, r"rate_bounds\['selection_rate'\]\[0\]"),
    ],
)
def test_invalid_rate_bounds(rate_bounds, match):
    X, y, groups = scored_data()
    with pytest.raises(ValueError, match=match):
        fitted(X, y, groups, rate_bounds=rate_bounds)


def test_rate_bounds_not_modified_and_cloned():
    X, y, groups = scored_data()
    bounds = {"true_positive_rate": {0: [0.7, None]}, "selection_rate": (0.2, None)}
    snapshot = {"true_positive_rate": {0: [0.7, None]}, "selection_rate": (0.2, None)}
    opt = fitted(X, y, groups, rate_bounds=bounds)
    assert bounds == snapshot
    assert clone(opt).get_params()["rate_bounds"] == snapshot


def test_multiclass_rejects_rate_bounds_and_accepts_no_constraint():
    rng = np.random.RandomState(0)
    groups = rng.randint(0, 2, size=300)
    X = rng.normal(size=(300, 2)) + groups[:, None]
    y = np.digitize(X.sum(axis=1) + rng.normal(size=300), [0.5, 2.0])
    opt = ThresholdOptimizer(
        LogisticRegression(), rate_bounds={"true_positive_rate": (0.5, None)}
    )
    with pytest.raises(ValueError, match="binary y only.*not implemented for multic"):
        opt.fit(X, y, sensitive_features=groups)
    free = ThresholdOptimizer(LogisticRegression(), constraints=None)
    free.fit(X, y, sensitive_features=groups)
    # No constraint: each (group, predicted class) decides the class most
    # frequent among its training rows.
    predicted = free.estimator_.predict(X)
    for g in range(2):
        for a in np.unique(predicted[groups == g]):
            m = (groups == g) & (predicted == a)
            counts = np.bincount(y[m], minlength=3)
            assert free.decision_maps_[g, a, np.argmax(counts)] == pytest.approx(1.0)


def test_many_groups_with_bounds():
    """Demographic parity over 40 groups (the split-LP path without bounds)."""
    rng = np.random.RandomState(4)
    groups = rng.randint(0, 40, size=4000)
    z = rng.normal(size=4000) + 0.02 * groups
    y = (rng.random_sample(4000) < 1 / (1 + np.exp(-(1.5 * z - 0.5)))).astype(int)
    s = 1 / (1 + np.exp(-(z + (0.3 + 0.02 * groups) * rng.normal(size=4000))))
    X = np.clip(np.round(s, 3), 0.001, 0.999)[:, None]
    plain = fitted(X, y, groups, constraints="demographic_parity", tolerance=0.05)
    bounded = fitted(
        X,
        y,
        groups,
        constraints="demographic_parity",
        tolerance=0.05,
        rate_bounds={"true_positive_rate": (0.7, None)},
    )
    rates = group_rates(bounded, X, y, groups)
    assert (rates["true_positive_rate"] >= 0.7 - PRECISION).all()
    assert np.ptp(rates["selection_rate"]) <= 0.05 + PRECISION
    assert group_rates(plain, X, y, groups)["true_positive_rate"].min() < 0.7
    loose = fitted(
        X,
        y,
        groups,
        constraints="demographic_parity",
        tolerance=0.05,
        rate_bounds={"true_positive_rate": (0.0, None)},
    )
    # Direct LP with a non-binding bound = the split LP's optimum.
    assert loose.score(X, y, sensitive_features=groups) == pytest.approx(
        plain.score(X, y, sensitive_features=groups), abs=1e-9
    )


def test_no_constraint_without_bounds_is_each_groups_best_threshold():
    X, y, groups = scored_data(seed=6, n=400)
    opt = fitted(X, y, groups, constraints=None)
    w = np.ones(y.size)
    errors = sum(
        brute_min_errors_tpr_at_least(
            X[groups == g, 0], y[groups == g], w[groups == g], 0.0
        )
        for g in np.unique(groups)
    )
    assert opt.score(X, y, sensitive_features=groups) == pytest.approx(
        1 - errors / y.size, abs=1e-12
    )
    # Deterministic: one threshold per group.
    proba = opt.predict_proba(X, sensitive_features=groups)[:, 1]
    assert set(np.unique(proba)) <= {0.0, 1.0}


def test_dask_fit_with_rate_bounds_equals_in_memory():
    da = pytest.importorskip("dask.array")
    X, y, groups = scored_data()
    Xg = np.column_stack([groups, X[:, 0]])  # the group column, then the score
    params = dict(
        prefit=True,
        sensitive_cols=0,
        constraints="equalized_odds",
        tolerance=0.02,
        rate_bounds={"true_positive_rate": (0.8, None)},
        random_state=0,
    )

    # The model sees X without the group column: the score.
    model = ColumnScorer().fit(X, y)
    expected = ThresholdOptimizer(model, **params).fit(Xg, y)
    fitted = ThresholdOptimizer(model, **params).fit(
        da.from_array(Xg, chunks=(100, 2)), da.from_array(y, chunks=100)
    )
    np.testing.assert_allclose(
        fitted.operating_points_, expected.operating_points_, atol=1e-9
    )
    assert (fitted.operating_points_[:, 1] >= 0.8 - PRECISION).all()
