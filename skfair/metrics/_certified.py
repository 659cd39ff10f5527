"""Certified upper bounds on the population gaps of fixed decisions.

:func:`gap_upper_bound` returns a one-sided upper confidence bound on the
population value of a difference metric from an iid sample of rows, made of
exact (Clopper-Pearson) one-sided bounds of the groups' rates; its Notes
give the proof that it covers at every cell size.
:func:`gap_confidence_interval` is its two-sided companion.
:func:`gap_upper_bound_from_table` computes the bound from a count table
(for instance a rescaled one, to predict the bound on a sample of another
size).

The one tuning the bound allows itself is how the miss probability is
shared between the rates of a pair of groups: a large cell has a narrow
interval, so it gets a small share and the small cell, whose interval
dominates the width, a large one. The shares are a function of the cells'
SIZES only (the normal approximation's optimal split for rates of 1/2),
never of the observed rates, which is what keeps the proof exact.
"""

import numpy as np

from ._intervals import binomial_bounds, check_confidence, gap_bounds, rate_counts

# The rates whose largest between-group gap each metric is; average odds
# compares the privileged group with all the others pooled instead.
METRIC_RATES = {
    "demographic_parity_difference": ("selection",),
    "equalized_odds_difference": ("tpr", "fpr"),
    "equal_opportunity_difference": ("tpr",),
    "false_positive_rate_difference": ("fpr",),
    "average_odds_difference": ("fpr", "tpr"),
}
_AVERAGE_ODDS = "average_odds_difference"

# The (y_true) cell that holds each rate's rows, for the messages.
_CELL_NAMES = {
    "selection": "rows",
    "tpr": "rows with a positive true label",
    "fpr": "rows with a negative true label",
}


def _metric_rates(metric):
    if not isinstance(metric, str) or metric not in METRIC_RATES:
        raise ValueError(
            f"metric must be one of {sorted(METRIC_RATES)}; got {metric!r}."
        )
    return METRIC_RATES[metric]


# ----------------------------------------------------------------------------
# The pieces: exact one-sided rate bounds at tails fixed by the cell sizes


def _size_tails(trials, alpha):
    """Tails ``a`` of the rates along the last axis, summing to ``alpha``.

    The bound is a sum of one-sided rate bounds, each roughly ``z(a_i) *
    s_i`` away from its rate, with ``s_i = 1 / (2 sqrt(n_i))`` the standard
    error of a rate of 1/2 in a cell of ``n_i`` rows. The tails minimize
    that sum under ``sum a_i = alpha``: by Lagrange, ``phi(z(a_i)) / s_i``
    is the same for every ``i``, solved by bisection on that common value.
    Only the sizes enter, so the tails are fixed given the cells' sizes.
    """
    scale = 0.5 / np.sqrt(np.asarray(trials, dtype=np.float64))
    from scipy.special import ndtr

    # phi(z_i) = scale_i / mu  <=>  z_i = sqrt(2 log(mu / (scale_i sqrt(2 pi)))),
    # taken as 0 (tail 1/2) where mu is smaller; the tails fall as mu grows.
    log_floor = np.log(scale * np.sqrt(2 * np.pi))
    low = log_floor.max(axis=-1, keepdims=True)  # every tail 1/2: sum >= 1
    high = low + 60.0  # every z >= 10: sum far below any alpha
    for _ in range(100):
        middle = (low + high) / 2
        z = np.sqrt(2 * np.maximum(middle - log_floor, 0.0))
        too_wide = ndtr(-z).sum(axis=-1, keepdims=True) > alpha
        low = np.where(too_wide, middle, low)
        high = np.where(too_wide, high, middle)
    tails = ndtr(-np.sqrt(2 * np.maximum(high - log_floor, 0.0)))
    # Scaled to sum to alpha exactly (a relative change of ~1e-15).
    return tails * (alpha / tails.sum(axis=-1, keepdims=True))


def _rate_bounds(successes, trials, tails):
    """Exact lower and upper bounds of rates, each missing with its tail."""
    shape = np.shape(tails)
    k, n, tails = (
        np.broadcast_to(a, shape).ravel() for a in (successes, trials, tails)
    )
    lower, upper = binomial_bounds(k, n, tail=tails, method="clopper-pearson")
    return lower.reshape(shape), upper.reshape(shape)


