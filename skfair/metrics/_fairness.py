"""Group-fairness metrics, each a cheap function of the group count table.

Conventions shared by every metric (and tested):

- **Undefined rates count as 0.** The true positive rate of a group without
  positive rows and the false positive rate of a group without negative rows
  have a zero denominator; the metrics take them as 0, exactly as fairlearn
  does (through scikit-learn's ``confusion_matrix(normalize="true")``), so the
  values equal fairlearn's. :func:`~skfair.metrics.group_report` shows such
  rates as NaN instead, so that they can be spotted.
- **Groups whose rows all weigh zero are left out.** They carry no data; every
  metric ignores them (fairlearn skips them too wherever it returns a value).
  If every weight is zero a ValueError is raised.
- **A ratio whose largest rate is 0 is NaN** (0 / 0), as in fairlearn.
"""

import warnings

import numpy as np

from ..utils import check_sample_weight_1d
from ..utils._sensitive import python_label
from ._counts import _check_total_weight
from ._dispatch import group_counts, overall_counts

_METHODS = ("between_groups", "to_overall")
_AGGS = ("worst_case", "mean")


# ----------------------------------------------------------------------------
# Rates and aggregations on count tables


def _rate(table, kind):
    """Rate of ``kind`` for each table of ``table[..., t, p]``; 0 if undefined.

    ``kind`` is one of the keys of ``_RATE_CELLS`` (numerator cells over
    denominator cells), or ``"balanced_accuracy"``: the mean of the true
    positive and true negative rates over the classes present, as
    scikit-learn's ``balanced_accuracy_score``.
    """
    table = np.asarray(table, dtype=np.float64)
    if kind == "balanced_accuracy":
        positives = table[..., 1, :].sum(axis=-1)
        negatives = table[..., 0, :].sum(axis=-1)
        present = (positives > 0).astype(float) + (negatives > 0)
        recalls = _rate(table, "tpr") + _rate(table, "tnr")
        out = np.zeros(np.shape(recalls))
        np.divide(recalls, present, out=out, where=present > 0)
        return out
    numerator_cells, denominator_cells = _RATE_CELLS[kind]
    numerator = sum(table[..., t, p] for t, p in numerator_cells)
    denominator = sum(table[..., t, p] for t, p in denominator_cells)
    out = np.zeros(np.shape(numerator))
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


# (true label, predicted label) cells of each rate's numerator and denominator.
_ALL_CELLS = ((0, 0), (0, 1), (1, 0), (1, 1))
_RATE_CELLS = {
    "selection": (((0, 1), (1, 1)), _ALL_CELLS),
    "tpr": (((1, 1),), ((1, 0), (1, 1))),
    "fpr": (((0, 1),), ((0, 0), (0, 1))),
    "tnr": (((0, 0),), ((0, 0), (0, 1))),
    "fnr": (((1, 0),), ((1, 0), (1, 1))),
    "accuracy": (((0, 0), (1, 1)), _ALL_CELLS),
    "precision": (((1, 1),), ((0, 1), (1, 1))),
}


def _check_choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}.",
        )


def _group_rates(tables, kind):
    """Rates of the groups of ``tables[..., g, t, p]``, NaN for empty groups.

    A group whose rows all weigh zero (which a weighted bootstrap resample can
    also produce) carries no data: its NaN rate is skipped by the reductions.
    """
    rates = _rate(tables, kind)
    return np.where(tables.sum(axis=(-1, -2)) > 0, rates, np.nan)


def _difference(tables, kind, method):
    """Largest gap of the groups' rates, along the group axis of ``tables``.

    ``tables`` has shape ``(..., n_groups, 2, 2)``; the result has shape
    ``(...)``, so that one call evaluates a whole batch of bootstrap tables.
    """
    rates = _group_rates(tables, kind)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        if method == "between_groups":
            return np.nanmax(rates, axis=-1) - np.nanmin(rates, axis=-1)
        overall = _rate(tables.sum(axis=-3), kind)
        return np.nanmax(np.abs(rates - overall[..., None]), axis=-1)


