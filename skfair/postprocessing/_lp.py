"""The linear program of Hardt, Price & Srebro (2016) over the groups' ROC hulls.

Variables: for each group ``g``, convex weights ``lambda_{g,v}`` over the
vertices ``v`` of its ROC hull (a randomized rule that applies vertex ``v``'s
threshold with probability ``lambda_{g,v}``), and for each constrained rate a
common lower and upper bound ``lo <= rate_g <= hi`` with ``hi - lo <= tolerance``,
which is exactly "the rates of any two groups differ by at most tolerance".

Both the expected cost and every group rate are linear in the weights, since
vertex ``v`` predicts positive a known weight of the group's negatives and
positives. The convex hull of the vertices is the set of all achievable
operating points above the chance diagonal, so the LP optimum is the exact
optimum over randomized group-specific threshold rules, up to solver precision.

Per-group rate bounds (``rate_bounds`` of ThresholdOptimizer: a group's true
positive, false positive or selection rate above or below a level) are one
more linear row each, ``coef_g . lambda_g >= level`` (or ``<=``), so the
optimum under them is exact too. Unlike the parity rows they can make the
program infeasible; :meth:`_ThresholdProgram.diagnose` then names the first
bound that the ones before it leave out of reach, and its best reachable
value.
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

# The rates each constraint equalises across groups.
CONSTRAINT_RATES = {
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
    "false_positive_rate_parity": ("false_positive_rate",),
    "demographic_parity": ("selection_rate",),
}

# Tight tolerances: the training-set constraint gap should be ~1e-9, far below
# HiGHS's default feasibility tolerance of 1e-7.
_HIGHS_OPTIONS = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}

_LP_STATUS = {
    1: "the iteration limit was reached",
    2: "the problem is infeasible",
    3: "the problem is unbounded",
    4: "the solver ran into numerical difficulties",
}


def rate_coefficients(hull, rate):
    """Each vertex's value of ``rate`` for one group (NaN if undefined)."""
    if rate == "true_positive_rate":
        return hull.tpr
    if rate == "false_positive_rate":
        return hull.fpr
    total = hull.n_negatives + hull.n_positives
    if total <= 0:
        return np.full(hull.n_vertices, np.nan)
    return (hull.false_positives + hull.true_positives) / total


def vertex_costs(hull, costs):
    """Expected cost of each vertex rule on the group's training rows."""
    fp, tp = hull.false_positives, hull.true_positives
    return (
        costs["fp"] * fp
        + costs["tn"] * (hull.n_negatives - fp)
        + costs["tp"] * tp
        + costs["fn"] * (hull.n_positives - tp)
    )


def solve_vertex_weights(hulls, *, costs, rates, tolerance, rate_bounds=()):
    """Optimal convex weights over each group's hull vertices.

    Parameters
    ----------
    hulls : list of GroupROCHull
        One per group; every rate in ``rates`` must be defined for every group.
    costs : dict
        Cost per unit weight of a true/false positive/negative: keys "tp",
        "fp", "tn", "fn".
    rates : tuple of str
        The rates to equalise across groups (see ``CONSTRAINT_RATES``);
        empty for no parity constraint.
    tolerance : float
        Largest allowed difference of a rate between any two groups.
    rate_bounds : sequence of RateBound, default=()
        One-sided bounds on single groups' rates, each a linear inequality in
        that group's weights. Their rates must be defined in their groups.

    Returns
    -------
    weights : list of ndarray
        For each group, non-negative weights over its vertices summing to 1.
    objective : float
        The optimal expected cost.

    Raises
    ------
    RateBoundsInfeasible
        If no rule meets the parity constraints and ``rate_bounds`` together;
        it names the first bound (in the order given) that cannot be added to
        the ones before it, and the best value of its rate under them.
    """
    program = _ThresholdProgram(hulls, costs, rates, tolerance)
    result = program.solve(rate_bounds)
    if result.status == 2 and rate_bounds:
        raise program.diagnose(rate_bounds)
    _check_solved(result, "The threshold linear program")
    return program.weights(result.x), float(result.fun)


