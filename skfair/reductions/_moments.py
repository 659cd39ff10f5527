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

    regression = False

    def constraint_labels(self, groups):
        """``(rate, group_a, group_b)`` of each constraint."""
        labels = []
        for c, d in self.pairs:
            event, g = divmod(int(c), self.n_groups)
            h = int(d) % self.n_groups
            labels.append(
                (self.rate_names[event], _plain(groups[g]), _plain(groups[h]))
            )
        return labels


def _plain(label):
    return label.item() if isinstance(label, np.generic) else label


_LOSSES = {
    "square": lambda residual: residual**2,
    "absolute": np.abs,
}


@dataclass
class LossMoment:
    """Mean loss overall and per group of real-valued predictions (regression).

    The bounded-group-loss constraints of Agarwal, Dudik & Wu (2019): every
    group's weighted mean loss is at most ``tolerance``. Predictions are
    clipped to the training range of ``y`` (``low``, ``high``) before the
    loss, which bounds it. "Decisions" here are the clipped predictions; the
    error and rates of a mixture are the mixture weights times its members'.
    """

    y: np.ndarray
    weights: np.ndarray
    codes: np.ndarray
    group_weight: np.ndarray
    tolerance: float
    loss: str
    low: float
    high: float

    regression = True
    rate_names = ("group_loss",)

    @property
    def n_groups(self):
        return self.group_weight.size

    @property
    def n_constraints(self):
        return self.n_groups

    def losses(self, predictions):
        return _LOSSES[self.loss](np.clip(predictions, self.low, self.high) - self.y)

    def error(self, losses):
        """Weighted mean loss; takes the rows' losses (see :meth:`losses`)."""
        return float(self.weights @ losses / self.weights.sum())

    def rates(self, losses):
        """Each group's weighted mean loss."""
        per_group = np.bincount(
            self.codes, weights=self.weights * losses, minlength=self.n_groups
        )
        return per_group / self.group_weight

    def violations(self, rates):
        return rates - self.tolerance

    def gaps(self, rates):
        """The largest group's mean loss (the constrained quantity)."""
        return {"group_loss": float(rates.max())}

    def row_costs(self, lambda_vec):
        """Row weights of the weighted regression that is the best response."""
        return self.weights * (
            1.0 / self.weights.sum() + (lambda_vec / self.group_weight)[self.codes]
        )

    def lagrangian(self, error, violations, lambda_vec):
        return float(error + lambda_vec @ violations)

    def constraint_labels(self, groups):
        return [("group_loss", _plain(g)) for g in groups]


def loss_moment(y, weights, codes, n_groups, tolerance, loss):
    """Build the :class:`LossMoment` of a fit (``y`` real, ``loss`` a name)."""
    group_weight = np.bincount(codes, weights=weights, minlength=n_groups)
    return LossMoment(
        y=y,
        weights=weights,
        codes=codes,
        group_weight=group_weight,
        tolerance=float(tolerance),
        loss=loss,
        low=float(y.min()),
        high=float(y.max()),
    )


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
