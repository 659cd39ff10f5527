"""The one place that resolves and encodes sensitive features.

Every estimator, metric and scorer of skfair goes through this module, so that
the sensitive-feature rule of the design (``sensitive_cols=`` or
``sensitive_features=``, never both, never neither) and the encoding of group
labels into integer codes are implemented exactly once.

Rule 5 of the design, the one rule on whether the sensitive columns are also
features: **columns named by ``sensitive_cols`` are group labels, not model
features.** Estimators that wrap or fit a model remove them from ``X`` before
the model sees it; transformers pass them through unchanged in their output so
that later steps of a pipeline can read them again. To use the sensitive
attribute as a feature as well, give the model a second (for instance one-hot
encoded) copy of the column. With the ``sensitive_features=`` keyword, ``X`` is
used as it is.
"""

import difflib
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy.sparse import issparse

from ._dataframe import as_frame, as_series, get_column, take_columns
from ._validation import _has_missing

# Labels that are non-negative integers below this bound are encoded with one
# np.bincount pass and a lookup table instead of a sort (np.unique).
_MAX_DIRECT_LABEL = 1 << 20


def _is_pandas_series(obj):
    return hasattr(obj, "iloc") and getattr(obj, "ndim", None) == 1


def _as_column_list(sensitive_cols):
    """Return ``sensitive_cols`` as a list and whether it was a single column."""
    if isinstance(sensitive_cols, (list, tuple, np.ndarray)):
        cols = list(sensitive_cols)
        if len(cols) == 0:
            raise ValueError("sensitive_cols is empty; name at least one column.")
        return cols, False
    return [sensitive_cols], True


def column_positions(X, cols, *, param="sensitive_cols"):
    """Positions in ``X`` of the columns named (or numbered) in ``cols``.

    Names are looked up in a DataFrame's columns first, then integers are
    taken as positions (negative ones from the end). ``param`` names the
    parameter in error messages.
    """
    frame = as_frame(X)
    n_columns = X.shape[1] if frame is None else len(frame.columns)
    names = None if frame is None else list(frame.columns)
    positions = []
    for col in cols:
        if isinstance(col, (bool, np.bool_)):
            raise ValueError(
                f"{param} must hold column names or positions, got {col!r}."
            )
        if names is not None and col in names:
            positions.append(names.index(col))
        elif isinstance(col, Integral):
            if not -n_columns <= col < n_columns:
                raise ValueError(
                    f"{param} position {col} is out of range for X with "
                    f"{n_columns} columns."
                )
            positions.append(int(col) % n_columns)
        else:
            raise ValueError(_unknown_column_message(param, col, names))
    if len(set(positions)) != len(positions):
        raise ValueError(f"{param} names a column twice: {cols!r}.")
    return positions


def _unknown_column_message(param, col, names):
    """Why the column ``col`` is not found in X, and how to fix the wiring."""
    if names is None:
        return (
            f"{param} names column {col!r}, but X has no column names (an "
            "array, e.g. the output of an earlier Pipeline step). Call "
            '.set_output(transform="pandas") on the steps before this one so '
            "that they pass a DataFrame on (a ColumnTransformer prefixes its "
            "output names, e.g. 'remainder__sex', unless "
            "verbose_feature_names_out=False), or give column positions."
        )
    text = [str(name) for name in names]
    # Names a ColumnTransformer made from col ("<transformer>__col") first,
    # then names that look alike.
    prefixed = [n for n in text if n.endswith(f"__{col}")]
    close = difflib.get_close_matches(str(col), text, n=3, cutoff=0.6)
    closest = list(dict.fromkeys(prefixed + close))[:3]
    message = f"{param} names column {col!r}, which is not a column of X"
    if closest:
        message += f"; closest: {closest}"
    message += f" ({len(text)} columns"
    if not closest:
        message += f": {text[:5]}{'...' if len(text) > 5 else ''}"
    message += ")."
    if prefixed:
        message += (
            " A ColumnTransformer prefixes its output names with the "
            "transformer's name; pass verbose_feature_names_out=False to keep "
            f"{col!r}, or use the prefixed name."
        )
    return message


