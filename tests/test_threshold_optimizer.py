"""Tests of skfair.postprocessing.ThresholdOptimizer.

The LP optimum is checked against routes that share no code with it: ROC
points computed threshold by threshold, a Python monotone-chain hull, brute
force over a fine grid of operating points, a second LP formulation (hull
facet inequalities, pairwise constraints) solved by cvxpy, and fairlearn.
"""

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair.postprocessing import ThresholdOptimizer, _lp, _roc

CONSTRAINTS = [
    "equalized_odds",
    "equal_opportunity",
    "false_positive_rate_parity",
    "demographic_parity",
]
RATES = {
    "equalized_odds": ("tpr", "fpr"),
    "equal_opportunity": ("tpr",),
    "false_positive_rate_parity": ("fpr",),
    "demographic_parity": ("sr",),
}


# ---------------------------------------------------------------------------
# Independent reference computations
# ---------------------------------------------------------------------------


def make_data(n=600, n_groups=3, seed=0, shift=0.7, n_features=2):
    """Groups with shifted features and base rates; a logistic target."""
    rng = np.random.RandomState(seed)
    groups = rng.randint(0, n_groups, size=n)
    X = rng.normal(size=(n, n_features)) + shift * groups[:, None]
    logit = X.sum(axis=1) - shift * (n_groups - 1) + rng.normal(scale=1.2, size=n)
    y = (logit > 0).astype(int)
    return X, y, groups


class ColumnScorer(ClassifierMixin, BaseEstimator):
    """A 'fitted' scorer whose positive-class probability is X[:, 0]."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.fit_calls_ = getattr(self, "fit_calls_", 0) + 1
        return self

    def predict_proba(self, X):
        X = X.toarray() if sparse.issparse(X) else X
        s = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - s, s])


class DecisionOnly(ClassifierMixin, BaseEstimator):
    """Exposes only decision_function: the logit of X[:, 0]."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, X):
        s = np.asarray(X, dtype=float)[:, 0]
        return np.log(s) - np.log1p(-s)


class PredictOnly(ClassifierMixin, BaseEstimator):
    """Exposes only predict: X[:, 0] > 0.5 as labels."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X, dtype=float)[:, 0] > 0.5).astype(int)]


class NoScore(BaseEstimator):
    def fit(self, X, y):
        return self


class RecordingLogisticRegression(LogisticRegression):
    """Records the keyword arguments its fit receives."""

    def fit(self, X, y, sample_weight=None, **kwargs):
        self.fit_kwargs_ = {"sample_weight": sample_weight, **kwargs}
        return super().fit(X, y, sample_weight=sample_weight)


class NoWeightLogisticRegression(ClassifierMixin, BaseEstimator):
    """A classifier whose fit has no sample_weight parameter."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def prefit_scores(seed=0, n=400, n_groups=3):
    """Scores in (0, 1) with ties, labels and groups, for a ColumnScorer."""
    rng = np.random.RandomState(seed)
    groups = rng.randint(0, n_groups, size=n)
    z = rng.normal(size=n) + 0.5 * groups
    y = (rng.random_sample(n) < 1 / (1 + np.exp(-(1.5 * z - 0.5)))).astype(int)
    s = 1 / (1 + np.exp(-(z + 0.4 * rng.normal(size=n))))
    s = np.round(s, 2)  # many ties
    s = np.clip(s, 0.01, 0.99)
    return s[:, None], y, groups


def brute_roc(scores, y, w):
    """ROC points of every rule 'score >= t', one threshold at a time."""
    points = [(0.0, 0.0)]
    neg, pos = w[y == 0].sum(), w[y == 1].sum()
    for t in np.unique(scores)[::-1]:
        pred = scores >= t
        points.append((w[pred & (y == 0)].sum() / neg, w[pred & (y == 1)].sum() / pos))
    return np.array(points)


def monotone_chain_upper(points):
    """Upper hull (Andrew's monotone chain), left to right, no collinear points."""
    pts = sorted({(float(x), float(y)) for x, y in points})
    hull = []
    for p in pts:
        while len(hull) >= 2:
            (ox, oy), (ax, ay) = hull[-2], hull[-1]
            if (ax - ox) * (p[1] - oy) - (ay - oy) * (p[0] - ox) >= -1e-15:
                hull.pop()  # not a strict right turn
            else:
                break
        hull.append(p)
    return np.array(hull)


def reference_hulls(scores, y, groups, w=None):
    w = np.ones(y.size) if w is None else w
    out = []
    for g in np.unique(groups):
        m = groups == g
        out.append(monotone_chain_upper(brute_roc(scores[m], y[m], w[m])))
    return out


def assert_same_hull(ours, ref):
    """Same polyline: every reference vertex is ours, ours lie on the reference.

    Exactly collinear points may be kept or dropped depending on rounding.
    """
    ours = np.asarray(ours)
    for vertex in ref:
        assert np.min(np.abs(ours - vertex).sum(axis=1)) <= 1e-12, vertex
    for point in ours:
        assert distance_to_polyline(point, ref) <= 1e-12, point
    assert np.all(np.diff(ours[:, 0]) >= 0) and np.all(np.diff(ours[:, 1]) >= 0)


def distance_to_polyline(point, vertices):
    a, b = vertices[:-1], vertices[1:]
    d = b - a
    length2 = np.maximum((d**2).sum(axis=1), 1e-300)
    u = np.clip(((point - a) * d).sum(axis=1) / length2, 0, 1)
    return np.sqrt(((a + u[:, None] * d - point) ** 2).sum(axis=1)).min()


def upper_envelope(hull, f):
    """Largest TPR reachable at FPR f under a hull (vertical edges handled)."""
    xs, ys = [], []
    for x, y in hull:
        if xs and x == xs[-1]:
            ys[-1] = max(ys[-1], y)
        else:
            xs.append(x)
            ys.append(y)
    return np.interp(f, xs, ys)


def expected_group_rates(p, y, groups, w=None):
    """TPR, FPR and selection rate of expected decisions p, per group."""
    w = np.ones(y.size) if w is None else w
    rates = {"tpr": [], "fpr": [], "sr": []}
    keys = [tuple(r) for r in groups] if np.ndim(groups) == 2 else list(groups)
    for g in sorted(set(keys)):
        m = np.array([k == g for k in keys])
        pos, neg = m & (y == 1), m & (y == 0)
        for name, rows in (("tpr", pos), ("fpr", neg), ("sr", m)):
            total = w[rows].sum()
            rates[name].append(np.sum(p[rows] * w[rows]) / total if total else np.nan)
    return {k: np.array(v) for k, v in rates.items()}


def constraint_gap(p, y, groups, constraints, w=None):
    rates = expected_group_rates(p, y, groups, w)
    return max(np.ptp(rates[r]) for r in RATES[constraints])


