"""Group-fairness metrics, each a cheap function of the group count table.

Conventions shared by every metric (and tested):

- **Undefined rates follow** ``zero_division``, as scikit-learn's
  classification metrics do. The true (false) negative and positive rates
  of a group without positive rows, and the false positive and true
  negative rates of a group without negative rows, have a zero denominator.
  ``zero_division="warn"`` (the default) takes such a rate as 0, exactly as
  fairlearn 0.15 does (through scikit-learn's
  ``confusion_matrix(normalize="true")``), so that the values equal
  fairlearn's, and issues an :class:`~skfair.exceptions.UndefinedRateWarning`
  naming the group(s) and the empty cell. ``zero_division=np.nan`` leaves
  the group out of that rate's worst case: a difference or ratio with fewer
  than two groups left is NaN (with ``method="to_overall"`` as well: the
  overall rate is that of all rows, which the left-out groups do not enter,
  since they have no row in its denominator). ``0.0`` / ``1.0`` give the
  undefined rate that value, without a warning. The count-table functions
  (``TABLE_FUNCTIONS``, also evaluated on batches of bootstrap tables) take
  the same option and never warn: the public metric warns once, on the
  data's table. :func:`~skfair.metrics.group_report` and
  :class:`~skfair.metrics.MetricFrame` show an undefined rate as NaN.
- **Groups whose rows all weigh zero are left out.** They carry no data; every
  metric ignores them (fairlearn skips them too wherever it returns a value).
  If every weight is zero a ValueError is raised.
- **A ratio whose largest rate is 0 is NaN** (0 / 0), as in fairlearn.
"""

import numbers
import warnings

import numpy as np

from ..utils import check_sample_weight_1d
from ..utils._sensitive import python_label
from ._counts import _check_total_weight
from ._dispatch import group_counts, overall_counts
from ._intervals import RATE_CELLS

_METHODS = ("between_groups", "to_overall")
_AGGS = ("worst_case", "mean")


# ----------------------------------------------------------------------------
# Rates and aggregations on count tables


def _rate(table, kind, undefined=0.0):
    """Rate of ``kind`` for each table of ``table[..., t, p]``.

    ``kind`` is one of the keys of ``RATE_CELLS`` (numerator cells over
    denominator cells), or ``"balanced_accuracy"``: the mean of the true
    positive and true negative rates over the classes present, as
    scikit-learn's ``balanced_accuracy_score``. A rate whose denominator is
    0 is ``undefined`` (0, fairlearn's value, by default; NaN or 1 on
    request).
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
    numerator = _cell_sum(table, RATE_CELLS[kind][0])
    denominator = _denominator(table, kind)
    out = np.full(np.shape(numerator), float(undefined))
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _cell_sum(table, cells):
    return sum(table[..., t, p] for t, p in cells)


def _denominator(table, kind):
    """The weight in the denominator of rate ``kind``, for each table."""
    return _cell_sum(np.asarray(table, dtype=np.float64), RATE_CELLS[kind][1])


# The rates that a group with rows can leave undefined, their names and the
# label whose rows their denominator counts.
_CONDITIONAL_RATES = {
    "tpr": ("true positive rate", True),
    "fnr": ("false negative rate", True),
    "fpr": ("false positive rate", False),
    "tnr": ("true negative rate", False),
}

_ZERO_DIVISION_CHOICES = '"warn", np.nan, 0.0 or 1.0'


def _check_choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}.",
        )


def _check_zero_division(zero_division):
    """``"warn"``, or the float an undefined rate takes (NaN, 0.0 or 1.0)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return zero_division
    elif isinstance(zero_division, numbers.Real) and not isinstance(
        zero_division, (bool, np.bool_)
    ):
        value = float(zero_division)
        if np.isnan(value) or value in (0.0, 1.0):
            return value
    raise ValueError(
        f"zero_division must be {_ZERO_DIVISION_CHOICES}; got {zero_division!r}."
    )


def _undefined_value(zero_division):
    """The value of an undefined rate: 0 for "warn" (fairlearn's value)."""
    return 0.0 if zero_division == "warn" else float(zero_division)


def _leaves_out(zero_division):
    """True if undefined rates are left out (``zero_division=np.nan``)."""
    return zero_division != "warn" and np.isnan(zero_division)


