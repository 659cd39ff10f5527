"""The multiclass derived predictor: one LP over per-group randomized maps.

With K > 2 classes, ThresholdOptimizer post-processes the wrapped model's
predicted class ``a`` (its discretised output) into a decision ``d`` by a
randomized map that depends on the row's group: row-stochastic matrices
``P[g, a, d]``, the probability of deciding ``d`` for a row of group ``g``
whose model prediction is ``a`` (Hardt et al.'s derived predictor, as
generalised to several classes by Putzel & Lee, 2022). Every rate the
constraints and the objective need is linear in ``P``, given the weighted
training counts ``n[g, y, a]`` of (group, true class, predicted class), so the
exact optimum over all such maps is one linear program, solved by HiGHS.
"""

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..utils._sensitive import format_label
from ._lp import _HIGHS_OPTIONS, _LP_STATUS

MULTICLASS_CONSTRAINTS = ("demographic_parity", "equalized_odds", "equal_opportunity")


def confusion_counts(group_codes, y_codes, cells, weights, n_groups, n_classes):
    """Weighted counts ``n[g, y, a]`` of (group, true class, model prediction)."""
    w = np.ones(group_codes.size) if weights is None else weights
    flat = (group_codes * n_classes + y_codes) * n_classes + cells
    counts = np.bincount(flat, weights=w, minlength=n_groups * n_classes**2)
    return counts.reshape(n_groups, n_classes, n_classes)


def _constrained_rates(counts, constraints):
    """Coefficients of the constrained rates, linear in ``P``.

    Returns an array ``A`` of shape (n_groups, n_rates, K, K): rate ``r`` of
    group ``g`` is ``sum_{a, d} A[g, r, a, d] * P[g, a, d]``. The rates are
    the decision rates (demographic parity), the rate of every decision
    among each true class (equalized odds) or each class's recall (equal
    opportunity).
    """
    n_groups, n_classes, _ = counts.shape
    eye = np.eye(n_classes)
    if constraints is None:
        return np.zeros((n_groups, 0, n_classes, n_classes))
    if constraints == "demographic_parity":
        share = counts.sum(axis=1)  # (g, a)
        share = share / share.sum(axis=1, keepdims=True)
        # rate d of group g: sum_a share[g, a] P[g, a, d]
        return share[:, None, :, None] * eye[None, :, None, :]
    per_class = counts / counts.sum(axis=2, keepdims=True)  # (g, y, a)
    if constraints == "equalized_odds":
        # rate (y, d) of group g: sum_a per_class[g, y, a] P[g, a, d]
        coef = per_class[:, :, None, :, None] * eye[None, None, :, None, :]
        return coef.reshape(n_groups, n_classes * n_classes, n_classes, n_classes)
    # equal opportunity: rate y of group g is sum_a per_class[g, y, a] P[g, a, y]
    return per_class[:, :, :, None] * eye[None, :, None, :]


def solve_multiclass_lp(counts, cost, constraints, tolerance):
    """The optimal per-group randomized maps from model predictions to decisions.

    Parameters
    ----------
    counts : ndarray of shape (n_groups, K, K)
        Weighted training counts ``n[g, y, a]``.
    cost : ndarray of shape (K, K)
        Cost per unit weight of deciding ``d`` for a row of true class ``y``,
        ``cost[y, d]``, already scaled to order 1.
    constraints : {"demographic_parity", "equalized_odds", "equal_opportunity"} \
            or None
        None: no parity constraint (each group's most accurate map).
    tolerance : float
        Largest allowed difference of each constrained rate between groups.

    Returns
    -------
    maps : ndarray of shape (n_groups, K, K)
        ``maps[g, a, d]``: probability of decision ``d`` for a row of group
        ``g`` predicted ``a`` by the model; rows sum to 1.

    Notes
    -----
    Variables are the ``n_groups * K * K`` entries of ``P`` followed by a
    lower bound ``lo[r]`` per constrained rate ``r``. Each group's rate ``r``
    lies in ``[lo[r], lo[r] + tolerance]``, which is the same as every pair
    of groups differing by at most ``tolerance``. The program is always
    feasible: deciding one fixed class for every row gives equal rates.
    """
    n_groups, n_classes, _ = counts.shape
    n_p = n_groups * n_classes * n_classes
    coef = _constrained_rates(counts, constraints)
    n_rates = coef.shape[1]
    # Objective: expected cost sum_{g,y,a,d} n[g,y,a] cost[y,d] P[g,a,d].
    c = np.concatenate(
        [np.einsum("gya,yd->gad", counts, cost).ravel(), np.zeros(n_rates)]
    )
    # Each (g, a) row of P sums to 1.
    a_eq = sparse.hstack(
        [
            sparse.kron(sparse.eye(n_groups * n_classes), np.ones((1, n_classes))),
            sparse.csr_array((n_groups * n_classes, n_rates)),
        ]
    )
    b_eq = np.ones(n_groups * n_classes)
    if n_rates:
        # rate[g, r] - lo[r] <= tolerance and lo[r] - rate[g, r] <= 0.
        rate_rows = sparse.block_diag(
            [sparse.csr_array(coef[g].reshape(n_rates, -1)) for g in range(n_groups)]
        )
        lo = sparse.vstack([-sparse.eye(n_rates)] * n_groups)
        a_ub = sparse.vstack(
            [sparse.hstack([rate_rows, lo]), sparse.hstack([-rate_rows, -lo])]
        ).tocsr()
        b_ub = np.concatenate(
            [
                np.full(n_groups * n_rates, float(tolerance)),
                np.zeros(n_groups * n_rates),
            ]
        )
    else:
        a_ub, b_ub = None, None
    bounds = [(0.0, 1.0)] * n_p + [(None, None)] * n_rates
    result = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=bounds,
        method="highs",
        options=_HIGHS_OPTIONS,
    )
    if result.status != 0:
        reason = _LP_STATUS.get(result.status, "unknown status")
        raise RuntimeError(
            "The multiclass decision-map linear program was not solved to "
            f"optimality: {reason} (HiGHS status {result.status}: "
            f"{result.message})."
        )
    # Round-off like -1e-17 or 1e-13: dropped, as in the binary LP.
    maps = np.where(result.x[:n_p] > 1e-12, result.x[:n_p], 0.0).reshape(
        n_groups, n_classes, n_classes
    )
    return maps / maps.sum(axis=2, keepdims=True)