def split_sensitive_columns(X, sensitive_cols):
    """Split ``X`` into its sensitive columns and the remaining columns.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Input data holding the sensitive columns.
    sensitive_cols : str, int, list of those, or callable
        Column name(s) (DataFrames) or position(s) (any 2-D input). A callable
        is called as ``sensitive_cols(X)`` and returns the groups (1-D, or 2-D
        for intersectional groups), for groups derived from the data such as
        ``lambda X: X["age"] > 25``; no column is removed then, so ``X_rest`` is
        ``X`` itself and ``positions`` is empty.

    Returns
    -------
    X_rest : ndarray or DataFrame of shape (n_samples, n_features - k)
        ``X`` without the sensitive columns, of the same container type.
    sensitive_features : ndarray or DataFrame
        The sensitive column as a 1-D array (one column) or the ``k`` columns
        (several columns, intersectional groups).
    positions : list of int
        Positions of the sensitive columns in ``X``.
    """
    if callable(sensitive_cols):
        _check_2d(X)
        return X, _call_group_function(sensitive_cols, X), []
    frame = as_frame(X)
    if frame is None:
        if not hasattr(X, "shape"):
            X = np.asarray(X, dtype=object) if _has_mixed_types(X) else np.asarray(X)
        _check_2d(X)
    cols, single = _as_column_list(sensitive_cols)
    positions = column_positions(X, cols)
    n_columns = X.shape[1] if frame is None else len(frame.columns)
    keep = np.setdiff1d(np.arange(n_columns), positions)
    if frame is not None:
        sens = get_column(X, positions[0]) if single else take_columns(X, positions)
        rest = take_columns(X, keep)
    else:
        sens = X[:, positions[0]] if single else X[:, positions]
        rest = X[:, keep]
    return rest, sens, positions


def _check_2d(X):
    ndim = getattr(X, "ndim", 2)
    if ndim != 2:
        raise ValueError(
            f"sensitive_cols needs a 2-D X; got an array with {ndim} "
            "dimension(s). Reshape your data with X.reshape(-1, 1) for a single "
            "feature or X.reshape(1, -1) for a single sample."
        )


def _call_group_function(group_function, X):
    from ._sklearn_compat import _num_samples  # scikit-learn: see the module doc

    groups = group_function(X)
    # _num_samples also counts array-likes without len() (only __array__).
    n_rows = _num_samples(X)
    if not hasattr(groups, "__len__") or len(groups) != n_rows:
        raise ValueError(
            f"sensitive_cols callable {getattr(group_function, '__name__', '')!r} "
            f"must return one group label per row of X ({n_rows} rows)."
        )
    return groups


def _has_mixed_types(X):
    try:
        np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return True
    return False


def check_X_given(X, method="fit"):
    """Raise a ValueError naming X if it is None.

    Called before anything measures ``X``: scikit-learn's ``_num_samples``
    raises a TypeError for None, and ``np.asarray(None)`` is a 0-d array.
    """
    if X is None:
        raise ValueError(
            f"{method} needs X, an array-like of shape (n_samples, n_features); "
            "got None."
        )


