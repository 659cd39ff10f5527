"""The constraint moments of the reductions: rates that are linear in a classifier.

A randomized binary classifier is described on the training rows by
``p[i]``, the probability that row ``i`` is predicted positive (0 or 1 for a
single classifier). The training error and every constrained rate are linear
in ``p``, which is what the reductions of Agarwal et al. (2018) need: the
Lagrangian of "minimise the error subject to the rates' gaps" is then a
weighted sum over the rows of ``p[i]`` times a cost, and minimising it over
classifiers is a cost-sensitive classification problem (the best response).

Each constrained rate lives in a *cell*: an event (all rows, the rows with
``y == 1``, the rows with ``y == 0``) crossed with a group. Every row is in
at most one cell, so all cells' rates come from one ``np.bincount``.
The constraints are pairwise: for each event and each ordered pair of
groups ``(g, h)``, ``rate[g] - rate[h] <= tolerance``, which is exactly "the
largest difference of the rate between any two groups is at most
``tolerance``", the meaning of ``tolerance`` in every skfair estimator.
"""

from dataclasses import dataclass

import numpy as np

# Constraint name -> the events whose per-group rates are made equal, and
# whether the rate is the rate of errors instead of positive decisions.
CONSTRAINT_EVENTS = {
    "demographic_parity": ("all",),
    "equal_opportunity": ("positive",),
    "false_positive_rate_parity": ("negative",),
    "equalized_odds": ("positive", "negative"),
    "error_rate_parity": ("all",),
}