class RateBound(NamedTuple):
    """``rate`` of group ``group`` (an index) ``>= value`` (lower) or ``<=``."""

    group: int
    rate: str
    lower: bool
    value: float


class RateBoundsInfeasible(ValueError):
    """No rule meets the constraints and the rate bounds together.

    ``bound`` is the first bound that cannot be added to those before it
    (``earlier``), and ``best`` the largest (lower bound) or smallest (upper
    bound) value of its rate reachable under the parity constraints and the
    earlier bounds.
    """

    def __init__(self, bound, best, earlier):
        super().__init__(bound, best)
        self.bound, self.best, self.earlier = bound, best, earlier


def _check_solved(result, what):
    if result.status != 0:
        reason = _LP_STATUS.get(result.status, "unknown status")
        raise RuntimeError(
            f"{what} was not solved to optimality: {reason} "
            f"(HiGHS status {result.status}: {result.message})."
        )


class _ThresholdProgram:
    """The LP's matrices, to which rate bounds (rows) can be added."""

    def __init__(self, hulls, costs, rates, tolerance):
        self.hulls = hulls
        n_groups = len(hulls)
        self.sizes = sizes = np.array([h.n_vertices for h in hulls])
        self.n_lambda = n_lambda = int(sizes.sum())
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        vertex_group = np.repeat(np.arange(n_groups), sizes)
        n_rates = len(rates)
        self.n_vars = n_vars = n_lambda + 2 * n_rates  # then (lo, hi) per rate

        self.c = np.zeros(n_vars)
        self.c[:n_lambda] = np.concatenate([vertex_costs(h, costs) for h in hulls])

        # Sum of weights is 1 in each group.
        self.a_eq = sparse.csr_matrix(
            (np.ones(n_lambda), (vertex_group, np.arange(n_lambda))),
            shape=(n_groups, n_vars),
        )
        self.b_eq = np.ones(n_groups)

        # For rate k, rows 2g and 2g+1 of its block: rate_g - hi <= 0 and
        # lo - rate_g <= 0; the last row overall per rate: hi - lo <= tolerance.
        rows, cols, vals = [], [], []
        n_rows = 2 * n_groups * n_rates + n_rates
        lambda_cols = np.arange(n_lambda)
        for k, rate in enumerate(rates):
            coef = np.concatenate([rate_coefficients(h, rate) for h in hulls])
            lo_col, hi_col = n_lambda + 2 * k, n_lambda + 2 * k + 1
            upper_rows = 2 * (k * n_groups + vertex_group)
            group_upper = 2 * (k * n_groups + np.arange(n_groups))
            rows += [upper_rows, upper_rows + 1, group_upper, group_upper + 1]
            cols += [lambda_cols, lambda_cols, np.full(n_groups, hi_col)]
            cols += [np.full(n_groups, lo_col)]
            vals += [coef, -coef, -np.ones(n_groups), np.ones(n_groups)]
            gap_row = 2 * n_groups * n_rates + k
            rows += [np.array([gap_row, gap_row])]
            cols += [np.array([hi_col, lo_col])]
            vals += [np.array([1.0, -1.0])]
        if n_rates:
            self.a_ub = sparse.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n_rows, n_vars),
            )
            self.b_ub = np.zeros(n_rows)
            self.b_ub[2 * n_groups * n_rates :] = tolerance
        else:
            self.a_ub = sparse.csr_matrix((0, n_vars))
            self.b_ub = np.zeros(0)

    def rate_row(self, group, rate):
        """The row vector of group ``group``'s ``rate`` in the LP's variables."""
        hull = self.hulls[group]
        row = np.zeros(self.n_vars)
        start = self.starts[group]
        row[start : start + hull.n_vertices] = rate_coefficients(hull, rate)
        return row

    def solve(self, rate_bounds, objective=None):
        """HiGHS's result with ``rate_bounds`` added (and another objective)."""
        a_ub, b_ub = self.a_ub, self.b_ub
        if rate_bounds:
            # rate >= v is -rate <= -v; rate <= v as it is.
            sign = np.array([-1.0 if b.lower else 1.0 for b in rate_bounds])
            extra = np.array([self.rate_row(b.group, b.rate) for b in rate_bounds])
            a_ub = sparse.vstack([a_ub, sparse.csr_matrix(sign[:, None] * extra)])
            b_ub = np.concatenate(
                [b_ub, sign * np.array([b.value for b in rate_bounds])]
            )
        if a_ub.shape[0] == 0:
            a_ub, b_ub = None, None
        # Without rate bounds the LP is always feasible: every group's "never"
        # vertex (0, 0) gives all rates 0, so equal rates are always
        # attainable; it is bounded because the weights live in a simplex. A
        # failed solve is still reported, not hidden.
        return linprog(
            self.c if objective is None else objective,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=(0.0, 1.0),
            method="highs",
            options=_HIGHS_OPTIONS,
        )

    def diagnose(self, rate_bounds):
        """The first bound that the ones before it make unreachable.

        Adding constraints only shrinks the feasible set, so feasibility of
        the first ``k`` bounds is monotone in ``k``: a binary search finds the
        first infeasible prefix with about log2(n_bounds) solves (the empty
        prefix, the parity constraints alone, is always feasible).
        """
        lo, hi = 0, len(rate_bounds)  # prefix lo is feasible, prefix hi is not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            result = self.solve(rate_bounds[:mid])
            if result.status == 2:
                hi = mid
            else:
                _check_solved(result, "The threshold linear program")
                lo = mid
        bound, earlier = rate_bounds[hi - 1], rate_bounds[: hi - 1]
        row = self.rate_row(bound.group, bound.rate)
        result = self.solve(earlier, objective=-row if bound.lower else row)
        _check_solved(result, "The linear program of the best reachable rate")
        return RateBoundsInfeasible(bound, float(row @ result.x), earlier)

    def weights(self, x):
        weights = []
        parts = np.split(x[: self.n_lambda], np.cumsum(self.sizes)[:-1])
        for g, part in enumerate(parts):
            # Solver round-off can leave weights like -1e-17 or 1e-13; drop
            # them so that the rule is as simple as the basic solution it came
            # from.
            part = np.where(part > 1e-12, part, 0.0)
            total = part.sum()
            if total <= 0:  # pragma: no cover - the equality row forbids it
                raise RuntimeError(f"The linear program left group {g} without a rule.")
            weights.append(part / total)
        return weights


