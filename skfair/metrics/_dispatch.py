"""The entry point of the counting: in-memory or block-wise for dask inputs.

The metrics call :func:`group_counts` and :func:`overall_counts` here; they
hand numpy, pandas and list inputs to :mod:`skfair.metrics._counts` and dask
collections to :mod:`skfair.metrics._dask`, which counts each block with
``_counts`` in turn. The dispatch sits above both counting modules, so that
neither imports the other in a circle.
"""

import numpy as np

from ._counts import _as_label_vector, _check_total_weight, numpy_group_counts
from ._dask import dask_group_counts, is_dask_collection, single_group_like

_MISSING_SENSITIVE = (
    "sensitive_features is required: pass the group label of every row "
    "(1-D, or 2-D for intersectional groups). In a scorer, give "
    "make_fairness_scorer(..., sensitive_cols=...) the sensitive column(s) of X, "
    "or enable metadata routing and call "
    "scorer.set_score_request(sensitive_features=True)."
)


def group_counts(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1, raw=False
):
    """Count the weighted (group, y_true, y_pred) cells in one pass.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Binary labels (numpy, pandas, lists, or dask arrays).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group labels of the rows.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The label that counts as positive in ``y_true`` and ``y_pred``.
    raw : bool, default=False
        Also count rows (ignoring weights) into ``GroupCounts.raw``.

    Returns
    -------
    counts : GroupCounts
    """
    if sensitive_features is None:
        raise ValueError(_MISSING_SENSITIVE)
    inputs = (y_true, y_pred, sensitive_features, sample_weight)
    counter = (
        dask_group_counts
        if any(is_dask_collection(a) for a in inputs)
        else numpy_group_counts
    )
    # Weights are non-negative, so an overflow anywhere makes the total
    # infinite, which _check_total_weight turns into a clear error.
    with np.errstate(over="ignore"):
        counts = counter(
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=sample_weight,
            pos_label=pos_label,
            raw=raw,
        )
        total = counts.weighted.sum()
    _check_total_weight(total)
    return counts


def overall_counts(y_true, y_pred, *, sample_weight=None, pos_label=1):
    """The count table of all rows as a single group (for the overall rates)."""
    if is_dask_collection(y_pred) or is_dask_collection(y_true):
        groups = single_group_like(y_pred if is_dask_collection(y_pred) else y_true)
    else:
        groups = np.zeros(len(_as_label_vector(y_pred, "y_pred")), dtype=np.uint8)
    return group_counts(
        y_true,
        y_pred,
        sensitive_features=groups,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
