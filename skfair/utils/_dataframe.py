"""The one dataframe-agnostic layer: columns of any DataFrame scikit-learn accepts.

skfair finds the sensitive columns by name, splits them off, reads numeric
columns and passes columns through unchanged. These helpers do that for every
eager DataFrame that narwhals knows (pandas, polars, pyarrow, modin, cuDF), so
that no estimator holds a pandas case and a polars case. narwhals is the
layer scikit-learn itself builds on for the same purpose.

Columns are addressed by position throughout: positions are what
``sensitive_cols`` and ``columns`` resolve to, and they also address columns
whose names are not strings (a pandas DataFrame built from an array has
integer names).
"""

import narwhals.stable.v2 as nw
import numpy as np
from narwhals.exceptions import DuplicateError


def as_frame(X):
    """``X`` as a narwhals DataFrame, or None if ``X`` is not an eager DataFrame.

    Raises
    ------
    ValueError
        If ``X`` is a DataFrame whose column names repeat: a column would
        not be found by its name.
    """
    try:
        frame = nw.from_native(X, eager_only=True, pass_through=True)
    except DuplicateError as exc:
        raise ValueError(
            f"X has duplicate column names ({exc}); give every column a unique name."
        ) from None
    return frame if isinstance(frame, nw.DataFrame) else None


def is_dataframe(X):
    """Whether ``X`` is an eager DataFrame (pandas, polars, ...), not an array."""
    return as_frame(X) is not None


def column_names(X):
    """The column names of a DataFrame ``X`` as a list, or None for an array."""
    frame = as_frame(X)
    return None if frame is None else list(frame.columns)


def take_columns(X, positions):
    """The columns of the DataFrame ``X`` at ``positions``, as a native DataFrame."""
    return nw.to_native(as_frame(X)[:, [int(j) for j in positions]])


def get_column(X, position):
    """The column of the DataFrame ``X`` at ``position``, as a native Series."""
    return nw.to_native(as_frame(X)[:, int(position)])


def as_series(values):
    """``values`` as a narwhals Series, or None if it is not a Series."""
    series = nw.from_native(values, series_only=True, pass_through=True)
    return series if isinstance(series, nw.Series) else None


def is_numeric_column(X, position):
    """Whether the column at ``position`` has a numeric dtype (not boolean)."""
    return as_frame(X).schema.dtypes()[int(position)].is_numeric()


def is_object_column(X, position):
    """Whether the column at ``position`` holds Python objects (pandas object)."""
    return as_frame(X).schema.dtypes()[int(position)] == nw.Object


def column_as_float(X, position):
    """The column at ``position`` as a float64 ndarray, missing values as NaN."""
    series = as_frame(X)[:, int(position)]
    # A nullable integer column (pandas Int64, any polars column) holds nulls,
    # not NaN; casting first makes them NaN whatever the library.
    return np.asarray(series.cast(nw.Float64).to_numpy(), dtype=np.float64)


def to_numpy(X):
    """The DataFrame ``X`` as one 2-D ndarray (object dtype if the columns mix)."""
    return as_frame(X).to_numpy()


def replace_columns(X, positions, values):
    """The DataFrame ``X`` with the columns at ``positions`` replaced by floats.

    ``values[:, i]`` replaces column ``positions[i]``; every other column,
    its dtype and (pandas) the index are kept. ``X`` itself is not modified.
    """
    frame = as_frame(X)
    names = frame.columns
    backend = frame.implementation
    replaced = [
        nw.new_series(
            name=names[int(j)], values=values[:, i], dtype=nw.Float64, backend=backend
        )
        for i, j in enumerate(positions)
    ]
    return nw.to_native(frame.with_columns(*replaced))


def convert_frame(X, library):
    """The DataFrame ``X`` as a DataFrame of ``library`` ("pandas", "polars").

    A frame of that library is returned as it is. Otherwise each column goes
    through numpy, so that no optional converter (pyarrow) is needed: numeric
    columns keep their values, other columns become Python objects (strings
    and categories become strings), missing values nulls.
    """
    frame = as_frame(X)
    if frame.implementation.name.lower() == library:
        return X
    columns = {}
    for name in frame.columns:
        series = frame.get_column(name)
        if series.dtype.is_numeric():
            values = series.to_numpy()
        else:
            # Missing values become None (null), whatever marked them (NaN,
            # pandas.NA), so that a column of strings stays one.
            values = np.asarray(series.to_list(), dtype=object)
            values[series.is_null().to_numpy()] = None
        # polars names columns by strings only; set_output renames them anyway.
        columns[str(name)] = values
    return nw.to_native(nw.from_dict(columns, backend=library))
