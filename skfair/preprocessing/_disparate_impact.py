"""Disparate impact remover (Feldman et al., 2015) with an exact, tie-aware repair."""

import bisect
import sys
from collections.abc import Hashable
from numbers import Real

import narwhals.stable.v2 as nw
import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import (
    check_sample_weight_1d,
    encode_fit_groups,
    encode_known_groups,
    resolve_sensitive_features,
    split_sensitive_columns,
)
from ..utils._dask import any_dask
from ..utils._dataframe import get_column, is_dataframe
from ..utils._row_hash import _column_cells, _column_salts, _mix
from ..utils._sensitive import check_X_given, format_label
from ..utils._sklearn_compat import Interval, _fit_context
from ..utils._small_cells import warn_small_cells
from ..utils._validation import keep_state_on_error
from ._repair_columns import (
    _DIR,
    _numeric_column,
    _rows_by_group,
    _select_columns,
    assemble_output,
)

__all__ = ["DisparateImpactRemover"]


def _as_2d_input(X, method, owner=_DIR):
    """``X`` as a DataFrame or a 2-D ndarray (object dtype if mixed), never copied.

    ``owner`` names the transformer in error messages.
    """
    check_X_given(X, method)
    if sparse.issparse(X):
        raise TypeError(
            f"{owner} does not accept sparse input: the repair "
            "changes zeros too. Convert X to a dense array first."
        )
    if is_dataframe(X):
        return X
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            X = np.asarray(X, dtype=object)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D X (n_samples, n_features); got {X.ndim} dimension(s). "
            "Reshape your data with X.reshape(-1, 1) for a single feature."
        )
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported.")
    return X


def _empirical_cdf(x, weight):
    """Distinct values of ``x`` and the (weighted) empirical CDF at each."""
    if weight is None:
        xs = np.sort(x)
        ws = None
    else:
        positive = weight > 0  # zero-weight rows are not part of the distribution
        order = np.argsort(x[positive], kind="stable")
        xs = x[positive][order]
        ws = weight[positive][order]
    last_of_run = np.empty(xs.size, dtype=bool)
    np.not_equal(xs[1:], xs[:-1], out=last_of_run[:-1])
    last_of_run[-1] = True
    if ws is None:
        cdf = (np.flatnonzero(last_of_run) + 1) / xs.size
    else:
        cumulative = np.cumsum(ws)
        cdf = cumulative[last_of_run] / cumulative[-1]
    cdf[-1] = 1.0  # exact, so that every level in (0, 1] finds a value
    return xs[last_of_run], cdf


# Cells of the (groups x levels) quantile table evaluated at once (32 MiB of
# float64); larger when the column itself is larger.
_MEDIAN_BLOCK_CELLS = 1 << 22
# Above this many groups, the median quantile function is found by a sweep.
_SWEEP_MIN_GROUPS = 32


def _median_quantile_function(values, cdfs):
    """The median, across groups, of the groups' quantile functions.

    All quantile functions are step functions whose steps end at their CDF
    levels, so on each interval between consecutive levels of the union they
    are all constant: evaluating at the union's levels is exact. Only the
    levels where the (non-decreasing) median changes are kept.

    With few groups, a (groups x levels) table of quantiles, filled and
    reduced a block of levels at a time (``_median_by_blocks``); with many,
    a sweep over the levels that updates the one group whose quantile
    changes (``_median_by_sweep``), so the time is about rows x log(groups)
    rather than rows x groups (4e5 weighted rows in 1,000 groups: 13 s).
    """
    levels = np.unique(np.concatenate(cdfs))
    if len(cdfs) > _SWEEP_MIN_GROUPS:
        median = _median_by_sweep(values, cdfs, levels)
    else:
        median = _median_by_blocks(values, cdfs, levels)
    last_of_run = np.empty(median.size, dtype=bool)
    np.not_equal(median[1:], median[:-1], out=last_of_run[:-1])
    last_of_run[-1] = True
    return levels[last_of_run], median[last_of_run]


