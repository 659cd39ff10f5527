"""Confidence intervals for group rates and for the gaps between them.

Every interval here is computed from the (group, y_true, y_pred) count table
and holds its coverage at every cell size: an empty cell gives the whole
range ``[0, 1]`` (nothing is known about its rate), a cell of one row a wide
interval, never a zero-width one. The shared pieces are:

**Per-cell rate intervals.** A rate (selection, true or false positive
rate, ...) is a binomial proportion of the rows of its denominator cells.
Three classical intervals are offered:

- ``"wilson"``: the Wilson (1927) score interval, the default: closed form,
  close to nominal coverage on average at every size (Brown, Cai & DasGupta,
  *Statistical Science* 2001);
- ``"jeffreys"``: the equal-tailed interval of the Beta(1/2, 1/2)-prior
  posterior, similar to Wilson;
- ``"clopper-pearson"``: the exact interval, which inverts the binomial
  tests; its coverage is at least nominal for every true rate and size, at
  the price of width. The certified bounds use it.

With sample weights the rows' count is replaced by Kish's effective number
of rows of the denominator, ``(sum w)**2 / sum w**2``, and the successes by
the weighted rate times that number: the usual design-effect approximation
of survey statistics (exact when the weights within a cell are equal).

**Gap intervals.** A difference metric is a maximum, over the rates ``k`` it
looks at and over the pairs of groups ``(g, h)``, of ``|r_gk - r_hk|``. Each
signed difference ``d = r_gk - r_hk`` of two independent proportions gets an
interval ``[a, b]``, either Newcombe's (1998) hybrid score interval, which
combines the two Wilson intervals (the method of variance estimates
recovered, "MOVER"), or, exactly, the difference of the two Clopper-Pearson
intervals (a box). The gap then lies between:

- the **upper end** ``max over pairs of max(|a|, |b|)``. It fails only if the
  pair that attains the true gap is missed on its far side, whose
  probability is one tail of that pair's interval: no correction for the
  number of pairs is needed;
- the **lower end** ``max over pairs of the distance from 0 to [a, b]`` (0
  when ``[a, b]`` holds 0). It fails if any pair's interval misses that
  pair's difference ``d`` with ``a > |d|`` or ``b < -|d|``, two "tails" per
  pair (both matter when ``d`` is near 0). ``"exact"`` widens the intervals
  for all these tails (Bonferroni). ``"newcombe"`` first screens them
  (Romano, Shaikh & Wolf's two-step method, in
  :func:`_screened_lower_ends`): a tail that lies well below the gap cannot
  put its lower bound above the gap, so it costs little; with one pair far
  ahead of the others the lower end is then close to that pair's own
  one-sided bound, and with every difference near the gap it is Bonferroni
  at 90% of the miss probability.

The two ends each fail with probability at most half the complement of the
confidence, whatever the sizes of the cells, as far as the pair intervals
hold theirs: exactly for ``"exact"``, approximately (near-nominal on
average, as simulated by Newcombe and in ``benchmarks/interval_coverage.py``)
for ``"newcombe"``, whose screening also rests on the normal approximation
of the score intervals. The gap intervals assume independent rows and decisions
fixed before the rows were seen; the group sizes are taken as given.
"""

from itertools import combinations
from statistics import NormalDist

import numpy as np

RATE_METHODS = ("wilson", "jeffreys", "clopper-pearson")
GAP_METHODS = ("newcombe", "exact")

# (true label, predicted label) cells of each rate: numerator, denominator.
# The one table of them: the metrics (_fairness) read it too.
_ALL = ((0, 0), (0, 1), (1, 0), (1, 1))
RATE_CELLS = {
    "base": (((1, 0), (1, 1)), _ALL),
    "selection": (((0, 1), (1, 1)), _ALL),
    "tpr": (((1, 1),), ((1, 0), (1, 1))),
    "fpr": (((0, 1),), ((0, 0), (0, 1))),
    "tnr": (((0, 0),), ((0, 0), (0, 1))),
    "fnr": (((1, 0),), ((1, 0), (1, 1))),
    "precision": (((1, 1),), ((0, 1), (1, 1))),
    "accuracy": (((0, 0), (1, 1)), _ALL),
}


