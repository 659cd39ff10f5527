"""Bootstrap resampling of count tables and of rows, and ``bootstrap_ci``.

``bootstrap_ci``'s default intervals for skfair's between-group differences
and ratios (and the differences to the overall rate) are not resampled at
all: they are score intervals computed from the count table by
:mod:`skfair.metrics._intervals`, which hold at every cell size. Its other
named metrics get draws of each group's table from the posterior of its
cell shares (:func:`posterior_tables`); the resampling schemes below are
what ``interval="percentile"`` / ``"basic"`` and any callable use.

Two resampling routes give the same distribution to the metrics that depend
on the rows only through the (group, y_true, y_pred) count table:

**Count-table bootstrap** (the fast route). Resampling the rows of a group
with replacement and counting the resample's cells is the same random
experiment as one multinomial draw of the group's row count over its four
cells, with the cells' observed shares as probabilities. One resample of a
whole table therefore costs a few draws per cell, whatever the number of
rows: ``n_boot`` resamples of a table of ``n_groups`` groups are a single
``Generator.multinomial`` call of shape ``(n_boot, n_groups, 4)``.

With sample weights a cell's resampled weight is the sum of the weights of
the rows drawn into it, not a count. Given that ``k`` rows are drawn into a
cell whose rows have weights of mean ``m`` and variance ``s**2``, that sum
has mean ``k * m`` and variance ``k * s**2``; the table bootstrap draws it
from the normal distribution with these two moments (the central limit
theorem's approximation of the row bootstrap; exact when the cell's weights
are equal), clipped at zero. Only the rows' count, total weight and total
squared weight per cell are needed, so this stays independent of the number
of rows.

**Row bootstrap** (any callable). Row indices are drawn with replacement and
the metric is called on each resample; this is what an arbitrary function
of the rows needs, and it costs a full metric call per resample.

**Stratified by group.** Both routes resample each group (each combination
of sensitive, and control, features) separately, keeping its number of
rows: the groups' sizes are taken as given, as in a study that audits a
fixed population of each group, and the intervals describe the uncertainty
of the groups' rates given their sizes. Every resample then holds every
group, so a small group never disappears from a resample and makes a
disparity undefined (a drawback of resampling all rows together), and the
by-group rates have exactly the spread of the row bootstrap of the group
alone.
"""

import numbers

import numpy as np

from ._intervals import box_quantiles, gap_quantiles

# The quantiles of a two-sided 95% interval, bootstrap_ci's default.
DEFAULT_QUANTILES = (0.025, 0.975)

# The intervals that are quantiles of n_boot draws (the others are computed
# from the count table).
_DRAWN_INTERVALS = ("bayesian", "percentile", "basic")
_INTERVALS = (
    "auto",
    "newcombe",
    "exact",
    "simultaneous",
    "bayesian",
    "percentile",
    "basic",
)

# Maxima of absolute gaps (non-negative, biased upwards): "basic" intervals.
_DIFFERENCES = (
    "demographic_parity_difference",
    "equalized_odds_difference",
    "equal_opportunity_difference",
)

# The rates whose between-group gaps make each difference: these get the
# pairwise score intervals of ``_intervals.gap_bounds`` (no resampling).
_PAIRWISE_KINDS = {
    "demographic_parity_difference": ("selection",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
}
# The rates of the ratios: with the differences' "to_overall" gaps, these get
# the simultaneous intervals of ``_intervals.box_bounds``.
_RATIO_KINDS = {
    "demographic_parity_ratio": ("selection",),
    "equal_opportunity_ratio": ("tpr",),
    "equalized_odds_ratio": ("tpr", "fpr"),
}


def _default_interval(name, pairwise, statistic):
    """``interval="auto"``: the interval that holds at every cell size."""
    if name is None:
        return "percentile"  # a callable: only its rows can be resampled
    if pairwise:
        return "newcombe"
    return "simultaneous" if statistic is not None else "bayesian"


def _box_statistic(name, method):
    """``box_bounds``' statistic for a metric and its method, or None."""
    if name in _RATIO_KINDS and method == "between_groups":
        return "ratio"
    if name in _PAIRWISE_KINDS and method == "to_overall":
        return "to_overall"
    return None


def check_bootstrap_params(n_boot, ci_quantiles):
    """Validate ``n_boot`` and ``ci_quantiles``; return them as int and array."""
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, numbers.Integral):
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    if n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    if ci_quantiles is None or isinstance(ci_quantiles, (str, bytes)):
        raise ValueError(
            "ci_quantiles must be a sequence of floats in (0, 1), e.g. "
            f"[0.025, 0.975]; got {ci_quantiles!r}."
        )
    try:
        quantiles = np.asarray(ci_quantiles, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"ci_quantiles must be a sequence of floats in (0, 1); got "
            f"{ci_quantiles!r}."
        ) from exc
    if (
        quantiles.ndim != 1
        or quantiles.size == 0
        or not np.all((quantiles > 0) & (quantiles < 1))
    ):
        raise ValueError(
            f"ci_quantiles must be a non-empty sequence of floats in (0, 1); "
            f"got {ci_quantiles!r}."
        )
    return int(n_boot), quantiles


