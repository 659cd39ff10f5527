"""Per-group table of counts and rates."""

import numbers

import numpy as np

from ..utils._sensitive import _pandas_or_none
from ._dispatch import group_counts
from ._intervals import RATE_METHODS, check_confidence, rate_intervals

# The label of the row for all rows together.
_OVERALL = "overall"

_COLUMNS = (
    "count",
    "weighted_count",
    "base_rate",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
)


# The rate behind each rate column, for its interval (see _intervals).
_RATE_KINDS = {
    "base_rate": "base",
    "selection_rate": "selection",
    "true_positive_rate": "tpr",
    "false_positive_rate": "fpr",
    "false_negative_rate": "fnr",
    "precision": "precision",
    "accuracy": "accuracy",
}


def _divide_or_nan(numerator, denominator):
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _report_columns(raw, weighted):
    """The report's columns from (n_rows, 2, 2) raw and weighted tables."""
    tn, fp = weighted[:, 0, 0], weighted[:, 0, 1]
    fn, tp = weighted[:, 1, 0], weighted[:, 1, 1]
    total = weighted.sum(axis=(1, 2))
    positives = fn + tp
    negatives = tn + fp
    return {
        "count": raw.sum(axis=(1, 2)),
        "weighted_count": total,
        "base_rate": _divide_or_nan(positives, total),
        "selection_rate": _divide_or_nan(tp + fp, total),
        "true_positive_rate": _divide_or_nan(tp, positives),
        "false_positive_rate": _divide_or_nan(fp, negatives),
        "false_negative_rate": _divide_or_nan(fn, positives),
        "precision": _divide_or_nan(tp, tp + fp),
        "accuracy": _divide_or_nan(tp + tn, total),
    }