def check_confidence(confidence):
    """``confidence`` is a float strictly between 0 and 1; return it."""
    if isinstance(confidence, (bool, np.bool_)):
        raise ValueError(f"confidence must be a float in (0, 1); got {confidence!r}.")
    try:
        value = float(confidence)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"confidence must be a float in (0, 1); got {confidence!r}."
        ) from exc
    if not 0 < value < 1:
        raise ValueError(f"confidence must be a float in (0, 1); got {confidence!r}.")
    return value


def _check_method(method, options, name="method"):
    if not isinstance(method, str) or method not in options:
        raise ValueError(f"{name} must be one of {list(options)}; got {method!r}.")


def binomial_bounds(successes, trials, *, tail, method="wilson"):
    """Lower and upper bounds of proportions, each missing with ``tail``.

    Parameters
    ----------
    successes, trials : array-like of float
        Counts (effective counts with weights: they need not be integers);
        ``0 <= successes <= trials``.
    tail : float in (0, 0.5]
        The probability that the true proportion lies below the lower bound
        (and, separately, above the upper bound): ``[lower, upper]`` is a
        two-sided ``1 - 2 * tail`` interval, and each end alone a one-sided
        ``1 - tail`` bound.
    method : {"wilson", "jeffreys", "clopper-pearson"}, default="wilson"

    Returns
    -------
    lower, upper : ndarray of float
        ``(0, 1)`` where ``trials`` is 0: nothing is known about the rate.
    """
    _check_method(method, RATE_METHODS)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    k, n = np.broadcast_arrays(k, n)
    k = np.clip(k, 0, n)
    lower, upper = np.zeros(n.shape), np.ones(n.shape)
    some = n > 0
    if not some.any():
        return lower, upper
    k_, n_ = k[some], n[some]
    if method == "wilson":
        z = NormalDist().inv_cdf(1 - tail)
        p = k_ / n_
        centre = (p + z * z / (2 * n_)) / (1 + z * z / n_)
        spread = np.sqrt(p * (1 - p) / n_ + z * z / (4 * n_ * n_))
        half = z / (1 + z * z / n_) * spread
        low, high = centre - half, centre + half
        # At k = 0 (k = n) the exact bound is 0 (1); rounding can miss it.
        low = np.where(k_ <= 0, 0.0, low)
        high = np.where(k_ >= n_, 1.0, high)
    else:
        from scipy.special import betaincinv

        # Beta quantiles: Clopper-Pearson uses Beta(k, n-k+1) below and
        # Beta(k+1, n-k) above; Jeffreys the posterior Beta(k+1/2, n-k+1/2).
        if method == "jeffreys":
            a_low, b_low = k_ + 0.5, n_ - k_ + 0.5
            a_high, b_high = a_low, b_low
        else:
            a_low, b_low = np.maximum(k_, 1e-300), n_ - k_ + 1
            a_high, b_high = k_ + 1, np.maximum(n_ - k_, 1e-300)
        with np.errstate(all="ignore"):
            low = betaincinv(a_low, b_low, tail)
            high = betaincinv(a_high, b_high, 1 - tail)
        low = np.where(k_ <= 0, 0.0, low)
        high = np.where(k_ >= n_, 1.0, high)
    lower[some] = np.clip(low, 0, 1)
    upper[some] = np.clip(high, 0, 1)
    return lower, upper


def rate_counts(table, kind, squared=None):
    """Effective successes and trials of a rate, per group of ``table``.

    Parameters
    ----------
    table : ndarray of shape (..., n_groups, 2, 2)
        Weighted (or raw) counts of the (group, y_true, y_pred) cells.
    kind : str
        ``"base"`` (the share of positive true labels), ``"selection"``,
        ``"tpr"``, ``"fpr"``, ``"tnr"``, ``"fnr"``,
        ``"precision"`` or ``"accuracy"``.
    squared : ndarray like ``table``, default=None
        Total squared weight of each cell; None when the rows are unweighted
        (``table`` then counts rows).

    Returns
    -------
    successes, trials : ndarray of shape (..., n_groups)
        The rate is ``successes / trials``; with weights both are scaled to
        Kish's effective number of rows of the denominator.
    """
    table = np.asarray(table, dtype=np.float64)
    numerator_cells, denominator_cells = RATE_CELLS[kind]
    numerator = sum(table[..., t, p] for t, p in numerator_cells)
    denominator = sum(table[..., t, p] for t, p in denominator_cells)
    if squared is None:
        return numerator, denominator
    squared = np.asarray(squared, dtype=np.float64)
    square_sum = sum(squared[..., t, p] for t, p in denominator_cells)
    trials = np.zeros(denominator.shape)
    np.divide(denominator**2, square_sum, out=trials, where=square_sum > 0)
    rate = np.zeros(denominator.shape)
    np.divide(numerator, denominator, out=rate, where=denominator > 0)
    return rate * trials, trials