def _median_by_blocks(values, cdfs, levels):
    """The median at every level from the (groups x levels) table of quantiles.

    The table, about groups x rows cells, is never held whole (4e5 rows in
    1,000 groups made it 6.5 GB): it is filled and reduced a block of levels
    at a time, so the extra memory is about that of the column.
    """
    n_groups, n_levels = len(cdfs), levels.size
    block = max(1, max(_MEDIAN_BLOCK_CELLS, n_levels) // n_groups)
    table = np.empty((n_groups, min(block, n_levels)))
    median = np.empty(n_levels)
    for start in range(0, n_levels, block):
        stop = min(start + block, n_levels)
        part = table[:, : stop - start]
        for g, (v, c) in enumerate(zip(values, cdfs, strict=True)):
            # inf{x : F_g(x) >= u}; every CDF ends at 1.0, the largest level,
            # so the index stays in range.
            part[g] = v[np.searchsorted(c, levels[start:stop], side="left")]
        median[start:stop] = np.median(part, axis=0)
    return median


def _median_by_sweep(values, cdfs, levels):
    """The median at every level, sweeping the levels in order.

    At level ``u`` group ``g``'s quantile is ``v_g[#(c_g < u)]``, so passing
    one of its CDF levels moves it to its next value, and nothing else
    changes. The groups' current quantiles are kept sorted; each such event
    removes one value and inserts another (binary searches), and the median
    is read off the middle: about one event per row.
    """
    n_groups = len(cdfs)
    # Events: after level c_g[j] (all but the last, 1.0), g goes from
    # v_g[j] to v_g[j + 1].
    event_level = np.concatenate([c[:-1] for c in cdfs])
    event_old = np.concatenate([v[:-1] for v in values])
    event_new = np.concatenate([v[1:] for v in values])
    order = np.argsort(event_level, kind="stable")
    # The position of each event among the levels: its updates apply to the
    # medians of all later levels.
    event_at = np.searchsorted(levels, event_level[order]).tolist()
    event_old, event_new = event_old[order].tolist(), event_new[order].tolist()
    current = sorted(float(v[0]) for v in values)
    low, high = (n_groups - 1) // 2, n_groups // 2
    median = np.empty(levels.size)
    n_events, e = len(event_at), 0
    for i in range(levels.size):
        median[i] = (current[low] + current[high]) / 2.0
        while e < n_events and event_at[e] == i:
            del current[bisect.bisect_left(current, event_old[e])]
            bisect.insort(current, event_new[e])
            e += 1
    return median


class _SortedLookup:
    """``np.searchsorted`` into a fixed sorted table, through a bucket index.

    A binary search of unordered keys mispredicts a branch at nearly every
    step. Instead, the table's range is cut into about four buckets per entry
    and ``first[b]`` counts the entries in buckets before ``b``; a key's count
    then starts at its bucket's ``first`` and needs at most ``max_per_bucket``
    vectorised correction steps. Bucketing is monotone (``v < x`` whenever
    ``bucket(v) < bucket(x)``), so the result is exactly ``np.searchsorted``.
    Tables too clustered for that fall back to ``np.searchsorted``.
    """

    _BUCKETS_PER_ENTRY = 4
    _MAX_STEPS = 8

    def __init__(self, table):
        self.table = table
        self.first = None
        if table.size < 2 or not table[-1] > table[0]:
            return
        self.low = table[0]
        n_buckets = self._BUCKETS_PER_ENTRY * table.size
        self.scale = n_buckets / (table[-1] - table[0])
        if not np.isfinite(self.scale):
            return
        buckets = np.floor((table - self.low) * self.scale)
        first = np.searchsorted(buckets, np.arange(n_buckets + 2), side="left")
        steps = int(np.diff(first).max())
        if steps <= self._MAX_STEPS:
            self.first, self.steps = first, steps

    def search(self, keys, side):
        """``np.searchsorted(self.table, keys, side=side)``."""
        if self.first is None:
            return np.searchsorted(self.table, keys, side=side)
        bucket = np.clip((keys - self.low) * self.scale, 0, self.first.size - 2)
        bucket = bucket.astype(np.intp)  # truncation is floor on [0, inf)
        count, end = self.first[bucket], self.first[bucket + 1]
        before = np.less if side == "left" else np.less_equal
        last = self.table.size - 1
        for _ in range(self.steps):
            count += (count < end) & before(self.table[np.minimum(count, last)], keys)
        return count


def _cdf_interval(x, values, cdf, lookup):
    """[F(x-), F(x)] for one group's rows, from its distinct values and CDF.

    For a value the group never took in fit, F(x-) = F(x).
    """
    at = lookup.search(x, side="right") - 1
    upper = np.where(at >= 0, cdf[at], 0.0)
    seen = (at >= 0) & (values[at] == x)
    # at - 1 is -2 for x below the group's smallest value: clamp the index
    # (np.where evaluates both branches; -2 is out of range for one value).
    below = np.where(at >= 1, cdf[np.maximum(at - 1, 0)], 0.0)
    lower = np.where(seen, below, upper)
    return lower, upper


def _cells(column, salt):
    """``_column_cells(column, salt)``, with every missing value hashed as NaN.

    A missing label is None in a polars or an object column and NaN in a
    pandas categorical one: hashed as NaN alike, the same rows get the same
    draws in every kind of frame. A pandas categorical column is hashed by
    its categories, once each, and the hashes are taken by code: the same
    numbers as hashing every value, in a fraction of the time.
    """
    pandas = sys.modules.get("pandas")
    if (
        pandas is not None
        and isinstance(column, pandas.Series)
        and isinstance(column.dtype, pandas.CategoricalDtype)
    ):
        categories = column.cat.categories.to_numpy(dtype=object)
        # Code -1 (missing) takes the last entry, NaN.
        hashes = _column_cells(np.append(categories, np.nan), salt)
        return hashes[column.cat.codes.to_numpy()]
    if isinstance(column, np.ndarray):
        if column.dtype == object:
            missing = np.equal(column, None)
            if missing.any():
                column = np.where(missing, np.nan, column)
        return _column_cells(column, salt)
    series = nw.from_native(column, series_only=True)
    if not series.dtype.is_numeric():
        missing = series.is_null().to_numpy()
        if missing.any():
            values = np.asarray(series.to_numpy(), dtype=object)
            column = np.where(missing, np.nan, values)
    return _column_cells(column, salt)


def _row_draws(X, columns, sensitive_positions, seed):
    """Uniforms in [0, 1), one per row and repaired column.

    Each row's draws are a hash of its content and ``seed``, never of its
    position in ``X`` or of the other rows: the content is every column of
    ``X`` but the sensitive ones (``columns`` maps the repaired positions to
    their float64 values, hashed as such; the others are hashed as given,
    see :mod:`skfair.utils._row_hash`). Each repaired column mixes in a
    key of its own, so a row's draws for different columns are unrelated.
    """
    skipped = {int(p) for p in sensitive_positions}
    kept = [j for j in range(X.shape[1]) if j not in skipped]
    total = np.zeros(X.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j, salt in zip(kept, _column_salts(len(kept)), strict=True):
            if j in columns:
                column = columns[j]
            elif is_dataframe(X):
                column = get_column(X, j)  # a native Series (pandas, polars, ...)
            else:
                column = X[:, j]
            total += _cells(column, salt)
    # One key per repaired column, from the seed; each column's hashes are
    # the content's hash mixed with its key (splitmix64's finalizer).
    seed_key = _mix(np.array([seed], dtype=np.uint64))
    keys = _mix(seed_key ^ _column_salts(len(columns)))
    draws = np.empty((X.shape[0], len(columns)))
    for i, key in enumerate(keys):
        h = _mix(total ^ key)
        # The top 53 bits give a float in [0, 1) on the grid of 2**-53.
        draws[:, i] = (h >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return draws


def groups_and_positions(transformer, X, sensitive_features, method):
    """The raw groups of the rows of ``X`` and the sensitive columns' positions.

    For transformers, whose output keeps the sensitive columns in place: the
    positions are empty when the groups come from the keyword (or a callable).
    """
    if transformer.sensitive_cols is not None and sensitive_features is None:
        _, groups, positions = split_sensitive_columns(X, transformer.sensitive_cols)
        return groups, positions
    # The one rule: raises if both ways or neither are used.
    _, groups = resolve_sensitive_features(
        X,
        sensitive_cols=transformer.sensitive_cols,
        sensitive_features=sensitive_features,
        method=method,
    )
    return groups, []


class DisparateImpactRemover(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Repair numeric features so that their distribution is the same in every group.

    Feldman et al. (2015): for each repaired feature, ``fit`` learns each
    group's empirical distribution and the *median distribution*, whose
    quantile function is the median across groups of the groups' quantile
    functions. ``transform`` moves each value ``x`` of a row in group ``g``
    towards the median distribution's value of the same rank::

        x -> (1 - repair_level) * x + repair_level * F_median^-1(F_g(x))

    Any rows can be transformed, unseen ones included, by their group. With
    ``repair_level=1`` every group's repaired feature follows the median
    distribution, so the feature no longer predicts the group; with
    ``repair_level=0`` the data are unchanged.

    Parameters
    ----------
    repair_level : float in [0, 1], default=1.0
        How far to move each value towards the median distribution.
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` that hold the groups. They
        pass through unchanged, at the same position, in the output. If None,
        pass ``sensitive_features=`` to ``fit`` and ``transform``. Or a callable
        X -> groups (called on every ``X``; no column is removed).
    columns : str, int, list of those, or None, default=None
        The columns to repair, by name or position. None repairs every
        numeric column that is not sensitive. Columns not repaired pass
        through unchanged. Naming a non-numeric or a sensitive column raises a
        ``ValueError``.
    random_state : int, RandomState instance or None, default=None
        Seeds the spreading of tied values (see Notes). ``fit`` draws one
        seed from it; every ``transform`` of the fitted remover uses that
        seed, and each row's draws are a hash of the row and that seed, so a
        row is repaired the same in any batch and every time.
    sketch_rank_error : float in (0, 1) or None, default=None
        On Dask input only (in memory the fit is always exact): None keeps
        every distinct value of each group and repaired column, as in memory;
        a float ``eps`` bounds the summary kept per group and column to about
        ``(1 + ceil(log2(n_blocks))) / eps`` values, at the cost of a rank
        error of at most ``eps``: each repaired target is the exact median
        distribution's quantile at a level within ``eps`` of the exact
        level (see Notes).

    Attributes
    ----------
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in ``fit`` (tuples for intersectional groups).
    repaired_columns_ : ndarray of shape (n_repaired,), dtype intp
        Positions in ``X`` of the repaired columns.
    group_values_ : list of list of ndarray
        ``group_values_[i][g]``: the sorted distinct values of repaired column
        ``i`` in group ``g`` (rows of zero ``sample_weight`` left out).
    group_cdf_ : list of list of ndarray
        ``group_cdf_[i][g]``: the group's (weighted) empirical CDF at those
        values.
    median_levels_ : list of ndarray
        ``median_levels_[i]``: the levels in (0, 1] at which the median
        quantile function of column ``i`` steps up, ending with 1.
    median_values_ : list of ndarray
        ``median_values_[i]``: the median distribution's value on each step:
        ``F_median^-1(u) = median_values_[i][k]`` for ``u`` in
        ``(median_levels_[i][k-1], median_levels_[i][k]]``.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``, sensitive columns included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in ``fit``, if they are all strings.

    See Also
    --------
    Reweighing : Reweighs the samples instead of repairing the features.

    Notes
    -----
    **Ties.** Real features are tie-heavy: a value ``x`` taken by many rows of
    group ``g`` is not one rank but a range of ranks, the interval
    ``[F_g(x-), F_g(x)]`` of CDF levels it occupies. Mapping all those rows to
    one point of the median distribution (as a rank-preserving repair does)
    leaves the groups' repaired distributions different. Here each row of
    value ``x`` gets its own level ``u``, drawn uniformly from
    ``[F_g(x-), F_g(x)]``, and is mapped to ``F_median^-1(u)``. This is the
    randomized probability integral transform: for a row drawn from group
    ``g``'s distribution, ``u`` is exactly uniform on [0, 1] whatever the
    ties, so with ``repair_level=1`` every group's repaired feature follows
    the median distribution, on discrete features too. Rows of one tied
    value may thus be repaired to different values; order across distinct
    values is preserved (``x < x'`` in a group gives repaired values
    ``<=``). A value the group never took in ``fit`` has no mass,
    ``F_g(x-) = F_g(x)``, and needs no draw; values outside the group's range
    map to the ends of the median distribution.

    **Draws per row.** Each row's draw for a repaired column is a hash of
    the row's content, the column and the seed ``fit`` drew from
    ``random_state`` (as :class:`~skfair.postprocessing.ThresholdOptimizer`
    draws its randomized decisions), never of the row's position or of the
    other rows: a row is repaired the same alone, inside any batch, in any
    order, and ``fit_transform(X)`` equals ``fit(X).transform(X)``. The
    content is every column of ``X`` except the sensitive ones (the repaired
    values and the pass-through columns alike; with a callable
    ``sensitive_cols``, every column), so the groups' labels, and whether
    they come from ``sensitive_cols`` or ``sensitive_features=``, do not
    change the draws; the group still decides the interval drawn from.

    Rows that are identical in all those columns share their draws, so they
    are repaired to the same values (the price of a repair that does not
    depend on the batch: nothing else tells such rows apart). For a row drawn
    at random the level ``u`` is still uniform, so each repaired feature
    follows the median distribution *on average over the seed* whatever the
    duplicates. On a given data set, the tied rows of a value are spread over
    its ranks as far as they differ in other columns: when every row is
    distinct (a continuous column suffices, as ``fnlwgt`` in Adult), the
    spread is as exact as independent draws allow; when many rows are whole
    duplicates (a single discrete feature, or a few discrete columns), each
    set of duplicates moves as one, so for one seed the groups' repaired
    distributions can differ from the median distribution by as much as the
    share of its group that the largest such sets hold (rather than by
    sampling noise of order ``1 / sqrt(n_g)``). A column that tells rows
    apart (say a row identifier, left out of ``columns``) restores the full
    spread.

    **Median distribution.** At each level ``u``, ``F_median^-1(u)`` is
    ``np.median`` of the groups' quantiles ``F_g^-1(u) = inf{x : F_g(x) >= u}``:
    every group counts once, whatever its size, and with an even number of
    groups it is the mean of the two middle quantiles. The median of step
    functions is a step function with steps at the union of the groups' CDF
    levels, so ``fit`` stores it exactly (``median_levels_``,
    ``median_values_``), not interpolated on a grid; with each group's
    distinct values and CDF, that is memory linear in the number of distinct
    (group, value) pairs per repaired column. ``transform`` is vectorised: per
    group and column, two lookups in sorted tables (exactly
    ``np.searchsorted``, through a bucket index built in ``fit``).

    With ``sample_weight``, the empirical distributions are weighted.

    **Dask.** With a 2-D Dask array ``X`` (groups from ``sensitive_cols``
    positions, or a ``sensitive_features`` array with the same rows),
    ``fit`` tabulates each block of rows on the cluster (per group and
    column, the distinct values with their summed weights) and merges the
    tables by group in a tree: the fitted state equals the in-memory one
    (sums differ only in floating-point order), and the driver holds one
    entry per distinct (group, value) pair of each repaired column.
    ``transform`` returns a lazy dask array chunked like ``X``'s rows, equal
    to the in-memory transform; errors that only the rows show (NaN, a group
    not seen in fit) raise when it is computed (``set_output`` to a
    DataFrame container gathers it, with a ``DaskInputWarning``).

    With ``sketch_rank_error=eps``, a table of more than
    ``m = ceil((1 + ceil(log2(n_blocks))) / eps)`` values is compressed, at
    each step of the merge, by moving each run of values holding less than
    ``1 / m`` of the group's weight to the run's last value. The compressed
    CDF ``F'`` then satisfies ``F - eps < F' <= F``, so a row's
    level ``u'`` lies in ``[u - eps, u]``, where ``u`` is the exact path's
    level, each group's quantile ``F'_g^-1(u')`` in
    ``[F_g^-1(u'), F_g^-1(u' + eps)]``, and the target, their median, in
    ``[F_median^-1(u - eps), F_median^-1(u + eps)]``. See the user guide's
    "Scaling out with Dask".

    References
    ----------
    M. Feldman, S. A. Friedler, J. Moeller, C. Scheidegger and
    S. Venkatasubramanian, "Certifying and removing disparate impact", KDD
    2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.preprocessing import DisparateImpactRemover
    >>> group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> income = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    >>> X = np.column_stack([group, income])
    >>> DisparateImpactRemover(sensitive_cols=0).fit_transform(X)[:, 1]
    array([3., 4., 5., 6., 3., 4., 5., 6.])
    >>> DisparateImpactRemover(repair_level=0.5, sensitive_cols=0).fit_transform(X)
    array([[0., 2.],
           [0., 3.],
           [0., 4.],
           [0., 5.],
           [1., 4.],
           [1., 5.],
           [1., 6.],
           [1., 7.]])
    """

    _parameter_constraints: dict = {
        "repair_level": [Interval(Real, 0, 1, closed="both")],
        "sensitive_cols": [None, Hashable, "array-like", callable],
        "columns": [None, Hashable, "array-like"],
        "random_state": ["random_state"],
        "sketch_rank_error": [None, Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        repair_level=1.0,
        sensitive_cols=None,
        columns=None,
        random_state=None,
        sketch_rank_error=None,
    ):
        self.repair_level = repair_level
        self.sensitive_cols = sensitive_cols
        self.columns = columns
        self.random_state = random_state
        self.sketch_rank_error = sketch_rank_error

    def _groups_of(self, X, sensitive_features, method):
        return groups_and_positions(self, X, sensitive_features, method)

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sensitive_features=None, sample_weight=None):
        """Learn each group's distribution and the median distribution per column.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set.
        y : None
            Ignored.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the groups' empirical distributions.

        Returns
        -------
        self : object
            The fitted remover.
        """
        if any_dask(X, sensitive_features, sample_weight):
            from ._dask_repair import fit_on_dask

            return fit_on_dask(self, X, sensitive_features, sample_weight)
        X = _as_2d_input(X, "fit")
        if X.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a "
                "minimum of 1 is required."
            )
        raw_groups, sensitive_positions = self._groups_of(X, sensitive_features, "fit")
        validate_data(self, X, skip_check_array=True, reset=True)
        repaired = _select_columns(X, self.columns, sensitive_positions)
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        warn_small_cells(encoding.codes, encoding.groups, owner=type(self).__name__)
        sample_weight = check_sample_weight_1d(sample_weight, X.shape[0])
        rows_by_group = _rows_by_group(encoding.codes, encoding.n_groups)
        if sample_weight is not None:
            for label, rows in zip(encoding.groups, rows_by_group, strict=True):
                if not sample_weight[rows].sum() > 0:
                    raise ValueError(
                        f"Group {format_label(label)} has zero total "
                        "sample_weight; its distribution is undefined."
                    )

        values, cdfs = [], []
        for position in repaired:
            x = _numeric_column(X, position)
            column = [
                _empirical_cdf(
                    x[rows], None if sample_weight is None else sample_weight[rows]
                )
                for rows in rows_by_group
            ]
            values.append([v for v, _ in column])
            cdfs.append([c for _, c in column])
        self._set_fitted_state(encoding.groups, repaired, values, cdfs)
        return self

    def _set_fitted_state(self, groups, repaired, values, cdfs):
        """Store the groups' distributions and the median quantile functions.

        ``values[i][g]`` and ``cdfs[i][g]``: group ``g``'s distinct values of
        repaired column ``i`` and its CDF at them (from rows in memory, or
        from the merged block summaries on Dask input).
        """
        self.group_values_, self.group_cdf_ = values, cdfs
        self.median_levels_, self.median_values_ = [], []
        for column_values, column_cdfs in zip(values, cdfs, strict=True):
            levels, median = _median_quantile_function(column_values, column_cdfs)
            self.median_levels_.append(levels)
            self.median_values_.append(median)
        self.groups_ = groups
        self.repaired_columns_ = repaired
        self._value_lookups = [
            [_SortedLookup(v) for v in column_values] for column_values in values
        ]
        self._level_lookups = [_SortedLookup(L) for L in self.median_levels_]
        self._transform_seed = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max
        )

    def transform(self, X, *, sensitive_features=None):
        """Repair the columns of ``X``, each row by its group.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to repair (any rows, not only those seen in ``fit``).
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.

        Returns
        -------
        X_repaired : ndarray or DataFrame of shape (n_samples, n_features)
            ``X`` with the repaired columns replaced (as float64) and all other
            columns unchanged. A float64 array if every column is numeric, an
            object array otherwise; a DataFrame with the input's dtypes for
            the other columns under ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        if any_dask(X, sensitive_features):
            from ._dask_repair import transform_on_dask

            return transform_on_dask(self, X, sensitive_features)
        X = _as_2d_input(X, "transform")
        raw_groups, positions = self._groups_of(X, sensitive_features, "transform")
        validate_data(self, X, skip_check_array=True, reset=False)
        return self._assemble(X, self._repair_rows(X, raw_groups, positions))

    def _repair_rows(self, X, raw_groups, sensitive_positions):
        """The repaired columns of the rows of ``X``, an ndarray.

        ``sensitive_positions``: the columns of ``X`` that hold the groups,
        left out of the rows' content that the tie-breaking draws hash.
        """
        codes = encode_known_groups(raw_groups, self.groups_)
        rows_by_group = _rows_by_group(codes, len(self.groups_))
        n_samples = X.shape[0]
        n_repaired = len(self.repaired_columns_)
        columns = {
            int(position): _numeric_column(X, position)
            for position in self.repaired_columns_
        }
        draws = _row_draws(X, columns, sensitive_positions, self._transform_seed)
        level = float(self.repair_level)
        repaired = np.empty((n_samples, n_repaired))
        lower, upper = np.empty(n_samples), np.empty(n_samples)
        for i, position in enumerate(self.repaired_columns_):
            x = columns[int(position)]
            for g, rows in enumerate(rows_by_group):
                if rows.size:
                    lower[rows], upper[rows] = _cdf_interval(
                        x[rows],
                        self.group_values_[i][g],
                        self.group_cdf_[i][g],
                        self._value_lookups[i][g],
                    )
            # u is uniform on [F_g(x-), F_g(x)]: the randomized PIT.
            u = lower + (upper - lower) * draws[:, i]
            index = self._level_lookups[i].search(u, side="left")
            median_values = self.median_values_[i]
            target = median_values[np.minimum(index, median_values.size - 1)]
            repaired[:, i] = (1.0 - level) * x + level * target
        return repaired

    def fit_transform(self, X, y=None, *, sensitive_features=None, sample_weight=None):
        """Fit to ``X``, then repair it.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the groups' empirical distributions.

        Returns
        -------
        X_repaired : ndarray or DataFrame of shape (n_samples, n_features)
            The repaired training data, as returned by :meth:`transform`.
        """
        return self.fit(
            X, y, sensitive_features=sensitive_features, sample_weight=sample_weight
        ).transform(X, sensitive_features=sensitive_features)

    def _assemble(self, X, repaired):
        return assemble_output(self, X, self.repaired_columns_, repaired)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # pass-through columns may hold strings
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