def min_draws(quantiles):
    """The fewest draws whose ``quantiles`` are interval bounds, not the extremes.

    The ``q`` quantile of ``n`` draws leaves about ``n * min(q, 1 - q)`` draws
    beyond it; with fewer than one, the bound is the smallest (largest) draw
    and, for ``n = 1``, every bound is the one draw: a point, not an interval.
    So ``n >= 1 / min(q, 1 - q)`` for every requested ``q``: 40 for the default
    (0.025, 0.975), 20 for a 90% interval, 2 for the median.
    """
    tail = float(np.min(np.minimum(quantiles, 1.0 - quantiles)))
    # The rounding guard keeps 1 / 0.025 at 40, not 41.
    return max(int(np.ceil(1.0 / tail - 1e-9)), 2)


def check_enough_draws(n_boot, quantiles, interval):
    """Raise a ValueError if ``n_boot`` draws are too few for ``quantiles``."""
    needed = min_draws(quantiles)
    if n_boot < needed:
        tail = float(np.min(np.minimum(quantiles, 1.0 - quantiles)))
        raise ValueError(
            f"n_boot={n_boot} is too few draws for interval={interval!r} with "
            f"ci_quantiles={quantiles.tolist()}: a bound would be an extreme "
            f"draw (for n_boot=1 the interval is a single point). A tail of "
            f"{tail:g} needs n_boot >= {needed} (1 / the smallest tail); the "
            "default is 1000."
        )


