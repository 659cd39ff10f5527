"""One weighted pass over (group, y_true, y_pred) cells: the group count table.

Every metric of :mod:`skfair.metrics` is a cheap function of a small
``(n_groups, 2, 2)`` table ``table[g, t, p]`` holding the total sample weight of
the rows of group ``g`` whose true label is positive (``t == 1``) or not and
whose predicted label is positive (``p == 1``) or not. This module builds that
table with a single ``np.bincount`` per block of rows over the combined cell
index ``4 * group + 2 * y_true + y_pred``.

Speed matters here (the metrics are called inside hyperparameter searches on
large data), so the common case -- integer or boolean arrays whose labels are
already 0/1 and whose groups are small non-negative integers -- takes a fused
path: the arrays are read block by block (blocks of ``_BLOCK`` rows, so that the
temporaries stay in cache and the extra memory is a few blocks, not a copy of
the data), their binariness is checked with a bitwise OR reduction instead of a
sort, and the groups are the cells that received rows. Anything else (strings,
floats, other label values, 2-D intersectional groups, pandas categoricals) goes
through :func:`skfair.utils.encode_groups` and an explicit conversion of the
labels to 0/1, then the same blocked count.

This module counts in-memory arrays only; :mod:`skfair.metrics._dispatch`
(which the metrics call) sends dask collections to :mod:`skfair.metrics._dask`,
which counts each block here.
"""

from dataclasses import dataclass
from numbers import Number

import numpy as np

from ..utils import check_n_samples, check_sample_weight_1d, encode_groups
from ..utils._dataframe import as_frame, as_series, get_column
from ..utils._validation import _has_missing

# Rows per block of the counting loop: 2**16 int64 values are 512 KiB, so the
# few temporaries of one block stay in the L2 cache.
_BLOCK = 1 << 16

# The fused path accepts raw integer group labels in [0, _FAST_GROUP_LIMIT); the
# table of one block then has at most 4 * _FAST_GROUP_LIMIT cells, no more than
# the block itself. Larger labels go through encode_groups.
_FAST_GROUP_LIMIT = 1 << 14


@dataclass(frozen=True)
class GroupCounts:
    """Weighted confusion counts of every group.

    Attributes
    ----------
    groups : ndarray of shape (n_groups,)
        Group labels, sorted as :func:`skfair.utils.encode_groups` sorts them
        (tuples for intersectional groups).
    weighted : ndarray of shape (n_groups, 2, 2), dtype float64
        ``weighted[g, t, p]``: total sample weight (the row count without
        weights) of the rows of group ``g`` with ``y_true`` positive (``t=1``)
        or not and ``y_pred`` positive (``p=1``) or not.
    raw : ndarray of shape (n_groups, 2, 2), dtype int64, or None
        The same table counting rows, when it was asked for.
    y_labels : tuple or None
        The labels seen in ``y_true`` and ``y_pred`` together, when known; used
        to check binariness across the blocks of a dask array.
    """

    groups: np.ndarray
    weighted: np.ndarray
    raw: np.ndarray | None = None
    y_labels: tuple | None = None

    @property
    def n_groups(self):
        return len(self.groups)


def _check_total_weight(total):
    """Raise unless the rows' total weight is a positive normal float64.

    The rates are ratios of weight sums, so they do not depend on the
    weights' scale, but a total past float64's range makes them inf / inf =
    NaN, and a subnormal total leaves them only a few bits of precision.
    """
    if total == 0:
        raise ValueError(
            "sample_weight is zero for every row; the rates are undefined."
        )
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight sums to more than float64 holds (1.8e308), so the "
            "rates would be NaN; divide the weights by a common factor (the "
            "rates do not depend on their scale)."
        )
    if total < np.finfo(np.float64).tiny:
        raise ValueError(
            f"sample_weight sums to {total:.3g}, below the smallest normal "
            "float64 (2.2e-308), where the rates lose their precision; "
            "multiply the weights by a common factor (the rates do not depend "
            "on their scale)."
        )


