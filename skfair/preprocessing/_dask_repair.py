"""DisparateImpactRemover on Dask arrays: a mergeable summary of the groups' values.

What ``fit`` learns from the rows is, per repaired column and group, the
sorted distinct values and the (weighted) empirical CDF at each. That is the
cumulative sum of a table that is additive over the rows: each distinct value
with its summed weight. Each block of rows is tabulated on the cluster, the
tables are merged by group label and value in a tree, and the driver holds
one (value, weight) pair per distinct value of each group and column: the
CDFs, hence the median quantile functions, are those of the in-memory fit
(sums differ only in floating-point order; unweighted counts are exact).

With ``sketch_rank_error=eps``, a table with more than ``m`` values is
compressed to at most ``m + 1`` (see :func:`_compress`), at every step of the
tree, so the driver's memory per group and column is bounded whatever the
number of distinct values; each compression moves at most ``1 / m`` of the
group's weight, and the sizes are chosen so that all of them together move
at most ``eps``.

``transform`` repairs each block of rows in memory with the fitted state; a
block's random draws are those of its rows in the whole data, so the output
equals the in-memory transform.
"""

import copy
import math
import warnings
from functools import partial

import numpy as np
from sklearn.utils.validation import validate_data

from ..utils import check_sample_weight_1d, encode_groups
from ..utils._dask import (
    DaskInputWarning,
    as_dask_array,
    as_row_blocks,
    is_dask_collection,
    label_array,
    row_chunks,
    sorted_label_order,
    tree_reduce,
)
from ..utils._sensitive import (
    check_two_groups,
    check_X_given,
    format_label,
    python_label,
)
from ..utils._sklearn_compat import _get_output_config
from ._repair_columns import _numeric_column, _rows_by_group, _select_columns

__all__ = ["fit_on_dask", "transform_on_dask"]


def _check_dask_X(X, method):
    """``X`` as a 2-D numeric dask array (an in-memory X is split later)."""
    check_X_given(X, method)
    if not is_dask_collection(X):
        X = np.asarray(X)
    elif hasattr(X, "to_dask_array"):
        raise TypeError(
            "DisparateImpactRemover takes Dask arrays, not Dask DataFrames; "
            "convert with X.to_dask_array(lengths=True) (sensitive_cols then "
            "gives column positions)."
        )
    else:
        X = as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D X (n_samples, n_features); got {X.ndim} dimension(s). "
            "Reshape your data with X.reshape(-1, 1) for a single feature."
        )
    if X.dtype.kind not in "iufb":
        raise ValueError(
            f"On Dask input DisparateImpactRemover needs a numeric X; got dtype "
            f"{X.dtype}. Encode the non-numeric columns first."
        )
    return X


def _compress(values, weights, size):
    """At most ``size + 1`` of the sorted ``values``, carrying all the weight.

    The values are cut into runs at the points where the cumulative weight
    passes a multiple of ``W / size`` (``W`` the total); each run's weight
    moves to its last value. The weight moved up past any ``x`` is that of
    one run without its last value, less than ``W / size``: the compressed
    CDF ``F'`` satisfies ``F - 1 / size < F' <= F`` everywhere.
    """
    if values.size <= size:
        return values, weights
    cumulative = np.cumsum(weights)
    bucket = np.floor(cumulative * (size / cumulative[-1]))
    last = np.flatnonzero(np.diff(bucket, prepend=0.0) > 0)
    if last.size == 0 or last[-1] != values.size - 1:
        last = np.append(last, values.size - 1)
    first = np.concatenate([[0], last[:-1] + 1])
    return values[last], np.add.reduceat(weights, first)


def _value_table(x, weight):
    """Sorted distinct values of ``x`` and their summed weights (or counts)."""
    if weight is not None:
        positive = weight > 0  # as in memory: zero-weight rows are left out
        x, weight = x[positive], weight[positive]
    distinct, cell = np.unique(x, return_inverse=True)
    summed = np.bincount(cell.reshape(-1), weights=weight, minlength=distinct.size)
    return distinct, summed


def _merge_tables(a, b, size):
    values = np.concatenate([a[0], b[0]])
    distinct, cell = np.unique(values, return_inverse=True)
    summed = np.bincount(
        cell.reshape(-1), weights=np.concatenate([a[1], b[1]]), minlength=distinct.size
    )
    return _compress(distinct, summed, size)


def _block_summary(X, groups, sample_weight, columns, size):
    """One block's table, ``{group: (total weight, [(values, weights) per column])}``.

    Invalid data raise here, with the in-memory messages.
    """
    if X.shape[0] == 0:
        return None
    encoding = encode_groups(groups)
    weight = check_sample_weight_1d(sample_weight, X.shape[0])
    rows_by_group = _rows_by_group(encoding.codes, encoding.n_groups)
    tables = [
        [
            _value_table(x[rows], None if weight is None else weight[rows])
            for rows in rows_by_group
        ]
        for x in (_numeric_column(X, position) for position in columns)
    ]
    summary = {}
    for g, (label, rows) in enumerate(zip(encoding.groups, rows_by_group, strict=True)):
        total = float(rows.size) if weight is None else float(weight[rows].sum())
        summary[python_label(label)] = (
            total,
            [_compress(*column[g], size) for column in tables],
        )
    return summary