def group_report(
    y_true,
    y_pred,
    *,
    sensitive_features=None,
    sample_weight=None,
    pos_label=1,
    as_frame=None,
    min_group_size=None,
    confidence=None,
    interval_method="wilson",
):
    """Counts and rates of every group, and of all rows together.

    All of it comes from the same single counting pass as the fairness metrics.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_pred : array-like of shape (n_samples,)
        Predicted binary labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups, labelled by tuples, when
        2-D). Required.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows; every rate is weighted.
    pos_label : object, default=1
        The positive label.
    as_frame : bool, default=None
        True: return a pandas DataFrame; False: a dict of numpy arrays; None:
        a DataFrame when pandas can be imported, else the dict.
    min_group_size : int, default=None
        Flag the groups with fewer rows than this (unweighted ``count``): the
        report gains a boolean column ``small_group``, True for them (False
        for the overall row). A rate measured on ``m`` rows has a standard
        error of up to ``0.5 / sqrt(m)``, so a small group's rates, and every
        gap involving it, are mostly noise. None (the default): no column.
    confidence : float in (0, 1), default=None
        With a float, e.g. 0.95, every rate column ``<rate>`` is followed by
        ``<rate>_low`` and ``<rate>_high``, the ends of its two-sided
        interval of that confidence. The intervals are computed from the
        counts (no resampling) and hold at every size: a rate of one to
        three rows gets a wide interval, never a zero-width one, and an
        undefined rate (NaN: no row in its denominator) an undefined (NaN)
        interval. They assume independent rows
        within each group, the group sizes and the decisions fixed. None
        (the default): no interval columns.
    interval_method : {"wilson", "jeffreys", "clopper-pearson"}, \
default="wilson"
        The interval of a binomial proportion used with ``confidence``:
        Wilson's (1927) score interval, close to nominal coverage on average
        at every size (Brown, Cai & DasGupta, 2001); the equal-tailed
        Jeffreys interval (Beta(1/2, 1/2) prior), similar; or the exact
        Clopper-Pearson interval, whose coverage is at least nominal for
        every true rate, and which is wider. With ``sample_weight`` the
        number of rows is Kish's effective number, ``(sum w)**2 / sum w**2``,
        of the rate's denominator rows.

    Returns
    -------
    report : DataFrame or dict
        One row per group, in the order of
        :func:`skfair.utils.encode_groups` (sorted labels), then a row
        labelled ``"overall"`` for all rows (so a group may not be named
        ``"overall"``: that is a ``ValueError``). Columns:

        - ``count``: number of rows; ``weighted_count``: their total weight
          (equal to ``count`` without ``sample_weight``);
        - ``base_rate``: share of positive true labels;
        - ``selection_rate``: share of positive predictions;
        - ``true_positive_rate``, ``false_positive_rate``,
          ``false_negative_rate``, ``precision``, ``accuracy``;
        - ``<rate>_low``, ``<rate>_high`` after each rate (only with
          ``confidence``);
        - ``small_group`` (only with ``min_group_size``).

        **A rate whose denominator is zero is NaN** here -- the TPR and FNR
        of a group without positive rows, the FPR of a group without
        negative rows, the precision of a group without positive
        predictions, every rate of a group whose rows all weigh zero --
        whereas the fairness metrics count such a TPR or FPR as 0 (as
        fairlearn does) and ignore zero-weight groups.

        The DataFrame's index (named ``"group"``, object dtype) holds the
        group labels and ``"overall"``. The dict maps ``"group"`` to that
        same object array and each column name to a numpy array.

    Examples
    --------
    >>> from skfair.metrics import group_report
    >>> report = group_report([1, 0, 1, 0], [1, 1, 0, 0],
    ...                       sensitive_features=["a", "a", "b", "b"])
    >>> report[["count", "selection_rate", "true_positive_rate"]]
    ... # doctest: +NORMALIZE_WHITESPACE
             count  selection_rate  true_positive_rate
    group
    a            2             1.0                 1.0
    b            2             0.0                 0.0
    overall      4             0.5                 0.5

    With ``confidence``, each rate gets its interval; two rows leave a rate
    nearly unknown:

    >>> report = group_report([1, 0, 1, 0], [1, 1, 0, 0],
    ...                       sensitive_features=["a", "a", "b", "b"],
    ...                       confidence=0.95)
    >>> columns = ["selection_rate", "selection_rate_low", "selection_rate_high"]
    >>> report[columns].round(3)  # doctest: +NORMALIZE_WHITESPACE
             selection_rate  selection_rate_low  selection_rate_high
    group
    a                   1.0               0.342                1.000
    b                   0.0               0.000                0.658
    overall             0.5               0.150                0.850
    """
    if as_frame not in (None, True, False):
        raise ValueError(f"as_frame must be None, True or False; got {as_frame!r}.")
    check_min_group_size(min_group_size)
    if confidence is not None:
        confidence = check_confidence(confidence)
        check_rate_method(interval_method, "interval_method")
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,
    )
    raw = np.concatenate([counts.raw, counts.raw.sum(axis=0, keepdims=True)])
    weighted = np.concatenate(
        [counts.weighted, counts.weighted.sum(axis=0, keepdims=True)]
    )
    columns = _report_columns(raw, weighted)
    names = list(_COLUMNS)
    if confidence is not None:
        squared = None
        if sample_weight is not None:
            from ._bootstrap import weight_moments

            scaled, squared = weight_moments(
                y_true, y_pred, sensitive_features, sample_weight, pos_label
            )
            weighted = np.concatenate([scaled, scaled.sum(axis=0, keepdims=True)])
            squared = np.concatenate([squared, squared.sum(axis=0, keepdims=True)])
        names = _add_intervals(
            columns, names, weighted, squared, confidence, interval_method
        )
    if min_group_size is not None:
        small = columns["count"] < min_group_size
        small[-1] = False  # the overall row is no group
        columns["small_group"] = small
        names.append("small_group")
    labels = np.empty(counts.n_groups + 1, dtype=object)
    for i, label in enumerate(counts.groups):
        labels[i] = label.item() if isinstance(label, np.generic) else label
        if isinstance(labels[i], str) and labels[i] == _OVERALL:
            # report.loc["overall"] would silently find two rows.
            raise ValueError(
                f"sensitive_features has a group named {_OVERALL!r}, the label of "
                "the report's row for all rows; rename that group."
            )
    labels[-1] = _OVERALL

    pandas = _pandas_or_none() if as_frame is not False else None
    if as_frame and pandas is None:  # pragma: no cover - pandas is installed
        raise ValueError("as_frame=True needs pandas, which cannot be imported.")
    if pandas is None:
        return {"group": labels, **columns}
    index = pandas.Index(labels, dtype=object, name="group", tupleize_cols=False)
    return pandas.DataFrame(columns, index=index, columns=names)


def _add_intervals(columns, names, table, squared, confidence, method):
    """Put ``<rate>_low`` / ``<rate>_high`` into ``columns``; the new names."""
    out = []
    for name in names:
        out.append(name)
        kind = _RATE_KINDS.get(name)
        if kind is None:
            continue
        low, high = rate_intervals(
            table, kind, squared=squared, confidence=confidence, method=method
        )
        # An undefined rate (NaN) has an undefined interval too.
        undefined = np.isnan(columns[name])
        low, high = np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)
        columns[f"{name}_low"], columns[f"{name}_high"] = low, high
        out += [f"{name}_low", f"{name}_high"]
    return out


def check_min_group_size(min_group_size):
    """``min_group_size`` is None or a non-negative integer."""
    if min_group_size is None:
        return
    if isinstance(min_group_size, (bool, np.bool_)) or not isinstance(
        min_group_size, numbers.Integral
    ):
        raise ValueError(
            f"min_group_size must be None or a non-negative integer; got "
            f"{min_group_size!r}."
        )
    if min_group_size < 0:
        raise ValueError(
            f"min_group_size must be None or a non-negative integer; got "
            f"{min_group_size!r}."
        )


def check_rate_method(method, name="method"):
    """``method`` is one of the binomial interval methods."""
    if not isinstance(method, str) or method not in RATE_METHODS:
        raise ValueError(f"{name} must be one of {list(RATE_METHODS)}; got {method!r}.")