def resolve_sensitive_features(
    X,
    *,
    sensitive_cols=None,
    sensitive_features=None,
    required=True,
    method="fit",
    accept_sparse=False,
):
    """Apply the sensitive-feature rule: return ``X`` for the model and the groups.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Input data.
    sensitive_cols : str, int, list or None
        The estimator's ``sensitive_cols`` parameter.
    sensitive_features : array-like or None
        The ``sensitive_features=`` keyword passed to ``method``.
    required : bool, default=True
        Whether ``method`` needs the groups; if so and neither way gives them,
        a ``ValueError`` names both ways.
    method : str, default="fit"
        Name of the calling method, used in error messages.
    accept_sparse : bool, default=False
        Whether the caller models sparse ``X``. Columns named by
        ``sensitive_cols`` are never read from a sparse ``X``, but a callable
        ``sensitive_cols`` is then handed the sparse ``X`` as it is.

    Returns
    -------
    X_model : array-like
        ``X`` without the sensitive columns when ``sensitive_cols`` is set,
        otherwise ``X`` itself.
    sensitive_features : array-like or None
        The raw sensitive features (not yet encoded), one row per row of ``X``
        (checked here for the ``sensitive_features=`` keyword).

    Raises
    ------
    ValueError
        If ``X`` is None, or the groups are given both ways, or neither way
        while ``required``.
    TypeError
        If ``X`` is sparse and ``sensitive_cols`` names columns of it (or is
        a callable, unless ``accept_sparse``).
    """
    check_X_given(X, method)
    if (
        sensitive_cols is not None
        and issparse(X)
        and not (accept_sparse and callable(sensitive_cols))
    ):
        # TypeError, as scikit-learn's check_array for unsupported sparse input.
        raise TypeError(
            "Sparse input is not supported with sensitive_cols; pass the groups "
            "with sensitive_features= instead, or convert X to a dense array."
        )
    if sensitive_cols is not None and sensitive_features is not None:
        raise ValueError(
            f"{method} got both sensitive_cols (the estimator's parameter) and "
            "the sensitive_features= keyword; give the groups one way only."
        )
    if sensitive_cols is not None:
        X_model, sens, _ = split_sensitive_columns(X, sensitive_cols)
        if method == "fit":
            _check_some_feature(X_model)
        return X_model, sens
    if sensitive_features is None and required:
        raise ValueError(
            f"{method} needs the sensitive features: set sensitive_cols= (column "
            "name(s) or position(s) in X) on the estimator, or pass "
            "sensitive_features= to this method (with metadata routing, request "
            f"it with set_{method}_request(sensitive_features=True))."
        )
    if sensitive_features is not None and getattr(X, "ndim", 1) >= 1:
        from ._sklearn_compat import _num_samples

        check_n_samples(sensitive_features, _num_samples(X))
    if method == "fit":
        _check_some_feature(X)
    return X, sensitive_features


def _check_some_feature(X_model):
    """Raise scikit-learn's ValueError if the model's X has rows but no column.

    Checked before the groups, so that X's shape is reported first, as
    scikit-learn's ``check_array`` reports it (in a meta-estimator it would
    otherwise come from the wrapped estimator's fit, after the groups).
    """
    shape = getattr(X_model, "shape", None)
    # The column count first: a Dask DataFrame's row count is lazy.
    if shape is not None and len(shape) == 2 and shape[1] == 0 and shape[0] > 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(shape)}) while a "
            "minimum of 1 is required: X has no column for the model (the "
            "sensitive columns are not features)."
        )


@dataclass(frozen=True)
class GroupEncoding:
    """Integer codes of the rows' groups and the labels of the groups.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), integer dtype
        ``codes[i]`` is the index in ``groups`` of row ``i``'s group.
    groups : ndarray of shape (n_groups,)
        The group labels, sorted; tuples for intersectional groups.
    """

    codes: np.ndarray
    groups: np.ndarray

    @property
    def n_groups(self):
        return len(self.groups)


def _raise_missing(name="sensitive_features"):
    raise ValueError(
        f"{name} contains missing values (NaN or None); every row needs a group."
    )


def _is_pandas_categorical(obj):
    """A bare ``pandas.Categorical`` or a Series of ``category`` dtype."""
    if _is_pandas_series(obj):
        return getattr(obj.dtype, "name", None) == "category"
    return hasattr(obj, "categories") and hasattr(obj, "codes")


