"""Per-row uniform numbers: a function of the row and the seed only."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from skfair.utils import _row_hash
from skfair.utils._row_hash import row_uniforms


def test_same_row_same_number_in_any_container_and_batch():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    u = row_uniforms(X, 7)
    assert np.all((u >= 0) & (u < 1))
    np.testing.assert_array_equal(row_uniforms(X[::-1], 7), u[::-1])
    np.testing.assert_array_equal([row_uniforms(X[[i]], 7)[0] for i in range(50)], u)
    np.testing.assert_array_equal(row_uniforms(pd.DataFrame(X), 7), u)
    np.testing.assert_array_equal(row_uniforms(sparse.csr_matrix(X), 7), u)
    np.testing.assert_array_equal(row_uniforms(sparse.csc_array(X), 7), u)
    np.testing.assert_array_equal(row_uniforms(X.tolist(), 7), u)
    # Integers hash like the same values as floats, -0.0 like 0.0, every
    # NaN alike.
    ints = np.arange(12).reshape(6, 2)
    np.testing.assert_array_equal(row_uniforms(ints, 1), row_uniforms(ints * 1.0, 1))
    assert row_uniforms([[-0.0, np.nan]], 1) == row_uniforms([[0.0, -np.nan]], 1)


def test_what_changes_the_number():
    base = row_uniforms([[1.0, 2.0]], 0)[0]
    assert row_uniforms([[2.0, 1.0]], 0)[0] != base  # column order matters
    assert row_uniforms([[1.0, 2.0]], 1)[0] != base  # the seed
    frame = pd.DataFrame({"x": [1.0, 1.0], "g": pd.Categorical(["a", "b"])})
    a, b = row_uniforms(frame, 0)
    assert a != b


def test_numbers_are_uniform_and_unrelated_on_structured_rows():
    # Consecutive integers and a few repeated levels: the worst case for a
    # weak hash. Kolmogorov-Smirnov against U(0, 1), and neighbours must not
    # be correlated (deterministic given the seed; both bounds are far from
    # what a good hash gives).
    n = 40_000
    X = np.column_stack([np.arange(n), np.arange(n) % 7, np.zeros(n)])
    for seed in (0, 1):
        u = row_uniforms(X, seed)
        assert stats.kstest(u, "uniform").pvalue > 1e-3
        assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4.5 / np.sqrt(n)
    strings = np.array([f"id{i}" for i in range(n)], dtype=object)[:, None]
    assert stats.kstest(row_uniforms(strings, 0), "uniform").pvalue > 1e-3


def test_deterministic_across_processes():
    # Python's own hash of strings is salted per process; ours must not be.
    # The module is loaded from its file: importing skfair would take seconds.
    code = (
        "import importlib.util, sys, numpy as np;"
        f"spec = importlib.util.spec_from_file_location('h', {_row_hash.__file__!r});"
        "h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h);"
        "X = np.array([['a', 1.5], ['b', 2]], dtype=object);"
        "print(repr(h.row_uniforms(X, 3).tolist()))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(salt)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for salt in (1, 2)
    }
    X = np.array([["a", 1.5], ["b", 2]], dtype=object)
    assert outputs == {repr(row_uniforms(X, 3).tolist()) + "\n"}


def test_scalar_is_refused():
    with pytest.raises(ValueError, match="rows"):
        row_uniforms(np.float64(1.0), 0)