def _undefined_message(subject, kind, pos_label, weighted, hint):
    """The text of an UndefinedRateWarning; ``subject`` None for all rows."""
    name, positive = _CONDITIONAL_RATES[kind]
    cell = (
        f"y_true={pos_label!r} (positive label)"
        if positive
        else f"y_true other than {pos_label!r} (negative label)"
    )
    if subject is None:
        opening = "there is no weight on the rows" if weighted else "there are no rows"
        whose = "the"
    else:
        rows = "no weight on its rows" if weighted else "no rows"
        opening, whose = f"{subject} has {rows}", "its"
    return (
        f"{opening} with {cell}: {whose} {name} is undefined and counts as 0; "
        f"pass zero_division=np.nan to {hint}, or 0.0 / 1.0 to set its value "
        "without this warning."
    )


def _warn_undefined(
    tables, subjects, kinds, pos_label, weighted, *, hint=None, stacklevel=4
):
    """One UndefinedRateWarning per rate of ``kinds`` left undefined.

    ``tables`` has shape ``(n, 2, 2)``: one table per subject (a group, a
    side of a privileged comparison, or None for all rows) of the text
    ``subjects``. Subjects without any weight are groups the metrics
    ignore: no warning. ``hint`` says what ``zero_division=np.nan`` does
    (default: leave the group(s) out).
    """
    tables = np.asarray(tables, dtype=np.float64)
    has_rows = tables.sum(axis=(-1, -2)) > 0
    for kind in kinds:
        if kind not in _CONDITIONAL_RATES:
            continue
        empty = np.flatnonzero(has_rows & (_denominator(tables, kind) <= 0))
        if not empty.size:
            continue
        names = [subjects[i] for i in empty]
        if len(names) == 1:
            subject, default_hint = names[0], "leave it out"
        else:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            subject = f"each of {len(names)} groups ({shown})"
            default_hint = "leave them out"
        # Imported here, when a rate is undefined: making the warning class
        # imports scikit-learn, which the metrics otherwise do without.
        from ..exceptions import UndefinedRateWarning

        warnings.warn(
            _undefined_message(
                subject, kind, pos_label, weighted, hint or default_hint
            ),
            UndefinedRateWarning,
            stacklevel=stacklevel,
        )


def _group_subjects(groups):
    return [f"group {python_label(g)!r}" for g in groups]


def _group_rates(tables, kind, zero_division="warn"):
    """Rates of the groups of ``tables[..., g, t, p]``, NaN for empty groups.

    A group whose rows all weigh zero (which a weighted bootstrap resample can
    also produce) carries no data: its NaN rate is skipped by the reductions,
    as is an undefined rate with ``zero_division=np.nan``.
    """
    rates = _rate(tables, kind, _undefined_value(zero_division))
    return np.where(tables.sum(axis=(-1, -2)) > 0, rates, np.nan)


def _too_few_groups(tables, kind, zero_division):
    """Where fewer than two groups have a defined rate (np.nan only).

    False everywhere unless undefined rates are left out: the other settings
    keep every group with rows, as fairlearn does.
    """
    if not _leaves_out(zero_division):
        return np.zeros(np.shape(tables)[:-3], dtype=bool)
    defined = (_denominator(tables, kind) > 0).sum(axis=-1)
    return defined < 2


def _difference(tables, kind, method, zero_division="warn"):
    """Largest gap of the groups' rates, along the group axis of ``tables``.

    ``tables`` has shape ``(..., n_groups, 2, 2)``; the result has shape
    ``(...)``, so that one call evaluates a whole batch of bootstrap tables.
    """
    rates = _group_rates(tables, kind, zero_division)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        if method == "between_groups":
            gap = np.nanmax(rates, axis=-1) - np.nanmin(rates, axis=-1)
        else:
            # The overall rate pools every row; groups left out have none in
            # its denominator, so it is also the rate of the groups kept.
            overall = _rate(tables.sum(axis=-3), kind, _undefined_value(zero_division))
            gap = np.nanmax(np.abs(rates - overall[..., None]), axis=-1)
    return np.where(_too_few_groups(tables, kind, zero_division), np.nan, gap)


