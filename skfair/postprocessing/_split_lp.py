"""The threshold LP solved group by group, coordinated by the shared rate bounds.

The LP of ``_lp`` couples the groups only through one lower bound ``lo_k`` per
constrained rate (the upper bound is ``lo_k + tolerance`` at an optimum:
widening the band only relaxes the constraints). Once the bounds are fixed,
each group solves its own tiny problem: the cheapest point of its ROC hull
whose rates lie in the band. So the optimum is the minimum over the bounds of

    Phi(lo) = sum over groups g of V_g(lo),

where ``V_g(lo)`` is group g's cheapest cost in the band. Each ``V_g`` is a
convex piecewise-linear function of ``lo`` (the value of a linear program as
a function of its right-hand side), so ``Phi`` is too, and its breakpoints
are known: a band edge passes a level at which the group's feasible set
changes shape. A general LP solver sees one dense column per bound, touching
every group, and its cost grows about quadratically with the number of
groups; here every evaluation of ``Phi`` is a handful of vectorised passes
over the groups, and the search over ``lo`` takes a few dozen of them.

* One constrained rate (demographic parity, equal opportunity, false
  positive rate parity): ``V_g(z) = L_g(clip(r_g*, z, z + tolerance))`` for
  the lower convex envelope ``L_g`` of the group's vertices in (rate, cost)
  space and its minimiser ``r_g*``. ``Phi`` is linear between consecutive
  envelope breakpoints (shifted by 0 or -tolerance), so an exact binary
  search over those candidates, using convexity, finds the optimum.
* Equalized odds (two rates): the band is a box ``[x, x + tol] x [y, y + tol]``
  in (FPR, TPR). For a fixed ``x`` the breakpoints in ``y`` are known (levels
  of hull vertices and of the hull's boundary at ``f = x`` and ``x + tol``),
  so the minimum over ``y`` is exact as above; the minimum over ``x`` of that
  convex function is found by golden-section search to float precision.

The result is the optimum of the same LP (the tests compare it with the
direct LP on random instances), with the groups' rates equal to the bounds
exactly, not up to a solver tolerance.
"""

import numpy as np

from ._lp import (
    canonical_weights_at,
    rate_coefficients,
    solve_vertex_weights,
    vertex_costs,
)

# With equalized odds, up to this many groups the direct LP (HiGHS) is faster
# than the search over the two bounds, whose cost is ~1,500 vectorised
# passes over the groups whatever their number (0.3 s with 2 groups, 2 s with
# 1,000, 1.6 s with 10,000 on 3e5 rows; the direct LP: 0.01 s, 1.2 s, 103 s).
# With one constrained rate the search is faster for any number of groups.
EQUALIZED_ODDS_DIRECT_MAX_GROUPS = 1000

_INV_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def optimal_vertex_weights(hulls, *, costs, rates, tolerance, rate_bounds=()):
    """Optimal convex weights over each group's hull vertices.

    The same optimum as :func:`~skfair.postprocessing._lp.solve_vertex_weights`
    (see there for the parameters and returns): by the direct LP for
    equalized odds with few groups and whenever there are per-group rate
    bounds (rows of their own group that the search over the shared bounds
    does not model), else group by group. Without parity constraints or rate
    bounds each group takes its cheapest vertex.
    """
    if rate_bounds or (
        len(rates) == 2 and len(hulls) <= EQUALIZED_ODDS_DIRECT_MAX_GROUPS
    ):
        return solve_vertex_weights(
            hulls,
            costs=costs,
            rates=rates,
            tolerance=tolerance,
            rate_bounds=rate_bounds,
        )
    if not rates:
        return _cheapest_vertices(hulls, costs)
    return solve_by_groups(hulls, costs=costs, rates=rates, tolerance=tolerance)


def _cheapest_vertices(hulls, costs):
    """No constraint: each group's cheapest vertex (the first of ties)."""
    weights, objective = [], 0.0
    for hull in hulls:
        cost = vertex_costs(hull, costs)
        w = np.zeros(hull.n_vertices)
        best = int(np.argmin(cost))
        w[best] = 1.0
        objective += float(cost[best])
        weights.append(w)
    return weights, objective


def solve_by_groups(hulls, *, costs, rates, tolerance):
    """The threshold LP, solved by a search over the shared rate bounds.

    Same parameters and returns as
    :func:`~skfair.postprocessing._lp.solve_vertex_weights`.
    """
    if tuple(rates) == ("true_positive_rate", "false_positive_rate"):
        return _solve_equalized_odds(hulls, costs, float(tolerance))
    if len(rates) != 1:
        raise ValueError(f"Unsupported combination of constrained rates {rates}.")
    return _solve_one_rate(hulls, costs, rates[0], float(tolerance))