def rate_intervals(table, kind, *, squared=None, confidence=0.95, method="wilson"):
    """Two-sided intervals of one rate in every group of ``table``.

    Returns ``(lower, upper)`` arrays of shape ``(..., n_groups)``; ``(0, 1)``
    for a group with no row in the rate's denominator.
    """
    confidence = check_confidence(confidence)
    successes, trials = rate_counts(table, kind, squared)
    return binomial_bounds(successes, trials, tail=(1 - confidence) / 2, method=method)


def _pair_indices(present):
    """The pairs ``(g, h)``, ``g < h``, of the groups marked in ``present``."""
    groups = np.flatnonzero(present)
    pairs = np.array(list(combinations(groups, 2)), dtype=np.intp).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _proportions(successes, trials):
    """``successes / trials``, 0 where a group has no trials."""
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    return np.divide(successes, trials, out=np.zeros(trials.shape), where=trials > 0)


def difference_bounds(successes, trials, first, second, *, tail, method="newcombe"):
    """Bounds of ``r[first] - r[second]``, each end missing with ``tail``.

    ``successes`` and ``trials`` hold the groups' counts of one rate;
    ``first`` and ``second`` index the pairs. ``"newcombe"``: the hybrid
    score interval (MOVER on two Wilson intervals); ``"exact"``: the box of
    two Clopper-Pearson intervals, each end at ``tail / 2`` (Bonferroni), so
    that each end holds with probability ``1 - tail`` at every size. A pair
    with an empty cell gets the box of the two intervals, its empty side
    being ``[0, 1]``.
    """
    _check_method(method, GAP_METHODS)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if method == "exact":
        low, high = binomial_bounds(k, n, tail=tail / 2, method="clopper-pearson")
        return low[first] - high[second], high[first] - low[second]
    low, high = binomial_bounds(k, n, tail=tail, method="wilson")
    rate = _proportions(k, n)
    d = rate[first] - rate[second]
    lower = d - np.hypot(rate[first] - low[first], high[second] - rate[second])
    upper = d + np.hypot(high[first] - rate[first], rate[second] - low[second])
    empty = (n[first] <= 0) | (n[second] <= 0)
    # Box of the intervals where a rate is unknown (its interval is [0, 1]).
    lower = np.where(empty, low[first] - high[second], lower)
    upper = np.where(empty, high[first] - low[second], upper)
    return np.maximum(lower, -1.0), np.minimum(upper, 1.0)


def _distance_from_zero(lower, upper):
    """Smallest ``|d|`` over ``[lower, upper]``: 0 if the interval holds 0."""
    return np.maximum(np.maximum(lower, -upper), 0.0)


def _check_tails(tails):
    """``tails`` is a pair of miss probabilities in (0, 1) or None."""
    try:
        pair = tuple(tails)
    except TypeError:
        pair = ()
    if len(pair) != 2 or all(t is None for t in pair):
        raise ValueError(
            "tails must be a pair (lower_miss, upper_miss) of floats in (0, 1) "
            f"or None, not both None; got {tails!r}."
        )
    checked = []
    for t in pair:
        if t is None:
            checked.append(None)
            continue
        number = isinstance(t, (int, float, np.number))
        if isinstance(t, (bool, np.bool_)) or not number or not 0 < float(t) < 1:
            raise ValueError(
                f"tails must hold floats in (0, 1) or None; got {tails!r}."
            )
        checked.append(float(t))
    return tuple(checked)


def gap_quantiles(table, kinds, quantiles, **options):
    """Bounds of the gap that play the role of bootstrap quantiles.

    Each ``q < 0.5`` of ``quantiles`` becomes a lower bound of the gap that
    lies above it with probability at most ``q``, each ``q >= 0.5`` an upper
    bound that lies below it with probability at most ``1 - q`` (``q = 0.5``
    gives the estimate itself for ``agg="worst_case"``): the pair
    ``(0.025, 0.975)`` is :func:`gap_bounds`' two-sided 95% interval.
    ``options`` are those of :func:`gap_bounds` (``squared``, ``method``,
    ``agg``).

    Returns
    -------
    bounds : ndarray of shape (len(quantiles),)
    """
    return _as_quantiles(gap_bounds, table, kinds, quantiles, options)