def fill_unseen_cells(maps, counts):
    """Give the cells a group never had in training its overall decision rates.

    The LP leaves the map of a predicted class that no training row of the
    group has free (it changes no training rate). Deciding with the group's
    overall decision rates instead keeps those rates for such rows on new
    data, and makes the fitted maps independent of the solver's choice.
    """
    maps = maps.copy()
    cell_weight = counts.sum(axis=1)  # (g, a)
    for g in range(maps.shape[0]):
        seen = cell_weight[g] > 0
        if seen.all():
            continue
        share = cell_weight[g] / cell_weight[g].sum()
        maps[g, ~seen] = share @ maps[g]
    return maps


def decision_rates(maps, counts):
    """Expected decision rates per group, and per group and true class.

    Returns
    -------
    rates : ndarray of shape (n_groups, K)
    class_rates : ndarray of shape (n_groups, K, K)
        ``class_rates[g, y, d]`` is the rate of decision ``d`` among the
        group's rows of true class ``y`` (NaN if it has none).
    """
    share = counts.sum(axis=1)
    share = share / share.sum(axis=1, keepdims=True)
    rates = np.einsum("ga,gad->gd", share, maps)
    n_class = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(n_class > 0, counts / n_class, np.nan)
    class_rates = np.einsum("gya,gad->gyd", per_class, maps)
    return rates, class_rates


def draw_decisions(proba, u):
    """Decision index of each row: the first ``d`` with ``u < cumsum(proba)[d]``.

    For two columns this is the binary rule "positive iff ``u < p``".
    """
    cumulative = np.cumsum(proba, axis=1)
    # The last cumulative probability may fall short of 1 by an ulp.
    cumulative[:, -1] = np.inf
    return (u[:, None] >= cumulative).sum(axis=1)


def multiclass_costs(objective, class_weight, classes):
    """The ``cost[y, d]`` matrix of ``objective``, per unit weight, of order 1.

    Parameters
    ----------
    objective : {"accuracy", "balanced_accuracy"} or array-like of shape (K, K)
        A cost matrix has the true class in rows and the decision in columns
        (in the order of ``classes``); the expected total cost is minimised.
    class_weight : ndarray of shape (K,)
        Total training weight of each class (all positive).
    classes : ndarray of shape (K,)
    """
    n_classes = classes.size
    errors = 1.0 - np.eye(n_classes)
    if isinstance(objective, str):
        if objective == "accuracy":
            return errors / class_weight.sum()
        if objective == "balanced_accuracy":
            return errors / (n_classes * class_weight[:, None])
        raise ValueError(
            f"objective={objective!r} is not one of 'accuracy', 'balanced_accuracy'."
        )
    if isinstance(objective, dict):
        raise ValueError(
            "objective as a dict of 'tp'/'fp'/'tn'/'fn' costs is for binary y; "
            f"y has {n_classes} classes, so give a {n_classes} x {n_classes} "
            "cost matrix (rows: true class, columns: decision, in the order "
            f"of classes_ {classes.tolist()})."
        )
    try:
        cost = np.asarray(objective, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"objective as a cost matrix must hold real numbers; got {objective!r}."
        ) from exc
    if cost.shape != (n_classes, n_classes):
        raise ValueError(
            f"objective as a cost matrix must have shape ({n_classes}, "
            f"{n_classes}) (rows: true class, columns: decision, in the order "
            f"of classes_ {classes.tolist()}); got shape {cost.shape}."
        )
    if not np.isfinite(cost).all():
        raise ValueError("objective as a cost matrix must be finite.")
    # Scaling all costs by one positive number keeps the optimum; order-1
    # costs keep the LP within the solver's numerical range.
    scale = np.abs(cost).max() or 1.0
    return cost / scale / class_weight.sum()


def check_multiclass_groups(counts, groups, classes, constraints):
    """Every constrained rate defined in every group (fit checked there are two)."""
    if constraints is None:
        return  # no parity constraint: every group's rates may be undefined
    if constraints == "demographic_parity":
        return  # every group has rows, so its decision rates exist
    class_weight = counts.sum(axis=2)  # (g, y)
    missing = np.argwhere(class_weight <= 0)
    if missing.size:
        g, y = missing[0]
        raise ValueError(
            f"Group {format_label(groups[g])} has no samples of class "
            f"{format_label(classes[y])} (with positive weight) in the training "
            "data, so its rates among that class are undefined and "
            f"constraints={constraints!r} cannot be applied. Merge or drop the "
            "group, or use constraints='demographic_parity'."
        )