def _pairwise_upper(successes, trials, alpha):
    """Upper bound of ``max_g r_g - min_g r_g`` over the groups of one rate.

    For every pair ``(g, h)`` the bound is ``max(U_g - L_h, U_h - L_g)``,
    the rates' one-sided exact bounds at tails split by ``_size_tails``.
    """
    first, second = np.triu_indices(len(trials), k=1)
    tails = _size_tails(np.stack([trials[first], trials[second]], axis=-1), alpha)
    lower, upper = _rate_bounds(
        np.stack([successes[first], successes[second]], axis=-1),
        np.stack([trials[first], trials[second]], axis=-1),
        tails,
    )
    ahead = np.maximum(upper[:, 0] - lower[:, 1], upper[:, 1] - lower[:, 0])
    return float(ahead.max())


def _average_odds_ends(successes, trials, alpha):
    """Upper bounds of ``AOD`` and of ``-AOD`` from the two sides' rates.

    ``successes`` and ``trials`` have shape (2 rates, 2 sides), side 0 the
    unprivileged rows pooled and side 1 the privileged group; ``AOD`` is the
    mean over the rates of unprivileged minus privileged.
    """
    tails = _size_tails(trials.reshape(1, 4), alpha).reshape(2, 2)
    lower, upper = _rate_bounds(successes, trials, tails)
    above = np.mean(upper[:, 0] - lower[:, 1])
    below = np.mean(upper[:, 1] - lower[:, 0])
    return float(above), float(below)


def _side_tables(table, privileged):
    """The table of the other groups pooled, then the privileged group's."""
    others = np.arange(table.shape[0]) != privileged
    return np.stack([table[others].sum(axis=0), table[privileged]])


def _rate_table(table, squared, kinds, privileged):
    """Successes and trials of each kind, shape (n_kinds, n_groups or 2)."""
    if privileged is not None:
        table = _side_tables(table, privileged)
        squared = None if squared is None else _side_tables(squared, privileged)
    pairs = [rate_counts(table, kind, squared) for kind in kinds]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _present(table):
    """Groups whose rows do not all weigh zero (the metrics leave those out)."""
    return np.asarray(table, dtype=np.float64).sum(axis=(-1, -2)) > 0


def _prepare(table, squared, metric, privileged_index):
    """Drop the empty groups; check their number and the privileged index."""
    kinds = _metric_rates(metric)
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 3 or table.shape[1:] != (2, 2):
        raise ValueError(f"table must have shape (n_groups, 2, 2); got {table.shape}.")
    if not np.all(np.isfinite(table)) or np.any(table < 0):
        raise ValueError("table must hold finite, non-negative counts.")
    present = _present(table)
    if present.sum() < 2:
        raise ValueError(
            f"a gap needs at least two groups with rows; got {int(present.sum())} "
            f"(of {table.shape[0]} groups, the others' rows all weigh zero)."
        )
    if metric == _AVERAGE_ODDS:
        if privileged_index is None:
            if present.sum() > 2:
                raise ValueError(
                    "average_odds_difference with more than two groups needs the "
                    "privileged group (privileged_group= / privileged_index=)."
                )
            privileged_index = int(np.flatnonzero(present)[1])
        if not present[privileged_index]:
            raise ValueError("the privileged group's rows all weigh zero.")
        privileged_index = int(present[:privileged_index].sum())
    table = table[present]
    if squared is not None:
        squared = np.asarray(squared, dtype=np.float64)[present]
    privileged = privileged_index if metric == _AVERAGE_ODDS else None
    return table, squared, kinds, privileged, present


def _empty_cells(trials, kinds, privileged):
    """(kind, group position or side) of the rates with no rows (or weight)."""
    sides = ("unprivileged", "privileged")
    return [
        (kinds[k], g if privileged is None else sides[g])
        for k, g in zip(*np.nonzero(trials <= 0), strict=True)
    ]


def _upper_bound(successes, trials, metric, alpha):
    if metric == _AVERAGE_ODDS:
        return max(_average_odds_ends(successes, trials, alpha))
    return max(
        _pairwise_upper(k, n, alpha) for k, n in zip(successes, trials, strict=True)
    )