# The name of each event's rate, for the training gaps reported to the user.
_RATE_NAMES = {
    "demographic_parity": ("selection_rate",),
    "equal_opportunity": ("true_positive_rate",),
    "false_positive_rate_parity": ("false_positive_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "error_rate_parity": ("error_rate",),
}


def _event_masks(y01, events):
    masks = {
        "all": np.ones(y01.size, dtype=bool),
        "positive": y01 == 1,
        "negative": y01 == 0,
    }
    return [masks[event] for event in events]


@dataclass
class ClassificationMoment:
    """Error and constrained rates of binary decisions on the training rows.

    Built once per fit by :func:`classification_moment`; every quantity that
    does not depend on the classifier is computed here, so evaluating a new
    classifier is one ``np.bincount`` over the rows.

    Attributes
    ----------
    cell : ndarray of shape (n_samples,)
        Index of each row's cell (``event * n_groups + group``), or
        ``n_cells`` for rows in no constrained event.
    row_rate_weight : ndarray of shape (n_samples,)
        ``w[i] * a[i] / W[cell]``: the change of the row's cell rate when the
        row's decision goes from 0 to 1 (``a`` is -1 for a positive row and
        +1 for a negative one for error rates, 1 otherwise).
    cell_offset : ndarray of shape (n_cells,)
        Each cell's rate when every decision is 0.
    row_error_weight : ndarray of shape (n_samples,)
        ``w[i] * (1 - 2 y[i]) / W``: the change of the training error when the
        row's decision goes from 0 to 1.
    base_error : float
        The training error when every decision is 0.
    pairs : ndarray of shape (n_constraints, 2)
        The two cells ``(c, d)`` of each constraint ``rate[c] - rate[d] <= tol``.
    tolerance : float
        The bound of every constraint.
    rate_names : tuple of str
        The name of each event's rate.
    n_groups : int
        Number of groups.
    """

    cell: np.ndarray
    row_rate_weight: np.ndarray
    cell_offset: np.ndarray
    row_error_weight: np.ndarray
    base_error: float
    pairs: np.ndarray
    tolerance: float
    rate_names: tuple
    n_groups: int

    @property
    def n_cells(self):
        return self.cell_offset.size

    @property
    def n_constraints(self):
        return self.pairs.shape[0]

    def error(self, p):
        """Training error of decisions ``p`` (probabilities of a positive one)."""
        return float(self.base_error + self.row_error_weight @ p)

    def rates(self, p):
        """Each cell's rate under decisions ``p``, shape (n_cells,)."""
        moved = np.bincount(
            self.cell, weights=self.row_rate_weight * p, minlength=self.n_cells + 1
        )
        return self.cell_offset + moved[: self.n_cells]

    def violations(self, rates):
        """``rate[c] - rate[d] - tolerance`` of each constraint (<= 0: met)."""
        return rates[self.pairs[:, 0]] - rates[self.pairs[:, 1]] - self.tolerance

    def gaps(self, rates):
        """Largest difference of each event's rate between two groups."""
        table = rates.reshape(len(self.rate_names), self.n_groups)
        spread = table.max(axis=1) - table.min(axis=1)
        return {
            name: float(gap) for name, gap in zip(self.rate_names, spread, strict=True)
        }

    def row_costs(self, lambda_vec):
        """Cost of a positive decision minus a negative one for every row.

        The Lagrangian ``error(p) + lambda @ violations(rates(p))`` equals a
        constant plus ``costs @ p``; the best response predicts positive
        exactly where the cost is negative.
        """
        cell_multiplier = np.zeros(self.n_cells)
        np.add.at(cell_multiplier, self.pairs[:, 0], lambda_vec)
        np.subtract.at(cell_multiplier, self.pairs[:, 1], lambda_vec)
        return self.cell_costs(cell_multiplier)

    def cell_costs(self, cell_multiplier):
        """Row costs of the Lagrangian ``error + cell_multiplier @ rates``."""
        padded = np.append(cell_multiplier, 0.0)  # rows in no cell
        return self.row_error_weight + padded[self.cell] * self.row_rate_weight

    def lagrangian(self, error, violations, lambda_vec):
        return float(error + lambda_vec @ violations)


def _pairs(n_events, n_groups):
    pairs = [
        (e * n_groups + g, e * n_groups + h)
        for e in range(n_events)
        for g in range(n_groups)
        for h in range(n_groups)
        if g != h
    ]
    return np.array(pairs, dtype=np.intp).reshape(-1, 2)


def classification_moment(constraints, y01, weights, codes, n_groups, tolerance):
    """Build the :class:`ClassificationMoment` of a fit.

    Parameters
    ----------
    constraints : str
        A key of :data:`CONSTRAINT_EVENTS`.
    y01 : ndarray of shape (n_samples,)
        0/1 labels.
    weights : ndarray of shape (n_samples,)
        Non-negative row weights.
    codes : ndarray of shape (n_samples,)
        Group code of each row.
    n_groups : int
        Number of groups.
    tolerance : float
        Bound of every pairwise difference.

    Returns
    -------
    moment : ClassificationMoment
    """
    events = CONSTRAINT_EVENTS[constraints]
    y01 = y01.astype(np.float64)
    n_events = len(events)
    n_cells = n_events * n_groups
    cell = np.full(y01.size, n_cells, dtype=np.intp)
    for e, mask in enumerate(_event_masks(y01, events)):
        cell[mask] = e * n_groups + codes[mask]
    cell_weight = np.bincount(cell, weights=weights, minlength=n_cells + 1)[:n_cells]
    # Callers check that every cell has weight; a safe divisor regardless.
    divisor = np.where(cell_weight > 0, cell_weight, 1.0)
    if constraints == "error_rate_parity":
        # error = y + p (1 - 2y): the rate moves by (1 - 2y) per unit of p.
        slope = 1.0 - 2.0 * y01
        offset = np.bincount(cell, weights=weights * y01, minlength=n_cells + 1)
        cell_offset = offset[:n_cells] / divisor
    else:
        slope = np.ones_like(y01)
        cell_offset = np.zeros(n_cells)
    row_divisor = np.append(divisor, 1.0)[cell]
    total = weights.sum()
    return ClassificationMoment(
        cell=cell,
        row_rate_weight=weights * slope / row_divisor,
        cell_offset=cell_offset,
        row_error_weight=weights * (1.0 - 2.0 * y01) / total,
        base_error=float(weights @ y01 / total),
        pairs=_pairs(n_events, n_groups),
        tolerance=float(tolerance),
        rate_names=_RATE_NAMES[constraints],
        n_groups=n_groups,
    )


def empty_cells(constraints, y01, weights, codes, n_groups):
    """``(event, group code)`` of the cells without weight: their rate is undefined."""
    events = CONSTRAINT_EVENTS[constraints]
    missing = []
    for event, mask in zip(events, _event_masks(y01, events), strict=True):
        per_group = np.bincount(codes[mask], weights=weights[mask], minlength=n_groups)
        missing += [(event, g) for g in np.flatnonzero(per_group <= 0)]
    return missing