def expected_accuracy(p, y, w=None):
    return np.average(np.where(y == 1, p, 1 - p), weights=w)


def fit_prefit(constraints="equalized_odds", seed=0, **kwargs):
    X, y, groups = prefit_scores(seed)
    est = ThresholdOptimizer(
        ColumnScorer().fit(X, y), prefit=True, constraints=constraints, **kwargs
    )
    est.fit(X, y, sensitive_features=groups)
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    return est, X, y, groups, p


# ---------------------------------------------------------------------------
# ROC hulls
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_hull_matches_monotone_chain(seed, weighted):
    X, y, groups = prefit_scores(seed)
    w = np.random.RandomState(seed).uniform(0.2, 3, size=y.size) if weighted else None
    est = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True)
    est.fit(X, y, sensitive_features=groups, sample_weight=w)
    for ours, ref in zip(
        est.roc_hulls_, reference_hulls(X[:, 0], y, groups, w), strict=True
    ):
        assert_same_hull(ours[:, :2], ref)
        # Every vertex's threshold reproduces its point on the training data.
        thr = ours[:, 2]
        assert thr[0] == np.inf and thr[-1] == -np.inf
        assert np.all(np.diff(thr) < 0)


def test_hull_threshold_reproduces_vertex_on_training_rows():
    X, y, groups = prefit_scores(1)
    est = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True)
    est.fit(X, y, sensitive_features=groups)
    for label, hull in zip(est.groups_, est.roc_hulls_, strict=True):
        m = groups == label
        s, yy = X[m, 0], y[m]
        for fpr, tpr, t in hull:
            pred = s >= t
            assert fpr == pytest.approx(pred[yy == 0].mean(), abs=1e-12)
            assert tpr == pytest.approx(pred[yy == 1].mean(), abs=1e-12)


def test_qhull_fallback_and_passes_agree_with_monotone_chain():
    # Random monotone curves with flat runs, vertical runs and repeated points.
    rng = np.random.RandomState(0)
    for _ in range(8):
        steps = rng.exponential(size=(300, 2)) * (rng.random_sample((300, 2)) < 0.7)
        cum = np.vstack([[0, 0], np.cumsum(steps, axis=0)])
        fpr, tpr = cum[:, 0] / cum[-1, 0], cum[:, 1] / cum[-1, 1]
        ref = monotone_chain_upper(np.column_stack([fpr, tpr]))
        for idx in (
            _roc._upper_hull_indices(fpr, tpr),
            _roc._qhull_upper_chain(fpr, tpr, np.arange(fpr.size)),
        ):
            assert_same_hull(np.column_stack([fpr, tpr])[idx], ref)


def test_hull_of_curve_that_stalls_the_passes(monkeypatch):
    # A concave arc hanging below the chord from (0, 0.5) to (1, 1): each pass
    # removes one point only, so the hull must come from the Qhull fallback.
    x = np.linspace(0.01, 0.99, 400)
    fpr = np.r_[0.0, 0.0, x, 1.0]
    tpr = np.r_[0.0, 0.5, 0.5 + 0.3 * x - 0.1 * x**2, 1.0]
    calls = []
    qhull = _roc._qhull_upper_chain
    monkeypatch.setattr(
        _roc, "_qhull_upper_chain", lambda *a: calls.append(1) or qhull(*a)
    )
    idx = _roc._upper_hull_indices(fpr, tpr)
    assert calls == [1]
    ref = monotone_chain_upper(np.column_stack([fpr, tpr]))
    np.testing.assert_allclose(np.column_stack([fpr, tpr])[idx], ref)
    assert idx.tolist() == [0, 1, fpr.size - 1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 1), st.integers(1, 3)),
        min_size=2,
        max_size=40,
    ),
    st.data(),
)
def test_canonical_rule_keeps_the_operating_point(rows, data):
    scores = np.array([r[0] for r in rows], dtype=float)
    y = np.array([r[1] for r in rows])
    w = np.array([r[2] for r in rows], dtype=float)
    assume(0 < y.sum() < y.size)
    codes = np.zeros(y.size, dtype=np.intp)
    (hull,) = _roc.group_roc_hulls(scores, y, w, codes, 1)
    assert_same_hull(np.column_stack([hull.fpr, hull.tpr]), brute_hull(scores, y, w))
    raw = np.array(
        data.draw(
            st.lists(
                st.floats(0, 1), min_size=hull.n_vertices, max_size=hull.n_vertices
            )
        )
    )
    assume(raw.sum() > 1e-3)
    raw /= raw.sum()
    canonical = _lp.canonical_vertex_weights(hull, raw)
    assert canonical.min() >= 0 and canonical.sum() == pytest.approx(1)
    assert canonical @ hull.fpr == pytest.approx(raw @ hull.fpr, abs=1e-12)
    assert canonical @ hull.tpr == pytest.approx(raw @ hull.tpr, abs=1e-12)
    # Support: one hull edge, plus "never" and "always" for interior points.
    inner = np.flatnonzero(canonical[1:-1]) + 1
    assert inner.size <= 1 or (inner.size == 2 and inner[1] - inner[0] == 1)


def brute_hull(scores, y, w):
    return monotone_chain_upper(brute_roc(scores, y, w))


def test_interior_point_mixes_hull_point_with_constant_rule():
    # Group 0 has a strong score, group 1 a weak one: equalized odds puts the
    # common point on group 1's hull, strictly inside group 0's.
    rng = np.random.RandomState(0)
    y = (rng.random_sample(600) < 0.4).astype(int)
    groups = np.repeat([0, 1], 300)
    strength = np.where(groups == 0, 2.5, 0.6)
    s = 1 / (1 + np.exp(-(strength * (2 * y - 1) + rng.normal(size=600))))
    X = np.round(s, 1).clip(0.05, 0.95)[:, None]
    est = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True).fit(
        X, y, sensitive_features=groups
    )
    f, t = est.operating_points_[0]
    hull = est.roc_hulls_[0]
    h = upper_envelope(hull[:, :2], f)
    assert t < h - 0.1  # strictly inside group 0's hull
    # The hull point (f, h) mixes the two vertices of its edge; the rest is
    # the constant rule "positive with probability f", weight q.
    k = np.searchsorted(hull[:, 0], f, side="right") - 1
    mu = (f - hull[k, 0]) / (hull[k + 1, 0] - hull[k, 0])
    q = (h - t) / (h - f)
    below, above = hull[k + 1, 2], hull[k, 2]
    expected_low = q * f + (1 - q) * mu * (below == -np.inf)
    probe = np.array([[0.01], [(above + 0.99) / 2]])
    p = est.predict_proba(probe, sensitive_features=[0, 0])[:, 1]
    np.testing.assert_allclose(p, [expected_low, (1 - q) + q * f], atol=1e-12)