def _convex_argmin(func, candidates):
    """The candidate minimising ``func``, convex along the sorted candidates.

    A binary search on the sign of consecutive differences: if
    ``func(c[m]) <= func(c[m + 1])``, convexity puts a minimiser at or
    before ``m``.
    """
    # Breakpoints that differ in the last bits (z and z' - tolerance for
    # z' = z + tolerance) give equal values that a float rounding can put
    # out of order; keep one of each such cluster.
    candidates = np.unique(candidates)
    keep = np.ones(candidates.size, dtype=bool)
    keep[1:] = np.diff(candidates) > 1e-12
    candidates = candidates[keep]
    cache = {}

    def value(i):
        if i not in cache:
            cache[i] = func(candidates[i])
        return cache[i]

    lo, hi = 0, candidates.size - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if value(mid) <= value(mid + 1):
            hi = mid
        else:
            lo = mid + 1
    return candidates[lo], value(lo)


def _golden_argmin(func, lo, hi):
    """Minimiser of a convex function on [lo, hi], to float precision."""
    a, b = lo, hi
    c = b - _INV_GOLDEN * (b - a)
    d = a + _INV_GOLDEN * (b - a)
    fc, fd = func(c), func(d)
    best = min((func(lo), lo), (func(hi), hi), (fc, c), (fd, d))
    # 80 steps shrink the interval by 1e-17: below float spacing on [-1, 1].
    for _ in range(80):
        if not a < c < d < b:
            break
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _INV_GOLDEN * (b - a)
            fc = func(c)
            best = min(best, (fc, c))
        else:
            a, c, fc = c, d, fd
            d = a + _INV_GOLDEN * (b - a)
            fd = func(d)
            best = min(best, (fd, d))
    return best[1]


class _Vertices:
    """The groups' hull vertices, concatenated group after group."""

    def __init__(self, hulls, costs):
        sizes = np.array([h.n_vertices for h in hulls])
        self.n_groups = len(hulls)
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        self.lasts = self.starts + sizes - 1
        self.group = np.repeat(np.arange(self.n_groups), sizes)
        self.cost = np.concatenate([vertex_costs(h, costs) for h in hulls])

    def sorted_keys(self, values):
        """``values`` (in [0, 1], sorted within each group) made sortable
        across groups: group g's values are shifted by 2 g."""
        return values + 2.0 * self.group


def _group_argmin(values, group):
    """Index of the first smallest of ``values`` in each group (sorted codes)."""
    order = np.lexsort((np.arange(values.size), values, group))
    first = np.ones(values.size, dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]


def _weights_from_pairs(hulls, vertices, left, right, mu):
    """Per group, weight ``1 - mu`` on vertex ``left`` and ``mu`` on ``right``."""
    weights = []
    for g, hull in enumerate(hulls):
        w = np.zeros(hull.n_vertices)
        start = vertices.starts[g]
        w[left[g] - start] += 1.0 - mu[g]
        w[right[g] - start] += mu[g]
        weights.append(w)
    return weights


# ---------------------------------------------------------------------------
# One constrained rate
# ---------------------------------------------------------------------------


def _lower_envelope(rate, cost):
    """Indices of the lower convex envelope of points sorted by ``rate``."""
    keep = []
    for i in range(rate.size):
        while keep and rate[keep[-1]] == rate[i]:
            if cost[keep[-1]] <= cost[i]:
                break
            keep.pop()
        else:
            while len(keep) >= 2:
                a, b = keep[-2], keep[-1]
                # Drop b if it is on or above the segment from a to i.
                cross = (rate[b] - rate[a]) * (cost[i] - cost[a]) - (
                    cost[b] - cost[a]
                ) * (rate[i] - rate[a])
                if cross > 0:
                    break
                keep.pop()
            keep.append(i)
    return keep


