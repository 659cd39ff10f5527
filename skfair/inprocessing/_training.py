"""What ConstrainedLogisticRegression's in-memory and Dask routes share.

The checks of the training data (two classes with weight, every constrained
(slice, group) cell with weight) and the bundle a route hands to ``fit``:
the smooth program on the data and how to score the raw features.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..utils._sensitive import format_label, python_label

# For each constraint: the label slices whose groups' rates are equalised,
# as (label the rows must have or None for all rows, name of the rate).
SLICES = {
    "equalized_odds": ((1, "positives"), (0, "negatives")),
    "equal_opportunity": ((1, "positives"),),
    "false_positive_rate_parity": ((0, "negatives"),),
    "demographic_parity": ((None, "all rows"),),
}


def constraint_slices(constraints):
    """The label (1, 0 or None for all rows) of each slice of ``constraints``."""
    return [label for label, _ in SLICES[constraints]]


@dataclass
class TrainingProblem:
    """The smooth program on the training data and what ``fit`` reports.

    ``raw_scores(coef, intercept)`` scores the training rows as ``predict``
    does (on the raw features), for ``training_gaps_``.
    """

    model: object
    classes: np.ndarray
    groups: np.ndarray
    n_groups: int
    n_slices: int
    raw_scores: Callable


def check_two_classes(classes):
    if classes.size != 2:
        raise ValueError(
            f"y holds one class only ({classes.tolist()}); "
            "ConstrainedLogisticRegression needs samples of two classes."
        )


def check_total_weight(total):
    if not total > 0:
        raise ValueError("sample_weight sums to zero; nothing to fit.")


def check_class_weight(class_weight, classes):
    for label, weight in zip(classes, class_weight, strict=True):
        if not weight > 0:
            raise ValueError(
                f"class {format_label(label)} of y has zero total sample_weight; "
                "ConstrainedLogisticRegression needs both classes with "
                "positive weight."
            )


def constraint_cells(y01, sample_weight, encoding, constraints, classes):
    """Cell (slice, group) of every constrained row; check none is empty.

    Shared by ConstrainedLogisticRegression and AdversarialDebiasing: a group
    without the rows a constraint compares (no positives under equalized
    odds, say) is a ValueError naming the group.

    Returns
    -------
    cell_codes : ndarray of shape (n_samples,)
        ``slice * n_groups + group`` of each row (-1 for rows in no slice).
    n_slices : int
    """
    slices = constraint_slices(constraints)
    n_groups = encoding.n_groups
    cell_codes = np.full(y01.shape[0], -1, dtype=np.intp)
    cell_weight = np.zeros((len(slices), n_groups))
    for k, label in enumerate(slices):
        rows = np.ones(y01.shape[0], dtype=bool) if label is None else y01 == label
        cell_codes[rows] = k * n_groups + encoding.codes[rows]
        cell_weight[k] = np.bincount(
            encoding.codes[rows], weights=sample_weight[rows], minlength=n_groups
        )
    check_cells_have_weight(cell_weight, constraints, encoding.groups, classes)
    return cell_codes, len(slices)


def check_cells_have_weight(cell_weight, constraints, groups, classes):
    """Every (slice, group) cell needs positive weight: its rate is compared.

    ``cell_weight`` has shape (n_slices, n_groups).
    """
    for k, (label, name) in enumerate(SLICES[constraints]):
        for g in np.flatnonzero(~(cell_weight[k] > 0)):
            which = (
                "rows"
                if label is None
                else f"rows with label {format_label(classes[label])}"
            )
            group = python_label(groups[g])
            raise ValueError(
                f"group {group!r} has no {which} (with positive sample "
                f"weight) in the training data; constraints="
                f"{constraints!r} compares the groups' rates among "
                f"{name}, so every group needs such rows."
            )