def canonical_vertex_weights(hull, weights):
    """The simplest rule reaching the same operating point as ``weights``.

    The LP can return any convex combination of vertices that reaches a
    group's optimal point (FPR f, TPR t); they all have the same training
    rates but not the same behaviour on new data. As in Hardt et al. (2016),
    a point on the hull becomes a mix of the two vertices of its edge, and a
    point strictly inside becomes a mix of the hull point H at the same FPR
    with the score-independent rule "positive with probability f" (the chance
    diagonal point (f, f), itself "never" and "always" mixed), whose rates are
    the same in any data set.
    """
    if hull.n_negatives <= 0 or hull.n_positives <= 0:
        return weights  # only "never" and "always": already a two-vertex mix
    return canonical_weights_at(hull, weights @ hull.fpr, weights @ hull.tpr)


def canonical_weights_at(hull, f, t):
    """The rule of :func:`canonical_vertex_weights` for the point (FPR f, TPR t).

    ``(f, t)`` must be in the group's hull, which needs both rates defined.
    """
    fpr, tpr = hull.fpr, hull.tpr
    m = fpr.size
    # The hull edge (k, k + 1) over f: the last vertex with FPR <= f.
    k = int(np.clip(np.searchsorted(fpr, f, side="right") - 1, 0, m - 2))
    width = fpr[k + 1] - fpr[k]
    mu = 0.0 if width <= 0 else float(np.clip((f - fpr[k]) / width, 0.0, 1.0))
    h = (1.0 - mu) * tpr[k] + mu * tpr[k + 1]
    q = 0.0 if h <= f else float(np.clip((h - t) / (h - f), 0.0, 1.0))
    canonical = np.zeros(m)
    canonical[k] += (1.0 - q) * (1.0 - mu)
    canonical[k + 1] += (1.0 - q) * mu
    canonical[0] += q * (1.0 - f)
    canonical[-1] += q * f
    return canonical