def check_generator(random_state):
    """A numpy ``Generator`` from None, an int, a RandomState or a Generator.

    ``Generator.multinomial`` draws many multinomials of different sizes in
    one call, which ``RandomState.multinomial`` cannot; a RandomState is
    therefore turned into a Generator seeded from it (reproducibly).
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1, size=4))
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, (bool, np.bool_)
    ):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer; got {random_state}."
            )
        return np.random.default_rng(int(random_state))
    raise ValueError(
        "random_state must be None, an int, a numpy RandomState or Generator; "
        f"got {random_state!r}."
    )


def resample_tables(raw, weighted=None, squared=None, *, n_boot, rng):
    """``n_boot`` stratified bootstrap resamples of a group count table.

    Parameters
    ----------
    raw : ndarray of shape (n_groups, 2, 2), int
        Rows per (group, y_true, y_pred) cell.
    weighted, squared : ndarray of shape (n_groups, 2, 2), default=None
        Total weight and total squared weight of the rows of each cell; None
        for unweighted rows.
    n_boot : int
    rng : numpy.random.Generator

    Returns
    -------
    tables : ndarray of shape (n_boot, n_groups, 2, 2), float64
        Each group keeps its row count; its rows are redistributed over its
        cells by a multinomial draw (see the module docstring for weights).
    """
    raw = np.asarray(raw)
    n_groups = raw.shape[0]
    flat = raw.reshape(n_groups, 4).astype(np.int64)
    sizes = flat.sum(axis=1)
    shares = flat / np.maximum(sizes, 1)[:, None]
    draws = rng.multinomial(sizes, shares, size=(n_boot, n_groups))
    if weighted is None:
        return draws.reshape(n_boot, n_groups, 2, 2).astype(np.float64)
    per_row = np.zeros(flat.shape)
    spread = np.zeros(flat.shape)
    rows = flat > 0
    per_row[rows] = weighted.reshape(n_groups, 4)[rows] / flat[rows]
    mean_square = squared.reshape(n_groups, 4)[rows] / flat[rows]
    # max(0, .): the difference of two rounded sums can come out below zero.
    spread[rows] = np.sqrt(np.maximum(mean_square - per_row[rows] ** 2, 0))
    noise = rng.standard_normal(draws.shape)
    tables = draws * per_row + np.sqrt(draws) * spread * noise
    return np.maximum(tables, 0).reshape(n_boot, n_groups, 2, 2)


def posterior_tables(raw, weighted=None, squared=None, *, n_boot, rng):
    """``n_boot`` draws of each group's table from its cells' posterior.

    The shares of a group's four (y_true, y_pred) cells are drawn from
    Dirichlet(counts + 1/2), the posterior under Jeffreys' prior, and scaled
    by the group's size; a group keeps its size, as in
    :func:`resample_tables`. Unlike a resample of the rows, which can only
    redraw the rows it has, a draw moves a small cell's shares as much as
    its few rows leave them uncertain: a group of one row gets a wide spread
    of rates, never a single value, and every rate of a group is then
    distributed as its Jeffreys posterior, Beta(k + 1/2, n - k + 1/2) for a
    rate of ``k`` successes out of ``n`` rows of one label (the rows of two
    cells, as the selection rate counts, get Beta(k + 1, n - k + 1)). For
    large cells the spread is the bootstrap's.

    With weights the counts are Kish's effective numbers of rows, ``(sum
    w)**2 / sum w**2`` of the group shared out by the cells' weighted
    shares, and the group's size is its total weight.

    Parameters
    ----------
    raw : ndarray of shape (n_groups, 2, 2), int
        Rows per (group, y_true, y_pred) cell.
    weighted, squared : ndarray of shape (n_groups, 2, 2), default=None
        Total weight and total squared weight per cell; None without weights.
    n_boot : int
    rng : numpy.random.Generator

    Returns
    -------
    tables : ndarray of shape (n_boot, n_groups, 2, 2), float64
        Groups without rows (or without weight) stay empty.
    """
    raw = np.asarray(raw, dtype=np.float64)
    n_groups = raw.shape[0]
    if weighted is None:
        cells = raw.reshape(n_groups, 4)
        sizes = cells.sum(axis=1)
        effective = cells
    else:
        cells = np.asarray(weighted, dtype=np.float64).reshape(n_groups, 4)
        sizes = cells.sum(axis=1)
        square_sums = np.asarray(squared, dtype=np.float64).reshape(n_groups, 4)
        n_effective = np.zeros(n_groups)
        np.divide(sizes**2, square_sums.sum(axis=1), out=n_effective, where=sizes > 0)
        shares = np.zeros(cells.shape)
        np.divide(cells, sizes[:, None], out=shares, where=sizes[:, None] > 0)
        effective = shares * n_effective[:, None]
    # Dirichlet draws as normalised gamma draws (numpy's dirichlet takes one
    # parameter vector; this draws every group's in one call).
    gammas = rng.standard_gamma(effective + 0.5, size=(n_boot, n_groups, 4))
    tables = gammas / gammas.sum(axis=-1, keepdims=True) * sizes[:, None]
    return tables.reshape(n_boot, n_groups, 2, 2)


def stratified_indices(codes, n_groups, *, n_boot, rng):
    """Row indices of ``n_boot`` bootstrap resamples, stratified by group.

    Yields, for each resample, an array of as many row indices as there are
    rows, the rows of each group drawn with replacement from that group (the
    draws of group ``g`` occupy the positions of its rows in ``codes``
    sorted by group).
    """
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sorted_codes = codes[order]
    row_size = sizes[sorted_codes].astype(np.float64)
    row_start = starts[sorted_codes]
    for _ in range(n_boot):
        offsets = (rng.random(codes.shape[0]) * row_size).astype(np.intp)
        yield order[row_start + offsets]


def nan_quantiles(samples, quantiles):
    """Quantiles over the first axis, skipping resamples where a value is NaN."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.size == 0:  # no metric (MetricFrame(metrics={})): no value
        return np.full((len(quantiles),) + samples.shape[1:], np.nan)
    if np.isnan(samples).all(axis=0).any():
        # nanquantile warns about all-NaN slices; their quantile is NaN.
        out = np.full((len(quantiles),) + samples.shape[1:], np.nan)
        defined = ~np.isnan(samples).all(axis=0)
        out[:, defined] = np.nanquantile(samples[:, defined], quantiles, axis=0)
        return out
    return np.nanquantile(samples, quantiles, axis=0)


