"""Counterfactual flip rate: do predictions change with the sensitive value alone?"""

import narwhals.stable.v2 as nw
import numpy as np

from ..utils._dataframe import as_frame
from ..utils._sensitive import (
    _as_column_list,
    check_X_given,
    column_positions,
    encode_groups,
    format_label,
    python_label,
)

__all__ = ["counterfactual_flip_rate"]


def _as_input(X):
    """A DataFrame as it is, anything else as a 2-D ndarray (never copied)."""
    check_X_given(X, "counterfactual_flip_rate")
    if as_frame(X) is not None:
        return X
    if hasattr(X, "toarray"):
        raise TypeError(
            "counterfactual_flip_rate does not accept sparse X: it writes the "
            "sensitive column. Pass a dense array or a DataFrame."
        )
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise ValueError(f"X is not a 2-D table: {exc}") from None
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features); got {X.ndim} dimension(s)."
        )
    return X


def _row_labels(X, positions):
    """Each row's value (a tuple for several columns) of the sensitive columns."""
    frame = as_frame(X)
    if frame is not None:
        columns = [frame[:, j].to_list() for j in positions]
    else:
        columns = [X[:, j].tolist() for j in positions]
    if len(columns) == 1:
        return np.asarray(columns[0], dtype=object)
    labels = np.empty(len(columns[0]), dtype=object)
    labels[:] = list(zip(*columns, strict=True))
    return labels


def _substituted(X, positions, value, donor):
    """A copy of ``X`` whose sensitive columns all hold ``value``.

    ``donor`` is a row of ``X`` holding ``value``, or None: a DataFrame's new
    column is then gathered from that row, which keeps its dtype exactly
    (categories included); otherwise it is built from ``value``, cast to the
    column's dtype.
    """
    parts = value if len(positions) > 1 else (value,)
    frame = as_frame(X)
    if frame is None:
        out = X.copy()
        for j, part in zip(positions, parts, strict=True):
            try:
                out[:, j] = part
            except (TypeError, ValueError):
                raise ValueError(
                    f"The value {part!r} cannot be written to column {j} of X "
                    f"(dtype {X.dtype}); give values of the column's type."
                ) from None
        return out
    n = len(frame)
    columns = []
    for j, part in zip(positions, parts, strict=True):
        column = frame[:, j]
        if donor is not None:
            new = column[np.full(n, donor)]
        else:
            new = nw.new_series(
                name=column.name, values=[part] * n, backend=frame.implementation
            ).cast(column.dtype)
        columns.append(new.alias(column.name))
    return nw.to_native(frame.with_columns(*columns))


def _check_values(values, n_columns):
    values = list(values)
    if not values:
        raise ValueError("values is empty; give at least one sensitive value.")
    if n_columns > 1:
        for value in values:
            if not isinstance(value, tuple) or len(value) != n_columns:
                raise ValueError(
                    f"With {n_columns} sensitive columns every entry of values "
                    f"must be a tuple of {n_columns} values; got {value!r}."
                )
    return [python_label(value) for value in values]


def counterfactual_flip_rate(
    estimator, X, *, sensitive_cols, values=None, sample_weight=None
):
    """Share of rows whose prediction changes when only their group is changed.

    For a model that sees the sensitive attribute as a feature: each row of
    ``X`` is predicted as it is and then with its sensitive value replaced by
    each counterfactual value in turn, every other column unchanged. A row
    *flips* if at least one counterfactual prediction differs from its
    prediction as it is; the rate is the (weighted) share of rows that flip.
    0 means that on these rows the attribute alone never changes a decision.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted model with ``predict`` that takes ``X`` with the sensitive
        column(s) (e.g. a Pipeline that encodes them).
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        The rows to test, sensitive column(s) included.
    sensitive_cols : str, int or list of those
        Name(s) or position(s) of the sensitive column(s) of ``X``. With
        several columns the counterfactuals replace all of them together, by
        one combination of values (intersectional groups).
    values : list or None, default=None
        The counterfactual values (tuples for several columns). None uses
        every group that occurs in ``X``. A row is never compared with its
        own value, so with None each row is compared with every other group.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights of the share.

    Returns
    -------
    rate : float
        Weighted share of the rows whose prediction changes under at least
        one counterfactual value (the combination of several counterfactuals
        is "any": a row counts once however many of them flip it).

    Raises
    ------
    ValueError
        If the sensitive columns are not found, ``X`` holds a single group
        and ``values`` is None, or ``values`` is malformed.

    Notes
    -----
    The substitution changes only the columns named, so a model fed a second
    copy of the attribute, or features derived from it elsewhere, is tested
    only on the columns named. In a DataFrame the new column keeps the
    column's dtype (a pandas ``category`` keeps its categories).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.metrics import counterfactual_flip_rate
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.integers(0, 2, 500)
    >>> income = rng.normal(size=500)
    >>> X = np.column_stack([income, sex])
    >>> y = (income + 0.8 * sex + rng.normal(size=500) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> rate = counterfactual_flip_rate(model, X, sensitive_cols=1)
    >>> bool(0 < rate < 0.5)
    True
    >>> # Only the rows of sex 0 can flip towards sex 1:
    >>> counterfactual_flip_rate(model, X, sensitive_cols=1, values=[1])
    0.13
    """
    X = _as_input(X)
    if not hasattr(estimator, "predict"):
        raise TypeError(
            f"estimator must be a fitted model with predict; got {estimator!r}."
        )
    from sklearn.utils.validation import check_is_fitted

    from ..utils import check_sample_weight_1d

    check_is_fitted(estimator)
    cols, _ = _as_column_list(sensitive_cols)
    positions = column_positions(X, cols)
    own = _row_labels(X, positions)
    n_samples = own.size
    if n_samples == 0:
        raise ValueError("X has no rows.")
    weight = check_sample_weight_1d(sample_weight, n_samples)
    encoding = encode_groups(own, name="the sensitive column(s)")
    present = {python_label(g): i for i, g in enumerate(encoding.groups)}
    if values is None:
        if encoding.n_groups < 2:
            raise ValueError(
                f"X holds a single group ({format_label(encoding.groups[0])}); "
                "give the counterfactual values with values=."
            )
        values = [python_label(g) for g in encoding.groups]
    else:
        values = _check_values(values, len(positions))
    first_row = np.full(encoding.n_groups, -1)
    first_row[encoding.codes[::-1]] = np.arange(n_samples)[::-1]

    factual = np.asarray(estimator.predict(X))
    flipped = np.zeros(n_samples, dtype=bool)
    for value in values:
        index = present.get(value)
        donor = None if index is None else int(first_row[index])
        counterfactual = np.asarray(
            estimator.predict(_substituted(X, positions, value, donor))
        )
        changed = counterfactual != factual
        if changed.ndim > 1:  # multi-output predictions
            changed = changed.reshape(n_samples, -1).any(axis=1)
        if index is not None:
            changed &= encoding.codes != index
        flipped |= changed
    return float(np.average(flipped, weights=weight))
