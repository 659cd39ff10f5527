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

import numpy as np

from ..utils._sensitive import python_label
from ._dispatch import group_counts, overall_counts

_METHODS = ("between_groups", "to_overall")
_AGGS = ("worst_case", "mean")


# ----------------------------------------------------------------------------
# Rates and aggregations on count tables


def _rate(table, kind):
    """Rate of ``kind`` for each table of ``table[..., t, p]``; 0 if undefined."""
    table = np.asarray(table, dtype=np.float64)
    if kind == "selection":
        numerator = table[..., 0, 1] + table[..., 1, 1]
        denominator = table.sum(axis=(-1, -2))
    elif kind == "tpr":
        numerator = table[..., 1, 1]
        denominator = table[..., 1, 0] + table[..., 1, 1]
    elif kind == "fpr":
        numerator = table[..., 0, 1]
        denominator = table[..., 0, 0] + table[..., 0, 1]
    else:  # pragma: no cover - internal misuse
        raise ValueError(kind)
    out = np.zeros(np.shape(numerator))
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _check_choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}.",
        )


def _weighted_groups(counts):
    """The tables of the groups with non-zero total weight, and the overall one."""
    table = counts.weighted
    keep = table.sum(axis=(1, 2)) > 0
    return table[keep], table.sum(axis=0)


def _difference(table_by_group, overall, kind, method):
    rates = _rate(table_by_group, kind)
    if method == "between_groups":
        return float(rates.max() - rates.min())
    return float(np.abs(rates - _rate(overall, kind)).max())


def _ratio(table_by_group, overall, kind, method):
    rates = _rate(table_by_group, kind)
    if method == "between_groups":
        largest = rates.max()
        return float(rates.min() / largest) if largest > 0 else float("nan")
    # A tiny overall rate can overflow the quotient to inf; its inverse is 0.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        quotient = rates / _rate(overall, kind)
        # Each group's ratio is taken at most 1 (x -> 1/x above 1).
        quotient = np.where(quotient > 1, 1 / quotient, quotient)
    return _nanmin(quotient)


def _nanmin(values):
    defined = np.asarray(values, dtype=np.float64)
    defined = defined[~np.isnan(defined)]
    return float(defined.min()) if defined.size else float("nan")


def _nanmean(values):
    defined = np.asarray(values, dtype=np.float64)
    defined = defined[~np.isnan(defined)]
    return float(defined.mean()) if defined.size else float("nan")


def _tables(y_true, y_pred, sensitive_features, sample_weight, pos_label, method):
    _check_choice(method, "method", _METHODS)
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
    return _weighted_groups(counts)


# ----------------------------------------------------------------------------
# Overall rates (no groups)


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
    counts = overall_counts(
        y_true, y_pred, sample_weight=sample_weight, pos_label=pos_label
    )
    return float(_rate(counts.weighted.sum(axis=0), "selection"))


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
    counts = overall_counts(
        y_true, y_pred, sample_weight=sample_weight, pos_label=pos_label
    )
    return float(_rate(counts.weighted.sum(axis=0), "tpr"))


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
    counts = overall_counts(
        y_true, y_pred, sample_weight=sample_weight, pos_label=pos_label
    )
    return float(_rate(counts.weighted.sum(axis=0), "fpr"))


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return _difference(by_group, overall, "selection", method)


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return _ratio(by_group, overall, "selection", method)


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    gaps = [
        _difference(by_group, overall, "tpr", method),
        _difference(by_group, overall, "fpr", method),
    ]
    return float(max(gaps)) if agg == "worst_case" else float(np.mean(gaps))


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    ratios = [
        _ratio(by_group, overall, "tpr", method),
        _ratio(by_group, overall, "fpr", method),
    ]
    if agg == "mean":
        return _nanmean(ratios)
    tpr_ratio, fpr_ratio = ratios
    if np.isnan(tpr_ratio) or np.isnan(fpr_ratio):
        return tpr_ratio
    return min(tpr_ratio, fpr_ratio)


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return _difference(by_group, overall, "tpr", method)


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
    by_group, overall = _tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, method
    )
    return _ratio(by_group, overall, "tpr", method)


# ----------------------------------------------------------------------------
# AIF360-style privileged versus unprivileged comparisons


def _privileged_tables(
    y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
):
    """Tables of the privileged group and of all other groups pooled."""
    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,  # so that groups whose rows weigh zero still count as groups
    )
    groups = [python_label(g) for g in counts.groups]
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
        index = 1
    else:
        key = python_label(privileged_group)
        if key not in groups:
            raise ValueError(
                f"privileged_group={privileged_group!r} is not one of the groups "
                f"of sensitive_features: {groups[:20]}"
                f"{'...' if len(groups) > 20 else ''}."
            )
        index = groups.index(key)
    table = counts.weighted
    privileged = table[index]
    unprivileged = np.delete(table, index, axis=0).sum(axis=0)
    for name, part in (("privileged", privileged), ("unprivileged", unprivileged)):
        if part.sum() <= 0:
            raise ValueError(
                f"the {name} rows all have zero sample weight; their rates are "
                "undefined."
            )
    return privileged, unprivileged


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
    privileged, unprivileged = _privileged_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
    )
    fpr_gap = _rate(unprivileged, "fpr") - _rate(privileged, "fpr")
    tpr_gap = _rate(unprivileged, "tpr") - _rate(privileged, "tpr")
    return float((fpr_gap + tpr_gap) / 2)


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
    privileged, unprivileged = _privileged_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label, privileged_group
    )
    numerator = float(_rate(unprivileged, "selection"))
    denominator = float(_rate(privileged, "selection"))
    if denominator == 0:
        return float("nan") if numerator == 0 else float("inf")
    return numerator / denominator


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