def _take_rows(values, index):
    """Rows ``index`` of an array, list, Series or DataFrame."""
    if values is None:
        return None
    if hasattr(values, "iloc"):
        return values.iloc[index]
    return np.asarray(values)[index]


def _row_bootstrap_values(metric, data, codes, n_groups, n_boot, rng, kwargs, n_jobs):
    """Values of ``metric`` on stratified row resamples (joblib over chunks)."""
    y_true, y_pred, sensitive_features, sample_weight = data

    def evaluate(indices):
        out = np.empty(len(indices))
        for i, index in enumerate(indices):
            extra = dict(kwargs)
            if sample_weight is not None:
                extra["sample_weight"] = _take_rows(sample_weight, index)
            out[i] = metric(
                _take_rows(y_true, index),
                _take_rows(y_pred, index),
                sensitive_features=_take_rows(sensitive_features, index),
                **extra,
            )
        return out

    # The indices are drawn here, in order, so the result does not depend on
    # n_jobs; only the metric calls are spread over the workers.
    indices = list(stratified_indices(codes, n_groups, n_boot=n_boot, rng=rng))
    if n_jobs in (None, 1):
        return evaluate(indices)
    from joblib import Parallel, delayed

    n_chunks = min(len(indices), 4 * max(1, abs(int(n_jobs))))
    chunks = np.array_split(np.arange(len(indices)), n_chunks)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(evaluate)([indices[i] for i in chunk]) for chunk in chunks
    )
    return np.concatenate(parts)


def _resolve_metric(metric):
    """The name of a skfair fairness metric (count route), or None (rows)."""
    from ._fairness import FAIRNESS_METRICS

    if isinstance(metric, str):
        if metric not in FAIRNESS_METRICS:
            raise ValueError(
                f"metric={metric!r} is not a skfair fairness metric; pass one of "
                f"{sorted(FAIRNESS_METRICS)} or a callable "
                "f(y_true, y_pred, *, sensitive_features, **kw)."
            )
        return metric
    if not callable(metric):
        raise TypeError(
            "metric must be the name of a skfair fairness metric or a callable "
            f"f(y_true, y_pred, *, sensitive_features, **kw); got {metric!r}."
        )
    name = getattr(metric, "__name__", None)
    if FAIRNESS_METRICS.get(name) is metric:
        return name
    return None


