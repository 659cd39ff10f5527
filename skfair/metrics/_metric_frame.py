"""MetricFrame: any metric by group, fairlearn 0.15's semantics, fast intervals.

The frame works on the product of the levels of the grouping features
(control features first, then sensitive features, as fairlearn orders them):
every metric becomes a float array over those cells (NaN for combinations
absent from the data), and every summary (``group_min``, ``difference``,
``ratio`` ...) is a reduction of those arrays over the sensitive cells of each
control level. The same reductions, with a leading resample axis, give the
bootstrap intervals, so a value and its interval are computed by one code
path.

Metrics that are functions of the (group, y_true, y_pred) count table --
skfair's rates, fairlearn's, scikit-learn's ``accuracy_score``,
``precision_score``, ``recall_score`` and ``balanced_accuracy_score`` on 0/1
labels -- are evaluated on that table, counted in one pass by
:mod:`skfair.metrics._counts`, and resampled as tables (see
:mod:`skfair.metrics._bootstrap`). Any other callable is called on the rows of
each group, and resampled by rows.

An undefined rate of skfair's own rate functions (the true positive rate of
a group without positive rows, ...) is NaN in ``by_group``, and the
summaries leave it out; scikit-learn's and fairlearn's functions keep the
value they return themselves (0), so that their frames equal fairlearn's.
"""

import functools
import inspect
import numbers
import sys
import warnings

import numpy as np