def gap_upper_bound_from_table(
    table, *, metric, confidence=0.95, squared=None, privileged_index=None
):
    """One-sided upper confidence bound of a gap, from a count table.

    The computation of :func:`gap_upper_bound` (see its Notes) on a table
    of counts, for instance one rescaled to the size of a future sample.
    A rate with no rows gives 1.0, silently: :func:`gap_upper_bound` warns.

    Parameters
    ----------
    table : ndarray of shape (n_groups, 2, 2)
        Row counts (or total weights) of the (group, y_true, y_pred) cells;
        they need not be integers. Groups with a zero total are left out.
    metric : str
        One of the metrics of :func:`gap_upper_bound`.
    confidence : float, default=0.95
    squared : ndarray of shape (n_groups, 2, 2), default=None
        Total squared weight per cell, for weighted rows (Kish's effective
        counts are then used).
    privileged_index : int, default=None
        Position in ``table`` of the privileged group, for
        ``"average_odds_difference"``; None with two groups means the
        second.

    Returns
    -------
    bound : float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.metrics._certified import gap_upper_bound_from_table
    >>> table = np.array([[[40, 10], [20, 30]], [[45, 5], [10, 40]]])
    >>> bound = gap_upper_bound_from_table(
    ...     table, metric="equal_opportunity_difference")
    >>> round(bound, 3)
    0.448
    """
    confidence = check_confidence(confidence)
    table, squared, kinds, privileged, _ = _prepare(
        table, squared, metric, privileged_index
    )
    successes, trials = _rate_table(table, squared, kinds, privileged)
    if _empty_cells(trials, kinds, privileged):
        return 1.0
    bound = _upper_bound(successes, trials, metric, 1 - confidence)
    return float(np.clip(bound, 0.0, 1.0))


# ----------------------------------------------------------------------------
# The public functions