def _solve_one_rate(hulls, costs, rate_name, tolerance):
    vertices = _Vertices(hulls, costs)
    rate = np.concatenate([rate_coefficients(h, rate_name) for h in hulls])
    # Rates are non-decreasing along each hull (counts only grow as the
    # threshold falls), so each group's envelope is a left-to-right scan.
    env = []
    for g in range(vertices.n_groups):
        s = vertices.starts[g]
        part = slice(s, vertices.lasts[g] + 1)
        env.extend(s + np.array(_lower_envelope(rate[part], vertices.cost[part])))
    env = np.array(env)
    env_group = vertices.group[env]
    env_rate, env_cost = rate[env], vertices.cost[env]
    keys = env_rate + 2.0 * env_group
    bounds = np.searchsorted(env_group, np.arange(vertices.n_groups + 1))
    first, last = bounds[:-1], bounds[1:] - 1
    groups = np.arange(vertices.n_groups)
    # Each group's unconstrained best rate (the envelope's minimum).
    best_rate = env_rate[_group_argmin(env_cost, env_group)]
    low, high = env_rate[first], env_rate[last]

    def solution(z):
        """Per group: the envelope segment (i, i + 1), the mix mu, the cost."""
        r = np.clip(best_rate, z, z + tolerance)
        r = np.clip(r, low, high)
        i = np.searchsorted(keys, r + 2.0 * groups, side="right") - 1
        i = np.clip(i, first, np.maximum(last - 1, first))
        j = np.minimum(i + 1, last)
        width = env_rate[j] - env_rate[i]
        safe = np.where(width > 0, width, 1.0)
        mu = np.where(width > 0, np.clip((r - env_rate[i]) / safe, 0.0, 1.0), 0.0)
        value = (1.0 - mu) * env_cost[i] + mu * env_cost[j]
        return i, j, mu, value

    def phi(z):
        return float(solution(z)[3].sum())

    # The band [z, z + tolerance] meets every group's rate range [0, 1] for
    # z in [-tolerance, 1]; Phi is linear between these breakpoints.
    candidates = np.concatenate((env_rate, env_rate - tolerance, [-tolerance, 1.0]))
    candidates = np.clip(candidates, -tolerance, 1.0)
    z, objective = _convex_argmin(phi, candidates)
    i, j, mu, _ = solution(z)
    weights = _weights_from_pairs(hulls, vertices, env[i], env[j], mu)
    return weights, objective


# ---------------------------------------------------------------------------
# Equalized odds: two rates, a box in (FPR, TPR)
# ---------------------------------------------------------------------------