def _ratio(tables, kind, method):
    """Smallest ratio of the groups' rates (at most 1), like ``_difference``."""
    rates = _group_rates(tables, kind)
    # A tiny overall rate can overflow the quotient to inf; its inverse is 0.
    with (
        np.errstate(divide="ignore", invalid="ignore", over="ignore"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        if method == "between_groups":
            largest = np.nanmax(rates, axis=-1)
            smallest = np.nanmin(rates, axis=-1)
            return np.where(largest > 0, smallest / largest, np.nan)
        quotient = rates / _rate(tables.sum(axis=-3), kind)[..., None]
        # Each group's ratio is taken at most 1 (x -> 1/x above 1).
        quotient = np.where(quotient > 1, 1 / quotient, quotient)
        return np.nanmin(quotient, axis=-1)


def _group_tables(
    y_true, y_pred, sensitive_features, sample_weight, pos_label, method=None
):
    """The weighted group count table, shape ``(n_groups, 2, 2)``."""
    if method is not None:
        _check_choice(method, "method", _METHODS)
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
    return counts.weighted


# ----------------------------------------------------------------------------
# The disparities as functions of count tables
#
# Each ``_<metric>_tables(tables, groups, **options)`` takes a count table of
# shape (..., n_groups, 2, 2) and returns an array of shape (...): the public
# metric below calls it once on the data's table, and bootstrap_ci on a whole
# batch of resampled tables, so both compute exactly the same thing.


def _dp_difference_tables(tables, groups, *, method="between_groups"):
    return _difference(tables, "selection", method)


def _dp_ratio_tables(tables, groups, *, method="between_groups"):
    return _ratio(tables, "selection", method)


def _eo_difference_tables(tables, groups, *, method="between_groups"):
    return _difference(tables, "tpr", method)


def _eo_ratio_tables(tables, groups, *, method="between_groups"):
    return _ratio(tables, "tpr", method)


def _eodds_difference_tables(
    tables, groups, *, method="between_groups", agg="worst_case"
):
    tpr_gap = _difference(tables, "tpr", method)
    fpr_gap = _difference(tables, "fpr", method)
    if agg == "worst_case":
        return np.maximum(tpr_gap, fpr_gap)
    return (tpr_gap + fpr_gap) / 2


def _eodds_ratio_tables(tables, groups, *, method="between_groups", agg="worst_case"):
    tpr_ratio = _ratio(tables, "tpr", method)
    fpr_ratio = _ratio(tables, "fpr", method)
    if agg == "mean":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # both NaN
            return np.nanmean(np.stack([tpr_ratio, fpr_ratio]), axis=0)
    # fairlearn takes Python's min of [TPR ratio, FPR ratio]: NaN if the TPR
    # ratio is NaN, the TPR ratio if only the FPR ratio is.
    return np.where(np.isnan(fpr_ratio), tpr_ratio, np.minimum(tpr_ratio, fpr_ratio))


# ----------------------------------------------------------------------------
# Overall rates (no groups)


def _overall_rate(y_true, y_pred, kind, pos_label, sample_weight):
    counts = overall_counts(
        y_true, y_pred, sample_weight=sample_weight, pos_label=pos_label
    )
    return float(_rate(counts.weighted.sum(axis=0), kind))


def selection_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Fraction of rows predicted positive, weighted by ``sample_weight``.

    Equals ``fairlearn.metrics.selection_rate``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels (validated, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    pos_label : object, default=1
        The label of the positive (selected) outcome.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import selection_rate
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _overall_rate(y_true, y_pred, "selection", pos_label, sample_weight)


def true_positive_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Fraction of positive rows predicted positive (recall).

    Equals ``fairlearn.metrics.true_positive_rate``: 0 when there is no
    positive row.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    pos_label : object, default=1
        The positive label.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import true_positive_rate
    >>> true_positive_rate([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    return _overall_rate(y_true, y_pred, "tpr", pos_label, sample_weight)


def false_positive_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Fraction of negative rows predicted positive (fall-out).

    Equals ``fairlearn.metrics.false_positive_rate``: 0 when there is no
    negative row.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    pos_label : object, default=1
        The positive label.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import false_positive_rate
    >>> false_positive_rate([1, 0, 0, 0], [1, 1, 0, 0])
    0.3333333333333333
    """
    return _overall_rate(y_true, y_pred, "fpr", pos_label, sample_weight)


def true_negative_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Fraction of negative rows predicted negative (specificity).

    Equals ``fairlearn.metrics.true_negative_rate``: 0 when there is no
    negative row.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    pos_label : object, default=1
        The positive label.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import true_negative_rate
    >>> true_negative_rate([1, 0, 0, 0], [1, 1, 0, 0])
    0.6666666666666666
    """
    return _overall_rate(y_true, y_pred, "tnr", pos_label, sample_weight)


def false_negative_rate(y_true, y_pred, *, pos_label=1, sample_weight=None):
    """Fraction of positive rows predicted negative (miss rate).

    Equals ``fairlearn.metrics.false_negative_rate``: 0 when there is no
    positive row.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    pos_label : object, default=1
        The positive label.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import false_negative_rate
    >>> false_negative_rate([1, 1, 1, 0], [1, 0, 0, 0])
    0.6666666666666666
    """
    return _overall_rate(y_true, y_pred, "fnr", pos_label, sample_weight)


def count(y_true, y_pred):
    """Number of rows (the size of each group in a :class:`MetricFrame`).

    Equals ``fairlearn.metrics.count``: sample weights are not taken into
    account, and the labels may be anything.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (only their number is used).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (checked to have as many rows as ``y_true``).

    Returns
    -------
    n_rows : int

    Examples
    --------
    >>> from skfair.metrics import count
    >>> count([0, 1, 1], [1, 1, 0])
    3
    """
    n_true, n_pred = len(y_true), len(y_pred)
    if n_true != n_pred:
        raise ValueError(
            f"y_true has {n_true} rows but y_pred has {n_pred}; they must match."
        )
    return n_true


def mean_prediction(y_true, y_pred, sample_weight=None):
    """Weighted mean of the predictions (scores or 0/1 labels).

    Equals ``fairlearn.metrics.mean_prediction``. The true labels are ignored
    but required, so that the function has the signature of a metric.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (only their number is used).
    y_pred : array-like of shape (n_samples,)
        Numeric predictions.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    mean : float

    Examples
    --------
    >>> from skfair.metrics import mean_prediction
    >>> mean_prediction([0, 1, 1, 0], [0.2, 0.4, 0.9, 0.5])
    0.5
    """
    y_p = np.asarray(y_pred)
    if y_p.ndim == 2 and y_p.shape[1] == 1:
        y_p = y_p[:, 0]
    if y_p.ndim != 1 or y_p.dtype.kind not in "biuf":
        raise ValueError(
            "y_pred must be a 1-D array of numbers (scores or 0/1 labels); got "
            f"shape {y_p.shape} and dtype {y_p.dtype}."
        )
    n_rows = count(y_true, y_p)
    sw = check_sample_weight_1d(sample_weight, n_rows)
    if sw is None:
        return float(np.mean(y_p))
    _check_total_weight(sw.sum())
    return float(np.dot(y_p, sw) / sw.sum())


# ----------------------------------------------------------------------------
# fairlearn-compatible disparities


def demographic_parity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
):
    """Largest gap in selection rate between groups.

    Equals ``fairlearn.metrics.demographic_parity_difference``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels (validated, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row: any hashable labels, or ``k`` columns whose
        combinations define intersectional groups. Required (a ValueError
        says so when missing).
    method : {"between_groups", "to_overall"}, default="between_groups"
        ``"between_groups"``: largest minus smallest group rate.
        ``"to_overall"``: largest absolute gap between a group's rate and the
        overall rate.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The label of the positive (selected) prediction.

    Returns
    -------
    difference : float
        In [0, 1]; 0 means equal selection rates.

    Notes
    -----
    Groups whose rows all weigh zero are ignored.

    Examples
    --------
    >>> from skfair.metrics import demographic_parity_difference
    >>> demographic_parity_difference(
    ...     [0, 1, 0, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_dp_difference_tables(tables, None, method=method))


def demographic_parity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
):
    """Smallest over largest selection rate of the groups.

    Equals ``fairlearn.metrics.demographic_parity_ratio``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels (validated, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    method : {"between_groups", "to_overall"}, default="between_groups"
        ``"between_groups"``: smallest over largest group rate.
        ``"to_overall"``: smallest ratio of a group's rate to the overall
        rate, each ratio taken at most 1 (inverted when above 1).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The label of the positive (selected) prediction.

    Returns
    -------
    ratio : float
        In [0, 1]; 1 means equal selection rates. NaN when every group's
        selection rate is 0 (0 / 0).

    Examples
    --------
    >>> from skfair.metrics import demographic_parity_ratio
    >>> demographic_parity_ratio(
    ...     [0, 1, 0, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_dp_ratio_tables(tables, None, method=method))


def equalized_odds_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    agg="worst_case",
    pos_label=1,
):
    """Gap in true and false positive rates between groups.

    Equals ``fairlearn.metrics.equalized_odds_difference``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    method : {"between_groups", "to_overall"}, default="between_groups"
        How each rate's gap is measured, as in
        :func:`demographic_parity_difference`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    agg : {"worst_case", "mean"}, default="worst_case"
        ``"worst_case"``: the larger of the TPR gap and the FPR gap;
        ``"mean"``: their mean.
    pos_label : object, default=1
        The positive label.

    Returns
    -------
    difference : float
        In [0, 1]; 0 means equalized odds.

    Notes
    -----
    The true positive rate of a group without positive rows and the false
    positive rate of a group without negative rows are taken as 0, as in
    fairlearn.

    Examples
    --------
    >>> from skfair.metrics import equalized_odds_difference
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    0.5
    """
    _check_choice(agg, "agg", _AGGS)
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_eodds_difference_tables(tables, None, method=method, agg=agg))


def equalized_odds_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    agg="worst_case",
    pos_label=1,
):
    """Ratio of true and false positive rates between groups.

    Equals ``fairlearn.metrics.equalized_odds_ratio``, NaN cases included
    (see Notes).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    method : {"between_groups", "to_overall"}, default="between_groups"
        How each rate's ratio is measured, as in
        :func:`demographic_parity_ratio`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    agg : {"worst_case", "mean"}, default="worst_case"
        ``"worst_case"``: the smaller of the TPR ratio and the FPR ratio;
        ``"mean"``: their mean.
    pos_label : object, default=1
        The positive label.

    Returns
    -------
    ratio : float
        In [0, 1]; 1 means equalized odds.

    Notes
    -----
    A component ratio is NaN when that rate is 0 in every group (0 / 0).
    As in fairlearn: with ``agg="mean"`` the mean of the defined components
    is returned (NaN if neither is); with ``agg="worst_case"`` the result is
    NaN when the TPR ratio is NaN, and the TPR ratio when only the FPR ratio
    is NaN (fairlearn takes Python's ``min`` of [TPR ratio, FPR ratio]).

    Examples
    --------
    >>> from skfair.metrics import equalized_odds_ratio
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> equalized_odds_ratio(y_true, y_pred, sensitive_features=groups)
    0.0
    """
    _check_choice(agg, "agg", _AGGS)
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_eodds_ratio_tables(tables, None, method=method, agg=agg))


def equal_opportunity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
):
    """Largest gap in true positive rate between groups.

    Equals ``fairlearn.metrics.equal_opportunity_difference``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    method : {"between_groups", "to_overall"}, default="between_groups"
        As in :func:`demographic_parity_difference`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The positive label.

    Returns
    -------
    difference : float
        In [0, 1]; 0 means equal opportunity.

    Examples
    --------
    >>> from skfair.metrics import equal_opportunity_difference
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> equal_opportunity_difference(y_true, y_pred, sensitive_features=groups)
    0.5
    """
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_eo_difference_tables(tables, None, method=method))