def box_quantiles(table, kinds, quantiles, **options):
    """:func:`box_bounds` for each of ``quantiles``, as :func:`gap_quantiles`."""
    return _as_quantiles(box_bounds, table, kinds, quantiles, options)


def _as_quantiles(bounds, table, kinds, quantiles, options):
    out = np.empty(len(quantiles))
    for i, q in enumerate(np.asarray(quantiles, dtype=np.float64)):
        if q < 0.5:
            out[i] = bounds(table, kinds, tails=(q, None), **options)[0]
        else:
            out[i] = bounds(table, kinds, tails=(None, 1 - q), **options)[1]
    return out


def gap_bounds(
    table,
    kinds,
    *,
    squared=None,
    confidence=0.95,
    method="newcombe",
    agg="worst_case",
    sides="two-sided",
    tails=None,
    skip_undefined=False,
):
    """Interval of the largest between-group gap of some rates.

    The gap is ``max over kinds k of (max_g r_gk - min_g r_gk)`` (``agg=
    "worst_case"``) or the mean over the kinds of those gaps (``"mean"``),
    over the groups with positive total weight; see the module docstring for
    the construction and what it assumes.

    Parameters
    ----------
    table : ndarray of shape (n_groups, 2, 2)
        Weighted (or raw) counts of the (group, y_true, y_pred) cells.
    kinds : sequence of str
        The rates, e.g. ``("selection",)`` for demographic parity,
        ``("tpr", "fpr")`` for equalized odds.
    squared : ndarray of shape (n_groups, 2, 2), default=None
        Total squared weight per cell; None for unweighted rows.
    confidence : float, default=0.95
    method : {"newcombe", "exact"}, default="newcombe"
    agg : {"worst_case", "mean"}, default="worst_case"
    sides : {"two-sided", "upper"}, default="two-sided"
        ``"upper"``: a one-sided upper bound, which misses with probability
        ``1 - confidence`` (the lower end is then 0).
    tails : tuple of (float or None, float or None), default=None
        The probabilities ``(lower_miss, upper_miss)`` that the lower end
        lies above the gap and that the upper end lies below it, each in
        (0, 1), replacing ``confidence`` and ``sides``; an end whose miss
        probability is None is not computed (NaN). ``confidence=0.95`` is
        ``tails=(0.025, 0.025)``; one-sided bounds and asymmetric intervals
        (``bootstrap_ci``'s ``ci_quantiles``) need the explicit form.
    skip_undefined : bool, default=False
        False: a group with no row in a rate's denominator stays in, with
        that rate's interval ``[0, 1]`` (nothing is known about it, whatever
        value a metric substitutes for it). True (the metrics'
        ``zero_division=np.nan``): such a group is left out of that rate's
        pairs.

    Returns
    -------
    lower, upper : float
        NaN, NaN if fewer than two groups have rows (for every rate, with
        ``skip_undefined``).
    """
    _check_method(agg, ("worst_case", "mean"), "agg")
    # The value of an end that is not computed: 0 below a one-sided bound.
    missing_lower = np.nan
    if tails is None:
        confidence = check_confidence(confidence)
        _check_method(sides, ("two-sided", "upper"), "sides")
        alpha = 1 - confidence
        tails = (alpha / 2, alpha / 2)
        if sides == "upper":
            tails, missing_lower = (None, alpha), 0.0
    else:
        tails = _check_tails(tails)
    table = np.asarray(table, dtype=np.float64)
    present = table.sum(axis=(-1, -2)) > 0
    counts = {kind: rate_counts(table, kind, squared) for kind in kinds}
    pairs = {}
    for kind, (_, trials) in counts.items():
        defined = present & (trials > 0) if skip_undefined else present
        pairs[kind] = _pair_indices(defined)
    pairs = {kind: pair for kind, pair in pairs.items() if pair[0].size}
    if not pairs:
        return np.nan, np.nan
    lower_miss, upper_miss = tails
    # The miss probability of each end, shared out over the kinds when the
    # gaps are averaged (every kind's end must hold then).
    n_kinds = len(pairs) if agg == "mean" else 1
    uppers = []
    for kind, (first, second) in pairs.items():
        if upper_miss is None:
            uppers.append(np.nan)
            continue
        successes, trials = counts[kind]
        a, b = difference_bounds(
            successes, trials, first, second, tail=upper_miss / n_kinds, method=method
        )
        uppers.append(np.max(np.maximum(np.abs(a), np.abs(b))))
    if lower_miss is None:
        lowers = [missing_lower] * len(pairs)
    elif method == "exact":
        lowers = _bonferroni_lower_ends(counts, pairs, lower_miss, method)
    else:
        lowers = _screened_lower_ends(counts, pairs, lower_miss, method, agg)
    if agg == "mean":
        return float(np.mean(lowers)), float(np.mean(uppers))
    return float(np.max(lowers)), float(np.max(uppers))