def _ratio(tables, kind, method, zero_division="warn"):
    """Smallest ratio of the groups' rates (at most 1), like ``_difference``."""
    rates = _group_rates(tables, kind, zero_division)
    # A tiny overall rate can overflow the quotient to inf; its inverse is 0.
    with (
        np.errstate(divide="ignore", invalid="ignore", over="ignore"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        if method == "between_groups":
            largest = np.nanmax(rates, axis=-1)
            smallest = np.nanmin(rates, axis=-1)
            ratio = np.where(largest > 0, smallest / largest, np.nan)
        else:
            overall = _rate(tables.sum(axis=-3), kind, _undefined_value(zero_division))
            quotient = rates / overall[..., None]
            # Each group's ratio is taken at most 1 (x -> 1/x above 1).
            quotient = np.where(quotient > 1, 1 / quotient, quotient)
            ratio = np.nanmin(quotient, axis=-1)
    return np.where(_too_few_groups(tables, kind, zero_division), np.nan, ratio)


def _group_tables(
    y_true,
    y_pred,
    sensitive_features,
    sample_weight,
    pos_label,
    method=None,
    *,
    zero_division="warn",
    kinds=(),
):
    """The weighted group count table, shape ``(n_groups, 2, 2)``.

    Checks ``method`` and ``zero_division``, and with ``"warn"`` warns about
    each rate of ``kinds`` that a group leaves undefined.
    """
    if method is not None:
        _check_choice(method, "method", _METHODS)
    zero_division = _check_zero_division(zero_division)
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
    if zero_division == "warn":
        _warn_undefined(
            counts.weighted,
            _group_subjects(counts.groups),
            kinds,
            pos_label,
            sample_weight is not None,
        )
    return counts.weighted


# ----------------------------------------------------------------------------
# The disparities as functions of count tables
#
# Each ``_<metric>_tables(tables, groups, **options)`` takes a count table of
# shape (..., n_groups, 2, 2) and returns an array of shape (...): the public
# metric below calls it once on the data's table, and bootstrap_ci on a whole
# batch of resampled tables, so both compute exactly the same thing. They
# take ``zero_division`` but never warn (the public metric does, once).


def _dp_difference_tables(
    tables, groups, *, method="between_groups", zero_division="warn"
):
    return _difference(tables, "selection", method, zero_division)


def _dp_ratio_tables(tables, groups, *, method="between_groups", zero_division="warn"):
    return _ratio(tables, "selection", method, zero_division)


def _eo_difference_tables(
    tables, groups, *, method="between_groups", zero_division="warn"
):
    return _difference(tables, "tpr", method, zero_division)


def _eo_ratio_tables(tables, groups, *, method="between_groups", zero_division="warn"):
    return _ratio(tables, "tpr", method, zero_division)


def _eodds_difference_tables(
    tables, groups, *, method="between_groups", agg="worst_case", zero_division="warn"
):
    # With zero_division=np.nan a gap over fewer than two groups is NaN, and
    # so is any combination of it: the worst case of an unknown gap is unknown.
    tpr_gap = _difference(tables, "tpr", method, zero_division)
    fpr_gap = _difference(tables, "fpr", method, zero_division)
    if agg == "worst_case":
        return np.maximum(tpr_gap, fpr_gap)
    return (tpr_gap + fpr_gap) / 2


def _eodds_ratio_tables(
    tables, groups, *, method="between_groups", agg="worst_case", zero_division="warn"
):
    tpr_ratio = _ratio(tables, "tpr", method, zero_division)
    fpr_ratio = _ratio(tables, "fpr", method, zero_division)
    too_few = _too_few_groups(tables, "tpr", zero_division) | _too_few_groups(
        tables, "fpr", zero_division
    )
    if agg == "mean":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # both NaN
            ratio = np.nanmean(np.stack([tpr_ratio, fpr_ratio]), axis=0)
    else:
        # fairlearn takes Python's min of [TPR ratio, FPR ratio]: NaN if the
        # TPR ratio is NaN, the TPR ratio if only the FPR ratio is.
        ratio = np.where(
            np.isnan(fpr_ratio), tpr_ratio, np.minimum(tpr_ratio, fpr_ratio)
        )
    # The 0 / 0 cases above are fairlearn's; a component left with fewer than
    # two groups (zero_division=np.nan) makes the whole ratio unknown.
    return np.where(too_few, np.nan, ratio)


# ----------------------------------------------------------------------------
# Overall rates (no groups)


def _overall_rate(y_true, y_pred, kind, pos_label, sample_weight, zero_division):
    zero_division = _check_zero_division(zero_division)
    counts = overall_counts(
        y_true, y_pred, sample_weight=sample_weight, pos_label=pos_label
    )
    table = counts.weighted.sum(axis=0)
    if zero_division == "warn":
        _warn_undefined(
            table[None],
            [None],
            (kind,),
            pos_label,
            sample_weight is not None,
            hint="get NaN",
        )
    return float(_rate(table, kind, _undefined_value(zero_division)))


def selection_rate(
    y_true, y_pred, *, pos_label=1, sample_weight=None, zero_division="warn"
):
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        Accepted for the same signature as the other rates; a selection rate
        is always defined (every row is in its denominator, and weights that
        are all zero raise a ValueError).

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import selection_rate
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _overall_rate(
        y_true, y_pred, "selection", pos_label, sample_weight, zero_division
    )


def true_positive_rate(
    y_true, y_pred, *, pos_label=1, sample_weight=None, zero_division="warn"
):
    """Fraction of positive rows predicted positive (recall).

    Equals ``fairlearn.metrics.true_positive_rate``: 0 when there is no
    positive row, by default (see ``zero_division``).

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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The value of the rate when there is no positive row: ``"warn"``
        gives 0 (fairlearn's and scikit-learn's value) with an
        :class:`~skfair.exceptions.UndefinedRateWarning`; ``np.nan``, 0.0 or
        1.0 give that value without a warning.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import true_positive_rate
    >>> true_positive_rate([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    return _overall_rate(y_true, y_pred, "tpr", pos_label, sample_weight, zero_division)


def false_positive_rate(
    y_true, y_pred, *, pos_label=1, sample_weight=None, zero_division="warn"
):
    """Fraction of negative rows predicted positive (fall-out).

    Equals ``fairlearn.metrics.false_positive_rate``: 0 when there is no
    negative row, by default (see ``zero_division``).

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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The value of the rate when there is no negative row: ``"warn"``
        gives 0 (fairlearn's and scikit-learn's value) with an
        :class:`~skfair.exceptions.UndefinedRateWarning`; ``np.nan``, 0.0 or
        1.0 give that value without a warning.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import false_positive_rate
    >>> false_positive_rate([1, 0, 0, 0], [1, 1, 0, 0])
    0.3333333333333333
    """
    return _overall_rate(y_true, y_pred, "fpr", pos_label, sample_weight, zero_division)


def true_negative_rate(
    y_true, y_pred, *, pos_label=1, sample_weight=None, zero_division="warn"
):
    """Fraction of negative rows predicted negative (specificity).

    Equals ``fairlearn.metrics.true_negative_rate``: 0 when there is no
    negative row, by default (see ``zero_division``).

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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The value of the rate when there is no negative row: ``"warn"``
        gives 0 (fairlearn's and scikit-learn's value) with an
        :class:`~skfair.exceptions.UndefinedRateWarning`; ``np.nan``, 0.0 or
        1.0 give that value without a warning.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import true_negative_rate
    >>> true_negative_rate([1, 0, 0, 0], [1, 1, 0, 0])
    0.6666666666666666
    """
    return _overall_rate(y_true, y_pred, "tnr", pos_label, sample_weight, zero_division)


def false_negative_rate(
    y_true, y_pred, *, pos_label=1, sample_weight=None, zero_division="warn"
):
    """Fraction of positive rows predicted negative (miss rate).

    Equals ``fairlearn.metrics.false_negative_rate``: 0 when there is no
    positive row, by default (see ``zero_division``).

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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The value of the rate when there is no positive row: ``"warn"``
        gives 0 (fairlearn's and scikit-learn's value) with an
        :class:`~skfair.exceptions.UndefinedRateWarning`; ``np.nan``, 0.0 or
        1.0 give that value without a warning.

    Returns
    -------
    rate : float

    Examples
    --------
    >>> from skfair.metrics import false_negative_rate
    >>> false_negative_rate([1, 1, 1, 0], [1, 0, 0, 0])
    0.6666666666666666
    """
    return _overall_rate(y_true, y_pred, "fnr", pos_label, sample_weight, zero_division)


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
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        Accepted as by the other metrics. A selection rate is defined for
        every group with rows; ``np.nan`` only makes the result NaN when
        fewer than two groups have rows of positive weight.

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("selection",),
    )
    return float(
        _dp_difference_tables(tables, None, method=method, zero_division=zero_division)
    )


def demographic_parity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        Accepted as by the other metrics. A selection rate is defined for
        every group with rows; ``np.nan`` only makes the result NaN when
        fewer than two groups have rows of positive weight.

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("selection",),
    )
    return float(
        _dp_ratio_tables(tables, None, method=method, zero_division=zero_division)
    )


def equalized_odds_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    agg="worst_case",
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The true (false) positive rate of a group without positive
        (negative) rows is undefined. ``"warn"``: it counts as 0, as in
        fairlearn 0.15, and an
        :class:`~skfair.exceptions.UndefinedRateWarning` names the group and
        the empty cell. ``np.nan``: the group is left out of that rate's
        gap, which is NaN when fewer than two groups remain (the
        overall rate of ``method="to_overall"`` is unchanged: those groups
        have no row in its denominator). 0.0 or 1.0: it takes that
        value, without a warning.
        With ``np.nan`` the result is NaN when either rate's gap is
        (the worst case of an unknown gap is unknown).

    Returns
    -------
    difference : float
        In [0, 1]; 0 means equalized odds.

    Notes
    -----
    By default the true positive rate of a group without positive rows and
    the false positive rate of a group without negative rows are taken as 0,
    as in fairlearn, with a warning (see ``zero_division``).

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("tpr", "fpr"),
    )
    return float(
        _eodds_difference_tables(
            tables, None, method=method, agg=agg, zero_division=zero_division
        )
    )


def equalized_odds_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    agg="worst_case",
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The true (false) positive rate of a group without positive
        (negative) rows is undefined. ``"warn"``: it counts as 0, as in
        fairlearn 0.15, and an
        :class:`~skfair.exceptions.UndefinedRateWarning` names the group and
        the empty cell. ``np.nan``: the group is left out of that rate's
        ratio, which is NaN when fewer than two groups remain (the
        overall rate of ``method="to_overall"`` is unchanged: those groups
        have no row in its denominator). 0.0 or 1.0: it takes that
        value, without a warning.
        With ``np.nan`` the result is NaN when either rate's ratio is
        (the worst case of an unknown ratio is unknown).

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("tpr", "fpr"),
    )
    return float(
        _eodds_ratio_tables(
            tables, None, method=method, agg=agg, zero_division=zero_division
        )
    )


def equal_opportunity_difference(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The true positive rate of a group without positive rows is undefined.
        ``"warn"``: it counts as 0, as in fairlearn 0.15, and an
        :class:`~skfair.exceptions.UndefinedRateWarning` names the group and
        the empty cell. ``np.nan``: the group is left out of that rate's
        gap, which is NaN when fewer than two groups remain (the
        overall rate of ``method="to_overall"`` is unchanged: those groups
        have no row in its denominator). 0.0 or 1.0: it takes that
        value, without a warning.

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("tpr",),
    )
    return float(
        _eo_difference_tables(tables, None, method=method, zero_division=zero_division)
    )


def equal_opportunity_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    method="between_groups",
    sample_weight=None,
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The true positive rate of a group without positive rows is undefined.
        ``"warn"``: it counts as 0, as in fairlearn 0.15, and an
        :class:`~skfair.exceptions.UndefinedRateWarning` names the group and
        the empty cell. ``np.nan``: the group is left out of that rate's
        ratio, which is NaN when fewer than two groups remain (the
        overall rate of ``method="to_overall"`` is unchanged: those groups
        have no row in its denominator). 0.0 or 1.0: it takes that
        value, without a warning.

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        method,
        zero_division=zero_division,
        kinds=("tpr",),
    )
    return float(
        _eo_ratio_tables(tables, None, method=method, zero_division=zero_division)
    )


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
    y_true,
    y_pred,
    sensitive_features,
    sample_weight,
    pos_label,
    privileged_group,
    *,
    zero_division="warn",
    kinds=(),
):
    """Count tables, and their groups, checked for a privileged comparison.

    With ``zero_division="warn"``, warns about each rate of ``kinds`` that
    the privileged group or the pooled unprivileged rows leave undefined.
    """
    zero_division = _check_zero_division(zero_division)
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
    if zero_division == "warn":
        label = python_label(
            counts.groups[_privileged_index(counts.groups, privileged_group)]
        )
        _warn_undefined(
            np.stack([privileged, unprivileged]),
            [
                f"the privileged group {label!r}",
                f"the unprivileged side (the groups other than {label!r})",
            ],
            kinds,
            pos_label,
            sample_weight is not None,
            hint="get NaN",
        )
    return counts.weighted, counts.groups


def _average_odds_tables(
    tables, groups, *, privileged_group=None, zero_division="warn"
):
    # An undefined rate is NaN with zero_division=np.nan, so is the result:
    # a comparison of two sides has nothing left once one side is left out.
    undefined = _undefined_value(zero_division)
    privileged, unprivileged = _split_privileged(tables, groups, privileged_group)
    fpr_gap = _rate(unprivileged, "fpr", undefined) - _rate(
        privileged, "fpr", undefined
    )
    tpr_gap = _rate(unprivileged, "tpr", undefined) - _rate(
        privileged, "tpr", undefined
    )
    return (fpr_gap + tpr_gap) / 2


def _disparate_impact_tables(
    tables, groups, *, privileged_group=None, zero_division="warn"
):
    undefined = _undefined_value(zero_division)
    privileged, unprivileged = _split_privileged(tables, groups, privileged_group)
    numerator = _rate(unprivileged, "selection", undefined)
    denominator = _rate(privileged, "selection", undefined)
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
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        The true (false) positive rate of a side without positive (negative)
        rows is undefined. ``"warn"``: it counts as 0 and an
        :class:`~skfair.exceptions.UndefinedRateWarning` names the side and
        the empty cell. ``np.nan``: the result is NaN (a comparison of two
        sides has nothing left once one is left out). 0.0 or 1.0: the rate
        takes that value, without a warning.

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
    Rates with a zero denominator are 0 by default, as in the other
    metrics (see ``zero_division``). AIF360
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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        privileged_group,
        zero_division=zero_division,
        kinds=("tpr", "fpr"),
    )
    return float(
        _average_odds_tables(
            tables,
            groups,
            privileged_group=privileged_group,
            zero_division=zero_division,
        )
    )


def disparate_impact_ratio(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    privileged_group=None,
    sample_weight=None,
    pos_label=1,
    zero_division="warn",
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
    zero_division : "warn", np.nan, 0.0 or 1.0, default="warn"
        Accepted as by the other metrics; the selection rates compared here
        are always defined (a side whose rows all weigh zero raises a
        ValueError).

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
        y_true,
        y_pred,
        sensitive_features,
        sample_weight,
        pos_label,
        privileged_group,
        zero_division=zero_division,
        kinds=("selection",),
    )
    return float(
        _disparate_impact_tables(
            tables,
            groups,
            privileged_group=privileged_group,
            zero_division=zero_division,
        )
    )


# Each named metric's function of count tables, and the options it takes.
TABLE_FUNCTIONS = {
    "demographic_parity_difference": (
        _dp_difference_tables,
        ("method", "zero_division"),
    ),
    "demographic_parity_ratio": (_dp_ratio_tables, ("method", "zero_division")),
    "equalized_odds_difference": (
        _eodds_difference_tables,
        ("method", "agg", "zero_division"),
    ),
    "equalized_odds_ratio": (
        _eodds_ratio_tables,
        ("method", "agg", "zero_division"),
    ),
    "equal_opportunity_difference": (
        _eo_difference_tables,
        ("method", "zero_division"),
    ),
    "equal_opportunity_ratio": (_eo_ratio_tables, ("method", "zero_division")),
    "average_odds_difference": (
        _average_odds_tables,
        ("privileged_group", "zero_division"),
    ),
    "disparate_impact_ratio": (
        _disparate_impact_tables,
        ("privileged_group", "zero_division"),
    ),
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