def equal_opportunity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
):
    """Smallest over largest true positive rate of the groups.

    Equals ``fairlearn.metrics.equal_opportunity_ratio``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    method : {"between_groups", "to_overall"}, default="between_groups"
        As in :func:`demographic_parity_ratio`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The positive label.

    Returns
    -------
    ratio : float
        In [0, 1]; NaN when every group's true positive rate is 0.

    Examples
    --------
    >>> from skfair.metrics import equal_opportunity_ratio
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> equal_opportunity_ratio(y_true, y_pred, sensitive_features=groups)
    0.5
    """
    tables = _group_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return float(_eo_ratio_tables(tables, None, method=method))


# ----------------------------------------------------------------------------
# AIF360-style privileged versus unprivileged comparisons


def _privileged_index(groups, privileged_group):
    """Position of the privileged group among ``groups`` (checked)."""
    groups = [python_label(g) for g in groups]
    if len(groups) < 2:
        raise ValueError(
            "sensitive_features holds a single group "
            f"({groups[0]!r}); comparing privileged and unprivileged rows "
            "needs at least two groups."
        )
    if privileged_group is None:
        if len(groups) > 2:
            raise ValueError(
                f"sensitive_features holds {len(groups)} groups; pass "
                "privileged_group= to say which one is privileged (all the other "
                f"groups are pooled as unprivileged). Groups: {groups[:20]}."
            )
        return 1
    key = python_label(privileged_group)
    if key not in groups:
        raise ValueError(
            f"privileged_group={privileged_group!r} is not one of the groups "
            f"of sensitive_features: {groups[:20]}"
            f"{'...' if len(groups) > 20 else ''}."
        )
    return groups.index(key)