def _tails(pairs):
    """Per kind: the groups ``(plus, minus)`` of each tail ``r_plus - r_minus``.

    Each pair ``(g, h)`` has two tails, ``r_g - r_h`` and ``r_h - r_g``; the
    gap is the largest value of any tail.
    """
    return {
        kind: (np.concatenate([first, second]), np.concatenate([second, first]))
        for kind, (first, second) in pairs.items()
    }


def _tail_lower_bounds(counts, tails, tail, method):
    """Per kind: each tail's estimate and its lower and upper bounds."""
    out = {}
    for kind, (plus, minus) in tails.items():
        successes, trials = counts[kind]
        rate = _proportions(successes, trials)
        low, high = difference_bounds(
            successes, trials, plus, minus, tail=tail, method=method
        )
        out[kind] = (rate[plus] - rate[minus], low, high)
    return out


def _bonferroni_lower_ends(counts, pairs, lower_miss, method):
    """Lower end of each kind's gap, Bonferroni over every tail of every pair."""
    tails = _tails(pairs)
    n_tails = sum(plus.size for plus, _ in tails.values())
    bounds = _tail_lower_bounds(counts, tails, lower_miss / n_tails, method)
    return [max(np.max(low), 0.0) for _, low, _ in bounds.values()]


# Share of the lower end's miss probability spent on screening the tails.
_SCREEN_SHARE = 0.1
# How many tails (the largest pilot lower bounds) the slacks are measured from.
_N_REFERENCE_TAILS = 4
# Above this many (reference tail, tail, group) coefficients the slacks come
# from the tails' own bounds only, not from contrasts: memory stays small
# with hundreds of groups.
_MAX_CONTRAST_SIZE = 4_000_000


def _contrast_lower_bounds(counts, tails, kind, references, tail):
    """Lower bounds of ``value(j) - value(t)``, j in ``references``, every t.

    Both tails are differences of the same rate, so a group they share
    cancels (``(r_a - r_c) - (r_b - r_c) = r_a - r_b``): the contrast is far
    better known than the two tails apart when the shared group is small.
    The bound combines the groups' Wilson intervals as Newcombe's does for
    two (MOVER: ``estimate - sqrt(sum_g (c_g * distance_g)**2)``, each
    group's distance to the end of its interval that the sign of its
    coefficient ``c_g`` calls for).

    Returns
    -------
    ndarray of shape (len(references), n_tails)
    """
    successes, trials = counts[kind]
    plus, minus = tails[kind]
    rate = _proportions(successes, trials)
    low, high = binomial_bounds(successes, trials, tail=tail, method="wilson")
    below, above = rate - low, high - rate
    n_groups = rate.size
    coefficients = np.zeros((len(references), plus.size, n_groups))
    rows = np.arange(plus.size)
    for r, j in enumerate(references):
        np.add.at(coefficients[r], (rows, np.full(plus.size, plus[j])), 1.0)
        np.add.at(coefficients[r], (rows, np.full(plus.size, minus[j])), -1.0)
        np.add.at(coefficients[r], (rows, plus), -1.0)
        np.add.at(coefficients[r], (rows, minus), 1.0)
    estimate = coefficients @ rate
    distance = np.where(coefficients > 0, coefficients * below, -coefficients * above)
    return estimate - np.sqrt(np.sum(distance**2, axis=-1))