from ..utils._sensitive import python_label
from ._bootstrap import (
    check_bootstrap_params,
    check_generator,
    nan_quantiles,
    posterior_tables,
)
from ._dask import is_dask_collection
from ._fairness import (
    _rate,
    count,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from ._intervals import binomial_bounds, box_quantiles, gap_quantiles, rate_counts
from ._report import check_min_group_size

_METHODS = ("between_groups", "to_overall")
# The count-table metrics that are binomial proportions: score intervals.
_SCORE_KINDS = ("selection", "tpr", "fpr", "tnr", "fnr", "accuracy", "precision")
_ERRORS = ("raise", "coerce")
_NON_SCALAR = (
    "Metric frame contains non-scalar cells. Please remove non-scalar columns "
    "from your metric frame or use parameter errors='coerce'."
)
_NOT_BOOTSTRAPPED = (
    "This MetricFrame has no intervals: pass n_boot= and ci_quantiles= to the "
    "constructor to compute them."
)


def _import_pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is a test dependency
        raise ImportError(
            "MetricFrame returns pandas Series and DataFrames, and pandas cannot "
            "be imported; install it (pip install pandas) to use MetricFrame."
        ) from exc
    return pandas


# ----------------------------------------------------------------------------
# Metrics that are functions of the count table


def _count_kinds():
    """Map each known count-table metric function to the rate it computes."""
    kinds = {
        selection_rate: "selection",
        true_positive_rate: "tpr",
        false_positive_rate: "fpr",
        true_negative_rate: "tnr",
        false_negative_rate: "fnr",
        count: "count",
    }
    # Recognise scikit-learn's and fairlearn's functions only when the user
    # has imported them already: importing them here would cost seconds.
    sk = sys.modules.get("sklearn.metrics")
    if sk is not None:
        kinds.update(
            {
                sk.accuracy_score: "accuracy",
                sk.precision_score: "precision",
                sk.recall_score: "tpr",
                sk.balanced_accuracy_score: "balanced_accuracy",
            }
        )
    fl = sys.modules.get("fairlearn.metrics")
    if fl is not None:
        for name in (
            "selection_rate",
            "true_positive_rate",
            "false_positive_rate",
            "true_negative_rate",
            "false_negative_rate",
            "count",
        ):
            func = getattr(fl, name, None)
            if func is not None:
                kinds[func] = kinds[globals()[name]]
    return kinds


def _undefined_is_nan(func, kind):
    """True for skfair's rate functions on the count route: NaN if undefined.

    fairlearn's MetricFrame shows such a rate as 0 (the value the function
    returns); skfair shows it as undefined, and leaves it out of the
    summaries, whatever function of the same rate fairlearn would call.
    """
    if kind is None or kind == "count":
        return False
    skfair_rates = (
        selection_rate,
        true_positive_rate,
        false_positive_rate,
        true_negative_rate,
        false_negative_rate,
    )
    return any(func is rate for rate in skfair_rates)


def _is_binary01(y):
    """True if ``y`` is a numeric or boolean 1-D array of 0/1 values only."""
    if y.ndim != 1 or y.dtype.kind not in "biuf":
        return False
    return bool(np.all((y == 0) | (y == 1)))


def _count_kind(func, params, binary):
    """The rate a metric computes from the count table, or None (call it)."""
    try:
        kind = _count_kinds().get(func)
    except TypeError:  # unhashable callable
        return None
    if kind is None:
        return None
    if kind == "count":
        return kind if not params else None
    if not binary or set(params) - {"sample_weight"}:
        return None
    return kind


# ----------------------------------------------------------------------------
# Grouping features


def _feature_columns(features, base_name, n_rows, pandas):
    """``[(name, values)]``: the columns of a sensitive or control feature."""
    if isinstance(features, pandas.Series):
        name = features.name
        if name is not None and not isinstance(name, str):
            raise ValueError(
                f"The name of a Series of {base_name}s must be a string or None; "
                f"got {name!r} of type {type(name).__name__}."
            )
        columns = [(name if name is not None else f"{base_name}0", features)]
    elif isinstance(features, (pandas.DataFrame, dict)):
        frame = pandas.DataFrame(features)
        for column in frame.columns:
            if not isinstance(column, str):
                raise ValueError(
                    f"The columns of {base_name}s must be named by strings; got "
                    f"{column!r} of type {type(column).__name__}."
                )
        columns = [(c, frame[c]) for c in frame.columns]
    else:
        arr = np.asarray(features, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        columns = _array_columns(arr, base_name)
    out = []
    for name, values in columns:
        values = pandas.Series(list(values))
        if len(values) != n_rows:
            raise ValueError(
                f"{base_name} {name!r} has {len(values)} rows but y_true has "
                f"{n_rows}; they must match."
            )
        if values.isna().any():
            raise ValueError(
                f"Feature {name!r} contains missing values. Remove or replace "
                "them before constructing a MetricFrame."
            )
        out.append((name, values))
    return out


def _array_columns(arr, base_name):
    """``[(name, column)]`` of a 1-D or 2-D array, named ``base_name0``, ..."""
    if arr.ndim == 1:
        return [(f"{base_name}0", arr)]
    if arr.ndim == 2:
        return [(f"{base_name}{i}", arr[:, i]) for i in range(arr.shape[1])]
    raise ValueError(
        f"{base_name}s must be 1-D or 2-D; got an array of shape {arr.shape}."
    )


def _dask_vector(values, name):
    """A dask Array of a dask Array, Series or one-column DataFrame."""
    from ._dask import _to_dask_array

    arr = _to_dask_array(values, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def _dask_feature_columns(features, base_name, n_rows, pandas):
    """``[(name, values)]`` of a feature, for MetricFrame's dask route.

    A dask array's columns are named as a numpy array's are; in-memory
    features as in :func:`_feature_columns` (and counted beside the dask
    inputs, chunk by chunk).
    """
    if not is_dask_collection(features):
        return _feature_columns(features, base_name, n_rows, pandas)
    columns = _array_columns(_dask_vector(features, base_name), base_name)
    for name, values in columns:
        if not isinstance(name, str):
            raise ValueError(
                f"The columns of {base_name}s must be named by strings; got "
                f"{name!r} of type {type(name).__name__}."
            )
        if values.shape[0] != n_rows:
            raise ValueError(
                f"{base_name} {name!r} has {values.shape[0]} rows but y_true has "
                f"{n_rows}; they must match."
            )
    return columns


def _as_dask_vector(values, name, chunks):
    """A dask vector of ``values``; in-memory values chunked like ``chunks``."""
    import dask.array as da

    if is_dask_collection(values):
        return _dask_vector(values, name)
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    # A wrong length gets its error from the row-count checks after this.
    return da.from_array(arr, chunks=(chunks,) if len(arr) == sum(chunks) else -1)


def _stack_columns(columns, chunks):
    """Feature columns as one dask array: 1-D, or 2-D of objects for several."""
    import dask.array as da

    if len(columns) == 1:
        return _as_dask_vector(columns[0], "sensitive_features", chunks)
    stacked = []
    for values in columns:
        values = _as_dask_vector(
            np.asarray(list(values), dtype=object)
            if not is_dask_collection(values)
            else values,
            "sensitive_features",
            chunks,
        )
        # Object columns keep each label's own type in the intersection.
        stacked.append(values.rechunk((chunks,)).astype(object))
    return da.stack(stacked, axis=1)


class _Cells:
    """The product of the grouping features' levels, and each row's cell.

    For dask inputs the rows' cells are never gathered: ``codes`` is None and
    the count tables come block by block (see :class:`_DaskRows`).
    """

    def __init__(self, columns, n_control, pandas):
        codes = np.zeros(len(columns[0][1]), dtype=np.int64)
        levels = []
        for _, values in columns:
            try:
                column_codes, uniques = pandas.factorize(values, sort=True)
            except TypeError as exc:
                raise ValueError(
                    f"The values of a grouping feature cannot be sorted: {exc}."
                ) from exc
            codes = codes * len(uniques) + column_codes
            levels.append(uniques)
        self.codes = codes
        self._set(
            [name for name, _ in columns],
            levels,
            n_control,
            np.bincount(codes, minlength=int(np.prod([len(u) for u in levels]))),
        )

    def _set(self, names, levels, n_control, sizes):
        self.names = names
        self.levels = levels
        self.n_control = n_control
        self.n_cells = int(np.prod([len(u) for u in levels]))
        self.shape_control = int(np.prod([len(u) for u in levels[:n_control]]))
        self.sizes = sizes
        self.present = np.flatnonzero(self.sizes)

    @classmethod
    def from_groups(cls, names, n_control, groups, sizes):
        """Cells from the labels of the groups present (tuples for k > 1)."""
        cells = cls.__new__(cls)
        groups = [python_label(g) for g in groups]
        rows = [g if isinstance(g, tuple) else (g,) for g in groups]
        levels = []
        for j in range(len(names)):
            try:
                levels.append(sorted({row[j] for row in rows}))
            except TypeError as exc:
                raise ValueError(
                    f"The values of a grouping feature cannot be sorted: {exc}."
                ) from exc
        cells.codes = None
        cells.group_cells = np.array(
            [
                np.ravel_multi_index(
                    [lv.index(v) for lv, v in zip(levels, row, strict=True)],
                    [len(lv) for lv in levels],
                )
                for row in rows
            ],
            dtype=np.intp,
        )
        cells.cell_of = dict(zip(groups, cells.group_cells.tolist(), strict=True))
        n_cells = int(np.prod([len(lv) for lv in levels]))
        cell_sizes = np.zeros(n_cells, dtype=np.int64)
        cell_sizes[cells.group_cells] = sizes
        cells._set(names, levels, n_control, cell_sizes)
        return cells

    def index(self, pandas, control_only=False):
        """The pandas index of the cells (or of the control levels)."""
        levels = self.levels[: self.n_control] if control_only else self.levels
        names = self.names[: self.n_control] if control_only else self.names
        if len(levels) == 1:
            return pandas.Index(levels[0], name=names[0])
        return pandas.MultiIndex.from_product(levels, names=names)


def _split_cells(values, cells):
    """Reshape ``(..., n_cells, m)`` to ``(..., n_control, n_sensitive, m)``."""
    # The number of sensitive groups spelt out: with no metric (m = 0) numpy
    # cannot infer it.
    n_sensitive = cells.n_cells // cells.shape_control
    shape = values.shape[:-2] + (cells.shape_control, n_sensitive, values.shape[-1])
    return values.reshape(shape)


# ----------------------------------------------------------------------------
# Reductions over the sensitive cells (with an optional leading resample axis)


def _reduce(
    by_group, overall, cells, how, method="between_groups", undefined_is_nan=None
):
    """``group_min``/``group_max``/``difference``/``ratio`` per control level.

    ``by_group`` is ``(..., n_cells, n_metrics)`` and ``overall``
    ``(..., n_control, n_metrics)``; NaN cells are skipped, as pandas skips
    them, and the result is ``(..., n_control, n_metrics)``. For the metrics
    flagged in ``undefined_is_nan`` (skfair's rates, NaN where undefined) a
    difference or ratio is NaN when an undefined rate leaves fewer than two
    groups, as the metrics' ``zero_division=np.nan`` gives.
    """
    values = _split_cells(by_group, cells)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        if how == "group_min":
            return np.nanmin(values, axis=-2)
        if how == "group_max":
            return np.nanmax(values, axis=-2)
        if how == "difference":
            if method == "between_groups":
                result = np.nanmax(values, axis=-2) - np.nanmin(values, axis=-2)
            else:
                result = np.nanmax(np.abs(values - overall[..., None, :]), axis=-2)
        elif method == "between_groups":
            result = np.nanmin(values, axis=-2) / np.nanmax(values, axis=-2)
        else:
            quotient = values / overall[..., None, :]
            # Each group's ratio to the overall value is taken at most 1.
            quotient = np.where(quotient > 1, 1 / quotient, quotient)
            result = np.nanmin(quotient, axis=-2)
    if undefined_is_nan is None or not np.any(undefined_is_nan):
        return result
    present = _split_cells((cells.sizes > 0)[:, None], cells)  # (n_control, s, 1)
    defined = ~np.isnan(values)
    left_out = (present & ~defined).any(axis=-2)
    too_few = left_out & (defined.sum(axis=-2) < 2)
    return np.where(too_few & np.asarray(undefined_is_nan), np.nan, result)


def _rate_quantiles(table, squared, kind, quantiles):
    """Score bounds of a rate in each table, in place of bootstrap quantiles.

    Each ``q < 0.5`` gives the Wilson lower bound that misses (lies above
    the rate) with probability ``q``, each ``q >= 0.5`` the upper bound that
    misses with probability ``1 - q``: ``(0.025, 0.975)`` is the two-sided
    95% Wilson interval; NaN where the rate is undefined. Shape
    ``(len(quantiles), n_tables)``.
    """
    successes, trials = rate_counts(table, kind, squared)
    out = np.empty((len(quantiles),) + np.shape(trials))
    for i, q in enumerate(quantiles):
        low, high = binomial_bounds(successes, trials, tail=min(q, 1 - q))
        out[i] = low if q < 0.5 else high
    # An undefined rate (empty denominator) has an undefined interval, as
    # by_group shows it undefined; the gap intervals take it as [0, 1].
    out[:, trials <= 0] = np.nan
    return out


def _as_float_column(values):
    """Floats of a column of metric values (NaN for non-scalars), and a flag."""
    out = np.full(len(values), np.nan)
    scalar = True
    for i, value in enumerate(values):
        if value is None:
            continue
        if np.ndim(value) == 0 and isinstance(value, (numbers.Number, np.generic)):
            out[i] = float(value)
        else:
            scalar = False
    return out, scalar


class MetricFrame:
    """Metrics by group, their summaries and bootstrap intervals.

    A drop-in for ``fairlearn.metrics.MetricFrame`` (fairlearn 0.15): the same
    constructor, properties, methods and return types (pandas Series and
    DataFrames with the same indexes and names), and the same values. Metrics
    that are functions of the (group, y_true, y_pred) counts are computed and
    bootstrapped from the count table, so intervals cost milliseconds rather
    than a recomputation per resample.

    Parameters
    ----------
    metrics : callable or dict of str to callable
        Metric function(s) ``f(y_true, y_pred, **sample_params)``: any
        scikit-learn, fairlearn or skfair metric, or your own. A callable
        gives Series (or scalars) named after it; a dict gives DataFrames
        (or Series) with a column per key.
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions (labels or scores).
    sensitive_features : array-like, Series, DataFrame, dict or list
        Group of each row; several columns give intersectional groups (the
        index of ``by_group`` is then a MultiIndex). Columns are named by
        the Series' name or the DataFrame's column names, else
        ``sensitive_feature_0``, ``sensitive_feature_1``, ...
    control_features : array-like, Series, DataFrame, dict or list, default=None
        Features to condition on: every summary is computed within each of
        their levels (named ``control_feature_0``, ... by default).
    sample_params : dict, default=None
        Per-row parameters (e.g. ``sample_weight``) passed to the metrics,
        split by group. For a callable: ``{"sample_weight": w}``; for a dict
        of metrics: ``{metric_name: {"sample_weight": w}}``.
    n_boot : int, default=None
        Number of resamples (posterior draws for count-table metrics); with
        ``ci_quantiles``, switches the ``*_ci`` intervals on.
    ci_quantiles : list of float, default=None
        Quantiles (in (0, 1)) to report, e.g. ``[0.025, 0.975]`` for a 95%
        interval; for the score intervals (see Notes) each ``q < 0.5`` is a
        lower bound missing with probability ``q`` and each ``q >= 0.5`` an
        upper bound missing with probability ``1 - q``.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the resampling.
    n_jobs : int, default=None
        joblib workers for metrics resampled by rows (the count-table route
        needs none). The intervals do not depend on it.
    min_group_size : int, default=None
        Flag the groups (combinations of sensitive and control features
        present in the data) with fewer rows than this: they are listed in
        :attr:`small_groups` and a ``UserWarning`` names them and their
        sizes, since their metrics, and every summary involving them, are
        mostly noise. None (the default) flags nothing, as fairlearn does.

    See Also
    --------
    bootstrap_ci : interval of one fairness metric.
    group_report : counts and rates of every group in one table.

    Notes
    -----
    **Intervals.** The rates of the count table (selection, true and false
    positive and negative rates, accuracy, precision, as skfair's,
    fairlearn's or scikit-learn's functions on 0/1 labels) get score
    intervals computed from the counts, which hold at every cell size (a
    cell of one row gets a wide interval, never a zero-width one; a rate
    without rows [0, 1]): :attr:`by_group_ci` and :attr:`overall_ci` the
    Wilson interval of each rate, ``difference_ci()`` (between groups) the
    pairwise Newcombe interval of the largest gap, ``ratio_ci()`` (between
    groups) and ``difference_ci(method="to_overall")`` the simultaneous
    interval over the Bonferroni box of the groups' Wilson intervals, as
    :func:`bootstrap_ci`. Their other summaries (``group_min_ci``,
    ``group_max_ci``, ``ratio_ci(method="to_overall")``), and every
    interval of ``balanced_accuracy_score``, are percentile intervals of
    ``n_boot`` draws of each group's cell shares from their posterior,
    Dirichlet(counts + 1/2), which spread a small group's rates as its few
    rows leave them uncertain. With sample weights the counts are Kish's
    effective numbers of rows. Any other callable is resampled by rows,
    stratified by group: the rows of every combination of sensitive and
    control features are resampled with replacement within that
    combination, which keeps each group's size (see the :ref:`user guide
    <auditing>`); fairlearn resamples all the rows together instead, so its
    intervals (not its values) differ slightly. Metrics that are NaN in a
    resample are skipped by the quantiles. Every interval takes the groups'
    sizes as given, the rows as independent within each group and the
    predictions as fixed.

    **Undefined rates** (a deviation from fairlearn). A rate of skfair's
    rate functions (:func:`true_positive_rate`, :func:`false_positive_rate`,
    ...) with an empty denominator -- the true positive rate of a group
    without positive rows -- is NaN in ``by_group`` (and ``overall``), where
    fairlearn's MetricFrame shows the 0 its functions return. The summaries
    (``group_min``, ``group_max``, ``difference``, ``ratio`` and their
    ``*_ci``) leave such groups out, and a ``difference`` or ``ratio`` is
    NaN when that leaves fewer than two groups, as the metrics'
    ``zero_division=np.nan`` does. scikit-learn's and fairlearn's functions
    keep their own value (0) and fairlearn's summaries.

    **Dask arrays.** With dask inputs, metrics of the count table (on 0/1
    labels) are counted block by block and merged by group label, never
    gathering the rows; any other metric is a ``ValueError``.

    **Non-scalar metrics** (e.g. ``confusion_matrix``) are kept in
    ``by_group`` and ``overall``; the summaries raise with
    ``errors="raise"`` and give NaN with ``errors="coerce"``, and intervals
    need scalar metrics.

    Examples
    --------
    >>> from skfair.metrics import MetricFrame, selection_rate, true_positive_rate
    >>> y_true = [1, 1, 0, 0, 1, 0, 1, 0]
    >>> y_pred = [1, 0, 1, 0, 1, 1, 1, 0]
    >>> sex = ["f", "f", "f", "f", "m", "m", "m", "m"]
    >>> mf = MetricFrame(metrics={"selection_rate": selection_rate,
    ...                           "tpr": true_positive_rate},
    ...                  y_true=y_true, y_pred=y_pred, sensitive_features=sex)
    >>> mf.by_group  # doctest: +NORMALIZE_WHITESPACE
                         selection_rate  tpr
    sensitive_feature_0
    f                              0.50  0.5
    m                              0.75  1.0
    >>> mf.difference()
    selection_rate    0.25
    tpr               0.50
    dtype: float64
    """

    def __init__(
        self,
        *,
        metrics,
        y_true,
        y_pred,
        sensitive_features,
        control_features=None,
        sample_params=None,
        n_boot=None,
        ci_quantiles=None,
        random_state=None,
        n_jobs=None,
        min_group_size=None,
    ):
        pandas = _import_pandas()
        check_min_group_size(min_group_size)
        self._min_group_size = min_group_size
        self._n_boot = n_boot
        self._ci_quantiles = ci_quantiles
        bootstrap = n_boot is not None or (
            ci_quantiles is not None and len(ci_quantiles) > 0
        )
        if bootstrap:
            if n_boot is None or ci_quantiles is None or len(ci_quantiles) == 0:
                raise ValueError(
                    "Must specify both n_boot and ci_quantiles to compute "
                    "bootstrap intervals."
                )
            n_boot, quantiles = check_bootstrap_params(n_boot, ci_quantiles)

        on_dask = any(
            is_dask_collection(a)
            for a in (y_true, y_pred, sensitive_features, control_features)
        )
        chunks = None
        if on_dask:
            from ._dask import _row_chunks

            chunks = _row_chunks((y_true, y_pred, sensitive_features, control_features))
        y_t = self._label_array(y_true, "y_true", chunks)
        y_p = self._label_array(y_pred, "y_pred", chunks)
        if y_t.shape[0] != y_p.shape[0]:
            raise ValueError(
                f"y_true has {y_t.shape[0]} rows but y_pred has {y_p.shape[0]}; "
                "they must match."
            )
        n_rows = y_t.shape[0]
        if n_rows == 0:
            raise ValueError("y_true and y_pred are empty; MetricFrame needs rows.")
        self._functions, self._params = self._check_metrics(
            metrics, sample_params, n_rows
        )

        columns = _dask_feature_columns if on_dask else _feature_columns
        sensitive = columns(sensitive_features, "sensitive_feature_", n_rows, pandas)
        control = (
            []
            if control_features is None
            else columns(control_features, "control_feature_", n_rows, pandas)
        )
        names = [name for name, _ in control + sensitive]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(
                f"Detected duplicate feature name: {duplicated[0]!r}; sensitive "
                "and control features must have distinct names."
            )
        self._sf_names = [name for name, _ in sensitive]
        self._cf_names = [name for name, _ in control] or None
        self._tables_cache = {}
        if on_dask:
            cells, binary = self._dask_cells(y_t, y_p, control, sensitive, chunks)
        else:
            cells = _Cells(control + sensitive, len(control), pandas)
            binary = _is_binary01(y_t) and _is_binary01(y_p)
        self._cells = cells
        self._flag_small_groups(pandas)

        kinds = [
            _count_kind(f, self._params[name], binary)
            for name, f in self._functions.items()
        ]
        if on_dask and None in kinds:
            others = [
                n for n, k in zip(self._functions, kinds, strict=True) if k is None
            ]
            raise ValueError(
                "On dask arrays MetricFrame computes, block by block, the metrics "
                "that are functions of the (group, y_true, y_pred) counts of 0/1 "
                "labels (selection_rate, true_positive_rate, accuracy_score, "
                f"count, ...); {others} are not, or the labels are not 0/1. "
                "Call .compute() on the inputs to evaluate them in memory."
            )
        self._undefined_is_nan = [
            _undefined_is_nan(f, kind)
            for f, kind in zip(self._functions.values(), kinds, strict=True)
        ]
        by_group, overall = self._evaluate(y_t, y_p, kinds)
        self._store(by_group, overall, pandas)
        if bootstrap:
            rng = check_generator(random_state)
            samples = self._bootstrap(y_t, y_p, kinds, n_boot, rng, n_jobs)
            self._store_ci(samples, quantiles, pandas)

    def _flag_small_groups(self, pandas):
        cells = self._cells
        small = np.array([], dtype=np.intp)
        if self._min_group_size is not None:
            sizes = cells.sizes[cells.present]
            small = cells.present[sizes < self._min_group_size]
        self._small_groups = cells.index(pandas)[small]
        if small.size:
            shown = ", ".join(
                f"{label!r}: {int(cells.sizes[cell])}"
                for label, cell in zip(self._small_groups[:10], small, strict=False)
            )
            more = ", ..." if small.size > 10 else ""
            warnings.warn(
                f"{small.size} group(s) have fewer than {self._min_group_size} "
                f"rows (min_group_size); their metrics are mostly noise: "
                f"{shown}{more}.",
                UserWarning,
                stacklevel=3,
            )

    # -- input checks ----------------------------------------------------------

    def _dask_cells(self, y_t, y_p, control, sensitive, chunks):
        """The cells of dask features, from one block-wise counting pass."""
        from ._dispatch import group_counts

        columns = [values for _, values in control + sensitive]
        features = _stack_columns(columns, chunks)
        self._dask_features = features
        counts = group_counts(y_t, y_p, sensitive_features=features, raw=True)
        self._tables_cache[None] = (None, counts)
        labels = {python_label(v) for v in counts.y_labels or ()}
        binary = labels <= {0, 1} and all(
            isinstance(v, (numbers.Integral, float)) for v in labels
        )
        cells = _Cells.from_groups(
            [name for name, _ in control + sensitive],
            len(control),
            list(counts.groups),
            counts.raw.sum(axis=(1, 2)),
        )
        return cells, binary

    @staticmethod
    def _label_array(y, name, chunks=None):
        if y is None:
            raise ValueError(f"{name} is None; pass an array of labels.")
        if chunks is not None:  # some input is a dask collection
            arr = _as_dask_vector(y, name, chunks)
            if arr.ndim != 1:
                raise ValueError(
                    f"{name} must be 1-D on dask arrays; got shape {arr.shape}."
                )
            return arr
        arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim == 0 or arr.ndim > 2:
            raise ValueError(
                f"{name} must be 1-D (or 2-D for multi-output metrics); got "
                f"shape {arr.shape}."
            )
        return arr

    def _check_metrics(self, metrics, sample_params, n_rows):
        if sample_params is not None and not isinstance(sample_params, dict):
            raise ValueError(
                f"sample_params must be a dict; got {type(sample_params).__name__}."
            )
        sample_params = sample_params or {}
        if callable(metrics) and not isinstance(metrics, dict):
            self._user_supplied_callable = True
            name = getattr(metrics, "__name__", None)
            if name is None:
                warnings.warn("Supplied 'func' had no __name__ attribute", stacklevel=3)
                name = "metric"
            functions = {name: metrics}
            params = {name: sample_params}
        elif isinstance(metrics, dict):
            self._user_supplied_callable = False
            for key, func in metrics.items():
                if not callable(func):
                    raise ValueError(
                        f"metrics[{key!r}] is not callable: {func!r}; pass metric "
                        "functions f(y_true, y_pred, **sample_params)."
                    )
            unknown = set(sample_params) - set(metrics)
            if unknown:
                raise ValueError(
                    f"Keys in 'sample_params' do not match those in 'metric': "
                    f"{sorted(map(str, unknown))} are not metric names."
                )
            functions = dict(metrics)
            params = {}
            for key in metrics:
                given = sample_params.get(key, {})
                if not isinstance(given, dict):
                    raise ValueError(
                        f"sample_params[{key!r}] must be a dict of per-row "
                        f"parameters; got {type(given).__name__}."
                    )
                params[key] = given
        else:
            raise ValueError(
                f"metrics must be a callable or a dict of callables; got {metrics!r}."
            )
        checked = {}
        for key, given in params.items():
            checked[key] = {}
            for param, value in given.items():
                if value is None:
                    continue
                if is_dask_collection(value):
                    arr = _dask_vector(value, param)
                    if arr.ndim == 1 and arr.shape[0] == n_rows:
                        checked[key][param] = arr
                        continue
                arr = np.asarray(value)
                if arr.ndim == 0 or arr.shape[0] != n_rows:
                    raise ValueError(
                        f"Sample parameter {param!r} of metric {key!r} must have "
                        f"one entry per row ({n_rows}); got shape {arr.shape}."
                    )
                checked[key][param] = arr
        return functions, checked

    # -- evaluation ------------------------------------------------------------

    def _count_tables(self, y_t, y_p, weight):
        """Raw and weighted (cell, y_true, y_pred) tables over all cells."""
        from ._dispatch import group_counts

        cells = self._cells
        raw = np.zeros((cells.n_cells, 2, 2), dtype=np.int64)
        weighted = np.zeros((cells.n_cells, 2, 2))
        if cells.codes is None:
            # Dask: each block is counted where it lies and the tables merged
            # by group label; a table is counted once per weight array.
            cached = self._tables_cache.get(None if weight is None else id(weight))
            if cached is not None and cached[0] is weight:
                counts = cached[1]
            else:
                counts = group_counts(
                    y_t,
                    y_p,
                    sensitive_features=self._dask_features,
                    sample_weight=weight,
                    raw=True,
                )
                self._tables_cache[id(weight)] = (weight, counts)
            rows = [cells.cell_of[python_label(g)] for g in counts.groups]
        else:
            counts = group_counts(
                y_t.astype(np.uint8, copy=False) if y_t.dtype.kind == "f" else y_t,
                y_p.astype(np.uint8, copy=False) if y_p.dtype.kind == "f" else y_p,
                sensitive_features=cells.codes,
                sample_weight=weight,
                raw=True,
            )
            rows = counts.groups
        raw[rows] = counts.raw
        weighted[rows] = counts.weighted
        return raw, weighted

    def _table_values(self, kind, raw, weighted, undefined=0.0):
        """One metric from ``(..., n_cells, 2, 2)`` tables: by cell, overall.

        A rate with a zero denominator is ``undefined`` (0 as fairlearn's
        functions return; NaN for skfair's).
        """
        cells = self._cells
        control = raw.reshape(raw.shape[:-3] + (cells.shape_control, -1, 2, 2))
        if kind == "count":
            by_group = raw.sum(axis=(-1, -2)).astype(np.float64)
            overall = control.sum(axis=(-1, -2, -3)).astype(np.float64)
        else:
            by_group = _rate(weighted, kind, undefined)
            overall = _rate(
                weighted.reshape(control.shape).sum(axis=-3),
                kind,
                undefined,
            )
        missing = cells.sizes == 0
        by_group[..., missing] = np.nan
        empty_control = _split_cells(cells.sizes[:, None], cells).sum(axis=(-1, -2))
        overall[..., empty_control == 0] = np.nan
        return by_group, overall

    def _undefined_value(self, name):
        """The value of metric ``name`` where its rate is undefined."""
        position = list(self._functions).index(name)
        return np.nan if self._undefined_is_nan[position] else 0.0

    def _call_values(self, func, params, y_t, y_p, rows_of_cell, rows_of_control):
        """One metric by calling it on the rows of each cell and control level."""
        by_group = np.full(self._cells.n_cells, np.nan, dtype=object)
        for cell, rows in rows_of_cell.items():
            kwargs = {k: v[rows] for k, v in params.items()}
            by_group[cell] = func(y_t[rows], y_p[rows], **kwargs)
        overall = np.full(self._cells.shape_control, np.nan, dtype=object)
        for level, rows in rows_of_control.items():
            kwargs = {k: v[rows] if rows is not None else v for k, v in params.items()}
            if rows is None:
                overall[level] = func(y_t, y_p, **kwargs)
            else:
                overall[level] = func(y_t[rows], y_p[rows], **kwargs)
        return by_group, overall

    def _rows(self):
        """Row indices of each present cell and of each present control level."""
        cells = self._cells
        order = np.argsort(cells.codes, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(cells.sizes)])
        rows_of_cell = {
            c: order[bounds[c] : bounds[c + 1]] for c in cells.present.tolist()
        }
        if cells.n_control == 0:
            return rows_of_cell, {0: None}
        per_control = cells.n_cells // cells.shape_control
        control_codes = cells.codes // per_control
        rows_of_control = {
            level: np.flatnonzero(control_codes == level)
            for level in np.unique(control_codes).tolist()
        }
        return rows_of_cell, rows_of_control

    def _evaluate(self, y_t, y_p, kinds):
        """Values of every metric: ``(n_cells, m)`` and ``(n_control, m)``."""
        by_group, overall = [], []
        rows = None
        for (name, func), kind in zip(self._functions.items(), kinds, strict=True):
            params = self._params[name]
            if kind is not None:
                raw, weighted = self._count_tables(
                    y_t, y_p, params.get("sample_weight")
                )
                values = self._table_values(
                    kind, raw, weighted, self._undefined_value(name)
                )
            else:
                rows = rows or self._rows()
                values = self._call_values(func, params, y_t, y_p, *rows)
            by_group.append(values[0])
            overall.append(values[1])
        return by_group, overall

    # -- bootstrap ---------------------------------------------------------------

    def _bootstrap(self, y_t, y_p, kinds, n_boot, rng, n_jobs):
        """Resampled values: ``(n_boot, n_cells, m)``, ``(n_boot, n_control, m)``."""
        if not all(self._scalar):
            names = list(self._functions)
            others = [names[j] for j, ok in enumerate(self._scalar) if not ok]
            raise ValueError(
                "Error calling numpy.quantiles: bootstrap intervals need "
                f"metrics that return scalars; {others} return other values."
            )
        cells = self._cells
        by_group = np.empty((n_boot, cells.n_cells, len(kinds)))
        overall = np.empty((n_boot, cells.shape_control, len(kinds)))
        self._score_tables = {}
        called = []
        for j, (name, kind) in enumerate(zip(self._functions, kinds, strict=True)):
            params = self._params[name]
            if kind is None:
                called.append(j)
                continue
            weight = params.get("sample_weight")
            raw, weighted = self._count_tables(y_t, y_p, weight)
            present = cells.present
            weighted = squared = None
            if weight is not None:
                largest = float(weight.max())  # computes a dask array's maximum
                scaled = weight / largest if largest > 0 else weight
                _, weighted = self._count_tables(y_t, y_p, scaled)
                _, squared = self._count_tables(y_t, y_p, scaled * scaled)
                weighted, squared = weighted[present], squared[present]
            if kind in _SCORE_KINDS:
                # By-group and overall intervals and the between-group
                # difference of a rate come from the counts (score intervals).
                if weight is None:
                    table, table_squared = raw.astype(np.float64), None
                else:
                    table = np.zeros((cells.n_cells, 2, 2))
                    table_squared = np.zeros((cells.n_cells, 2, 2))
                    table[present], table_squared[present] = weighted, squared
                self._score_tables[j] = (kind, table, table_squared)
            # Posterior draws of each cell's table (not row resamples), so that
            # a small cell's uncertainty reaches the other summaries' intervals.
            resampled = np.zeros((n_boot, cells.n_cells, 2, 2))
            resampled[:, present] = posterior_tables(
                raw[present], weighted, squared, n_boot=n_boot, rng=rng
            )
            # Stratified resamples keep every cell's row count.
            raw_boot = np.broadcast_to(raw, resampled.shape)
            values = self._table_values(
                kind, raw_boot, resampled, self._undefined_value(name)
            )
            by_group[..., j], overall[..., j] = values
        if called:
            functions = list(self._functions.items())
            samples = self._row_bootstrap(
                [functions[j] for j in called], y_t, y_p, n_boot, rng, n_jobs
            )
            by_group[..., called], overall[..., called] = samples
        return by_group, overall

    def _row_bootstrap(self, functions, y_t, y_p, n_boot, rng, n_jobs):
        """Call the metrics on stratified row resamples of every cell."""
        rows_of_cell, rows_of_control = self._rows()
        cells = self._cells
        per_control = cells.n_cells // cells.shape_control
        draws = [
            {
                cell: rows[rng.integers(0, rows.shape[0], rows.shape[0])]
                for cell, rows in rows_of_cell.items()
            }
            for _ in range(n_boot)
        ]

        def evaluate(chunk):
            by_group = np.full((len(chunk), cells.n_cells, len(functions)), np.nan)
            overall = np.full((len(chunk), cells.shape_control, len(functions)), np.nan)
            for b, resample in enumerate(chunk):
                control_rows = {}
                for cell, rows in resample.items():
                    control_rows.setdefault(cell // per_control, []).append(rows)
                for j, (name, func) in enumerate(functions):
                    params = self._params[name]
                    for cell, rows in resample.items():
                        kwargs = {k: v[rows] for k, v in params.items()}
                        by_group[b, cell, j] = func(y_t[rows], y_p[rows], **kwargs)
                    for level, parts in control_rows.items():
                        rows = np.concatenate(parts)
                        kwargs = {k: v[rows] for k, v in params.items()}
                        overall[b, level, j] = func(y_t[rows], y_p[rows], **kwargs)
            return by_group, overall

        del rows_of_control
        if n_jobs in (None, 1):
            return evaluate(draws)
        from joblib import Parallel, delayed

        chunks = np.array_split(np.arange(n_boot), min(n_boot, 4 * abs(int(n_jobs))))
        parts = Parallel(n_jobs=n_jobs)(
            delayed(evaluate)([draws[i] for i in chunk]) for chunk in chunks
        )
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
        )

    # -- results -----------------------------------------------------------------

    def _store(self, by_group, overall, pandas):
        """Keep the values as float arrays and build the pandas results."""
        names = list(self._functions)
        cells = self._cells
        if not names:
            # metrics={}: empty results, as fairlearn gives (no metric column).
            self._scalar = []
            self._by_group_values = np.empty((cells.n_cells, 0))
            self._overall_values = np.empty((cells.shape_control, 0))
        else:
            floats, scalar = zip(*(_as_float_column(v) for v in by_group), strict=True)
            overall_floats, overall_scalar = zip(
                *(_as_float_column(v) for v in overall), strict=True
            )
            self._scalar = [
                a and b for a, b in zip(scalar, overall_scalar, strict=True)
            ]
            self._by_group_values = np.stack(floats, axis=-1)
            self._overall_values = np.stack(overall_floats, axis=-1)

        frame = pandas.DataFrame(
            {
                name: self._column(values, ok)
                for name, values, ok in zip(names, by_group, self._scalar, strict=True)
            },
            index=cells.index(pandas),
            columns=names,
        )
        self._by_group = frame
        if self._cf_names is None:
            overall_series = pandas.Series(
                {
                    name: values[0] if not ok else float(values[0])
                    for name, values, ok in zip(
                        names, overall, self._scalar, strict=True
                    )
                },
                dtype=None if names else np.float64,
            )
            self._overall = overall_series
        else:
            self._overall = pandas.DataFrame(
                {
                    name: self._column(values, ok)
                    for name, values, ok in zip(
                        names, overall, self._scalar, strict=True
                    )
                },
                index=cells.index(pandas, control_only=True),
                columns=names,
            )

    @staticmethod
    def _column(values, scalar):
        if scalar:
            return _as_float_column(values)[0]
        return values

    def _wrap(self, values, pandas, *, by_group=False):
        """A ``(n_control, m)`` (or ``(n_cells, m)``) array as fairlearn returns it."""
        names = list(self._functions)
        cells = self._cells
        if by_group:
            result = pandas.DataFrame(values, index=cells.index(pandas), columns=names)
            return result.iloc[:, 0] if self._user_supplied_callable else result
        if self._cf_names is None:
            result = pandas.Series(values[0], index=names, dtype=values.dtype)
            return result.iloc[0] if self._user_supplied_callable else result
        result = pandas.DataFrame(
            values, index=cells.index(pandas, control_only=True), columns=names
        )
        return result.iloc[:, 0] if self._user_supplied_callable else result

    def _store_ci(self, samples, quantiles, pandas):
        by_group, overall = samples
        self._boot = (by_group, overall)
        self._quantiles = quantiles
        by_group_q = nan_quantiles(by_group, quantiles)
        overall_q = nan_quantiles(overall, quantiles)
        cells = self._cells
        for j, (kind, table, squared) in self._score_tables.items():
            control = (cells.shape_control, -1, 2, 2)
            overall_table = table.reshape(control).sum(axis=1)
            overall_squared = (
                None if squared is None else squared.reshape(control).sum(axis=1)
            )
            by_group_q[..., j] = _rate_quantiles(table, squared, kind, quantiles)
            overall_q[..., j] = _rate_quantiles(
                overall_table, overall_squared, kind, quantiles
            )
            # Cells (control levels) without rows have no value, as by_group.
            by_group_q[:, cells.sizes == 0, j] = np.nan
            overall_q[:, overall_table.sum(axis=(-1, -2)) == 0, j] = np.nan
        self._ci_cache = {
            "overall": [self._wrap(q, pandas) for q in overall_q],
            "by_group": [self._wrap(q, pandas, by_group=True) for q in by_group_q],
        }

    def _score_summary_ci(self, values, how, method):
        """Bounds of the rates' differences and ratios from their counts.

        The between-group difference gets the pairwise Newcombe interval,
        the between-group ratio and the difference to the overall rate the
        simultaneous interval (as :func:`bootstrap_ci`); the ratio to the
        overall rate keeps the posterior draws in ``values``.
        """
        if how == "ratio" and method != "between_groups":
            return values
        if how == "difference" and method == "between_groups":
            # The summaries leave undefined rates out: so does the interval.
            bounds, options = gap_quantiles, {"skip_undefined": True}
        else:
            bounds = box_quantiles
            options = {"statistic": "ratio" if how == "ratio" else "to_overall"}
        cells = self._cells
        for j, (kind, table, squared) in self._score_tables.items():
            control = (cells.shape_control, -1, 2, 2)
            tables = table.reshape(control)
            squares = None if squared is None else squared.reshape(control)
            for level in range(cells.shape_control):
                values[:, level, j] = bounds(
                    tables[level],
                    (kind,),
                    self._quantiles,
                    squared=None if squares is None else squares[level],
                    **options,
                )
        return values

    def _summary(self, how, method="between_groups", errors="raise"):
        if errors not in _ERRORS:
            raise ValueError(
                f"Invalid error value specified. Valid values are {list(_ERRORS)}"
            )
        if method not in _METHODS:
            raise ValueError(
                f"Unrecognised method '{method}'; must be one of {list(_METHODS)}."
            )
        if errors == "raise" and not all(self._scalar):
            raise ValueError(_NON_SCALAR)
        values = _reduce(
            self._by_group_values,
            self._overall_values,
            self._cells,
            how,
            method,
            self._undefined_is_nan,
        )
        return self._wrap(values, _import_pandas())

    def _summary_ci(self, how, method="between_groups"):
        if method not in _METHODS:
            raise ValueError(
                f"Unrecognised method '{method}'; must be one of {list(_METHODS)}."
            )
        self._check_bootstrap()
        key = (how, method)
        if key not in self._ci_cache:
            by_group, overall = self._boot
            values = _reduce(
                by_group, overall, self._cells, how, method, self._undefined_is_nan
            )
            values = nan_quantiles(values, self._quantiles)
            if how in ("difference", "ratio"):
                values = self._score_summary_ci(values, how, method)
            pandas = _import_pandas()
            self._ci_cache[key] = [self._wrap(q, pandas) for q in values]
        return self._ci_cache[key]

    def _check_bootstrap(self):
        if self._n_boot is None:
            raise ValueError(_NOT_BOOTSTRAPPED)

    # -- public API --------------------------------------------------------------

    @property
    def overall(self):
        """The metrics on all rows (within each control level, if any).

        A scalar for a callable without control features, a Series indexed
        by the metric names for a dict (by the control levels for a callable
        with control features), a DataFrame for a dict with control features.
        """
        if self._user_supplied_callable:
            if self._cf_names is None:
                return self._overall.iloc[0]
            return self._overall.iloc[:, 0]
        return self._overall

    @property
    def by_group(self):
        """The metrics of every group: a Series (callable) or DataFrame (dict).

        Indexed by the groups (a MultiIndex over the control and sensitive
        features when there are several); combinations absent from the data
        are NaN.
        """
        if self._user_supplied_callable:
            return self._by_group.iloc[:, 0]
        return self._by_group

    @property
    def overall_ci(self):
        """Quantiles of :attr:`overall`: a list, one per ``ci_quantiles``."""
        self._check_bootstrap()
        return self._ci_cache["overall"]

    @property
    def by_group_ci(self):
        """Quantiles of :attr:`by_group`: a list, one per ``ci_quantiles``."""
        self._check_bootstrap()
        return self._ci_cache["by_group"]

    @property
    def small_groups(self):
        """The groups with fewer rows than ``min_group_size``.

        A pandas Index (a MultiIndex for several features) of the groups
        present in the data with fewer rows than ``min_group_size``; empty
        when ``min_group_size`` is None.
        """
        return self._small_groups

    @property
    def min_group_size(self):
        """The minimum group size, as given."""
        return self._min_group_size

    @property
    def control_levels(self):
        """Names of the control features, or None."""
        return self._cf_names

    @property
    def sensitive_levels(self):
        """Names of the sensitive features."""
        return self._sf_names

    @property
    def n_boot(self):
        """The number of bootstrap resamples, as given."""
        return self._n_boot

    @property
    def ci_quantiles(self):
        """The interval quantiles, as given."""
        return self._ci_quantiles

    def group_min(self, errors="raise"):
        """Smallest value of each metric over the groups.

        Groups where a metric is NaN (absent, or a skfair rate that is
        undefined for them) are left out.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default="raise"
            With non-scalar metrics: raise a ValueError, or give NaN.

        Returns
        -------
        scalar, Series or DataFrame
            Typed as :attr:`overall`.
        """
        return self._summary("group_min", errors=errors)

    def group_max(self, errors="raise"):
        """Largest value of each metric over the groups (see :meth:`group_min`)."""
        return self._summary("group_max", errors=errors)

    def difference(self, method="between_groups", errors="coerce"):
        """Largest absolute difference of each metric between groups.

        Groups where a metric is NaN are left out; for skfair's rates, NaN
        (undefined) when an undefined rate leaves fewer than two groups.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``"between_groups"``: ``group_max() - group_min()``;
            ``"to_overall"``: the largest absolute difference between a
            group's value and the overall value.
        errors : {"raise", "coerce"}, default="coerce"
            With non-scalar metrics: raise a ValueError, or give NaN.

        Returns
        -------
        scalar, Series or DataFrame
            Typed as :attr:`overall`.
        """
        return self._summary("difference", method, errors)

    def ratio(self, method="between_groups", errors="coerce"):
        """Smallest ratio of each metric between groups (at most 1).

        Groups where a metric is NaN are left out; for skfair's rates, NaN
        (undefined) when an undefined rate leaves fewer than two groups.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``"between_groups"``: ``group_min() / group_max()``;
            ``"to_overall"``: the smallest ratio of a group's value to the
            overall value, each ratio inverted when above 1.
        errors : {"raise", "coerce"}, default="coerce"
            With non-scalar metrics: raise a ValueError, or give NaN.

        Returns
        -------
        scalar, Series or DataFrame
            Typed as :attr:`overall`.
        """
        return self._summary("ratio", method, errors)

    def group_min_ci(self):
        """Quantiles of :meth:`group_min`: a list, one per ``ci_quantiles``."""
        return self._summary_ci("group_min")

    def group_max_ci(self):
        """Quantiles of :meth:`group_max`: a list, one per ``ci_quantiles``."""
        return self._summary_ci("group_max")

    def difference_ci(self, method="between_groups"):
        """Quantiles of :meth:`difference`: a list, one per ``ci_quantiles``."""
        return self._summary_ci("difference", method)

    def ratio_ci(self, method="between_groups"):
        """Quantiles of :meth:`ratio`: a list, one per ``ci_quantiles``."""
        return self._summary_ci("ratio", method)


# ----------------------------------------------------------------------------
# Derived metrics


_TRANSFORMS = ("difference", "group_min", "group_max", "ratio")


class _DerivedMetric:
    """A metric summarised over groups: see :func:`make_derived_metric`."""

    def __init__(self, metric, transform, sample_param_names):
        self._metric = metric
        self._transform = transform
        self._sample_param_names = tuple(sample_param_names)
        self.__name__ = f"{getattr(metric, '__name__', 'metric')}_{transform}"

    def __call__(self, y_true, y_pred, *, sensitive_features, **params):
        method = params.pop("method", None)
        sample_params = {
            k: params.pop(k) for k in list(params) if k in self._sample_param_names
        }
        metric = self._metric
        if params:
            metric = functools.partial(metric, **params)
            metric.__name__ = getattr(self._metric, "__name__", "metric")
        frame = MetricFrame(
            metrics=metric,
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=sensitive_features,
            sample_params=sample_params,
        )
        summary = getattr(frame, self._transform)
        if method is None:
            return summary()
        if self._transform in ("group_min", "group_max"):
            raise ValueError(
                f"method= applies to the 'difference' and 'ratio' transforms, "
                f"not to {self._transform!r}."
            )
        return summary(method=method)


def make_derived_metric(*, metric, transform, sample_param_names=("sample_weight",)):
    """Turn a per-group metric into a scalar disparity metric.

    The result ``f(y_true, y_pred, *, sensitive_features, method=..., **params)``
    builds a :class:`MetricFrame` of ``metric`` and returns its
    ``transform`` summary, as ``fairlearn.metrics.make_derived_metric`` does;
    it can be given to :func:`make_fairness_scorer` or called directly. Like
    the frame's summaries, it leaves out the groups where one of skfair's
    rates is undefined (see :class:`MetricFrame`).

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred, **params)``, e.g. ``accuracy_score``. It may
        not take a ``method`` parameter (that name selects the summary's
        method).
    transform : {"difference", "ratio", "group_min", "group_max"}
        The :class:`MetricFrame` summary to return.
    sample_param_names : sequence of str, default=("sample_weight",)
        Parameters of ``metric`` holding one value per row; they are split by
        group. Other keyword arguments are passed unchanged.

    Returns
    -------
    derived : callable
        ``derived(y_true, y_pred, *, sensitive_features, method=None,
        **params)`` returning a float.

    Examples
    --------
    >>> from skfair.metrics import make_derived_metric, true_negative_rate
    >>> tnr_difference = make_derived_metric(metric=true_negative_rate,
    ...                                      transform="difference")
    >>> float(tnr_difference([0, 0, 0, 0], [0, 1, 0, 0],
    ...                      sensitive_features=["a", "a", "b", "b"]))
    0.5
    """
    if not callable(metric):
        raise ValueError(f"metric must be callable; got {metric!r}.")
    if not isinstance(transform, str) or transform not in _TRANSFORMS:
        raise ValueError(
            f"transform must be one of {list(_TRANSFORMS)}; got {transform!r}."
        )
    try:
        signature = inspect.signature(metric)
    except (TypeError, ValueError):  # builtins without a signature
        signature = None
    if signature is not None and "method" in signature.parameters:
        raise ValueError(
            "metric takes a 'method' parameter, which make_derived_metric "
            "reserves for the summary's method; bind it with functools.partial."
        )
    if isinstance(sample_param_names, str):
        raise ValueError(
            "sample_param_names must be a sequence of parameter names; got the "
            f"string {sample_param_names!r}."
        )
    return _DerivedMetric(metric, transform, sample_param_names or ())