def _split_privileged(tables, groups, privileged_group):
    """Tables of the privileged group and of all the other groups pooled."""
    index = _privileged_index(groups, privileged_group)
    privileged = tables[..., index, :, :]
    # The other groups summed, not the total minus the privileged group:
    # the subtraction loses a pooled weight far below the privileged one's.
    others = np.arange(tables.shape[-3]) != index
    unprivileged = tables[..., others, :, :].sum(axis=-3)
    return privileged, unprivileged


def _privileged_tables(
    y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
):
    """Count tables, and their groups, checked for a privileged comparison."""
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,  # so that groups whose rows weigh zero still count as groups
    )
    privileged, unprivileged = _split_privileged(
        counts.weighted, counts.groups, privileged_group
    )
    for name, part in (("privileged", privileged), ("unprivileged", unprivileged)):
        if part.sum() <= 0:
            raise ValueError(
                f"the {name} rows all have zero sample weight; their rates are "
                "undefined."
            )
    return counts.weighted, counts.groups


def _average_odds_tables(tables, groups, *, privileged_group=None):
    privileged, unprivileged = _split_privileged(tables, groups, privileged_group)
    fpr_gap = _rate(unprivileged, "fpr") - _rate(privileged, "fpr")
    tpr_gap = _rate(unprivileged, "tpr") - _rate(privileged, "tpr")
    return (fpr_gap + tpr_gap) / 2