def numpy_group_counts(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1, raw=False
):
    """Count the weighted (group, y_true, y_pred) cells of in-memory arrays.

    Parameters and result as for :func:`skfair.metrics._dispatch.group_counts`,
    which calls this for numpy, pandas and list inputs, and per block for dask.
    """
    yt = _as_label_vector(y_true, "y_true")
    yp = _as_label_vector(y_pred, "y_pred")
    if yt.shape[0] != yp.shape[0]:
        raise ValueError(
            f"y_true has {yt.shape[0]} rows but y_pred has {yp.shape[0]}; "
            "they must match."
        )
    n_samples = yt.shape[0]
    if n_samples == 0:
        raise ValueError(
            "y_true and y_pred are empty; the metrics need at least one row."
        )
    check_n_samples(sensitive_features, n_samples)
    sw = check_sample_weight_1d(sample_weight, n_samples)

    fast = _fast_inputs(yt, yp, sensitive_features, pos_label)
    if fast is not None:
        counts = _fused_counts(*fast, sw, raw=raw)
        if counts is not None:
            return counts

    encoding = encode_groups(sensitive_features)
    yt01, yp01, labels = _binary_pair(yt, yp, pos_label)
    cells = _count_cells(
        encoding.codes, yt01, yp01, sw, n_groups=encoding.n_groups, raw=raw
    )
    weighted, raw_table = cells
    return GroupCounts(encoding.groups, weighted, raw_table, labels)


# ----------------------------------------------------------------------------
# Input conversion and validation of the labels


def _as_label_vector(y, name):
    """Return ``y`` as a 1-D numpy array without copying numpy input."""
    if y is None:
        raise ValueError(f"{name} is None; pass an array of binary labels.")
    frame = as_frame(y)
    if frame is not None:  # any DataFrame (pandas, polars): one column only
        if frame.shape[1] != 1:
            raise ValueError(f"{name} must be 1-D; got shape {frame.shape}.")
        y = get_column(y, 0)
    series = as_series(y)
    if series is not None:
        # Nulls (None, pandas.NA, and NaN in pandas) would turn into NaN or
        # None in numpy; name them here. Nullable dtypes without nulls become
        # their numpy dtype.
        if series.null_count():
            raise ValueError(f"{name} contains missing values (NaN or None).")
        y = series.to_numpy()
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one binary label per row); got an array of "
            f"shape {arr.shape}."
        )
    return arr


def _is_number(value):
    return isinstance(value, (Number, np.number, np.bool_))


def _is_one(value):
    """True if ``value`` is the number 1 (or True), the fused path's positive."""
    return _is_number(value) and value == 1


def _same_label(a, b):
    return _is_number(a) == _is_number(b) and bool(a == b)


def _present_labels(y, name):
    """The distinct labels of ``y`` (at most two, else a ValueError), sorted."""
    kind = y.dtype.kind
    if kind == "b":
        present = np.bincount(y.view(np.uint8), minlength=2) > 0
        return [bool(v) for v in np.flatnonzero(present)]
    if kind in "iuf":
        if kind == "f" and np.isnan(y).any():
            raise ValueError(f"{name} contains NaN.")
        lo, hi = y.min(), y.max()
        if lo != hi and np.count_nonzero((y != lo) & (y != hi)):
            middle = y[(y != lo) & (y != hi)][0]
            raise ValueError(
                f"{name} must hold binary labels; it holds more than two "
                f"distinct values (e.g. {lo.item()!r}, {middle.item()!r}, "
                f"{hi.item()!r})."
            )
        return [lo.item()] if lo == hi else [lo.item(), hi.item()]
    if kind == "O" and _has_missing(y):
        raise ValueError(f"{name} contains missing values (None or NaN).")
    try:
        labels = np.unique(y)
    except TypeError as exc:
        raise ValueError(
            f"{name} mixes label types that cannot be ordered: {exc}."
        ) from exc
    if labels.size > 2:
        raise ValueError(
            f"{name} must hold binary labels; it holds {labels.size} distinct "
            f"labels ({labels[:5].tolist()}{'...' if labels.size > 5 else ''})."
        )
    return labels.tolist()