# ---------------------------------------------------------------------------
# LP optimality against brute force and a second formulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_equalized_odds_optimum_matches_brute_force(seed):
    est, X, y, groups, p = fit_prefit("equalized_odds", seed=seed)
    hulls = reference_hulls(X[:, 0], y, groups)
    # A common operating point (f, t): for each f the best t is the lowest
    # hull; expected error = sum_g N_g f + P_g (1 - t), over all rows.
    f = np.linspace(0, 1, 200_001)
    t = np.min([upper_envelope(h, f) for h in hulls], axis=0)
    t = np.maximum(t, f)
    n_neg, n_pos = (y == 0).sum(), (y == 1).sum()
    brute_error = ((n_neg * f + n_pos * (1 - t)) / y.size).min()
    lp_error = 1 - expected_accuracy(p, y)
    assert lp_error <= brute_error + 1e-9
    assert lp_error >= brute_error - 1e-4  # grid step 5e-6 in FPR
    assert constraint_gap(p, y, groups, "equalized_odds") <= 1e-9


@pytest.mark.parametrize("tolerance", [0.0, 0.04])
def test_demographic_parity_optimum_matches_brute_force(tolerance):
    X, y, groups = prefit_scores(3, n=500, n_groups=2)
    est = ThresholdOptimizer(
        ColumnScorer().fit(X, y),
        prefit=True,
        constraints="demographic_parity",
        tolerance=tolerance,
    ).fit(X, y, sensitive_features=groups)
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    # For a given selection rate, the best point lies on the upper hull, whose
    # selection rate increases along it: interpolate the error on a grid.
    r = np.linspace(0, 1, 2001)
    errors = []
    for g, hull in enumerate(reference_hulls(X[:, 0], y, groups)):
        n_neg, n_pos = (
            ((groups == g) & (y == 0)).sum(),
            ((groups == g) & (y == 1)).sum(),
        )
        sr = (n_neg * hull[:, 0] + n_pos * hull[:, 1]) / (n_neg + n_pos)
        f, t = np.interp(r, sr, hull[:, 0]), np.interp(r, sr, hull[:, 1])
        errors.append(n_neg * f + n_pos * (1 - t))
    total = errors[0][:, None] + errors[1][None, :]
    feasible = np.abs(r[:, None] - r[None, :]) <= tolerance + 1e-12
    brute_error = total[feasible].min() / y.size
    lp_error = 1 - expected_accuracy(p, y)
    assert lp_error <= brute_error + 1e-9
    assert lp_error >= brute_error - 2e-3
    assert constraint_gap(p, y, groups, "demographic_parity") <= tolerance + 1e-9


def facet_lp_optimum(X, y, groups, w, constraints, objective, tolerance):
    """The same optimum by a different LP, solved by cvxpy.

    Variables: each group's (FPR, TPR), under its hull's facet inequalities
    and above the diagonal; pairwise |rate_g - rate_h| <= tolerance.
    """
    cp = pytest.importorskip("cvxpy")
    labels = np.unique(groups)
    hulls = reference_hulls(X[:, 0], y, groups, w)
    f = cp.Variable(len(labels))
    t = cp.Variable(len(labels))
    cons = [f >= 0, f <= 1, t <= 1, t >= f]
    n_neg = np.array([w[(groups == g) & (y == 0)].sum() for g in labels])
    n_pos = np.array([w[(groups == g) & (y == 1)].sum() for g in labels])
    for i, hull in enumerate(hulls):
        for (x0, y0), (x1, y1) in zip(hull[:-1], hull[1:], strict=True):
            if x1 > x0:
                cons.append(t[i] <= y0 + (y1 - y0) / (x1 - x0) * (f[i] - x0))
    sr = cp.multiply(n_neg / (n_neg + n_pos), f) + cp.multiply(
        n_pos / (n_neg + n_pos), t
    )
    rate_expr = {"tpr": t, "fpr": f, "sr": sr}
    for rate in RATES[constraints]:
        r = rate_expr[rate]
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                cons.append(cp.abs(r[i] - r[j]) <= tolerance)
    fp, tp = cp.multiply(n_neg, f), cp.multiply(n_pos, t)
    total = w.sum()
    if objective == "accuracy":
        cost = (cp.sum(fp) + n_pos.sum() - cp.sum(tp)) / total
    elif objective == "balanced_accuracy":
        cost = 0.5 * cp.sum(fp) / n_neg.sum() + 0.5 * (1 - cp.sum(tp) / n_pos.sum())
    else:
        c = {k: objective.get(k, 0.0) for k in ("tp", "fp", "tn", "fn")}
        cost = (
            c["fp"] * cp.sum(fp)
            + c["tn"] * (n_neg.sum() - cp.sum(fp))
            + c["tp"] * cp.sum(tp)
            + c["fn"] * (n_pos.sum() - cp.sum(tp))
        ) / total
    problem = cp.Problem(cp.Minimize(cost), cons)
    problem.solve()
    return problem.value


@pytest.mark.parametrize("constraints", CONSTRAINTS)
@pytest.mark.parametrize(
    "objective",
    ["accuracy", "balanced_accuracy", {"fp": 1.0, "fn": 3.0}, {"fp": 2, "tp": -0.5}],
)
@pytest.mark.parametrize("tolerance", [0.0, 0.05])
def test_optimum_matches_facet_lp_solved_by_cvxpy(constraints, objective, tolerance):
    X, y, groups = prefit_scores(5, n=300)
    w = np.random.RandomState(5).uniform(0.5, 2.0, size=y.size)
    est = ThresholdOptimizer(
        ColumnScorer().fit(X, y),
        prefit=True,
        constraints=constraints,
        objective=objective,
        tolerance=tolerance,
    ).fit(X, y, sensitive_features=groups, sample_weight=w)
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    fp = np.sum(w * p * (y == 0))
    tp = np.sum(w * p * (y == 1))
    n_neg, n_pos = w[y == 0].sum(), w[y == 1].sum()
    if objective == "accuracy":
        ours = (fp + n_pos - tp) / w.sum()
    elif objective == "balanced_accuracy":
        ours = 0.5 * fp / n_neg + 0.5 * (1 - tp / n_pos)
    else:
        c = {k: objective.get(k, 0.0) for k in ("tp", "fp", "tn", "fn")}
        ours = (
            c["fp"] * fp
            + c["tn"] * (n_neg - fp)
            + c["tp"] * tp
            + c["fn"] * (n_pos - tp)
        ) / w.sum()
    reference = facet_lp_optimum(X, y, groups, w, constraints, objective, tolerance)
    assert ours == pytest.approx(reference, abs=2e-6)
    assert constraint_gap(p, y, groups, constraints, w) <= tolerance + 1e-6


