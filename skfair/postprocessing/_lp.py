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
"""

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


def solve_vertex_weights(hulls, *, costs, rates, tolerance):
    """Optimal convex weights over each group's hull vertices.

    Parameters
    ----------
    hulls : list of GroupROCHull
        One per group; every rate in ``rates`` must be defined for every group.
    costs : dict
        Cost per unit weight of a true/false positive/negative: keys "tp",
        "fp", "tn", "fn".
    rates : tuple of str
        The rates to equalise across groups (see ``CONSTRAINT_RATES``).
    tolerance : float
        Largest allowed difference of a rate between any two groups.

    Returns
    -------
    weights : list of ndarray
        For each group, non-negative weights over its vertices summing to 1.
    objective : float
        The optimal expected cost.
    """
    n_groups = len(hulls)
    sizes = np.array([h.n_vertices for h in hulls])
    n_lambda = int(sizes.sum())
    vertex_group = np.repeat(np.arange(n_groups), sizes)
    n_rates = len(rates)
    n_vars = n_lambda + 2 * n_rates  # then (lo, hi) per rate

    c = np.zeros(n_vars)
    c[:n_lambda] = np.concatenate([vertex_costs(h, costs) for h in hulls])

    # Sum of weights is 1 in each group.
    a_eq = sparse.csr_matrix(
        (np.ones(n_lambda), (vertex_group, np.arange(n_lambda))),
        shape=(n_groups, n_vars),
    )
    b_eq = np.ones(n_groups)

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
        a_ub = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, n_vars),
        )
        b_ub = np.zeros(n_rows)
        b_ub[2 * n_groups * n_rates :] = tolerance
    else:
        a_ub, b_ub = None, None

    # The LP is always feasible: every group's "never" vertex (0, 0) gives all
    # rates 0, so equal rates are always attainable; it is bounded because the
    # weights live in a simplex. A failed solve is still reported, not hidden.
    result = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0.0, 1.0),
        method="highs",
        options=_HIGHS_OPTIONS,
    )
    if result.status != 0:
        reason = _LP_STATUS.get(result.status, "unknown status")
        raise RuntimeError(
            f"The threshold linear program was not solved to optimality: {reason} "
            f"(HiGHS status {result.status}: {result.message})."
        )

    weights = []
    for g, part in enumerate(np.split(result.x[:n_lambda], np.cumsum(sizes)[:-1])):
        # Solver round-off can leave weights like -1e-17 or 1e-13; drop them
        # so that the rule is as simple as the basic solution it came from.
        part = np.where(part > 1e-12, part, 0.0)
        total = part.sum()
        if total <= 0:  # pragma: no cover - the equality row forbids it
            raise RuntimeError(f"The linear program left group {g} without a rule.")
        weights.append(part / total)
    return weights, float(result.fun)


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