def _to_1d_array(values, name):
    """Return ``values`` as a 1-D array, keeping pandas input for pandas' encoders.

    Lists of strings become object arrays, not numpy strings: numpy would
    stringify any number among them (``[1, "1"]`` would be one group), while
    an object array keeps each label's Python value and type.
    """
    if _is_pandas_categorical(values):
        return values  # its codes are the encoding
    if _is_pandas_series(values):
        dtype = values.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            # pandas factorizes the bare object array several times faster
            # than the Series (10M strings: 0.4 s against 1.4 s).
            return values.to_numpy()
        if dtype.kind not in "biuf" or hasattr(dtype, "numpy_dtype"):
            # Extension and string dtypes: factorize once, in pandas.
            return values
        if values.hasnans:
            _raise_missing(name)
        return values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise ValueError(
            f"{name} must hold one group label per row (1-D, or 2-D for "
            f"intersectional groups); got the scalar {values!r}."
        )
    if arr.dtype.kind in "US" and not isinstance(values, np.ndarray):
        arr = np.asarray(values, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D here; got shape {arr.shape}.")
    return arr


def _check_no_missing(arr, name):
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            _raise_missing(name)
    elif arr.dtype.kind in "mM":
        if np.isnat(arr).any():
            _raise_missing(name)
    elif arr.dtype.kind == "O":
        # None, NaN, NaT and pandas.NA, without a row loop.
        if _has_missing(arr):
            _raise_missing(name)


def _encode_small_nonnegative_ints(arr):
    """Encode non-negative integers below _MAX_DIRECT_LABEL without sorting."""
    present = np.bincount(arr, minlength=1) > 0
    labels = np.flatnonzero(present)
    if labels.size == present.size:
        # Labels are exactly 0..G-1: the labels are already the codes.
        return arr, labels.astype(arr.dtype)
    lookup = np.cumsum(present, dtype=np.int32) - 1
    return lookup[arr], labels.astype(arr.dtype)


def _encode_categorical(values, name):
    """The categories' codes are the encoding: no pass over the labels."""
    if _is_pandas_series(values):
        codes, categories = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, categories = np.asarray(values.codes), values.categories
    if codes.size == 0:
        raise ValueError(f"{name} is empty.")
    if codes.min() < 0:
        _raise_missing(name)
    # Keep only the categories that occur, in category order.
    present = np.bincount(codes, minlength=len(categories)) > 0
    labels = np.asarray(categories, dtype=object)[present]
    if present.all():
        return GroupEncoding(codes, labels)
    lookup = np.cumsum(present, dtype=np.int32) - 1
    return GroupEncoding(lookup[codes], labels)


def _unorderable(name, exc):
    return ValueError(
        f"{name} mixes label types that cannot be ordered ({exc}); use one "
        "type of label per column (for instance convert them all to str)."
    )


def _factorize(values, name):
    """Encode with one hash pass (pandas), then sort the few distinct labels.

    Sorting the distinct labels instead of the rows makes this O(n) for the
    rows; the labels keep their Python values, so ``1`` and ``"1"`` are two
    labels, and labels of types that cannot be ordered are refused.
    """
    import pandas as pd

    codes, uniques = pd.factorize(values)
    if codes.size == 0:
        raise ValueError(f"{name} is empty.")
    if codes.min() < 0:
        _raise_missing(name)
    uniques = np.asarray(uniques, dtype=object)
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError as exc:
        raise _unorderable(name, exc) from exc
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return GroupEncoding(rank[codes], uniques[order])


def _pandas_or_none():
    try:
        import pandas
    except ImportError:  # pandas is optional
        return None
    return pandas


def _encode_1d(values, name):
    arr = _to_1d_array(values, name)
    if _is_pandas_categorical(arr):
        return _encode_categorical(arr, name)
    if _is_pandas_series(arr) or (
        arr.dtype.kind == "O" and _pandas_or_none() is not None
    ):
        return _factorize(arr, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if arr.dtype.kind == "b":
        codes = arr.view(np.uint8)
        labels = np.array([False, True])
        present = np.bincount(codes, minlength=2) > 0
        if present.all():
            return GroupEncoding(codes, labels)
        return GroupEncoding(np.zeros(arr.size, dtype=np.uint8), labels[present])
    if arr.dtype.kind in "iu":
        lo, hi = arr.min(), arr.max()
        if lo >= 0 and hi < _MAX_DIRECT_LABEL:
            codes, labels = _encode_small_nonnegative_ints(arr)
            return GroupEncoding(codes, labels)
    _check_no_missing(arr, name)
    try:
        labels, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise _unorderable(name, exc) from exc
    return GroupEncoding(codes.reshape(-1), labels)


def _as_2d_columns(values):
    """Columns of a 2-D sensitive-feature input, or None if it is 1-D."""
    frame = as_frame(values)
    if frame is not None:
        return [get_column(values, j) for j in range(len(frame.columns))]
    if _is_pandas_series(values) or as_series(values) is not None:
        return None
    arr = values if hasattr(values, "ndim") else np.asarray(values, dtype=object)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return [arr[:, j] for j in range(arr.shape[1])]
    return None


# The running code of the combined columns stays below this bound, so that
# multiplying it by a column's number of labels cannot overflow int64.
_MAX_COMBINED_CODE = 1 << 62


def _combine_codes(column_encodings):
    """Codes of each row's tuple of per-column codes, in lexicographic order.

    The columns are combined as mixed-radix digits. The radix product of many
    columns overflows int64 (65 binary columns, or 8 columns of 300 labels),
    so whenever the next digit could overflow, the running code is first
    replaced by its rank among the distinct values present (``np.unique``),
    which keeps the order and is below the number of rows. The running code
    then never exceeds ``n_rows * n_labels`` of one column.

    Returns
    -------
    combined : ndarray of shape (n_samples,), dtype int64
        Equal codes exactly for equal tuples; ordered like the tuples.
    """
    combined = np.zeros(column_encodings[0].codes.size, dtype=np.int64)
    bound = 1  # combined < bound
    for enc in column_encodings:
        if bound > _MAX_COMBINED_CODE // enc.n_groups:
            present, combined = np.unique(combined, return_inverse=True)
            combined = combined.reshape(-1).astype(np.int64, copy=False)
            bound = present.size
        combined *= enc.n_groups
        combined += enc.codes
        bound *= enc.n_groups
    return combined


def encode_groups(sensitive_features, *, name="sensitive_features"):
    """Encode sensitive features into integer group codes, once.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Any hashable labels (ints, strings, bools, pandas categoricals). A 2-D
        input defines intersectional groups, one per combination of labels that
        occurs.
    name : str, default="sensitive_features"
        Name used in error messages.

    Returns
    -------
    encoding : GroupEncoding
        ``codes`` (one integer per row) and the sorted ``groups`` labels
        (tuples for intersectional groups).

    Raises
    ------
    ValueError
        On missing values (NaN or None), empty input or unorderable labels.

    Examples
    --------
    >>> from skfair.utils import encode_groups
    >>> enc = encode_groups(["b", "a", "b"])
    >>> enc.codes.tolist(), enc.groups.tolist()
    ([1, 0, 1], ['a', 'b'])
    """
    columns = _as_2d_columns(sensitive_features)
    if columns is None:
        return _encode_1d(sensitive_features, name)
    if len(columns) == 1:  # a DataFrame of one column
        return _encode_1d(columns[0], name)
    column_encodings = [_encode_1d(col, name) for col in columns]
    lengths = {enc.codes.size for enc in column_encodings}
    if len(lengths) != 1:
        raise ValueError(f"{name} columns have different lengths: {sorted(lengths)}.")
    combined = _combine_codes(column_encodings)
    _, first_rows, codes = np.unique(combined, return_index=True, return_inverse=True)
    # Each group's labels are those of its first row, column by column.
    parts = [enc.groups[enc.codes[first_rows]] for enc in column_encodings]
    labels = np.empty(first_rows.size, dtype=object)
    for i in range(first_rows.size):
        labels[i] = tuple(python_label(part[i]) for part in parts)
    return GroupEncoding(codes.reshape(-1), labels)


def check_two_groups(groups, owner, *, n_samples, name="sensitive_features"):
    """Raise a ValueError unless the training data hold at least two groups.

    The one check of skfair's estimators for the bad input "one group": a
    fairness constraint or repair compares groups, so with a single group it
    would do nothing, silently.

    Parameters
    ----------
    groups : array-like of shape (n_groups,)
        The labels of the groups in the training data (``GroupEncoding.groups``).
    owner : str
        The estimator's name, for the message.
    n_samples : int
        The number of training rows, for the message.
    name : str, default="sensitive_features"
        Name of the groups in the message.

    Raises
    ------
    ValueError
        If there are fewer than two groups; the message names the group.

    Examples
    --------
    >>> from skfair.utils import check_two_groups
    >>> check_two_groups(["a", "b"], "MyEstimator", n_samples=5)
    >>> check_two_groups(["a"], "MyEstimator", n_samples=5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sensitive_features hold one group only ('a') in the n_samples=5 ...
    """
    if len(groups) < 2:
        shown = format_label(groups[0]) if len(groups) else "none"
        raise ValueError(
            f"{name} hold one group only ({shown}) in the n_samples={n_samples} "
            f"training rows; {owner} compares groups, so it needs at least two."
        )


def encode_fit_groups(sensitive_features, owner, *, name="sensitive_features"):
    """:func:`encode_groups` for a ``fit``: the groups, at least two of them.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        The groups of the training rows.
    owner : str
        The estimator's name, for the message.
    name : str, default="sensitive_features"
        Name used in error messages.

    Returns
    -------
    encoding : GroupEncoding

    Raises
    ------
    ValueError
        On the bad inputs :func:`encode_groups` refuses, and on a single
        group (:func:`check_two_groups`).

    Examples
    --------
    >>> from skfair.utils import encode_fit_groups
    >>> encode_fit_groups(["b", "a", "b"], "MyEstimator").groups.tolist()
    ['a', 'b']
    """
    encoding = encode_groups(sensitive_features, name=name)
    check_two_groups(encoding.groups, owner, n_samples=encoding.codes.size, name=name)
    return encoding


def python_label(label):
    """A group or class label as plain Python, for messages and dict keys.

    numpy scalars become their Python value; intersectional group labels
    (tuples) become tuples of Python values.
    """
    if isinstance(label, (tuple, list, np.ndarray)):
        return tuple(python_label(value) for value in label)
    return label.item() if isinstance(label, np.generic) else label


def check_n_samples(sensitive_features, n_samples, *, name="sensitive_features"):
    """Raise a ValueError unless ``sensitive_features`` has ``n_samples`` rows."""
    try:
        if isinstance(sensitive_features, (str, bytes)):
            raise TypeError
        n = len(sensitive_features)
    except TypeError:  # a scalar (a 0-d array raises it too)
        raise ValueError(
            f"{name} must hold one group label per row (1-D, or 2-D for "
            f"intersectional groups); got {sensitive_features!r}."
        ) from None
    if n != n_samples:
        raise ValueError(
            f"{name} has {n} rows but the data has {n_samples}; they must match."
        )


def format_label(label):
    """``repr`` of a label as plain Python: ``'a'``, ``5``, ``('f', 1)``."""
    return repr(python_label(label))


def encode_known_groups(sensitive_features, groups, *, name="sensitive_features"):
    """Codes of rows' groups relative to groups seen in fit; unseen groups raise.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group labels of new rows.
    groups : ndarray
        The ``groups`` of the :class:`GroupEncoding` learned in fit.
    name : str, default="sensitive_features"
        Name used in error messages.

    Returns
    -------
    codes : ndarray of shape (n_samples,)
        Index into ``groups`` of each row's group.

    Raises
    ------
    ValueError
        If a row's group was not seen in fit; the message names the group.

    Examples
    --------
    >>> from skfair.utils import encode_groups, encode_known_groups
    >>> groups = encode_groups(["a", "b"]).groups
    >>> encode_known_groups(["b", "b", "a"], groups).tolist()
    [1, 1, 0]
    >>> encode_known_groups(["c"], groups)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sensitive_features holds group 'c', which was not seen in fit...
    """
    new = encode_groups(sensitive_features, name=name)
    lookup = np.empty(new.n_groups, dtype=np.intp)
    seen = {python_label(label): i for i, label in enumerate(groups)}
    for j, label in enumerate(new.groups):
        index = seen.get(python_label(label))
        if index is None:
            shown = [python_label(g) for g in groups[:20]]
            raise ValueError(
                f"{name} holds group {format_label(label)}, which was not seen "
                f"in fit (seen: {shown}{'...' if len(groups) > 20 else ''})."
            )
        lookup[j] = index
    return lookup[new.codes]