def test_cost_matrix_of_ones_equals_accuracy():
    a, X, y, g, p_acc = fit_prefit(objective="accuracy")
    b = clone(a).set_params(estimator=a.estimator, objective={"fp": 1, "fn": 1})
    b.fit(X, y, sensitive_features=g)
    p_cost = b.predict_proba(X, sensitive_features=g)[:, 1]
    assert expected_accuracy(p_cost, y) == pytest.approx(expected_accuracy(p_acc, y))


@pytest.mark.parametrize("scale", [1e-300, 1e200, 1e307])
def test_cost_matrix_scale_does_not_matter(scale):
    # Scaling every cost by one positive number keeps the optimum; extreme
    # scales used to make HiGHS fail (status 15) or see only zeros.
    a, X, y, g, p = fit_prefit(objective={"fp": 1.0, "fn": 5.0})
    b = clone(a).set_params(
        estimator=a.estimator, objective={"fp": scale, "fn": 5 * scale}
    )
    b.fit(X, y, sensitive_features=g)
    np.testing.assert_allclose(b.predict_proba(X, sensitive_features=g)[:, 1], p)


def test_predict_proba_at_a_vertex_threshold_is_that_vertex():
    # A rule "positive iff score >= t": a score exactly at a vertex's
    # threshold gets the vertex's probability, a score one ulp below gets
    # the next one. A ">" instead of ">=" fails here.
    est = fit_prefit("equalized_odds")[0]
    checked = 0
    for g, rule in zip(est.groups_, est.decision_rules_, strict=True):
        t, prob = rule["thresholds"], rule["probabilities"]
        finite = np.isfinite(t)
        at = t[finite]
        below = np.nextafter(at, -np.inf)
        groups = np.full(at.size, g)
        p_at = est.predict_proba(at[:, None], sensitive_features=groups)[:, 1]
        p_below = est.predict_proba(below[:, None], sensitive_features=groups)[:, 1]
        np.testing.assert_allclose(p_at, prob[finite], atol=1e-12)
        expected_below = np.append(prob[finite][1:], 0.0)[: at.size]
        if not finite[-1]:  # "always" (-inf) vertex follows: its probability
            expected_below[-1] = prob[-1]
        np.testing.assert_allclose(p_below, expected_below, atol=1e-12)
        checked += int(np.sum(np.abs(p_at - p_below) > 1e-6))
    assert checked >= 3


def test_large_tolerance_gives_each_groups_best_threshold():
    est, X, y, groups, p = fit_prefit(tolerance=1.0)
    best = 0
    for g in np.unique(groups):
        m = groups == g
        s, yy = X[m, 0], y[m]
        thresholds = np.r_[np.inf, np.unique(s)]
        best += max(np.sum((s >= t) == yy) for t in thresholds)
    assert expected_accuracy(p, y) == pytest.approx(best / y.size, abs=1e-9)


# ---------------------------------------------------------------------------
# Constraint satisfaction, tolerance, against fairlearn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("constraints", CONSTRAINTS)
@pytest.mark.parametrize("tolerance", [0.0, 0.03])
def test_expected_rates_satisfy_constraint_intersectional_weighted(
    constraints, tolerance
):
    X, y, groups = make_data(n=800, n_groups=2, seed=7)
    rng = np.random.RandomState(70)
    second = rng.choice(["u", "v"], size=y.size)
    sf = np.column_stack([groups, second]).astype(object)
    w = rng.uniform(0.1, 2, size=y.size)
    est = ThresholdOptimizer(
        LogisticRegression(), constraints=constraints, tolerance=tolerance
    ).fit(X, y, sensitive_features=sf, sample_weight=w)
    assert len(est.groups_) == 4 and isinstance(est.groups_[0], tuple)
    p = est.predict_proba(X, sensitive_features=sf)[:, 1]
    assert constraint_gap(p, y, sf, constraints, w) <= tolerance + 1e-6
    # The fitted attributes report the same rates.
    rates = expected_group_rates(p, y, sf, w)
    np.testing.assert_allclose(est.operating_points_[:, 0], rates["fpr"], atol=1e-9)
    np.testing.assert_allclose(est.operating_points_[:, 1], rates["tpr"], atol=1e-9)
    np.testing.assert_allclose(est.selection_rates_, rates["sr"], atol=1e-9)


@pytest.mark.parametrize("constraints", CONSTRAINTS)
def test_tolerance_raises_training_accuracy_when_constraint_binds(constraints):
    accs = []
    for tol in (0.0, 0.02, 0.05):
        est, X, y, groups, p = fit_prefit(constraints, tolerance=tol)
        assert constraint_gap(p, y, groups, constraints) <= tol + 1e-6
        accs.append(expected_accuracy(p, y))
    assert accs[0] < accs[1] < accs[2]


@pytest.mark.parametrize("constraints", ["demographic_parity", "equalized_odds"])
def test_at_least_as_good_as_fairlearn(constraints):
    from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO

    X, y, groups = make_data(n=3000, n_groups=3, seed=11)
    lr = LogisticRegression().fit(X, y)
    ours = ThresholdOptimizer(lr, prefit=True, constraints=constraints)
    ours.fit(X, y, sensitive_features=groups)
    p_ours = ours.predict_proba(X, sensitive_features=groups)[:, 1]
    theirs = FairlearnTO(
        estimator=lr,
        constraints=constraints,
        prefit=True,
        predict_method="predict_proba",
    ).fit(X, y, sensitive_features=groups)
    # fairlearn 0.15's probabilities behind its randomized predict.
    p_theirs = theirs._pmf_predict(X, sensitive_features=groups)[:, 1]
    assert expected_accuracy(p_ours, y) >= expected_accuracy(p_theirs, y) - 1e-3
    gap_ours = constraint_gap(p_ours, y, groups, constraints)
    assert gap_ours <= 1e-6
    assert gap_ours <= constraint_gap(p_theirs, y, groups, constraints) + 1e-9


# ---------------------------------------------------------------------------
# Weights, labels, score methods
# ---------------------------------------------------------------------------


def test_integer_weights_equal_repeated_rows():
    X, y, groups = prefit_scores(2)
    w = np.random.RandomState(2).randint(1, 4, size=y.size)
    scorer = ColumnScorer().fit(X, y)
    weighted = ThresholdOptimizer(scorer, prefit=True).fit(
        X, y, sensitive_features=groups, sample_weight=w
    )
    rep = np.repeat(np.arange(y.size), w)
    repeated = ThresholdOptimizer(scorer, prefit=True).fit(
        X[rep], y[rep], sensitive_features=groups[rep]
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X, sensitive_features=groups),
        repeated.predict_proba(X, sensitive_features=groups),
        atol=1e-7,
    )