def _merge_summaries(a, b, size):
    """Merge two blocks' tables by group label, then by value."""
    if a is None or b is None:
        return b if a is None else a
    merged = dict(a)
    for label, (total, tables) in b.items():
        if label not in merged:
            merged[label] = (total, tables)
            continue
        old_total, old_tables = merged[label]
        merged[label] = (
            old_total + total,
            [
                _merge_tables(old, new, size)
                for old, new in zip(old_tables, tables, strict=True)
            ],
        )
    return merged


def summary_size(rank_error, n_blocks):
    """Values kept per (group, column) table for a rank error ``rank_error``.

    Along any path of the merge tree a table is compressed at most once per
    level (the blocks' own tables, then ``ceil(log2(n_blocks))`` merges);
    each compression moves less than ``1 / size`` of a group's weight summed
    over the tables of one level, so ``size = (1 + depth) / rank_error``
    keeps the total below ``rank_error``. None (exact) keeps every value.
    """
    if rank_error is None:
        return math.inf
    depth = math.ceil(math.log2(n_blocks)) if n_blocks > 1 else 0
    return math.ceil((1 + depth) / rank_error)


def fit_on_dask(remover, X, sensitive_features, sample_weight):
    """Fit ``remover`` on Dask input in one pass over the data."""
    import dask

    X = _check_dask_X(X, "fit")
    if X.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a "
            "minimum of 1 is required."
        )
    chunks = row_chunks(X, sensitive_features, sample_weight)
    # Lazy slices of X when the groups are columns of it.
    raw_groups, positions = remover._groups_of(X, sensitive_features, "fit")
    validate_data(remover, X, skip_check_array=True, reset=True)
    repaired = _select_columns(X, remover.columns, positions)
    if sum(chunks) == 0:
        raise ValueError("sensitive_features is empty.")
    size = summary_size(remover.sketch_rank_error, len(chunks))
    blocks = zip(
        as_row_blocks(X, "X", chunks, max_ndim=2),
        as_row_blocks(raw_groups, "sensitive_features", chunks, max_ndim=2),
        as_row_blocks(sample_weight, "sample_weight", chunks, max_ndim=1),
        strict=True,
    )
    parts = [
        dask.delayed(_block_summary)(Xb, gb, wb, repaired, size)
        for Xb, gb, wb in blocks
    ]
    (summary,) = dask.compute(tree_reduce(parts, partial(_merge_summaries, size=size)))
    labels = list(summary)
    order = sorted_label_order(labels, "sensitive_features")
    check_two_groups(
        [labels[i] for i in order], type(remover).__name__, n_samples=sum(chunks)
    )
    for i in order:
        if not summary[labels[i]][0] > 0:
            raise ValueError(
                f"Group {format_label(labels[i])} has zero total "
                "sample_weight; its distribution is undefined."
            )
    values, cdfs = [], []
    for column in range(len(repaired)):
        values.append([summary[labels[i]][1][column][0] for i in order])
        cdfs.append([_cdf(summary[labels[i]][1][column][1]) for i in order])
    remover._set_fitted_state(
        label_array([labels[i] for i in order]), repaired, values, cdfs
    )
    return remover


def _cdf(weights):
    """The CDF at the sorted distinct values of their summed weights."""
    cumulative = np.cumsum(weights)
    cdf = cumulative / cumulative[-1]
    cdf[-1] = 1.0  # exact, as in memory
    return cdf


def _repair_block(remover, X, groups, sensitive_positions):
    """The in-memory transform of one block of rows (draws are per row)."""
    return remover._assemble(X, remover._repair_rows(X, groups, sensitive_positions))


def transform_on_dask(remover, X, sensitive_features):
    """``remover.transform`` as a lazy dask array chunked like ``X``'s rows.

    Errors that only the rows show (NaN, a group unseen in fit) raise when
    the blocks are computed, with the in-memory messages.
    """
    import dask
    import dask.array as da

    X = _check_dask_X(X, "transform")
    chunks = row_chunks(X, sensitive_features)
    raw_groups, positions = remover._groups_of(X, sensitive_features, "transform")
    validate_data(remover, X, skip_check_array=True, reset=False)
    container = _get_output_config("transform", remover)["dense"]
    if container != "default":
        warnings.warn(
            f"DisparateImpactRemover is set to output {container} DataFrames "
            "(set_output), so the lazy dask result of transform is converted, "
            "which gathers the whole data into one process; "
            'set_output(transform="default") keeps a dask array.',
            DaskInputWarning,
            stacklevel=3,
        )
    # One copy of the fitted state in the graph, shared by the blocks; a
    # later refit of ``remover`` does not change this lazy result.
    fitted = dask.delayed(copy.copy(remover), traverse=False)
    parts = [
        da.from_delayed(
            dask.delayed(_repair_block)(fitted, Xb, gb, positions),
            shape=(n_rows, X.shape[1]),
            dtype=np.float64,
        )
        for n_rows, Xb, gb in zip(
            chunks,
            as_row_blocks(X, "X", chunks, max_ndim=2),
            as_row_blocks(raw_groups, "sensitive_features", chunks, max_ndim=2),
            strict=True,
        )
    ]
    out = da.concatenate(parts) if len(parts) > 1 else parts[0]
    if is_dask_collection(X) and X.chunks[1] != out.chunks[1]:
        out = out.rechunk(X.chunks)
    return out
