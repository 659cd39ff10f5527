"""Columns of ``X`` for the repairing transformers.

Which columns to repair, each as float64 with a clear error when it cannot
be repaired, the rows of each group, and the output with the repaired
columns replaced: shared by the in-memory and the Dask routes of
DisparateImpactRemover and by CorrelationRemover.
"""

import numpy as np

from ..utils._dataframe import (
    column_as_float,
    column_names,
    convert_frame,
    get_column,
    is_dataframe,
    is_numeric_column,
    is_object_column,
    replace_columns,
    to_numpy,
)
from ..utils._sensitive import column_positions
from ..utils._sklearn_compat import _get_output_config

_DIR = "DisparateImpactRemover"


def _column_label(X, position):
    names = column_names(X)
    if names is not None:
        return repr(names[position])
    return f"at position {position}"


def _is_numeric_column(X, position):
    """Whether a column holds real numbers (booleans and categories do not count).

    A column of object dtype counts when its values are all real numbers, in
    a DataFrame as in an ndarray: the same data must be repaired the same way
    whatever the container.
    """
    if is_dataframe(X):
        if not is_object_column(X, position):
            return is_numeric_column(X, position)
        column = np.asarray(get_column(X, position), dtype=object)
    elif X.dtype.kind in "iuf":
        return True
    elif X.dtype.kind == "O":
        column = X[:, position]
    else:
        return False
    # Let numpy infer the type of the column's Python objects.
    return np.asarray(column.tolist()).dtype.kind in "iuf"


def _numeric_column(X, position, owner=_DIR):
    """One column as float64, with a ValueError naming it if it cannot be repaired."""
    label = _column_label(X, position)
    if not _is_numeric_column(X, position):
        raise ValueError(
            f"Column {label} is not numeric; {owner} repairs numeric columns "
            "only (encode categories first"
            + (", or leave the column out of `columns`)." if owner == _DIR else ").")
        )
    if is_dataframe(X):
        values = column_as_float(X, position)
    else:
        values = np.asarray(X[:, position], dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(
            f"Column {label} holds NaN or infinite values; {owner} "
            "cannot repair missing values (impute them first)."
        )
    return values


def _as_list(columns):
    if isinstance(columns, (list, tuple, np.ndarray)) or hasattr(columns, "tolist"):
        return list(columns)
    return [columns]


def _select_columns(X, columns, sensitive_positions):
    """Positions of the columns to repair, validated."""
    sensitive = set(sensitive_positions)
    if columns is None:
        selected = [
            j
            for j in range(X.shape[1])
            if j not in sensitive and _is_numeric_column(X, j)
        ]
        if not selected:
            raise ValueError(
                "X has no numeric column to repair besides the sensitive ones."
            )
        return np.asarray(selected, dtype=np.intp)
    entries = _as_list(columns)
    if not entries:
        raise ValueError("columns is empty; name at least one column to repair.")
    selected = column_positions(X, entries, param="columns")
    for j in selected:
        if j in sensitive:
            raise ValueError(
                f"columns names column {_column_label(X, j)}, which is a "
                "sensitive column; sensitive columns pass through unrepaired."
            )
        if not _is_numeric_column(X, j):
            raise ValueError(
                f"columns names column {_column_label(X, j)}, which is not "
                "numeric; DisparateImpactRemover repairs numeric columns only."
            )
    return np.asarray(selected, dtype=np.intp)


def _rows_by_group(codes, n_groups):
    """Row indices of each group."""
    if n_groups <= 32:
        # One vectorised pass per group beats a sort for a few groups.
        return [np.flatnonzero(codes == g) for g in range(n_groups)]
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_groups)
    return np.split(order, np.cumsum(counts)[:-1])


def assemble_output(transformer, X, positions, repaired):
    """``X`` with the columns at ``positions`` replaced, never modifying ``X``.

    ``repaired[:, i]`` replaces column ``positions[i]``. A DataFrame keeps its
    other columns (and their dtypes) under ``transformer``'s ``set_output``.
    """
    if is_dataframe(X):
        out = replace_columns(X, positions, repaired)
        container = _get_output_config("transform", transformer)["dense"]
        if container == "default":
            return to_numpy(out)
        # A DataFrame of the configured library, which set_output then
        # only renames: the passed-through columns keep their dtypes.
        return convert_frame(out, container)
    if X.dtype.kind in "iufb":
        out = X.astype(np.float64, copy=True)
    else:
        out = X.copy()
    out[:, positions] = repaired
    return out