def test_zero_weights_equal_dropped_rows():
    X, y, groups = prefit_scores(4)
    w = (np.random.RandomState(4).random_sample(y.size) > 0.3).astype(float)
    scorer = ColumnScorer().fit(X, y)
    weighted = ThresholdOptimizer(scorer, prefit=True, constraints="demographic_parity")
    weighted.fit(X, y, sensitive_features=groups, sample_weight=w)
    keep = w > 0
    dropped = ThresholdOptimizer(scorer, prefit=True, constraints="demographic_parity")
    dropped.fit(X[keep], y[keep], sensitive_features=groups[keep])
    p_w = weighted.predict_proba(X[keep], sensitive_features=groups[keep])
    p_d = dropped.predict_proba(X[keep], sensitive_features=groups[keep])
    np.testing.assert_allclose(p_w, p_d, atol=1e-7)


def test_string_labels():
    X, y, groups = make_data(seed=3)
    labels = np.array(["no", "yes"])[y]
    est = ThresholdOptimizer(LogisticRegression(), random_state=0)
    est.fit(X, labels, sensitive_features=groups)
    assert est.classes_.tolist() == ["no", "yes"]
    ref = ThresholdOptimizer(LogisticRegression(), random_state=0)
    ref.fit(X, y, sensitive_features=groups)
    np.testing.assert_allclose(
        est.predict_proba(X, sensitive_features=groups),
        ref.predict_proba(X, sensitive_features=groups),
    )
    pred = est.predict(X, sensitive_features=groups)
    assert set(pred) <= {"no", "yes"}
    np.testing.assert_array_equal(
        pred == "yes", ref.predict(X, sensitive_features=groups) == 1
    )
    assert est.score(X, labels, sensitive_features=groups) == pytest.approx(
        ref.score(X, y, sensitive_features=groups)
    )


def test_positive_label_is_the_larger_class():
    # Labels -1/1 and 2/1 orders: the positive class is classes_[1].
    X, y, groups = make_data(seed=5)
    for neg, pos in [(-1, 1), (1, 2)]:
        yy = np.where(y == 1, pos, neg)
        est = ThresholdOptimizer(LogisticRegression()).fit(
            X, yy, sensitive_features=groups
        )
        assert est.classes_[1] == pos
        p = est.predict_proba(X, sensitive_features=groups)[:, 1]
        tpr = expected_group_rates(p, y, groups)["tpr"]
        assert np.ptp(tpr) <= 1e-6 and tpr.min() > 0.5


def test_decision_function_and_predict_proba_give_the_same_rules():
    X, y, groups = prefit_scores(6)
    by_proba = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True)
    by_decision = ThresholdOptimizer(DecisionOnly().fit(X, y), prefit=True)
    by_proba.fit(X, y, sensitive_features=groups)
    by_decision.fit(X, y, sensitive_features=groups)
    assert by_decision.score_method_ == "decision_function"
    np.testing.assert_allclose(
        by_proba.predict_proba(X, sensitive_features=groups),
        by_decision.predict_proba(X, sensitive_features=groups),
        atol=1e-9,
    )


def test_predict_only_estimator_uses_labels_as_scores():
    X, y, groups = prefit_scores(7)
    est = ThresholdOptimizer(
        PredictOnly().fit(X, y), prefit=True, constraints="demographic_parity"
    ).fit(X, y, sensitive_features=groups)
    assert est.score_method_ == "predict"
    hard = (X[:, 0] > 0.5).astype(float)
    for g, hull in zip(est.groups_, est.roc_hulls_, strict=True):
        m = groups == g
        # Hull of a hard classifier: never, the classifier itself, always.
        expected = monotone_chain_upper(brute_roc(hard[m], y[m], np.ones(m.sum())))
        assert_same_hull(hull[:, :2], expected)