def bootstrap_ci(
    metric,
    y_true,
    y_pred,
    *,
    sensitive_features,
    n_boot=1000,
    ci_quantiles=DEFAULT_QUANTILES,
    sample_weight=None,
    random_state=None,
    interval="auto",
    n_jobs=None,
    **kw,
):
    """Confidence interval (or bounds) of a group-fairness metric.

    By default (``interval="auto"``) the interval holds its coverage at
    every cell size, a group of one row included:

    - skfair's ``demographic_parity_difference``,
      ``equal_opportunity_difference`` and ``equalized_odds_difference``
      with ``method="between_groups"`` (their default) get the pairwise
      score interval (``"newcombe"``): each signed difference of two groups'
      rates gets Newcombe's (1998) hybrid score interval, and the largest
      gap is bounded by those (see :mod:`skfair.metrics._intervals`). It is
      computed from the count table, without resampling: ``n_boot`` and
      ``random_state`` do not matter for it.
    - The ratios ``demographic_parity_ratio``, ``equal_opportunity_ratio``
      and ``equalized_odds_ratio`` (between groups) and the three
      differences with ``method="to_overall"`` get the simultaneous interval
      (``"simultaneous"``): every rate of every group gets a Wilson
      interval, Bonferroni-corrected so that all hold at once, and the
      metric is bounded over that box of rates (see
      :func:`skfair.metrics._intervals.box_bounds`). It is conservative
      (wider than nominal) but, unlike any percentile interval, it can hold
      the metric's value at parity (a ratio of 1, a gap of 0). Computed from
      the table: ``n_boot`` and ``random_state`` do not matter for it.
    - skfair's other fairness metrics (the ratios with
      ``method="to_overall"``, ``average_odds_difference``,
      ``disparate_impact_ratio``) get the percentile interval of ``n_boot``
      draws of each group's cell shares from their posterior,
      Dirichlet(counts + 1/2) (``"bayesian"``): unlike a resample of a
      group's rows, it moves a small group's rates as much as its few rows
      leave them uncertain. Like every percentile interval of these metrics,
      it rarely holds a value at parity exactly.
    - Any other callable is evaluated on ``n_boot`` resamples of the rows
      (each group's rows resampled with replacement, keeping its size) and
      gets their percentile interval.

    See the :ref:`user guide <auditing>` for the assumptions (independent
    rows within each group, group sizes taken as given, decisions fixed) and
    the coverage measured in ``benchmarks/interval_coverage.py``.

    Parameters
    ----------
    metric : str or callable
        The name of a skfair fairness metric (e.g.
        ``"equalized_odds_difference"``, ``"demographic_parity_ratio"``), one
        of those functions, or any callable
        ``metric(y_true, y_pred, *, sensitive_features, **kw)`` returning a
        float (it receives ``sample_weight=`` when weights are given).
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels (or scores, for a callable that takes them).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    n_boot : int, default=1000
        Number of resamples (or posterior draws); unused by ``"newcombe"``,
        ``"exact"`` and ``"simultaneous"``. The drawn intervals need at least
        ``1 / min(q, 1 - q)`` draws for every ``q`` of ``ci_quantiles`` (40
        for the default, 20 for ``[0.05, 0.95]``), so that no bound is an
        extreme draw; fewer raise a ``ValueError`` (``n_boot=1`` would give
        a point as an interval).
    ci_quantiles : sequence of float, default=(0.025, 0.975)
        Each in (0, 1); the default gives a two-sided 95% interval. For the
        resampling intervals, quantiles of the resampled values. For
        ``"newcombe"``, ``"exact"`` and ``"simultaneous"``, each ``q < 0.5``
        gives a lower bound of the metric that lies above it with
        probability at most ``q``, each
        ``q >= 0.5`` an upper bound that lies below it with probability at
        most ``1 - q`` (``[0.95]``: a one-sided 95% upper bound).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows. The score intervals and the
        posterior draws then use each group's Kish effective number of rows,
        ``(sum w)**2 / sum w**2``.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the resampling, for reproducible intervals.
    interval : {"auto", "newcombe", "exact", "simultaneous", "bayesian", \
"percentile", "basic"}, default="auto"
        ``"newcombe"``: the pairwise score interval above; ``"exact"``: the
        same construction on the difference of two Clopper-Pearson
        intervals, whose coverage is at least nominal at every size (wider);
        both only for the three differences with
        ``method="between_groups"``. ``"simultaneous"``: the box interval
        above, for those ratios (between groups) and differences (to the
        overall rate). ``"bayesian"``: the posterior draws above (any of
        skfair's metrics). ``"percentile"``: the ``ci_quantiles``
        quantiles of the values on resampled rows (resampled count tables
        for skfair's metrics); ``"basic"``: those quantiles reflected about
        the estimate, ``2 * estimate - quantile(1 - q)``, clipped to [0, 1]
        for the differences. These two are the classical bootstrap; they
        ignore what a small group's few rows leave unknown (a group of one
        row always redraws that row), so they cover too rarely with small
        cells. ``"auto"``: as described above.
    n_jobs : int, default=None
        Workers (joblib) for the row route; the count route does not need
        them. The result does not depend on ``n_jobs``.
    **kw
        Options of the metric: ``method``, ``agg``, ``pos_label``,
        ``privileged_group``, ``zero_division`` for skfair's metrics,
        anything for a callable.

    Returns
    -------
    bounds : ndarray of shape (len(ci_quantiles),)
        The bounds (quantiles) in the order of ``ci_quantiles``; the
        resampling intervals skip the resamples where the metric is NaN. All
        NaN when a named metric is NaN on the data. A group whose rate is
        undefined (no row in its denominator) is left out of the intervals
        with ``zero_division=np.nan``; otherwise its rate's interval is
        ``[0, 1]``, whatever value the estimate substitutes for it.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.metrics import bootstrap_ci
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 2000)
    >>> y_true = rng.integers(0, 2, 2000)
    >>> y_pred = (rng.random(2000) < 0.4 + 0.1 * group).astype(int)
    >>> low, high = bootstrap_ci("demographic_parity_difference", y_true, y_pred,
    ...                          sensitive_features=group)
    >>> bool(0 < low < 0.1 < high < 0.2)
    True

    A group of two rows leaves its rates, and so the gap, nearly unknown:

    >>> low, high = bootstrap_ci("demographic_parity_difference", [0, 1, 0, 1],
    ...                          [0, 1, 1, 1], sensitive_features=[0, 0, 1, 1])
    >>> bool(low == 0 and high > 0.8)
    True
    """
    from ._fairness import FAIRNESS_METRICS, TABLE_FUNCTIONS

    n_boot, quantiles = check_bootstrap_params(n_boot, ci_quantiles)
    if not isinstance(interval, str) or interval not in _INTERVALS:
        raise ValueError(
            f"interval must be one of {list(_INTERVALS)}; got {interval!r}."
        )
    rng = check_generator(random_state)
    name = _resolve_metric(metric)
    pairwise = name in _PAIRWISE_KINDS and (
        kw.get("method", "between_groups") == "between_groups"
    )
    method = kw.get("method", "between_groups")
    statistic = _box_statistic(name, method) if name is not None else None
    if interval == "auto":
        interval = _default_interval(name, pairwise, statistic)
    if interval in ("newcombe", "exact") and not pairwise:
        raise ValueError(
            f"interval={interval!r} is the pairwise interval of a between-group "
            f"difference: it needs metric in {sorted(_PAIRWISE_KINDS)} with "
            "method='between_groups'; use interval='bayesian' (skfair's other "
            "metrics) or 'percentile'."
        )
    if interval == "simultaneous" and statistic is None:
        raise ValueError(
            "interval='simultaneous' bounds a between-group ratio or a gap to the "
            f"overall rate: it needs metric in {sorted(_RATIO_KINDS)} with "
            f"method='between_groups' or in {sorted(_PAIRWISE_KINDS)} with "
            "method='to_overall'."
        )
    if interval == "bayesian" and name is None:
        raise ValueError(
            "interval='bayesian' draws count tables, so it needs one of skfair's "
            "fairness metrics; a callable is resampled by rows ('percentile' or "
            "'basic')."
        )
    if interval in _DRAWN_INTERVALS:
        check_enough_draws(n_boot, quantiles, interval)
    if name is not None:
        # One call on the data validates the inputs and the options.
        estimate = FAIRNESS_METRICS[name](
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=sample_weight,
            **kw,
        )
        if np.isnan(estimate):
            # Undefined on the data (e.g. fewer than two groups with the
            # rate defined under zero_division=np.nan): so is its interval.
            return np.full(len(quantiles), np.nan)
        counts = _count_tables(
            y_true, y_pred, sensitive_features, sample_weight, kw.get("pos_label", 1)
        )
        if interval in ("newcombe", "exact"):
            return gap_quantiles(
                counts.weighted,
                _PAIRWISE_KINDS[name],
                quantiles,
                squared=counts.squared,
                method=interval,
                agg=kw.get("agg", "worst_case"),
                skip_undefined=_leaves_undefined_out(kw),
            )
        if interval == "simultaneous":
            kinds = _RATIO_KINDS.get(name) or _PAIRWISE_KINDS[name]
            return box_quantiles(
                counts.weighted,
                kinds,
                quantiles,
                statistic=statistic,
                squared=counts.squared,
                agg=kw.get("agg", "worst_case"),
            )
        table_function, option_names = TABLE_FUNCTIONS[name]
        options = {k: v for k, v in kw.items() if k in option_names}
        draw = posterior_tables if interval == "bayesian" else resample_tables
        tables = draw(counts.raw, counts.scaled, counts.squared, n_boot=n_boot, rng=rng)
        values = table_function(tables, counts.groups, **options)
    else:
        from ..utils import check_sample_weight_1d, encode_groups

        estimate = None  # only the basic interval needs it

        encoding = encode_groups(sensitive_features)
        check_sample_weight_1d(sample_weight, encoding.codes.shape[0])
        data = (y_true, y_pred, sensitive_features, sample_weight)
        values = _row_bootstrap_values(
            metric, data, encoding.codes, encoding.n_groups, n_boot, rng, kw, n_jobs
        )
        if interval == "basic":
            weights = {} if sample_weight is None else {"sample_weight": sample_weight}
            estimate = metric(
                y_true, y_pred, sensitive_features=sensitive_features, **weights, **kw
            )
    return _interval(values, estimate, quantiles, interval, name)


