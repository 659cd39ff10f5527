"""Certified upper bounds on the population gaps of fixed decisions.

A first version: :func:`gap_upper_bound` on top of
:func:`skfair.metrics._intervals.gap_bounds` with the exact (Clopper-Pearson)
construction, one-sided.
"""

import numpy as np

from ._intervals import check_confidence, gap_bounds

# The rates whose largest between-group gap each metric is.
METRIC_RATES = {
    "demographic_parity_difference": ("selection",),
    "equalized_odds_difference": ("tpr", "fpr"),
    "equal_opportunity_difference": ("tpr",),
    "false_positive_rate_difference": ("fpr",),
}


def _metric_rates(metric):
    if not isinstance(metric, str) or metric not in METRIC_RATES:
        raise ValueError(
            f"metric must be one of {sorted(METRIC_RATES)}; got {metric!r}."
        )
    return METRIC_RATES[metric]


def gap_upper_bound_from_table(table, *, metric, confidence=0.95, squared=None):
    """One-sided upper confidence bound of a gap, from a count table.

    Parameters
    ----------
    table : ndarray of shape (n_groups, 2, 2)
        Row counts (or total weights) of the (group, y_true, y_pred) cells.
    metric : str
        A key of ``METRIC_RATES``.
    confidence : float, default=0.95
    squared : ndarray of shape (n_groups, 2, 2), default=None
        Total squared weight per cell, for weighted rows.

    Returns
    -------
    bound : float
    """
    kinds = _metric_rates(metric)
    confidence = check_confidence(confidence)
    _, upper = gap_bounds(
        np.asarray(table, dtype=np.float64),
        kinds,
        squared=squared,
        confidence=confidence,
        method="exact",
        sides="upper",
    )
    return upper


def gap_upper_bound(
    y_true,
    y_pred,
    *,
    sensitive_features,
    metric="equalized_odds_difference",
    confidence=0.95,
    sample_weight=None,
):
    """Upper confidence bound on the population value of a gap metric.

    Examples
    --------
    >>> from skfair.metrics._certified import gap_upper_bound
    >>> bound = gap_upper_bound([1, 0, 1, 0] * 50, [1, 0, 0, 0] * 50,
    ...                         sensitive_features=[0, 0, 1, 1] * 50)
    >>> 0.0 < bound <= 1.0
    True
    """
    from ._bootstrap import weight_moments
    from ._dispatch import group_counts

    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        raw=True,
    )
    squared = None
    table = counts.raw
    if sample_weight is not None:
        table, squared = weight_moments(
            y_true, y_pred, sensitive_features, sample_weight, 1
        )
    return gap_upper_bound_from_table(
        table, metric=metric, confidence=confidence, squared=squared
    )