class RegressorScore(BaseEstimator):
    """predict returns a real-valued score (not class labels)."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return 3.0 * np.asarray(X, dtype=float)[:, 0] - 1.0


class ReversedClasses(ClassifierMixin, BaseEstimator):
    """decision_function positive for classes_[1] = 0, i.e. negative label."""

    def fit(self, X, y):
        self.classes_ = np.array([1, 0])
        return self

    def decision_function(self, X):
        return -np.asarray(X, dtype=float)[:, 0]


class ProbaWithoutClasses(BaseEstimator):
    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict_proba(self, X):
        s = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - s, s])


class ScoreOnly(BaseEstimator):
    """Has predict_proba but no fit."""

    def predict_proba(self, X):
        s = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - s, s])


@pytest.mark.parametrize(
    "scorer", [RegressorScore(), ReversedClasses(), ProbaWithoutClasses()]
)
def test_other_score_sources_give_the_same_rules(scorer):
    # Each scorer ranks rows exactly like X[:, 0], so the rules agree.
    X, y, groups = prefit_scores(8)
    reference = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True)
    reference.fit(X, y, sensitive_features=groups)
    est = ThresholdOptimizer(scorer.fit(X, y), prefit=True)
    est.fit(X, y, sensitive_features=groups)
    np.testing.assert_allclose(
        est.predict_proba(X, sensitive_features=groups),
        reference.predict_proba(X, sensitive_features=groups),
        atol=1e-12,
    )


def test_estimator_without_fit_needs_prefit():
    X, y, groups = prefit_scores(0)
    with pytest.raises(ValueError, match="has no fit method"):
        ThresholdOptimizer(ScoreOnly()).fit(X, y, sensitive_features=groups)
    with pytest.raises(ValueError, match="would be ignored"):
        with sklearn.config_context(enable_metadata_routing=True):
            ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True).fit(
                X, y, sensitive_features=groups, extra=1
            )


def test_predict_proba_is_monotone_in_score_on_new_scores():
    est, X, y, groups, _ = fit_prefit("equalized_odds")
    s = np.linspace(0.001, 0.999, 997)
    for g in est.groups_:
        p = est.predict_proba(s[:, None], sensitive_features=np.full(s.size, g))[:, 1]
        assert np.all(np.diff(p) >= -1e-12)
        assert p[0] <= p[-1]
        # decision_rules_ describes the same step function.
        rule = est.decision_rules_[list(est.groups_).index(g)]
        idx = np.argmax(s[:, None] >= rule["thresholds"][None, :], axis=1)
        any_above = (s[:, None] >= rule["thresholds"][None, :]).any(axis=1)
        np.testing.assert_allclose(
            p, np.where(any_above, rule["probabilities"][idx], 0.0), atol=1e-12
        )


# ---------------------------------------------------------------------------
# predict, score, reproducibility, pickling
# ---------------------------------------------------------------------------


def test_predict_is_reproducible_and_matches_predict_proba():
    X, y, groups = make_data(n=4000, seed=8)
    est = ThresholdOptimizer(LogisticRegression(), random_state=42)
    est.fit(X, y, sensitive_features=groups)
    first = est.predict(X, sensitive_features=groups)
    np.testing.assert_array_equal(first, est.predict(X, sensitive_features=groups))
    other = clone(est).set_params(random_state=7).fit(X, y, sensitive_features=groups)
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    randomized = (p > 0) & (p < 1)
    assert randomized.sum() > 50
    assert np.any(first != other.predict(X, sensitive_features=groups))
    # Deterministic rows follow p; randomized ones are drawn with mean p.
    np.testing.assert_array_equal(first[p == 1], 1)
    np.testing.assert_array_equal(first[p == 0], 0)
    mean, expected = first[randomized].mean(), p[randomized].mean()
    sd = np.sqrt(np.sum(p[randomized] * (1 - p[randomized]))) / randomized.sum()
    assert abs(mean - expected) < 4 * sd
    # A RandomState instance is advanced: two calls differ.
    est.set_params(random_state=np.random.RandomState(0))
    a = est.predict(X, sensitive_features=groups)
    b = est.predict(X, sensitive_features=groups)
    assert np.any(a != b)


def _fit_on_scores_and_ids(seed=0, n=4000):
    """A prefit ThresholdOptimizer on X = [score, row id] (the id is ignored
    by the scorer), whose equalized-odds rule randomizes many rows."""
    s, y, groups = prefit_scores(seed=seed, n=n)
    X = np.column_stack([s[:, 0], np.arange(n)])
    est = ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True, random_state=0)
    return est.fit(X, y, sensitive_features=groups), X, groups


def test_a_rows_decision_does_not_depend_on_the_batch():
    est, X, groups = _fit_on_scores_and_ids()
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    randomized = np.flatnonzero((p > 0) & (p < 1))
    assert randomized.size > 1000
    rows = randomized[:300]
    batch = est.predict(X[rows], sensitive_features=groups[rows])
    one_at_a_time = [
        est.predict(X[[i]], sensitive_features=groups[[i]])[0] for i in rows
    ]
    np.testing.assert_array_equal(one_at_a_time, batch)
    # Both decisions occur among rows of the same probability: the draws
    # are per row, not one draw per batch.
    assert 0 < batch.mean() < 1
    reverse = est.predict(X[rows[::-1]], sensitive_features=groups[rows[::-1]])
    np.testing.assert_array_equal(reverse[::-1], batch)
    full = est.predict(X, sensitive_features=groups)
    np.testing.assert_array_equal(full[rows], batch)
    # Identical rows get identical decisions, in any batch.
    twice = np.concatenate([rows, rows])
    doubled = est.predict(X[twice], sensitive_features=groups[twice])
    np.testing.assert_array_equal(doubled, np.concatenate([batch, batch]))
    # The same rows as a DataFrame, a list or a sparse matrix: same decisions.
    for container in (pd.DataFrame, lambda a: a.tolist(), sparse.csr_matrix):
        again = est.predict(container(X[rows]), sensitive_features=groups[rows])
        np.testing.assert_array_equal(again, batch)
    # Another seed gives other decisions.
    est.set_params(random_state=1)
    assert np.any(est.predict(X[rows], sensitive_features=groups[rows]) != batch)


def test_predicted_rates_match_predict_proba_over_many_rows():
    # Structured rows (a few score levels, consecutive integer ids) are the
    # hard case for a hash; each (group, probability) cell of distinct rows
    # must be positive at rate p, within 4.5 binomial standard deviations
    # (deterministic given the seed; a 4.5-sigma miss has probability < 1e-5).
    est, _, _ = _fit_on_scores_and_ids()
    rng = np.random.RandomState(1)
    n = 60_000
    X_new = np.column_stack([rng.choice(_grid(), n), 10**6 + np.arange(n)])
    groups = rng.choice(est.groups_, n)
    p = est.predict_proba(X_new, sensitive_features=groups)[:, 1]
    for seed in (0, 12345):
        decisions = est.set_params(random_state=seed).predict(
            X_new, sensitive_features=groups
        )
        checked = 0
        for key in np.unique(np.column_stack([groups, p]), axis=0):
            cell = (groups == key[0]) & (p == key[1])
            k, m, q = decisions[cell].sum(), cell.sum(), key[1]
            assert abs(k - m * q) <= 4.5 * np.sqrt(m * q * (1 - q)) + 1e-9, key
            checked += 0 < q < 1 and m > 500
        assert checked >= 4
        randomized = (p > 0) & (p < 1)
        sd = np.sqrt(np.sum(p[randomized] * (1 - p[randomized])))
        assert abs(decisions[randomized].sum() - p[randomized].sum()) <= 4.5 * sd


def _grid():
    return np.round(np.linspace(0.01, 0.99, 99), 2)


def test_random_state_none_or_instance_draws_a_seed_per_call():
    est, X, groups = _fit_on_scores_and_ids()
    twice = np.concatenate([np.arange(2000), np.arange(2000)])
    for random_state in (None, np.random.RandomState(0)):
        est.set_params(random_state=random_state)
        a = est.predict(X[twice], sensitive_features=groups[twice])
        b = est.predict(X[twice], sensitive_features=groups[twice])
        assert np.any(a != b)  # a fresh seed per call
        # Within a call, identical rows still get identical decisions.
        np.testing.assert_array_equal(a[:2000], a[2000:])


def test_score_is_expected_accuracy():
    X, y, groups = make_data(seed=9)
    w = np.random.RandomState(9).uniform(0.5, 1.5, size=y.size)
    est = ThresholdOptimizer(LogisticRegression()).fit(X, y, sensitive_features=groups)
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    assert est.score(X, y, sensitive_features=groups) == pytest.approx(
        expected_accuracy(p, y)
    )
    assert est.score(X, y, w, sensitive_features=groups) == pytest.approx(
        expected_accuracy(p, y, w)
    )
    with pytest.raises(ValueError, match="not one of the classes"):
        est.score(X, np.where(y == 1, 5, 0), sensitive_features=groups)


def test_pickle_round_trip():
    X, y, groups = make_data(seed=10)
    est = ThresholdOptimizer(LogisticRegression(), random_state=3)
    est.fit(X, y, sensitive_features=groups)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(
        loaded.predict_proba(X, sensitive_features=groups),
        est.predict_proba(X, sensitive_features=groups),
    )
    np.testing.assert_array_equal(
        loaded.predict(X, sensitive_features=groups),
        est.predict(X, sensitive_features=groups),
    )


# ---------------------------------------------------------------------------
# sensitive_cols, prefit, Pipeline / GridSearchCV / cross_val_score, routing
# ---------------------------------------------------------------------------


def adult_like_frame(seed=12, n=900):
    X, y, groups = make_data(n=n, n_groups=2, seed=seed)
    df = pd.DataFrame(X, columns=["a", "b"])
    df.insert(1, "sex", np.array(["female", "male"])[groups])
    return df, y


def test_sensitive_cols_equals_sensitive_features():
    df, y = adult_like_frame()
    by_cols = ThresholdOptimizer(LogisticRegression(), sensitive_cols="sex")
    by_cols.fit(df, y)
    by_kw = ThresholdOptimizer(LogisticRegression())
    by_kw.fit(df[["a", "b"]], y, sensitive_features=df["sex"])
    np.testing.assert_allclose(
        by_cols.predict_proba(df),
        by_kw.predict_proba(df[["a", "b"]], sensitive_features=df["sex"]),
    )
    # The wrapped model never saw the sensitive column.
    assert list(by_cols.estimator_.feature_names_in_) == ["a", "b"]
    assert by_cols.n_features_in_ == 3
    assert list(by_cols.feature_names_in_) == ["a", "sex", "b"]
    # Positions on a numpy array work the same way.
    arr = np.column_stack([df["a"], (df["sex"] == "male").astype(int), df["b"]])
    by_pos = ThresholdOptimizer(LogisticRegression(), sensitive_cols=1).fit(arr, y)
    np.testing.assert_allclose(by_pos.predict_proba(arr), by_cols.predict_proba(df))


def test_several_sensitive_cols_are_intersectional():
    df, y = adult_like_frame()
    df["race"] = np.random.RandomState(0).choice(["p", "q"], size=len(df))
    est = ThresholdOptimizer(LogisticRegression(), sensitive_cols=["sex", "race"])
    est.fit(df, y)
    assert sorted(est.groups_) == [
        ("female", "p"),
        ("female", "q"),
        ("male", "p"),
        ("male", "q"),
    ]
    p = est.predict_proba(df)[:, 1]
    sf = df[["sex", "race"]].to_numpy(dtype=object)
    assert constraint_gap(p, y, sf, "equalized_odds") <= 1e-6


def test_works_in_pipeline_gridsearch_and_cross_val_score():
    df, y = adult_like_frame(n=1200)
    est = ThresholdOptimizer(LogisticRegression(), sensitive_cols="sex", random_state=0)
    scores = cross_val_score(est, df, y, cv=3)
    assert scores.shape == (3,) and np.all((scores > 0.5) & (scores <= 1))
    search = GridSearchCV(
        est,
        {"estimator__C": [0.01, 1.0], "constraints": CONSTRAINTS[::3]},
        cv=3,
    ).fit(df, y)
    assert search.best_params_["constraints"] in CONSTRAINTS
    # In a pipeline after a transformer that keeps columns (no sensitive
    # column is touched because the optimizer reads it first).
    arr = np.column_stack([df["a"], (df["sex"] == "male").astype(int), df["b"]])
    pipe = make_pipeline(
        StandardScaler(),
        ThresholdOptimizer(LogisticRegression(), sensitive_cols=1, random_state=0),
    )
    # Scaling turns the group column into two distinct values: still 2 groups.
    pipe_scores = cross_val_score(pipe, arr, y, cv=3)
    assert np.all(pipe_scores > 0.5)
    fitted = pipe.fit(arr, y)
    assert len(fitted[-1].groups_) == 2


def test_prefit_uses_the_given_estimator_and_never_refits():
    X, y, groups = prefit_scores(0)
    scorer = ColumnScorer().fit(X, y)
    est = ThresholdOptimizer(scorer, prefit=True).fit(X, y, sensitive_features=groups)
    assert est.estimator_ is scorer and scorer.fit_calls_ == 1
    with pytest.raises(NotFittedError):
        ThresholdOptimizer(ColumnScorer(), prefit=True).fit(
            X, y, sensitive_features=groups
        )
    # Not prefit: a clone is fitted and the given estimator stays untouched.
    lr = LogisticRegression()
    est = ThresholdOptimizer(lr).fit(X, y, sensitive_features=groups)
    assert est.estimator_ is not lr and not hasattr(lr, "coef_")


def test_sample_weight_reaches_the_wrapped_estimator_without_routing():
    X, y, groups = make_data(seed=13)
    w = np.random.RandomState(13).uniform(0.5, 2, size=y.size)
    est = ThresholdOptimizer(RecordingLogisticRegression())
    est.fit(X, y, sensitive_features=groups, sample_weight=w)
    np.testing.assert_array_equal(est.estimator_.fit_kwargs_["sample_weight"], w)
    with pytest.warns(UserWarning, match="does not accept sample_weight"):
        ThresholdOptimizer(NoWeightLogisticRegression()).fit(
            X, y, sensitive_features=groups, sample_weight=w
        )
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        ThresholdOptimizer(LogisticRegression()).fit(
            X, y, sensitive_features=groups, extra=1
        )


def test_metadata_routing():
    X, y, groups = make_data(n=900, seed=14)
    w = np.random.RandomState(14).uniform(0.5, 2, size=y.size)
    with sklearn.config_context(enable_metadata_routing=True):
        inner = RecordingLogisticRegression().set_fit_request(sample_weight=True)
        est = (
            ThresholdOptimizer(inner, random_state=0)
            .set_fit_request(sensitive_features=True, sample_weight=True)
            .set_score_request(sensitive_features=True, sample_weight=True)
        )
        search = GridSearchCV(est, {"estimator__C": [0.1, 1.0]}, cv=3)
        search.fit(X, y, sensitive_features=groups, sample_weight=w)
        fitted = search.best_estimator_
        np.testing.assert_array_equal(fitted.estimator_.fit_kwargs_["sample_weight"], w)
        assert "sensitive_features" not in fitted.estimator_.fit_kwargs_
        p = fitted.predict_proba(X, sensitive_features=groups)[:, 1]
        assert constraint_gap(p, y, groups, "equalized_odds", w) <= 1e-6
        scores = cross_val_score(
            est, X, y, cv=3, params={"sensitive_features": groups, "sample_weight": w}
        )
        assert np.all(scores > 0.5)
        # The inner estimator did not say whether it wants sample_weight.
        unset = ThresholdOptimizer(LogisticRegression())
        with pytest.raises(UnsetMetadataPassedError):
            unset.fit(X, y, sensitive_features=groups, sample_weight=w)
    routing = est.get_metadata_routing()
    assert "estimator" in str(routing)


def test_inputs_are_not_modified():
    df, y = adult_like_frame()
    w = np.random.RandomState(0).uniform(0.5, 2, size=y.size)
    X_arr = df[["a", "b"]].to_numpy()
    sf = df["sex"].to_numpy()
    copies = (df.copy(), y.copy(), w.copy(), X_arr.copy(), sf.copy())
    est = ThresholdOptimizer(LogisticRegression(), sensitive_cols="sex")
    est.fit(df, y, sample_weight=w)
    est.predict(df)
    est.score(df, y, sample_weight=w)
    est2 = ThresholdOptimizer(LogisticRegression()).fit(
        X_arr, y, sensitive_features=sf, sample_weight=w
    )
    est2.predict_proba(X_arr, sensitive_features=sf)
    pd.testing.assert_frame_equal(df, copies[0])
    for now, before in zip((y, w, X_arr, sf), copies[1:], strict=True):
        np.testing.assert_array_equal(now, before)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_unseen_group_at_predict_is_named():
    X, y, groups = make_data(seed=15)
    est = ThresholdOptimizer(LogisticRegression()).fit(X, y, sensitive_features=groups)
    new = groups.copy()
    new[3] = 9
    for method in (est.predict, est.predict_proba):
        with pytest.raises(ValueError, match="group 9, which was not seen"):
            method(X, sensitive_features=new)


def test_group_without_positives_or_negatives():
    X, y, groups = make_data(seed=16)
    y = y.copy()
    y[groups == 2] = 0  # group 2 has no positives
    for constraints in ("equalized_odds", "equal_opportunity"):
        with pytest.raises(ValueError, match="Group 2 has no positive samples"):
            ThresholdOptimizer(LogisticRegression(), constraints=constraints).fit(
                X, y, sensitive_features=groups
            )
    # Rates that do not need positives work, and the constraint still holds.
    for constraints in ("demographic_parity", "false_positive_rate_parity"):
        est = ThresholdOptimizer(LogisticRegression(), constraints=constraints)
        est.fit(X, y, sensitive_features=groups)
        p = est.predict_proba(X, sensitive_features=groups)[:, 1]
        if constraints == "demographic_parity":
            sr = [p[groups == g].mean() for g in range(3)]
            assert np.ptp(sr) <= 1e-6
        else:
            assert constraint_gap(p, y, groups, constraints) <= 1e-6
    y[groups == 1] = 1  # group 1 has no negatives either
    with pytest.raises(ValueError, match="Group 1 has no negative samples"):
        ThresholdOptimizer(
            LogisticRegression(), constraints="false_positive_rate_parity"
        ).fit(X, y, sensitive_features=groups)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"constraints": "parity"}, "constraints"),
        ({"objective": "f1"}, "objective"),
        ({"objective": {"fp": 1, "miss": 2}}, "keys among"),
        ({"objective": {"fp": "high"}}, "real number"),
        ({"objective": {"fp": np.inf}}, "finite"),
        ({"objective": {}}, "keys among"),
        ({"tolerance": -0.01}, "tolerance"),
        ({"estimator": NoScore()}, "predict_proba"),
        ({"prefit": "yes"}, "prefit"),
    ],
)
def test_bad_parameters(params, match):
    X, y, groups = make_data(seed=17)
    est = ThresholdOptimizer(LogisticRegression()).set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, sensitive_features=groups)


def test_bad_targets_and_groups():
    X, y, groups = make_data(seed=18)
    est = ThresholdOptimizer(LogisticRegression())
    with pytest.raises(ValueError, match="Only binary and multiclass"):
        est.fit(X, y + 0.5 * (groups == 2), sensitive_features=groups)
    with pytest.raises(ValueError, match="one class"):
        est.fit(X, np.ones_like(y), sensitive_features=groups)
    with pytest.raises(ValueError, match="zero total sample_weight"):
        est.fit(X, y, sensitive_features=groups, sample_weight=y.astype(float))
    with pytest.raises(ValueError, match="needs the sensitive features"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="both sensitive_cols"):
        clone(est).set_params(sensitive_cols=0).fit(X, y, sensitive_features=groups)
    with pytest.raises(ValueError, match="rows"):
        est.fit(X, y, sensitive_features=groups[:-1])
    with pytest.raises(TypeError, match="[Ss]parse"):
        from scipy import sparse

        clone(est).set_params(sensitive_cols=0).fit(sparse.csr_matrix(X), y)


def test_non_finite_scores_and_mismatched_classes():
    X, y, groups = prefit_scores(0)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite scores"):
        ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True).fit(
            Xn, y, sensitive_features=groups
        )
    other = ColumnScorer().fit(X, y + 5)  # classes 5 and 6
    with pytest.raises(ValueError, match="are not the two classes of y"):
        ThresholdOptimizer(other, prefit=True).fit(X, y, sensitive_features=groups)
    one_column = OneColumnProba().fit(X, y)
    with pytest.raises(ValueError, match=r"returned 1 column\(s\) but its classes_"):
        ThresholdOptimizer(one_column, prefit=True).fit(X, y, sensitive_features=groups)


class OneColumnProba(ColumnScorer):
    """A broken scorer: two classes, but one column of probabilities."""

    def predict_proba(self, X):
        return super().predict_proba(X)[:, 1:]


def test_failed_linear_program_raises(monkeypatch):
    X, y, groups = prefit_scores(0)

    class Failed:
        status = 4
        message = "numerical trouble"

    monkeypatch.setattr(_lp, "linprog", lambda *a, **k: Failed())
    with pytest.raises(RuntimeError, match="numerical difficulties"):
        ThresholdOptimizer(ColumnScorer().fit(X, y), prefit=True).fit(
            X, y, sensitive_features=groups
        )


def test_not_fitted():
    X, y, groups = make_data(seed=19)
    with pytest.raises(NotFittedError):
        ThresholdOptimizer(LogisticRegression()).predict(X, sensitive_features=groups)


# ---------------------------------------------------------------------------
# plot
# ---------------------------------------------------------------------------


def test_plot_draws_hulls_and_operating_points():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    est, *_ = fit_prefit("equalized_odds")
    ax = est.plot()
    # The chance diagonal, then a hull and an operating point per group.
    lines = ax.get_lines()
    assert len(lines) == 1 + 2 * len(est.groups_)
    for g, hull in enumerate(est.roc_hulls_):
        np.testing.assert_allclose(lines[1 + 2 * g].get_xydata(), hull[:, :2])
        np.testing.assert_allclose(
            lines[2 + 2 * g].get_xydata()[0], est.operating_points_[g]
        )
    fig, given = plt.subplots()
    assert est.plot(ax=given) is given
    plt.close("all")


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    est, *_ = fit_prefit("equalized_odds")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        est.plot()