def _label_union(labels_true, labels_pred):
    union = list(labels_true)
    for label in labels_pred:
        if not any(_same_label(label, seen) for seen in union):
            union.append(label)
    return union


def check_label_union(labels, pos_label):
    """Binary labels across y_true and y_pred, with ``pos_label`` among them."""
    if len(labels) > 2:
        raise ValueError(
            "y_true and y_pred together must hold at most two labels (binary "
            f"classification); they hold {sorted(labels, key=repr)}."
        )
    in_labels = any(_same_label(pos_label, label) for label in labels)
    if len(labels) == 2 and not in_labels:
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the labels of y_true and "
            f"y_pred ({sorted(labels, key=repr)}); pass pos_label= explicitly."
        )
    if (
        len(labels) == 1
        and not in_labels
        and _is_number(pos_label) != _is_number(labels[0])
    ):
        raise ValueError(
            f"pos_label={pos_label!r} cannot be a label of y_true and y_pred, "
            f"whose only label is {labels[0]!r}; pass pos_label= explicitly."
        )
    return in_labels


def _binary_pair(yt, yp, pos_label):
    """0/1 ``uint8`` copies of the labels (1 = ``pos_label``), and the labels."""
    labels = _label_union(_present_labels(yt, "y_true"), _present_labels(yp, "y_pred"))
    if not check_label_union(labels, pos_label):
        # pos_label does not occur: every row is negative.
        return (
            np.zeros(yt.shape[0], dtype=np.uint8),
            np.zeros(yp.shape[0], dtype=np.uint8),
            tuple(labels),
        )
    return (
        (yt == pos_label).view(np.uint8),
        (yp == pos_label).view(np.uint8),
        tuple(labels),
    )


# ----------------------------------------------------------------------------
# The fused path: integer/bool arrays with 0/1 labels and small integer groups


def _as_fast_int(arr):
    """A view of ``arr`` usable in the fused path, or None."""
    kind = arr.dtype.kind
    if kind == "b":
        return arr.view(np.uint8)
    if kind == "u" and arr.dtype.itemsize == 8:
        # uint64 mixes with int64 only through float64; labels >= 2**63 turn
        # negative in the view and are rejected by the range check.
        return arr.view(np.int64)
    if kind in "iu":
        return arr
    return None


def _fast_inputs(yt, yp, sensitive_features, pos_label):
    """The arrays for the fused path, or None if the inputs do not qualify."""
    if not _is_one(pos_label):
        return None
    sf = sensitive_features
    if hasattr(sf, "to_numpy") and getattr(sf, "ndim", 0) == 1:
        dtype = sf.dtype
        if not isinstance(dtype, np.dtype) or dtype.kind not in "biu":
            return None  # categoricals, extension and object dtypes
        sf = sf.to_numpy()
    elif not isinstance(sf, np.ndarray):
        if hasattr(sf, "columns"):
            return None
        sf = np.asarray(sf)
    if sf.ndim != 1:
        return None
    g, t, p = _as_fast_int(sf), _as_fast_int(yt), _as_fast_int(yp)
    if g is None or t is None or p is None:
        return None
    return g, t, p, yt.dtype.kind == "b", yp.dtype.kind == "b", sf.dtype