def _count_tables(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    """Row counts (Kish's pieces with weights) and the groups' labels."""
    from ._bootstrap import weight_moments
    from ._dispatch import group_counts

    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,
    )
    if sample_weight is None:
        return counts.raw, None, counts.groups
    table, squared = weight_moments(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return table, squared, counts.groups


def _checked_inputs(
    y_true,
    y_pred,
    sensitive_features,
    metric,
    confidence,
    sample_weight,
    pos_label,
    privileged_group,
):
    """Everything the bounds need, checked; warns about the empty cells."""
    from ..utils._sensitive import python_label

    _metric_rates(metric)
    confidence = check_confidence(confidence)
    table, squared, groups = _count_tables(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    present = _present(table)
    if present.sum() < 2:
        kept = [python_label(g) for g in np.asarray(groups, dtype=object)[present]]
        raise ValueError(
            f"a gap needs at least two groups; sensitive_features holds "
            f"{len(groups)} group(s), {len(kept)} with rows of positive weight "
            f"({kept[:5]})."
        )
    privileged_index = None
    if metric == _AVERAGE_ODDS:
        from ._fairness import _privileged_index

        live = [g for g, p in zip(groups, present, strict=True) if p]
        live_index = _privileged_index(live, privileged_group)
        privileged_index = int(np.flatnonzero(present)[live_index])
    elif privileged_group is not None:
        raise ValueError(
            "privileged_group is only used with metric='average_odds_difference'."
        )
    table_, squared_, kinds, privileged, present = _prepare(
        table, squared, metric, privileged_index
    )
    successes, trials = _rate_table(table_, squared_, kinds, privileged)
    empty = _empty_cells(trials, kinds, privileged)
    if empty:
        from ..exceptions import UndefinedRateWarning

        live = np.asarray(groups, dtype=object)[present]
        owners = {
            "unprivileged": "the unprivileged groups have",
            "privileged": "the privileged group has",
        }
        names = [
            (
                owners[where]
                if privileged is not None
                else f"group {python_label(live[where])!r} has"
            )
            + f" no {_CELL_NAMES[kind]}"
            for kind, where in empty
        ]
        import warnings

        warnings.warn(
            f"{metric}: {'; '.join(names)}. Nothing is known about those "
            "rates, so the bound is 1.0.",
            UndefinedRateWarning,
            stacklevel=3,
        )
    return table, squared, privileged_index, confidence, bool(empty)


def gap_upper_bound(
    y_true,
    y_pred,
    *,
    sensitive_features,
    metric="equalized_odds_difference",
    confidence=0.95,
    sample_weight=None,
    pos_label=1,
    privileged_group=None,
):
    """Upper confidence bound on the population value of a gap metric.

    For decisions ``y_pred`` fixed before the rows were drawn, the bound
    holds for the metric's value on the whole population the rows come
    from, not just on these rows: it is at least that value with
    probability at least ``confidence``, whatever the sizes of the groups
    (see Notes for the assumptions and the proof).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True labels and decisions (binary).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    metric : str, default="equalized_odds_difference"
        The population value bounded:

        - ``"demographic_parity_difference"``: largest gap of the
          selection rates between two groups;
        - ``"equalized_odds_difference"``: the larger of the largest true
          positive rate gap and the largest false positive rate gap (the
          worst case, as :func:`equalized_odds_difference`);
        - ``"equal_opportunity_difference"``: largest gap of the true
          positive rates;
        - ``"false_positive_rate_difference"``: largest gap of the false
          positive rates (false positive rate parity);
        - ``"average_odds_difference"``: the ABSOLUTE value of
          :func:`average_odds_difference` (signed, unprivileged minus
          privileged): the bound holds whichever side is favoured.
    confidence : float in (0, 1), default=0.95
        The probability, over the draw of the rows, that the bound is at
        least the population value.
    sample_weight : array-like of shape (n_samples,), default=None
        Survey or importance weights: the population is the weighted one.
        Groups whose rows all weigh zero are left out. See Notes: with
        weights the guarantee is approximate.
    pos_label : object, default=1
        The positive label of ``y_true`` and ``y_pred``.
    privileged_group : object, default=None
        For ``"average_odds_difference"`` only, as in
        :func:`average_odds_difference`: needed with more than two groups
        (the other groups are pooled); None with two groups means the
        second in sorted order.

    Returns
    -------
    bound : float
        In [0, 1]. 1.0, with an ``UndefinedRateWarning``, when a group has
        no row in a cell the metric needs (e.g. no positive row for a true
        positive rate): nothing is known about that rate.

    Raises
    ------
    ValueError
        For an unknown ``metric``, a ``confidence`` outside (0, 1), fewer
        than two groups with rows, missing values, labels that are not
        binary, or inputs of different lengths.

    See Also
    --------
    gap_confidence_interval : The two-sided companion.
    bootstrap_ci : Intervals of the metric on resamples (approximate).

    Notes
    -----
    **Assumptions.** The rows are independent draws from the population the
    bound is about (the deployment population: a sample from another time
    or place bounds that one), and the decisions were fixed before these
    rows were seen: the model must not have been fitted, tuned or selected
    on them (its training rows give no guarantee: a model fits its own rows
    better than new ones). A randomized classifier is fine: the bound is
    about its decisions' draws, which are independent across rows given
    the features.

    **Construction.** Given the numbers ``n_gk`` of rows of each group
    ``g`` in the denominator of each rate ``k`` (e.g. the positive rows for
    a true positive rate), the numerators are independent binomials
    ``Bin(n_gk, r_gk)`` of the population rates. Each rate gets exact
    (Clopper-Pearson) one-sided bounds ``L_gk(a) <= r_gk <= U_gk(a)``, each
    missing with probability at most ``a`` at every ``n_gk``. For every
    pair of groups and rate the bound takes ``U_g(a) - L_h(b)`` and
    ``U_h(b) - L_g(a)``, with ``a + b = alpha = 1 - confidence``, and
    returns the largest over pairs and rates. For average odds, ``(U_fu -
    L_fp + U_tu - L_tp) / 2`` and the mirror for the other sign, with four
    tails summing to ``alpha`` (``u`` the other groups pooled, ``p`` the
    privileged group, ``f``/``t`` the false/true positive rates).

    **Proof of coverage.** The population gap is attained by one rate
    ``k*`` and one pair: ``r_g*k* - r_h*k*``, ``g*`` the group with the
    highest rate and ``h*`` the lowest (fixed by the population, not by
    the sample). The bound is at least ``U_g*k*(a) - L_h*k*(b)``, so it can
    fall below the gap only if ``r_g*k* > U_g*k*(a)`` or ``r_h*k* <
    L_h*k*(b)``, which has probability at most ``a + b = alpha``
    conditionally on the sizes, hence also unconditionally. No correction
    for the number of pairs or rates is needed: only the pair attaining the
    gap must be covered. The tails ``a, b`` may be any function of the
    sizes; they are chosen to minimize the normal approximation of the
    width for rates of 1/2 (a large cell gets a small tail, the small cell
    almost all of ``alpha``). Average odds: its sign is fixed by the
    population, and the bound for that sign misses only if one of its four
    rate bounds does.

    **Sample weights** are read as survey or importance weights: each
    group's rates become the weighted rates and its counts Kish's effective
    number of rows ``(sum w)**2 / sum w**2`` (with the weighted successes
    scaled to it). The bound is then a design-effect approximation: the
    exact guarantee is lost (it holds when the weights are equal within
    each cell, and approximately when they vary moderately); very uneven
    weights make it less reliable. Weights of 1 give the unweighted bound.

    Compared with :func:`bootstrap_ci` and :func:`gap_confidence_interval`
    this is one-sided, which is what a guarantee ("the gap is at most
    ...") needs, and exact rather than approximate.

    Examples
    --------
    >>> from skfair.metrics import gap_upper_bound, equalized_odds_difference
    >>> y_true = [1, 1, 0, 0] * 100
    >>> y_pred = [1, 0, 0, 1] * 50 + [1, 1, 0, 0] * 50
    >>> groups = ["a"] * 200 + ["b"] * 200
    >>> equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    0.5
    >>> bound = gap_upper_bound(y_true, y_pred, sensitive_features=groups)
    >>> round(bound, 3)
    0.602
    """
    table, squared, privileged_index, confidence, empty = _checked_inputs(
        y_true,
        y_pred,
        sensitive_features,
        metric,
        confidence,
        sample_weight,
        pos_label,
        privileged_group,
    )
    if empty:
        return 1.0
    return gap_upper_bound_from_table(
        table,
        metric=metric,
        confidence=confidence,
        squared=squared,
        privileged_index=privileged_index,
    )


def gap_confidence_interval(
    y_true,
    y_pred,
    *,
    sensitive_features,
    metric="equalized_odds_difference",
    confidence=0.95,
    sample_weight=None,
    pos_label=1,
    privileged_group=None,
):
    """Two-sided exact confidence interval of a gap metric's population value.

    The companion of :func:`gap_upper_bound` (same parameters, assumptions
    and metrics; for ``"average_odds_difference"`` the interval is of its
    absolute value). It misses with probability at most ``1 - confidence``
    at every cell size, half on each side:

    - the upper end is :func:`gap_upper_bound` at confidence
      ``(1 + confidence) / 2``;
    - the lower end is the exact lower end of
      ``skfair.metrics._intervals.gap_bounds`` (``method="exact"``):
      the largest distance from 0 of the pairs' Clopper-Pearson difference
      boxes, Bonferroni-corrected over the pairs and rates, since every
      pair must be covered for a lower bound of a maximum. For average
      odds, the distance from 0 of its exact signed interval.

    Unlike :func:`bootstrap_ci`, whose Newcombe pairwise interval is close
    to nominal on average, this interval is conservative: at least nominal
    for every population, at the price of width.

    Returns
    -------
    lower, upper : float
        ``(0.0, 1.0)``, with an ``UndefinedRateWarning``, when a group has
        no row in a cell the metric needs.

    Examples
    --------
    >>> from skfair.metrics import gap_confidence_interval
    >>> y_true = [1, 1, 0, 0] * 100
    >>> y_pred = [1, 0, 0, 1] * 50 + [1, 1, 0, 0] * 50
    >>> groups = ["a"] * 200 + ["b"] * 200
    >>> lower, upper = gap_confidence_interval(
    ...     y_true, y_pred, sensitive_features=groups)
    >>> round(lower, 3), round(upper, 3)
    (0.323, 0.615)
    """
    table, squared, privileged_index, confidence, empty = _checked_inputs(
        y_true,
        y_pred,
        sensitive_features,
        metric,
        confidence,
        sample_weight,
        pos_label,
        privileged_group,
    )
    if empty:
        return 0.0, 1.0
    alpha = 1 - confidence
    upper = gap_upper_bound_from_table(
        table,
        metric=metric,
        confidence=1 - alpha / 2,
        squared=squared,
        privileged_index=privileged_index,
    )
    table, squared, kinds, privileged, _ = _prepare(
        table, squared, metric, privileged_index
    )
    if privileged is None:
        lower, _ = gap_bounds(
            table, kinds, squared=squared, confidence=confidence, method="exact"
        )
    else:
        successes, trials = _rate_table(table, squared, kinds, privileged)
        above, below = _average_odds_ends(successes, trials, alpha / 2)
        # AOD lies in [-below, above]; |AOD| at least its distance from 0.
        lower = max(-above, -below, 0.0)
    return float(np.clip(lower, 0.0, upper)), upper