class _EqualizedOdds:
    """Each group's cheapest point of its hull in a box, for all groups at once.

    A group's hull is the region between its ROC chain (vertices from (0, 0)
    to (1, 1), concave) and the chance diagonal ``t = f``; its cost is linear
    in (f, t). The cheapest point of the hull inside a box is a vertex of
    their intersection: a chain vertex inside the box, or an end of the
    segment in which a box edge crosses the hull. Chain vertices inside the
    box are a contiguous run, along which the cost is convex or concave, so
    the run's two ends and the clipped position of the group's cheapest
    vertex suffice.
    """

    def __init__(self, hulls, costs, tolerance):
        self.tol = tolerance
        self.v = v = _Vertices(hulls, costs)
        self.f = np.concatenate([h.fpr for h in hulls])
        self.t = np.concatenate([h.tpr for h in hulls])
        self.key_f = v.sorted_keys(self.f)
        self.key_t = v.sorted_keys(self.t)
        n_neg = np.array([h.n_negatives for h in hulls])
        n_pos = np.array([h.n_positives for h in hulls])
        # cost(f, t) = a f + b t + c0 in a group with N negatives, P positives.
        self.a = n_neg * (costs["fp"] - costs["tn"])
        self.b = n_pos * (costs["tp"] - costs["fn"])
        self.c0 = n_neg * costs["tn"] + n_pos * costs["fn"]
        self.best = _group_argmin(v.cost, v.group)
        self.offset = 2.0 * np.arange(v.n_groups)
        self.levels = np.unique(np.concatenate((self.t, self.t - tolerance)))

    def chain_t(self, f):
        """The chain's TPR at FPR ``f`` (scalar in [0, 1]) in every group."""
        v = self.v
        i = np.searchsorted(self.key_f, f + self.offset, side="right") - 1
        i = np.clip(i, v.starts, v.lasts)
        j = np.minimum(i + 1, v.lasts)
        return self._along(self.f, self.t, i, j, f)

    def chain_f(self, t):
        """The chain's smallest FPR at TPR ``t`` (scalar in [0, 1])."""
        v = self.v
        j = np.searchsorted(self.key_t, t + self.offset, side="left")
        j = np.clip(j, v.starts, v.lasts)
        i = np.maximum(j - 1, v.starts)
        return self._along(self.t, self.f, i, j, t, at_right=True)

    @staticmethod
    def _along(x, y, i, j, at, at_right=False):
        """y interpolated at x = ``at`` on the segment from vertex i to j."""
        width = x[j] - x[i]
        safe = np.where(width > 0, width, 1.0)
        mu = np.where(width > 0, np.clip((at - x[i]) / safe, 0.0, 1.0), 0.0)
        value = (1.0 - mu) * y[i] + mu * y[j]
        if at_right:  # on a vertical run, the vertex reached first
            value = np.where(width > 0, value, y[j])
        return value

    def fpr_box(self, x):
        """What depends on the box's FPR range only (computed once per x)."""
        f0, f1 = max(x, 0.0), min(x + self.tol, 1.0)
        v = self.v
        lo = np.searchsorted(self.key_f, f0 + self.offset, side="left")
        hi = np.searchsorted(self.key_f, f1 + self.offset, side="right") - 1
        return f0, f1, self.chain_t(f0), self.chain_t(f1), lo, hi, v

    def points(self, box_f, y):
        """Candidate points (f, t), shape (n_groups, 11), NaN where invalid."""
        f0, f1, u0, u1, lo_f, hi_f, v = box_f
        t0, t1 = max(y, 0.0), min(y + self.tol, 1.0)
        g = v.n_groups
        fs, ts = [], []
        # The box's vertical edges cross the hull in t in [f, chain_t(f)].
        for f_edge, u in ((f0, u0), (f1, u1)):
            bottom, top = max(f_edge, t0), np.minimum(u, t1)
            ok = bottom <= top
            fs += [np.full(g, f_edge), np.full(g, f_edge)]
            ts += [np.where(ok, bottom, np.nan), np.where(ok, top, np.nan)]
        # Its horizontal edges cross the hull in f in [chain_f(t), t].
        for t_edge in (t0, t1):
            left, right = np.maximum(self.chain_f(t_edge), f0), min(f1, t_edge)
            ok = left <= right
            fs += [np.where(ok, left, np.nan), np.where(ok, right, np.nan)]
            ts += [np.full(g, t_edge), np.full(g, t_edge)]
        # Chain vertices inside the box: a contiguous run.
        lo = np.maximum(
            lo_f, np.searchsorted(self.key_t, t0 + self.offset, side="left")
        )
        hi = np.minimum(
            hi_f, np.searchsorted(self.key_t, t1 + self.offset, side="right") - 1
        )
        lo, hi = np.maximum(lo, v.starts), np.minimum(hi, v.lasts)
        ok = lo <= hi
        for idx in (lo, hi, np.clip(self.best, lo, hi)):
            idx = np.where(ok, idx, v.starts)
            fs.append(np.where(ok, self.f[idx], np.nan))
            ts.append(np.where(ok, self.t[idx], np.nan))
        return np.column_stack(fs), np.column_stack(ts)

    def cheapest(self, box_f, y):
        """Each group's cheapest point in the box and its cost (inf if none)."""
        f, t = self.points(box_f, y)
        cost = self.a[:, None] * f + self.b[:, None] * t + self.c0[:, None]
        cost = np.where(np.isnan(cost), np.inf, cost)
        k = np.argmin(cost, axis=1)
        rows = np.arange(f.shape[0])
        return f[rows, k], t[rows, k], cost[rows, k]

    def phi(self, box_f, y):
        return float(self.cheapest(box_f, y)[2].sum())

    def best_y(self, x):
        """The exact minimiser over y of Phi(x, y), and Phi there."""
        box_f = self.fpr_box(x)
        f0, f1, u0, u1 = box_f[:4]
        # Every group's hull meets the box iff y + tol >= f0, y <= chain_t(f1).
        y_lo, y_hi = f0 - self.tol, float(u1.min())
        dynamic = np.concatenate((u0, u1, [f0, f1, 0.0, 1.0]))
        candidates = np.concatenate(
            (self.levels, dynamic, dynamic - self.tol, [y_lo, y_hi])
        )
        candidates = candidates[(candidates >= y_lo) & (candidates <= y_hi)]
        return _convex_argmin(lambda y: self.phi(box_f, y), candidates)


def _solve_equalized_odds(hulls, costs, tolerance):
    problem = _EqualizedOdds(hulls, costs, tolerance)
    # Every box with x in [-tol, 1] meets every hull (it contains a point of
    # the diagonal); min over y is convex in x.
    x = _golden_argmin(lambda x: problem.best_y(x)[1], -tolerance, 1.0)
    y, objective = problem.best_y(x)
    f, t, _ = problem.cheapest(problem.fpr_box(x), y)
    weights = [
        canonical_weights_at(h, fg, tg)
        for h, fg, tg in zip(hulls, f.tolist(), t.tolist(), strict=True)
    ]
    return weights, objective