def _leaves_undefined_out(options):
    """Whether the metric's options say ``zero_division=np.nan``.

    Only then is a group with an undefined rate left out of the interval; a
    substituted value (0, 1, the default's 0) is never taken as known there.
    """
    value = options.get("zero_division", "warn")
    return isinstance(value, float) and np.isnan(value)


def _interval(values, estimate, quantiles, interval, name):
    """Percentile or basic interval of resampled ``values`` of a metric."""
    if interval != "basic":
        return nan_quantiles(values, quantiles)
    reflected = 2 * float(estimate) - nan_quantiles(values, 1 - quantiles)
    if name in _DIFFERENCES:
        # Gaps lie in [0, 1]; the reflection can step outside near 0.
        reflected = np.clip(reflected, 0, 1)
    return reflected


def table_intervals(counts, names, *, n_boot, rng, quantiles=DEFAULT_QUANTILES):
    """Estimates and intervals of named fairness metrics from one count table.

    Each metric gets :func:`bootstrap_ci`'s default interval with its default
    options: computed from the table for the three between-group differences
    (``"newcombe"``) and ratios (``"simultaneous"``), and for the others the
    percentile interval of one set of posterior draws of the table
    (``"bayesian"``), shared by every metric, so that a report of several
    metrics costs one counting pass and one draw of tables.

    Parameters
    ----------
    counts : GroupCounts
        The weighted table and its raw row counts (``raw=True``), unweighted
        rows (so the two are equal).
    names : sequence of str
        Names of skfair fairness metrics (keys of ``FAIRNESS_METRICS``).
    n_boot : int
    rng : numpy.random.Generator
    quantiles : sequence of float, default=(0.025, 0.975)

    Returns
    -------
    estimates : dict of str to float
    intervals : dict of str to ndarray of shape (len(quantiles),)
    """
    from ._fairness import TABLE_FUNCTIONS

    quantiles = np.asarray(quantiles, dtype=np.float64)
    resampled = None  # drawn once, and only if a metric needs the draws
    estimates, intervals = {}, {}
    for name in names:
        table_function, _ = TABLE_FUNCTIONS[name]
        estimate = float(table_function(counts.weighted, counts.groups))
        estimates[name] = estimate
        if name in _PAIRWISE_KINDS:
            intervals[name] = gap_quantiles(
                counts.weighted, _PAIRWISE_KINDS[name], quantiles
            )
            continue
        if name in _RATIO_KINDS:
            intervals[name] = box_quantiles(
                counts.weighted, _RATIO_KINDS[name], quantiles, statistic="ratio"
            )
            continue
        if resampled is None:
            resampled = posterior_tables(counts.raw, n_boot=n_boot, rng=rng)
        values = table_function(resampled, counts.groups)
        intervals[name] = nan_quantiles(values, quantiles)
    return estimates, intervals