def _disparate_impact_tables(tables, groups, *, privileged_group=None):
    privileged, unprivileged = _split_privileged(tables, groups, privileged_group)
    numerator = _rate(unprivileged, "selection")
    denominator = _rate(privileged, "selection")
    with np.errstate(divide="ignore", invalid="ignore"):
        # x / 0 is inf for x > 0 and 0 / 0 is NaN, as documented.
        return numerator / denominator


def average_odds_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    privileged_group=None,
    sample_weight=None,
    pos_label=1,
):
    """Mean of the unprivileged-minus-privileged gaps in FPR and TPR.

    AIF360's definition:
    ``((FPR_unpriv - FPR_priv) + (TPR_unpriv - TPR_priv)) / 2``, a signed
    value in [-1, 1]; 0 means equal odds on average, negative values mean the
    unprivileged rows get fewer positive predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    privileged_group : object, default=None
        Label of the privileged group (a tuple for 2-D sensitive features).
        **Unprivileged** means every other row: with more than two groups all
        the other groups are pooled into one, as AIF360 does. Required when
        there are more than two groups; with two groups, None picks the
        second in sorted order (1 for 0/1-coded groups, as AIF360's default
        ``priv_group=1``).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The positive label.

    Returns
    -------
    difference : float

    Raises
    ------
    ValueError
        With a single group, an unknown ``privileged_group``, more than two
        groups and no ``privileged_group``, or a side whose rows all weigh
        zero.

    Notes
    -----
    Rates with a zero denominator are 0, as in the other metrics. AIF360
    computes the FPR as one minus its specificity score, so where a side has
    no negative rows it differs from this function.

    Examples
    --------
    >>> from skfair.metrics import average_odds_difference
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> groups = ["a"] * 4 + ["b"] * 4
    >>> average_odds_difference(
    ...     y_true, y_pred, sensitive_features=groups, privileged_group="a")
    -0.5
    """
    tables, groups = _privileged_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
    )
    return float(
        _average_odds_tables(tables, groups, privileged_group=privileged_group)
    )


