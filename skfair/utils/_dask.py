"""Shared helpers for the estimators' Dask route.

The estimators compute on Dask collections block by block: a small summary
(a count table, a sorted run of scores) per block of rows, merged in a tree
on the cluster, and only the merged summary reaches the driver. Per-row
outputs (weights, decisions) are lazy dask arrays chunked like the input
rows. Dask is imported only when a Dask collection is passed.
"""

import warnings

import numpy as np

from ..metrics._dask import (
    _prepare,
    _row_chunks,
    _to_dask_array,
    is_dask_collection,
    tree_reduce,
)

__all__ = [
    "DaskInputWarning",
    "any_dask",
    "as_row_blocks",
    "check_estimator_accepts_dask",
    "is_dask_collection",
    "label_array",
    "sorted_label_order",
    "tree_reduce",
]

# Estimators from these modules fit on Dask collections without gathering
# them (their fit computes per block on the cluster).
_DASK_AWARE_MODULES = ("dask_ml", "xgboost.dask", "lightgbm.dask")


class DaskInputWarning(UserWarning):
    """A Dask collection is about to be gathered into one process."""


def any_dask(*objects):
    """True if any of ``objects`` is a Dask collection."""
    return any(is_dask_collection(obj) for obj in objects)


def row_chunks(*objects):
    """The row chunks of the first Dask collection among ``objects``."""
    return _row_chunks(objects)


def as_row_blocks(obj, name, chunks, *, max_ndim):
    """``obj`` as a list of delayed blocks of rows, chunked like ``chunks``.

    In-memory inputs are split like the Dask ones, so that block ``i`` of
    every input holds the same rows; ``None`` gives a list of ``None``.
    """
    if obj is None:
        return [None] * len(chunks)
    arr = _prepare(obj, name, chunks, max_ndim=max_ndim)
    n_rows = sum(chunks)
    if arr.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but the data has {n_rows}; "
            "they must match."
        )
    arr = arr.rechunk((chunks,) + arr.shape[1:])
    return list(arr.to_delayed().ravel())


def as_dask_array(obj, name):
    """A Dask collection as a dask array with known chunk sizes."""
    return _to_dask_array(obj, name)


def sorted_label_order(labels, name):
    """Positions of ``labels`` in sorted order, as encode_groups sorts them."""
    try:
        return sorted(range(len(labels)), key=lambda i: labels[i])
    except TypeError as exc:
        raise ValueError(
            f"{name} mixes label types that cannot be ordered ({exc}); use one "
            "type of label."
        ) from exc


def label_array(labels):
    """Labels as encode_groups returns them (tuples stay whole, as objects)."""
    if labels and isinstance(labels[0], tuple):
        out = np.empty(len(labels), dtype=object)
        out[:] = labels
        return out
    return np.asarray(labels)


def _estimators_of(estimator):
    """``estimator`` and, for a Pipeline, each of its steps."""
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return [estimator]
    return [
        inner
        for _, step in steps
        if step is not None and step != "passthrough"
        for inner in _estimators_of(step)
    ]


def check_estimator_accepts_dask(estimator, owner):
    """Warn when ``estimator`` would gather Dask input into one process.

    scikit-learn estimators convert their input with ``np.asarray``, which
    computes a Dask collection in full on the calling process: fine for data
    that fits there, a MemoryError for data that does not.
    """
    gatherers = [
        type(inner).__name__
        for inner in _estimators_of(estimator)
        if not type(inner).__module__.startswith(_DASK_AWARE_MODULES)
    ]
    if gatherers:
        warnings.warn(
            f"{owner} got Dask input, but {', '.join(gatherers)} does not accept "
            "Dask collections: its fit converts them to numpy, which gathers "
            "the whole data (and the weights) into one process. Use an "
            "estimator that fits on Dask collections (for instance from "
            "dask-ml) for data larger than one machine's memory.",
            DaskInputWarning,
            stacklevel=3,
        )