class _Tables:
    """A data set's count tables: rows, weights (scaled) and squared weights.

    ``weighted`` is the weighted table on the weights' own scale (the raw
    table without weights), ``scaled`` and ``squared`` the total weight and
    total squared weight per cell with the weights divided by the largest
    (None without weights): the rates and Kish's effective sizes do not
    depend on the scale.
    """

    def __init__(self, raw, weighted, scaled, squared, groups):
        self.raw = raw
        # Without weights the weighted table counts the rows.
        self.weighted = weighted if scaled is None else scaled
        self.scaled = scaled
        self.squared = squared
        self.groups = groups


def _count_tables(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    """Count the cells once (and their weights' moments): a ``_Tables``."""
    from ._dispatch import group_counts

    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,
    )
    scaled = squared = None
    if sample_weight is not None:
        scaled, squared = weight_moments(
            y_true, y_pred, sensitive_features, sample_weight, pos_label
        )
    return _Tables(counts.raw, counts.weighted, scaled, squared, counts.groups)


def weight_moments(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    """Total weight and total squared weight per cell, weights scaled to <= 1.

    The rates do not depend on the weights' scale; dividing by the largest
    weight keeps the squares from overflowing (or underflowing) float64.
    """
    from ..utils import check_sample_weight_1d
    from ._dispatch import group_counts

    sw = check_sample_weight_1d(sample_weight, len(np.asarray(y_pred)))
    sw = sw / sw.max()
    tables = [
        group_counts(
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=w,
            pos_label=pos_label,
            raw=True,  # the same groups as the row counts, zero weights or not
        ).weighted
        for w in (sw, sw * sw)
    ]
    return tables[0], tables[1]
