"""Certified upper bounds on the population gaps of fixed decisions.

:func:`gap_upper_bound` returns a one-sided upper confidence bound on the
population value of a difference metric from an iid sample of rows; its
Notes give the construction and the proof that it covers at every cell
size. :func:`gap_confidence_interval` is its two-sided companion.
:func:`gap_upper_bound_from_table` computes the bound from a count table
(for instance a rescaled one, to predict the bound on a sample of another
size).

Each pair of groups gets an upper bound of the difference of its rates by
inverting an exact (unconditional) test of that difference; only the pair
that attains the population gap needs to be covered, so no correction for
the number of pairs or rates is needed. Where both cells of a pair are too
large for the exact test to be cheap, and for average odds (four rates),
a box of one-sided Clopper-Pearson bounds is used instead, the miss
probability shared between the cells by their SIZES only.
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


# The exact test sums over the rows of the smaller cell of a pair, so its
# cost grows with that cell; above this size the box bound is used instead.
_EXACT_TEST_ROWS = 5_000
# The exact test's bound is computed to within this, always rounded up.
_EXACT_TEST_TOLERANCE = 1e-3
# The share of the miss probability spent on the nuisance rate's interval.
_NUISANCE_SHARE = 0.05


def _box_upper(k_high, n_high, k_low, n_low, alpha):
    """``U_high(a) - L_low(b)``, the tails ``a + b = alpha`` split by size."""
    trials = np.array([n_high, n_low], dtype=np.float64)
    tails = _size_tails(trials, alpha)
    lower, upper = _rate_bounds(
        np.array([k_high, k_low], dtype=np.float64), trials, tails
    )
    return float(upper[0] - lower[1])


def _hoeffding_reach(k_high, n_high, k_low, n_low, alpha):
    """The largest ``r_high - r_low`` an exact level-``alpha`` test can accept.

    By Hoeffding's inequality ``P(T <= t) <= exp(-2 (d - t)**2 / (1/n_high
    + 1/n_low))`` for ``T`` the difference of the observed rates and ``d``
    the true one, so the test rejects every ``d`` beyond this.
    """
    observed = k_high / n_high - k_low / n_low
    return observed + np.sqrt(np.log(1 / alpha) / 2 * (1 / n_high + 1 / n_low))


def _exact_test_upper(k_high, n_high, k_low, n_low, alpha):
    """Upper bound of ``r_high - r_low`` by inverting an exact test.

    The confidence set is ``C = {(p, q) : P_(p,q)(T <= t) > alpha}``, ``T``
    the difference of the two observed rates under true rates ``p`` (high
    cell) and ``q`` (low cell), and ``t`` its observed value; the bound is
    ``sup over C of p - q``, found by bisection in ``p`` for each ``q``
    (the probability falls with ``p`` and grows with ``q``) and branch and
    bound over ``q``. See the Notes of :func:`gap_upper_bound`.
    """
    if n_high > n_low:
        # Sum over the smaller cell: with failures for successes the cells
        # swap sides, and T (hence the test) is unchanged.
        k_high, n_high, k_low, n_low = n_low - k_low, n_low, n_high - k_high, n_high
    # Berger & Boos (1994): the low cell's rate q, the nuisance, is searched
    # only over its exact interval of level 1 - nuisance, and the test is run
    # at level alpha - nuisance: the two misses add up to alpha.
    nuisance = alpha * _NUISANCE_SHARE
    level = alpha * (1 - _NUISANCE_SHARE)
    reach = _hoeffding_reach(k_high, n_high, k_low, n_low, level)
    q_low, q_high = binomial_bounds(
        [k_low], [n_low], tail=nuisance / 2, method="clopper-pearson"
    )
    from scipy.special import bdtr, gammaln, xlog1py, xlogy

    rows = np.arange(n_high + 1)
    log_choose = gammaln(n_high + 1) - gammaln(rows + 1) - gammaln(n_high - rows + 1)
    # T <= t  <=>  the low cell has at least ``needed`` successes (exact
    # rational arithmetic up to the tie guard, which counts ties as <= t).
    needed = np.ceil(k_low + n_low * (rows - k_high) / n_high - 1e-9)
    below = np.clip(needed - 1, 0, n_low)

    def highest_accepted(q):
        """``sup {p : P_(p,q)(T <= t) > alpha}`` for each ``q`` (0 if none)."""
        cdf = bdtr(below[None, :], n_low, q[:, None])
        surviving = np.where(needed[None, :] <= 0, 1.0, 1.0 - cdf)
        surviving = np.where(needed[None, :] > n_low, 0.0, surviving)

        def accepted(p):
            log_pmf = (
                log_choose
                + xlogy(rows, p[:, None])
                + xlog1py(n_high - rows, -p[:, None])
            )
            return (np.exp(log_pmf) * surviving).sum(axis=1) > level

        low, high = np.zeros(q.shape), np.minimum(1.0, q + reach)
        top = accepted(high)
        for _ in range(16):
            middle = (low + high) / 2
            inside = accepted(middle)
            low = np.where(inside, middle, low)
            high = np.where(inside, high, middle)
        # The upper end of the bracket (rounding up keeps it a bound).
        high = np.where(top, 1.0, high)
        return np.where(accepted(np.zeros(q.shape)), high, 0.0)

    # Over q in [left, right], p - q <= p*(right) - left, as p* grows with q.
    points = np.linspace(q_low[0], q_high[0], 17)
    best_p = highest_accepted(points)
    lefts, rights = points[:-1], points[1:]
    at_left, at_right = best_p[:-1], best_p[1:]
    reached = np.max(best_p - points)  # attained (up to the bisection)
    for _ in range(12):
        keep = at_right - lefts > reached + _EXACT_TEST_TOLERANCE
        if not keep.any():
            break
        lefts, rights = lefts[keep], rights[keep]
        at_left, at_right = at_left[keep], at_right[keep]
        inner = lefts[:, None] + (rights - lefts)[:, None] * np.linspace(0, 1, 6)[1:-1]
        inner_p = highest_accepted(inner.ravel()).reshape(inner.shape)
        reached = max(reached, float(np.max(inner_p - inner)))
        edges = np.column_stack([lefts, inner, rights])
        values = np.column_stack([at_left, inner_p, at_right])
        lefts, rights = edges[:, :-1].ravel(), edges[:, 1:].ravel()
        at_left, at_right = values[:, :-1].ravel(), values[:, 1:].ravel()
    return float(min(np.max(at_right - lefts), reach))


def _whole_counts(successes, trials):
    """Whole successes and trials for the exact test (rounded down in size).

    Counts of rows pass unchanged; Kish's effective counts (weights) and
    rescaled tables are not whole: the trials are rounded down and the
    successes to the nearest whole number at the same rate.
    """
    whole = np.floor(np.asarray(trials, dtype=np.float64) + 1e-9)
    whole = np.where(trials > 0, np.maximum(whole, 1.0), 0.0)
    rate = np.divide(successes, trials, out=np.zeros(whole.shape), where=trials > 0)
    return np.clip(np.round(rate * whole), 0, whole).astype(np.int64), whole.astype(
        np.int64
    )


def _pairwise_upper(successes, trials, alpha):
    """Upper bound of ``max_g r_g - min_g r_g`` over the groups of one rate.

    The largest, over the ordered pairs ``(g, h)``, of the exact test's
    bound of ``r_g - r_h`` (the box bound where both cells are larger than
    ``_EXACT_TEST_ROWS``). Pairs that cannot beat the largest so far (by
    Hoeffding's reach) are skipped: they cannot change the maximum.
    """
    k, n = _whole_counts(successes, trials)
    first, second = np.triu_indices(len(n), k=1)
    ordered = [*zip(first, second, strict=True), *zip(second, first, strict=True)]
    best, exact = -np.inf, []
    for g, h in ordered:
        if min(n[g], n[h]) > _EXACT_TEST_ROWS:
            best = max(best, _box_upper(k[g], n[g], k[h], n[h], alpha))
        else:
            # At the level the exact test runs at (see _exact_test_upper).
            level = alpha * (1 - _NUISANCE_SHARE)
            exact.append((_hoeffding_reach(k[g], n[g], k[h], n[h], level), g, h))
    for reach, g, h in sorted(exact, reverse=True):
        if reach <= best:
            break
        best = max(best, _exact_test_upper(k[g], n[g], k[h], n[h], alpha))
    return float(best)


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
    The exact test needs whole counts: a rate's trials that are not whole
    (rescaled tables, Kish's effective counts) are rounded down and its
    successes rounded at the same rate. A rate with no rows gives 1.0,
    silently: :func:`gap_upper_bound` warns.

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
    0.367
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
    from ._bootstrap import _count_tables

    _metric_rates(metric)
    confidence = check_confidence(confidence)
    # Row counts, or with weights Kish's pieces (weights scaled to <= 1).
    counts = _count_tables(y_true, y_pred, sensitive_features, sample_weight, pos_label)
    table, squared, groups = counts.weighted, counts.squared, counts.groups
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
    ``Bin(n_gk, r_gk)`` of the population rates. Let ``alpha = 1 -
    confidence``. For every rate and ordered pair of groups ``(g, h)``, the
    bound ``B_gh`` of ``d = r_g - r_h`` inverts an exact test: with ``T``
    the observed ``r_g - r_h`` and ``t`` its value in the sample, the
    confidence set is ``C = {(p, q) : q in I, P_(p,q)(T <= t) > alpha -
    beta}``, ``I`` the two-sided Clopper-Pearson interval of ``r_h`` of
    level ``1 - beta`` (Berger & Boos, 1994; ``beta = alpha / 20``), and
    ``B_gh`` is the largest ``p - q`` over ``C``. It is computed with every
    probability summed exactly over the outcomes of the smaller cell, by
    bisection in ``p`` (the probability falls as ``p`` grows and rises
    with ``q``) and branch and bound over ``q`` (on ``[q1, q2]``, ``p - q
    <= p*(q2) - q1``), always rounded up, to within 0.001. The bound
    returned is the largest ``B_gh`` over the rates and ordered pairs.
    Where both cells of a pair have more than 5,000 rows, ``B_gh = U_g(a) -
    L_h(b)``, one-sided Clopper-Pearson bounds missing with probabilities
    ``a + b = alpha``, split to minimize the normal approximation of the
    width for rates of 1/2 (a function of the sizes only). For average
    odds, ``(U_fu - L_fp + U_tu - L_tp) / 2`` and the mirror for the other
    sign, with four such tails summing to ``alpha`` (``u`` the other groups
    pooled, ``p`` the privileged group, ``f``/``t`` the false/true positive
    rates).

    **Proof of coverage.** The population gap is attained by one rate and
    one ordered pair ``(g*, h*)``: ``g*`` the group with the highest rate,
    ``h*`` the lowest (fixed by the population, not by the sample). The
    bound is at least ``B_g*h*``, which falls below ``d* = r_g* - r_h*``
    only if the true ``(r_g*, r_h*)`` is outside ``C``: either ``r_h*`` is
    outside ``I`` (probability at most ``beta``) or ``P(T <= t) <= alpha -
    beta`` at the true rates, which for the observed ``t`` happens with
    probability at most ``alpha - beta`` (a p-value is stochastically no
    smaller than uniform, discrete or not). So the miss probability is at
    most ``alpha``, conditionally on the sizes, hence also unconditionally,
    whatever the sizes. No correction for the number of pairs or rates is
    needed: only the pair attaining the gap must be covered. The box is
    covered in the same way: it misses only if ``r_g* > U_g*(a)`` or
    ``r_h* < L_h*(b)``. Average odds: its sign is fixed by the population,
    and the bound for that sign misses only if one of its four rate bounds
    does.

    **Sample weights** are read as survey or importance weights: each
    group's rates become the weighted rates and its counts Kish's effective
    number of rows ``(sum w)**2 / sum w**2`` (rounded down, with the
    weighted successes scaled to it). The bound is then a design-effect
    approximation: the exact guarantee is lost (it holds when the weights
    are equal within each cell, and approximately when they vary
    moderately); very uneven weights make it less reliable. Weights of 1
    give the unweighted bound.

    Compared with :func:`bootstrap_ci` and :func:`gap_confidence_interval`
    this is one-sided, which is what a guarantee ("the gap is at most
    ...") needs, and exact rather than approximate. The exact test costs
    time in the size of the smaller cell of a pair (about 0.05 s for a
    pair with 500 rows in its smaller cell).

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
    0.596
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
    (0.305, 0.613)
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
