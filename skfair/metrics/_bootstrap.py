"""Bootstrap resampling of count tables and of rows, and ``bootstrap_ci``.

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

# The quantiles of a two-sided 95% interval, bootstrap_ci's default.
DEFAULT_QUANTILES = (0.025, 0.975)

_INTERVALS = ("auto", "percentile", "basic")

# Maxima of absolute gaps (non-negative, biased upwards): "basic" intervals.
_DIFFERENCES = (
    "demographic_parity_difference",
    "equalized_odds_difference",
    "equal_opportunity_difference",
)


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
    """Bootstrap interval (quantiles) of a group-fairness metric.

    skfair's fairness metrics (by name, or the functions themselves) are
    functions of the (group, y_true, y_pred) count table, so their resamples
    are drawn from that table (multinomial draws over its cells), at a cost
    independent of the number of rows: 1,000 resamples take milliseconds on
    any data size. Any other callable is evaluated on resampled rows.
    Resamples are stratified by group in both cases (each group keeps its
    size); see the :ref:`user guide <auditing>` for the scheme and how the
    weighted case is handled.

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
        Number of bootstrap resamples.
    ci_quantiles : sequence of float, default=(0.025, 0.975)
        Quantiles of the bootstrap distribution to return, each in (0, 1);
        the default gives a two-sided 95% percentile interval.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the resampling, for reproducible intervals.
    interval : {"auto", "percentile", "basic"}, default="auto"
        ``"percentile"``: the ``ci_quantiles`` quantiles of the resampled
        values. ``"basic"``: those quantiles reflected about the estimate,
        ``2 * estimate - quantile(1 - q)``, which removes the estimate's bias
        to first order. ``"auto"``: ``"basic"`` for skfair's ``*_difference``
        metrics, clipped at 0, and ``"percentile"`` otherwise. A difference
        is a maximum of absolute gaps, biased upwards by sampling noise --
        most when two gaps are close, as the TPR and FPR gaps of
        ``equalized_odds_difference`` can be -- and the percentile interval
        then inherits the bias twice and covers the truth too rarely (88% of
        nominal 95% intervals in the simulation of the user guide, against
        94% for the basic interval).
    n_jobs : int, default=None
        Workers (joblib) for the row route; the count route does not need
        them. The result does not depend on ``n_jobs``.
    **kw
        Options of the metric: ``method``, ``agg``, ``pos_label``,
        ``privileged_group`` for skfair's metrics, anything for a callable.

    Returns
    -------
    quantiles : ndarray of shape (len(ci_quantiles),)
        The requested quantiles of the metric over the resamples (resamples
        where the metric is NaN are skipped).

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.metrics import bootstrap_ci
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 2000)
    >>> y_true = rng.integers(0, 2, 2000)
    >>> y_pred = (rng.random(2000) < 0.4 + 0.1 * group).astype(int)
    >>> low, high = bootstrap_ci("demographic_parity_difference", y_true, y_pred,
    ...                          sensitive_features=group, random_state=0)
    >>> bool(0 < low < 0.1 < high < 0.2)
    True
    """
    from ._fairness import FAIRNESS_METRICS, TABLE_FUNCTIONS

    n_boot, quantiles = check_bootstrap_params(n_boot, ci_quantiles)
    if interval not in _INTERVALS:
        raise ValueError(
            f"interval must be one of {list(_INTERVALS)}; got {interval!r}."
        )
    rng = check_generator(random_state)
    name = _resolve_metric(metric)
    if interval == "auto":
        is_difference = name is not None and name in _DIFFERENCES
        interval = "basic" if is_difference else "percentile"
    if name is not None:
        # One call on the data validates the inputs and the options.
        estimate = FAIRNESS_METRICS[name](
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=sample_weight,
            **kw,
        )
        table_function, option_names = TABLE_FUNCTIONS[name]
        options = {k: v for k, v in kw.items() if k in option_names}
        tables = count_resamples(
            y_true,
            y_pred,
            sensitive_features=sensitive_features,
            sample_weight=sample_weight,
            pos_label=kw.get("pos_label", 1),
            n_boot=n_boot,
            rng=rng,
        )
        values = table_function(tables.tables, tables.groups, **options)
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


def _interval(values, estimate, quantiles, interval, name):
    """Percentile or basic interval of resampled ``values`` of a metric."""
    if interval == "percentile":
        return nan_quantiles(values, quantiles)
    reflected = 2 * float(estimate) - nan_quantiles(values, 1 - quantiles)
    if name in _DIFFERENCES:
        # Gaps lie in [0, 1]; the reflection can step outside near 0.
        reflected = np.clip(reflected, 0, 1)
    return reflected


def table_intervals(counts, names, *, n_boot, rng, quantiles=DEFAULT_QUANTILES):
    """Estimates and intervals of named fairness metrics from one count table.

    The table is resampled once (stratified by group, as :func:`bootstrap_ci`
    does) and every metric is evaluated on the same resamples, with
    ``bootstrap_ci``'s default interval (basic for the differences,
    percentile otherwise), so that a report of several metrics costs one
    counting pass and one draw of tables.

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
    resampled : ndarray of shape (n_boot, n_groups, 2, 2)
        The resampled tables, for per-group intervals.
    """
    from ._fairness import TABLE_FUNCTIONS

    quantiles = np.asarray(quantiles, dtype=np.float64)
    resampled = resample_tables(counts.raw, n_boot=n_boot, rng=rng)
    estimates, intervals = {}, {}
    for name in names:
        table_function, _ = TABLE_FUNCTIONS[name]
        estimate = float(table_function(counts.weighted, counts.groups))
        values = table_function(resampled, counts.groups)
        interval = "basic" if name in _DIFFERENCES else "percentile"
        estimates[name] = estimate
        intervals[name] = _interval(values, estimate, quantiles, interval, name)
    return estimates, intervals, resampled


class _Resamples:
    """Resampled count tables and the labels of their groups."""

    def __init__(self, tables, groups):
        self.tables = tables
        self.groups = groups


def count_resamples(
    y_true, y_pred, *, sensitive_features, sample_weight, pos_label, n_boot, rng
):
    """Count the cells once, then draw ``n_boot`` resampled tables."""
    from ._dispatch import group_counts

    counts = group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,
    )
    weighted = squared = None
    if sample_weight is not None:
        weighted, squared = weight_moments(
            y_true, y_pred, sensitive_features, sample_weight, pos_label
        )
    tables = resample_tables(counts.raw, weighted, squared, n_boot=n_boot, rng=rng)
    return _Resamples(tables, counts.groups)


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