def _screened_lower_ends(counts, pairs, lower_miss, method, agg):
    """Lower end of each kind's gap, the tails screened in a first step.

    Bonferroni over every tail (:func:`_bonferroni_lower_ends`) pays for
    tails that cannot reach the gap: with a gap of .2 between two groups, a
    pair whose difference is .05 never puts its lower bound above .2. The
    two-step construction of Romano, Shaikh & Wolf (Econometrica 2014)
    spends a small share ``beta`` of the miss probability ``alpha`` to learn
    how far below the gap each tail lies:

    1. the gap is at least the value of every tail ``j``, so tail ``t``
       lies at least ``value(j) - value(t)`` below it. At ``beta``,
       Bonferroni over every ordered pair of tails of one rate (and over
       every tail, for tails of different rates), all these contrasts are
       at least their lower bounds at once (event A, probability >= 1 -
       beta); the estimated slack ``slack_t`` is the largest of them over a
       few reference tails ``j`` (the largest pilot bounds), at least 0;
    2. one miss probability ``p`` for every tail, the largest with ``sum_t
       Q(z_p + slack_t / se_t) <= alpha - beta``: each term is the
       probability that tail ``t``'s lower bound at ``p`` exceeds its value
       plus ``slack_t``, in the normal approximation that the score
       intervals rest on (``Q`` the normal upper tail, ``se_t`` read off the
       tail's pilot interval).

    On A the true slacks are at least the estimated ones, so the ``p`` that
    the true slacks would give is at least as small: the lower end misses
    with probability at most ``beta + (alpha - beta) = alpha``. A tail
    without slack counts fully, so with every difference near the gap (a
    gap of 0, say) this is Bonferroni at ``alpha - beta``.
    """
    from scipy.special import ndtr, ndtri

    tails = _tails(pairs)
    sizes = {kind: plus.size for kind, (plus, _) in tails.items()}
    n_tails = sum(sizes.values())
    n_groups = max(counts[kind][1].size for kind in tails)
    contrasts = _N_REFERENCE_TAILS * n_tails * n_groups <= _MAX_CONTRAST_SIZE
    n_events = n_tails + (sum(n * (n - 1) for n in sizes.values()) if contrasts else 0)
    screen = lower_miss * _SCREEN_SHARE
    pilot_tail = screen / n_events
    pilot = _tail_lower_bounds(counts, tails, pilot_tail, method)
    # Reference tails, as (kind, index): those with the largest pilot lower
    # bounds, over every kind for "worst_case" (the gap is the largest over
    # the kinds), within each kind for "mean" (each kind's gap counts).
    candidates = [
        (low[i], kind, i)
        for kind, (_, low, _) in pilot.items()
        for i in np.argsort(low)[::-1][:_N_REFERENCE_TAILS]
    ]
    candidates.sort(key=lambda c: c[0], reverse=True)
    z_pilot = ndtri(1 - pilot_tail)
    scaled_slacks = []
    for kind, (estimate, low, high) in pilot.items():
        if agg == "worst_case":
            references = candidates[:_N_REFERENCE_TAILS]
        else:
            references = [c for c in candidates if c[1] == kind]
        slack = np.zeros(estimate.size)
        for _, ref_kind, j in references:
            # Any two tails: the lower bound of j less the upper bound of t.
            slack = np.maximum(slack, pilot[ref_kind][1][j] - high)
        same = [j for _, ref_kind, j in references if ref_kind == kind]
        if contrasts and same:
            bounds = _contrast_lower_bounds(counts, tails, kind, same, pilot_tail)
            slack = np.maximum(slack, bounds.max(axis=0))
        se = (estimate - low) / z_pilot
        scaled_slacks.append(
            np.divide(slack, se, out=np.where(slack > 0, np.inf, 0.0), where=se > 0)
        )
    scaled_slacks = np.concatenate(scaled_slacks)
    budget = lower_miss - screen

    def spent(z):
        return float(np.sum(ndtr(-(z + scaled_slacks))))

    # spent() decreases in z: bisect for the smallest z within the budget.
    low_z, high_z = 0.0, float(ndtri(1 - budget / n_tails))
    for _ in range(50):
        mid = (low_z + high_z) / 2
        if spent(mid) <= budget:
            high_z = mid
        else:
            low_z = mid
    final = _tail_lower_bounds(counts, tails, float(ndtr(-high_z)), method)
    return [max(np.max(low), 0.0) for _, low, _ in final.values()]


BOX_STATISTICS = ("ratio", "to_overall")