def disparate_impact_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    privileged_group=None,
    sample_weight=None,
    pos_label=1,
):
    """Selection rate of the unprivileged rows over that of the privileged.

    AIF360's definition; 1 means parity, below 1 means the unprivileged rows
    are selected less often (the "four-fifths rule" flags values below 0.8).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels (validated, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    privileged_group : object, default=None
        Label of the privileged group; every other row is unprivileged (with
        more than two groups, the others are pooled, as in AIF360). Required
        when there are more than two groups; with two, None picks the second
        in sorted order.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    pos_label : object, default=1
        The label of the positive (selected) prediction.

    Returns
    -------
    ratio : float
        In [0, inf]. When the privileged selection rate is 0: NaN if the
        unprivileged rate is 0 too, else ``inf`` (AIF360 returns 0 there,
        with a warning).

    Raises
    ------
    ValueError
        As for :func:`average_odds_difference`.

    Examples
    --------
    >>> from skfair.metrics import disparate_impact_ratio
    >>> disparate_impact_ratio(
    ...     [0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=[1, 1, 0, 0])
    0.5
    """
    tables, groups = _privileged_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
    )
    return float(
        _disparate_impact_tables(tables, groups, privileged_group=privileged_group)
    )


# Each named metric's function of count tables, and the options it takes.
TABLE_FUNCTIONS = {
    "demographic_parity_difference": (_dp_difference_tables, ("method",)),
    "demographic_parity_ratio": (_dp_ratio_tables, ("method",)),
    "equalized_odds_difference": (_eodds_difference_tables, ("method", "agg")),
    "equalized_odds_ratio": (_eodds_ratio_tables, ("method", "agg")),
    "equal_opportunity_difference": (_eo_difference_tables, ("method",)),
    "equal_opportunity_ratio": (_eo_ratio_tables, ("method",)),
    "average_odds_difference": (_average_odds_tables, ("privileged_group",)),
    "disparate_impact_ratio": (_disparate_impact_tables, ("privileged_group",)),
}

FAIRNESS_METRICS = {
    func.__name__: func
    for func in (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
        equal_opportunity_difference,
        equal_opportunity_ratio,
        average_odds_difference,
        disparate_impact_ratio,
    )
}