def _fused_counts(g, yt, yp, yt_is_bool, yp_is_bool, label_dtype, sw, *, raw):
    """Count cells straight from raw integer labels; None if they don't fit.

    The group labels themselves index the table, so no encoding pass is needed:
    the groups are the labels whose cells received rows, in increasing order,
    exactly what :func:`skfair.utils.encode_groups` returns for such labels.
    """
    n = g.shape[0]
    check_groups = g.dtype.kind != "u" or g.dtype.itemsize * 8 > 14
    buf = np.empty(min(n, _BLOCK), dtype=np.intp)
    weighted = np.zeros(0)
    raw_table = np.zeros(0, dtype=np.int64) if raw or sw is None else None
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        gb, tb, pb = g[start:stop], yt[start:stop], yp[start:stop]
        # Binariness without a sort: the OR of all values is 0 or 1 exactly
        # when every value is 0 or 1 (negative values set the sign bit).
        if not yt_is_bool and int(np.bitwise_or.reduce(tb)) & ~1:
            return None
        if not yp_is_bool and int(np.bitwise_or.reduce(pb)) & ~1:
            return None
        if check_groups:
            # For non-negative values the OR is below 2**k iff all values are.
            bits = int(np.bitwise_or.reduce(gb))
            if bits < 0 or bits >= _FAST_GROUP_LIMIT:
                return None
        cell = buf[: stop - start]
        # dtype=intp: shifting in the labels' own (possibly 8-bit) dtype
        # would wrap labels >= 64 around before they reach the buffer.
        np.left_shift(gb, 1, out=cell, dtype=np.intp)
        np.bitwise_or(cell, tb, out=cell)
        np.left_shift(cell, 1, out=cell)
        np.bitwise_or(cell, pb, out=cell)
        if sw is not None:
            weighted = _accumulate(weighted, np.bincount(cell, weights=sw[start:stop]))
        if raw_table is not None:
            raw_table = _accumulate(raw_table, np.bincount(cell))
    if sw is None:
        weighted = raw_table.astype(np.float64)
    # Groups are the labels whose cells received rows. Without a row count
    # (weights given, raw not asked for) they are the labels with non-zero
    # weight: a group whose rows all weigh zero is ignored by every metric.
    rows = raw_table if raw_table is not None else weighted
    present = np.flatnonzero(_pad_to_groups(rows).reshape(-1, 4).sum(axis=1) > 0)
    groups = present.astype(label_dtype)
    weighted = _pad_to_groups(weighted).reshape(-1, 2, 2)[present]
    raw_out = None
    y_labels = None
    if raw:
        raw_out = _pad_to_groups(raw_table).reshape(-1, 2, 2)[present]
        y_labels = _fast_y_labels(raw_out, yt_is_bool and yp_is_bool)
    return GroupCounts(groups, weighted, raw_out, y_labels)


def _fast_y_labels(raw_table, boolean):
    true_seen = raw_table.sum(axis=(0, 2)) > 0
    pred_seen = raw_table.sum(axis=(0, 1)) > 0
    seen = np.flatnonzero(true_seen | pred_seen)
    return tuple(bool(v) if boolean else int(v) for v in seen)


def _accumulate(total, block):
    if block.size > total.size:
        total = np.concatenate([total, np.zeros(block.size - total.size, total.dtype)])
    total[: block.size] += block
    return total


def _pad_to_groups(table):
    """Pad a flat cell table to a whole number of groups (4 cells each)."""
    missing = -table.size % 4
    if missing:
        table = np.concatenate([table, np.zeros(missing, table.dtype)])
    return table


# ----------------------------------------------------------------------------
# The general path: encoded groups and 0/1 labels


def _count_cells(codes, yt01, yp01, sw, *, n_groups, raw):
    """Blocked weighted bincount of ``4 * code + 2 * y_true + y_pred``."""
    n = codes.shape[0]
    n_cells = 4 * n_groups
    buf = np.empty(min(n, _BLOCK), dtype=np.intp)
    weighted = np.zeros(n_cells)
    raw_table = np.zeros(n_cells, dtype=np.int64) if raw or sw is None else None
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        cell = buf[: stop - start]
        np.left_shift(codes[start:stop], 1, out=cell, dtype=np.intp)
        np.bitwise_or(cell, yt01[start:stop], out=cell)
        np.left_shift(cell, 1, out=cell)
        np.bitwise_or(cell, yp01[start:stop], out=cell)
        if sw is not None:
            weighted += np.bincount(cell, weights=sw[start:stop], minlength=n_cells)
        if raw_table is not None:
            raw_table += np.bincount(cell, minlength=n_cells)
    if sw is None:
        weighted = raw_table.astype(np.float64)
    weighted = weighted.reshape(n_groups, 2, 2)
    raw_out = raw_table.reshape(n_groups, 2, 2) if raw else None
    return weighted, raw_out
