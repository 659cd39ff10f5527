"""Demographic parity and equalized odds for multiclass predictions.

Each class ``c`` is scored one-vs-rest: the binary metric of the indicators
``y_true == c`` and ``y_pred == c``. The per-class values are then returned
as they are, or aggregated by their worst case or mean.

``zero_division`` is the binary metrics' (a group without rows of class
``c``, or with only rows of class ``c``, leaves a one-vs-rest rate
undefined); its warnings name the class. With ``np.nan`` a class whose gap
is NaN is left out of the worst case and the mean over the classes.
"""

import warnings

import numpy as np

from ..utils._sensitive import python_label
from ..utils._validation import _check_labels_present
from ._fairness import (
    _check_choice,
    _check_zero_division,
    demographic_parity_difference,
    equalized_odds_difference,
)


def _class_labels(y_true, y_pred, labels):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for values, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        _check_labels_present(values, name=name)
    if labels is None:
        try:
            labels = np.unique(np.concatenate([y_true.ravel(), y_pred.ravel()]))
        except TypeError as exc:
            raise ValueError(
                f"y_true and y_pred mix label types that cannot be sorted: {exc}. "
                "Pass labels= explicitly."
            ) from exc
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError("labels must be a non-empty 1-D list of class labels.")
    return y_true, y_pred, labels


def _one_vs_rest(binary_metric, y_true, y_pred, labels, agg, zero_division, **kwargs):
    if agg is not None:
        _check_choice(agg, "agg", ("worst_case", "mean"))
    zero_division = _check_zero_division(zero_division)
    y_true, y_pred, labels = _class_labels(y_true, y_pred, labels)
    # A loop, not a comprehension, so that the warnings' stack level is the
    # same on every Python version.
    per_class = np.empty(len(labels))
    for i, label in enumerate(labels):
        per_class[i] = _class_value(
            binary_metric, y_true, y_pred, label, zero_division, kwargs
        )
    if agg is None:
        return per_class
    defined = per_class[~np.isnan(per_class)]
    if not defined.size:
        return float("nan")
    return float(defined.max() if agg == "worst_case" else defined.mean())


def _class_value(binary_metric, y_true, y_pred, label, zero_division, kwargs):
    """The binary metric of class ``label`` against the rest.

    Its UndefinedRateWarnings are issued again here, naming the class.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = binary_metric(
            (y_true == label).astype(np.int8),
            (y_pred == label).astype(np.int8),
            zero_division=zero_division,
            **kwargs,
        )
    shown = repr(python_label(label))
    for warning in caught:
        # The binary metric sees the indicator of the class: say which.
        text = (
            str(warning.message)
            .replace("y_true=1 (positive label)", f"y_true={shown}")
            .replace(
                "y_true other than 1 (negative label)", f"y_true other than {shown}"
            )
        )
        warnings.warn(
            f"one-vs-rest for class {shown}: {text}",
            warning.category,
            stacklevel=4,
        )
    return value


def multiclass_demographic_parity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    labels=None,
    agg="worst_case",
    sample_weight=None,
    zero_division="warn",
):
    """Gap between groups in the rate of each predicted class.

    For each class ``c``: the demographic parity difference of the
    predictions ``y_pred == c`` (the largest minus the smallest group rate
    of predicting ``c``), then aggregated over the classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (validated, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    labels : array-like of shape (n_classes,), default=None
        The classes to score, in this order; default: every label of
        ``y_true`` and ``y_pred``, sorted.
    agg : {"worst_case", "mean"} or None, default="worst_case"
        The largest gap over the classes, their mean, or (None) the array of
        per-class gaps.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        As in :func:`demographic_parity_difference`, for each class's
        one-vs-rest selection rates, which are always defined; with
        ``np.nan`` a class whose gap is NaN (fewer than two groups with
        rows) is left out of the aggregate, which is NaN if every class is.

    Returns
    -------
    difference : float or ndarray of shape (n_classes,)
        In [0, 1]; 0 means every class is predicted at the same rate in
        every group.

    See Also
    --------
    demographic_parity_difference : The binary case.

    Examples
    --------
    >>> from skfair.metrics import multiclass_demographic_parity_difference
    >>> y_pred = ["x", "y", "z", "x", "x", "y"]
    >>> groups = ["a", "a", "a", "b", "b", "b"]
    >>> multiclass_demographic_parity_difference(
    ...     y_pred, y_pred, sensitive_features=groups, agg=None).round(3)
    array([0.333, 0.   , 0.333])
    """
    return _one_vs_rest(
        demographic_parity_difference,
        y_true,
        y_pred,
        labels,
        agg,
        zero_division,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
    )


def multiclass_equalized_odds_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    labels=None,
    agg="worst_case",
    sample_weight=None,
    zero_division="warn",
):
    """Gap between groups in each class's one-vs-rest true and false positive rates.

    For each class ``c``: the equalized odds difference of the binary
    problem "``c`` or not", i.e. the larger of the groups' gaps in
    ``P(y_pred = c | y_true = c)`` (the recall of ``c``) and in
    ``P(y_pred = c | y_true != c)``, then aggregated over the classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    labels : array-like of shape (n_classes,), default=None
        The classes to score, in this order; default: every label of
        ``y_true`` and ``y_pred``, sorted.
    agg : {"worst_case", "mean"} or None, default="worst_case"
        The largest gap over the classes, their mean, or (None) the array of
        per-class gaps.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        As in :func:`equalized_odds_difference`, for each class's one-vs-rest rates; the
        warnings name the class. With ``np.nan`` a class whose gap is NaN
        (fewer than two groups with a defined rate) is left out of the
        aggregate, which is NaN if every class is.

    Returns
    -------
    difference : float or ndarray of shape (n_classes,)
        In [0, 1].

    See Also
    --------
    equalized_odds_difference : The binary case.

    Notes
    -----
    As in the binary metric, a rate whose group has no rows to condition on
    counts as 0 by default (see ``zero_division``). ThresholdOptimizer's
    multiclass "equalized_odds" equalises
    ``P(y_pred = d | y_true = c)`` for every pair ``(c, d)``: that makes the
    one-vs-rest recalls equal, but ``P(y_pred = c | y_true != c)`` mixes the
    other classes in each group's own proportions, so under label shift its
    gap can stay positive.

    Examples
    --------
    >>> from skfair.metrics import multiclass_equalized_odds_difference
    >>> y_true = ["x", "y", "z", "x", "y", "z"]
    >>> y_pred = ["x", "y", "z", "x", "z", "z"]
    >>> groups = ["a", "a", "a", "b", "b", "b"]
    >>> multiclass_equalized_odds_difference(
    ...     y_true, y_pred, sensitive_features=groups)
    1.0
    """
    return _one_vs_rest(
        equalized_odds_difference,
        y_true,
        y_pred,
        labels,
        agg,
        zero_division,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
    )
