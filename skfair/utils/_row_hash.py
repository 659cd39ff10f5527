"""Uniform numbers that depend on a row's values and a seed, never on the batch.

A randomized prediction drawn from one random stream in row order depends on
the row's position in the batch: a row predicted alone always takes the
stream's first number. Hashing the row instead gives each row its own
uniform number, so a row's decision is the same in any batch (one row at a
time included) and identical rows get identical decisions, while distinct
rows still get independent-looking numbers, so rates over many rows are as
expected.

The hash is deterministic across processes and platforms: numbers are
hashed by their float64 bit pattern, anything else by a keyed BLAKE2 digest
of ``str(value)`` (not Python's ``hash``, which is salted per process). A
zero contributes nothing, so a sparse row and its dense copy hash alike, and
an integer column hashes like the same values stored as floats.
"""

import hashlib
import sys

import numpy as np
from scipy import sparse

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(h):
    """splitmix64's finalizer: a bijection of uint64 that spreads every bit."""
    h = np.array(h, dtype=np.uint64)  # a copy, modified in place below
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _column_salts(n_columns):
    """A distinct pseudo-random salt per column position."""
    with np.errstate(over="ignore"):
        return _mix(np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN)


def _float_bits(values):
    """float64 bit patterns, with -0.0 as 0.0 and one NaN pattern."""
    values = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0
    nan = np.isnan(values)
    if nan.any():
        values[nan] = np.nan
    return values.view(np.uint64)


def _numeric_cells(values, salts):
    """Hash of each cell of a numeric array; 0 where the value is 0."""
    bits = _float_bits(values)
    return np.where(bits == 0, np.uint64(0), _mix(bits ^ salts))


def _string_hashes(values):
    """A keyed 64-bit digest of ``str(v)`` for each value of a 1-D array."""
    labels, inverse = np.unique(
        np.asarray(values, dtype=object).astype(str), return_inverse=True
    )
    digests = b"".join(
        hashlib.blake2b(label.encode(), digest_size=8, key=b"skfair").digest()
        for label in labels.tolist()
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)[inverse.ravel()]


def _is_numeric(values):
    return values.dtype.kind in "biuf"


def _column_cells(column, salt):
    """Cell hashes of one column (1-D array or pandas Series)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(column, pandas.Series):
        dtype = column.dtype
        if pandas.api.types.is_bool_dtype(dtype) or (
            pandas.api.types.is_numeric_dtype(dtype)
            and not isinstance(dtype, pandas.CategoricalDtype)
        ):
            try:
                column = column.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                column = column.to_numpy(dtype=object)
        else:
            column = column.to_numpy(dtype=object)
    column = np.asarray(column)
    if _is_numeric(column):
        return _numeric_cells(column, salt)
    if column.dtype.kind in "mM":
        bits = column.view(np.int64).astype(np.uint64)
        return _mix(bits ^ salt)
    return _mix(_string_hashes(column) ^ salt)


def _row_sums(X):
    """Sum (mod 2**64) of the cell hashes of each row of ``X``."""
    if sparse.issparse(X):
        X = sparse.csr_array(X, copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        salts = _column_salts(X.shape[1])
        cells = _numeric_cells(X.data, salts[X.indices])
        with np.errstate(over="ignore"):
            cumulative = np.concatenate(([np.uint64(0)], np.cumsum(cells)))
            return cumulative[X.indptr[1:]] - cumulative[X.indptr[:-1]]
    if hasattr(X, "iloc") and X.ndim == 2:
        columns = [X.iloc[:, j] for j in range(X.shape[1])]
    else:
        X = np.asarray(X)
        if X.ndim == 0:
            raise ValueError("X must hold rows; got a scalar.")
        X = X.reshape(X.shape[0], -1)
        if _is_numeric(X):
            # Contiguous columns: one conversion instead of strided reads.
            X = np.asfortranarray(X, dtype=np.float64)
        columns = list(X.T)
    # Column by column: faster than 2-D temporaries (and row-wise uint64
    # sums) on tall data, and the same code for arrays and DataFrames.
    salts = _column_salts(len(columns))
    total = np.zeros(X.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column, salt in zip(columns, salts, strict=True):
            total += _column_cells(column, salt)
    return total


def row_uniforms(X, seed):
    """One number in [0, 1) per row of ``X``, a function of the row and ``seed``.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix of shape (n_samples, ...)
        The rows.
    seed : int
        Any non-negative integer below 2**64.

    Returns
    -------
    u : ndarray of shape (n_samples,)
        ``u[i]`` depends only on row ``i`` of ``X`` and ``seed``;
        over distinct rows the numbers behave like independent uniforms.
    """
    h = _row_sums(X)
    with np.errstate(over="ignore"):
        h = _mix(h ^ _mix(np.array([seed], dtype=np.uint64)))
    # The top 53 bits give a float in [0, 1) on the grid of 2**-53.
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53