def box_bounds(
    table,
    kinds,
    *,
    tails,
    statistic,
    squared=None,
    agg="worst_case",
    method="wilson",
):
    """Bounds of a ratio or a gap to the overall rate from simultaneous boxes.

    Where no pairwise construction applies -- the between-group ratio
    ``min_g r_g / max_g r_g`` (``statistic="ratio"``) and the largest gap to
    the overall rate ``max_g |r_g - r|`` (``"to_overall"``) -- every rate of
    every group gets an interval, Bonferroni-corrected over all of them, so
    that all hold at once; the metric's value over that box of rates is
    then bounded below and above. Each end misses with probability at most
    its tail, at every cell size, as far as the per-cell intervals hold
    their level (exactly with ``method="clopper-pearson"``). The overall
    rate is the denominator-weighted mean of the groups' rates, the
    denominators (the groups' label counts) taken as given.

    Parameters
    ----------
    table : ndarray of shape (n_groups, 2, 2)
    kinds : sequence of str
        The rates, e.g. ``("tpr", "fpr")`` for equalized odds.
    tails : tuple of (float or None, float or None)
        Miss probabilities of the lower and upper ends (None: not computed).
    statistic : {"ratio", "to_overall"}
    squared : ndarray of shape (n_groups, 2, 2), default=None
        Total squared weight per cell (Kish's effective sizes).
    agg : {"worst_case", "mean"}, default="worst_case"
        The smallest ratio (largest gap) over the kinds, or their mean.
    method : {"wilson", "jeffreys", "clopper-pearson"}, default="wilson"

    Returns
    -------
    lower, upper : float
        NaN, NaN if fewer than two groups have rows.
    """
    _check_method(statistic, BOX_STATISTICS, "statistic")
    _check_method(agg, ("worst_case", "mean"), "agg")
    tails = _check_tails(tails)
    table = np.asarray(table, dtype=np.float64)
    present = table.sum(axis=(-1, -2)) > 0
    if present.sum() < 2:
        return np.nan, np.nan
    table = table[present]
    squared = None if squared is None else np.asarray(squared)[present]
    n_cells = 2 * table.shape[0] * len(kinds)  # one-sided bounds at stake
    ends = []
    for side, miss in enumerate(tails):
        if miss is None:
            ends.append(np.nan)
            continue
        values = []
        for kind in kinds:
            successes, trials = rate_counts(table, kind, squared)
            low, high = binomial_bounds(
                successes, trials, tail=miss / n_cells, method=method
            )
            if statistic == "ratio":
                values.append(_ratio_over_box(low, high)[side])
            else:
                # The overall rate weighs the groups by their (weighted)
                # denominators, whatever the effective sizes.
                denominators = rate_counts(table, kind)[1]
                values.append(_overall_gap_over_box(low, high, denominators)[side])
        if agg == "mean":
            ends.append(float(np.mean(values)))
        else:
            ends.append(
                float(np.min(values) if statistic == "ratio" else np.max(values))
            )
    return ends[0], ends[1]


def _ratio_over_box(low, high):
    """Least and largest ``min r / max r`` over ``low <= r <= high``."""
    # The least ratio puts one group at its low end, another at its high one.
    with np.errstate(divide="ignore", invalid="ignore"):
        quotients = low[:, None] / high[None, :]
    quotients = np.where(high[None, :] > 0, quotients, 0.0)
    np.fill_diagonal(quotients, np.inf)
    least = float(quotients.min())
    # The ratio reaches 1 where the intervals share a point.
    if low.max() <= high.min():
        return least, 1.0
    return least, high.min() / low.max()


def _overall_gap_over_box(low, high, denominators):
    """Bounds of ``max_g |r_g - sum_h w_h r_h|`` over the box of rates.

    ``w`` are the groups' shares of the denominators. Each group's term is
    linear in the rates, so its range over the box comes from the corners;
    the upper end is the largest of those ranges' far ends, the lower end
    the largest of their distances from 0 (at most the least over the box
    of the maximum, so a valid lower bound).
    """
    total = denominators.sum()
    if total > 0:
        weights = denominators / total
    else:
        weights = np.full(denominators.shape, 1 / denominators.size)
    # r_g - sum_h w_h r_h = (1 - w_g) r_g - sum_{h != g} w_h r_h.
    others_low = (weights * low).sum() - weights * low
    others_high = (weights * high).sum() - weights * high
    smallest = (1 - weights) * low - others_high
    largest = (1 - weights) * high - others_low
    upper = np.max(np.maximum(np.abs(smallest), np.abs(largest)))
    lower = np.max(_distance_from_zero(smallest, largest))
    return lower, upper
