"""Block-wise counting for dask arrays: the count table is additive.

Each block of rows is counted in memory by the numpy path, with its own group
encoding and its own set of labels; the per-block tables are then merged by
group label in a tree (a sum of small tables), so the data is never gathered
in one place and group labels stay consistent across blocks whatever order
the labels first appear in.
"""

import numpy as np

from ..utils._sensitive import python_label
from ._counts import (
    GroupCounts,
    _as_label_vector,
    _label_union,
    check_label_union,
    numpy_group_counts,
)


def is_dask_collection(obj):
    """True for a dask array or dask dataframe object, without importing dask."""
    module = type(obj).__module__ or ""
    return module.startswith("dask.") or module == "dask"


def _to_dask_array(obj, name):
    import dask.array as da

    if hasattr(obj, "to_dask_array"):  # dask Series / DataFrame
        obj = obj.to_dask_array(lengths=True)
    if not isinstance(obj, da.Array):
        raise ValueError(f"{name} is a dask object of unsupported type {type(obj)}.")
    if any(np.isnan(size) for size in obj.shape):
        raise ValueError(
            f"{name} has unknown chunk sizes; call .compute_chunk_sizes() first."
        )
    return obj


def _prepare(obj, name, row_chunks, *, max_ndim):
    """``obj`` as a dask array chunked along rows like ``row_chunks``."""
    import dask.array as da

    if is_dask_collection(obj):
        arr = _to_dask_array(obj, name)
    elif name in ("y_true", "y_pred"):
        arr = da.from_array(_as_label_vector(obj, name), chunks=(row_chunks,))
    else:
        values = obj.to_numpy() if hasattr(obj, "to_numpy") else np.asarray(obj)
        arr = da.from_array(values, chunks=(row_chunks,) + values.shape[1:])
    if arr.ndim == 2 and arr.shape[1] == 1 and max_ndim == 1:
        arr = arr[:, 0]
    if arr.ndim > max_ndim or arr.ndim == 0:
        raise ValueError(f"{name} must be 1-D; got a dask array of shape {arr.shape}.")
    return arr


def _row_chunks(arrays):
    for obj in arrays:
        if is_dask_collection(obj):
            return _to_dask_array(obj, "input").chunks[0]
    raise AssertionError("no dask input")  # pragma: no cover


def single_group_like(arr):
    """A dask array of zeros (one group) chunked like ``arr``'s rows."""
    import dask.array as da

    arr = _to_dask_array(arr, "y_pred")
    return da.zeros(arr.shape[0], chunks=(arr.chunks[0],), dtype=np.uint8)


def dask_group_counts(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1, raw=False
):
    """:func:`skfair.metrics._dispatch.group_counts` for dask inputs."""
    import dask
    from dask import delayed

    inputs = (y_true, y_pred, sensitive_features, sample_weight)
    chunks = _row_chunks(inputs)
    yt = _prepare(y_true, "y_true", chunks, max_ndim=1)
    yp = _prepare(y_pred, "y_pred", chunks, max_ndim=1)
    sf = _prepare(sensitive_features, "sensitive_features", chunks, max_ndim=2)
    sw = None
    if sample_weight is not None:
        sw = _prepare(sample_weight, "sample_weight", chunks, max_ndim=1)
    n = yt.shape[0]
    for name, arr in (
        ("y_pred", yp),
        ("sensitive_features", sf),
        ("sample_weight", sw),
    ):
        if arr is not None and arr.shape[0] != n:
            raise ValueError(
                f"{name} has {arr.shape[0]} rows but y_true has {n}; they must match."
            )
    if n == 0:
        raise ValueError(
            "y_true and y_pred are empty; the metrics need at least one row."
        )

    def blocks(arr):
        if arr is None:
            return [None] * len(chunks)
        arr = arr.rechunk((chunks,) + arr.shape[1:])
        return list(arr.to_delayed().ravel())

    parts = [
        delayed(_block_counts)(t, p, s, w, pos_label)
        for t, p, s, w in zip(
            blocks(yt), blocks(yp), blocks(sf), blocks(sw), strict=True
        )
    ]
    (merged,) = dask.compute(tree_reduce(parts, _merge))
    check_label_union(list(merged.y_labels), pos_label)
    return _sorted_counts(merged, keep_raw=raw)


def _block_counts(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    if len(y_true) == 0:
        return None
    return numpy_group_counts(
        y_true,
        y_pred,
        sensitive_features=sensitive_features,
        sample_weight=sample_weight,
        pos_label=pos_label,
        raw=True,
    )


def _merge(a, b):
    """Sum two count tables, matching their groups by label."""
    if a is None or b is None:
        return b if a is None else a
    labels = [python_label(g) for g in a.groups]
    index = {label: i for i, label in enumerate(labels)}
    b_rows = []
    for g in b.groups:
        key = python_label(g)
        if key not in index:
            index[key] = len(labels)
            labels.append(key)
        b_rows.append(index[key])
    weighted = np.zeros((len(labels), 2, 2))
    raw = np.zeros((len(labels), 2, 2), dtype=np.int64)
    weighted[: a.n_groups] += a.weighted
    raw[: a.n_groups] += a.raw
    np.add.at(weighted, b_rows, b.weighted)
    np.add.at(raw, b_rows, b.raw)
    groups = np.empty(len(labels), dtype=object)
    for i, label in enumerate(labels):
        groups[i] = label
    y_labels = tuple(_label_union(a.y_labels, b.y_labels))
    return GroupCounts(groups, weighted, raw, y_labels)


def _sorted_counts(counts, *, keep_raw):
    """Groups in sorted order, as :func:`skfair.utils.encode_groups` gives them."""
    labels = list(counts.groups)
    try:
        order = sorted(range(len(labels)), key=lambda i: labels[i])
    except TypeError as exc:
        raise ValueError(
            f"sensitive_features mixes label types that cannot be ordered ({exc}); "
            "use one type of label per column."
        ) from exc
    groups = np.empty(len(labels), dtype=object)
    for position, i in enumerate(order):
        groups[position] = labels[i]
    raw = counts.raw[order] if keep_raw else None
    return GroupCounts(groups, counts.weighted[order], raw, counts.y_labels)


def tree_reduce(parts, merge):
    """Merge delayed ``parts`` pairwise in a tree; one delayed result."""
    from dask import delayed

    while len(parts) > 1:
        parts = [
            delayed(merge)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]
