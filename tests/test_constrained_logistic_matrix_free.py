"""The matrix-free path of ConstrainedLogisticRegression on wide sparse data.

The SCP solves with the Lagrangian's Hessian by conjugate gradients there
(``_scp._MatrixFreeNewton``) instead of factoring it (``_DampedNewton``);
these tests check that it gives the same directions and the same fits as the
dense factor, on problems small enough for both.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import OneHotEncoder

from skfair.inprocessing import ConstrainedLogisticRegression, _problem, _scp
from skfair.inprocessing._problem import exclusive_blocks
from skfair.metrics import equalized_odds_difference


def _one_hot_data(n, levels, n_groups=2, seed=0):
    """One-hot features (one correlated with the group) and a noisy label."""
    rng = np.random.RandomState(seed)
    group = rng.randint(0, n_groups, n)
    codes = rng.randint(0, levels, size=(n, 4))
    codes[:, 0] = (codes[:, 0] + group * (levels // n_groups)) % levels
    effects = rng.normal(size=(4, levels))
    logits = effects[np.arange(4), codes].sum(axis=1)
    y = (logits + rng.logistic(size=n) > np.median(logits)).astype(int)
    X = OneHotEncoder().fit_transform(codes).tocsr()
    return X, y, group


@pytest.fixture
def force_matrix_free(monkeypatch):
    """Every sparse design takes the matrix-free path (and no dense one)."""

    def set_path(matrix_free):
        threshold = 0 if matrix_free else 10**9
        monkeypatch.setattr(_problem, "MATRIX_FREE_MIN_PARAMS", threshold)

    return set_path


def _brute_force_fewest_blocks(X):
    """Fewest contiguous blocks with no two nonzeros of a row in one block."""
    pattern = X.toarray() != 0
    n_columns = pattern.shape[1]
    fewest = {0: 0}  # fewest blocks covering the first `end` columns
    for end in range(1, n_columns + 1):
        best = None
        for start in range(end):
            if start in fewest and pattern[:, start:end].sum(axis=1).max() <= 1:
                if best is None or fewest[start] + 1 < best:
                    best = fewest[start] + 1
        fewest[end] = best
    return fewest[n_columns]


def test_exclusive_blocks_find_the_one_hot_features():
    X, _, _ = _one_hot_data(300, 6, seed=1)
    intercept = sp.csr_matrix(np.ones((X.shape[0], 1)))
    blocks = exclusive_blocks(sp.hstack([X, intercept], format="csr"))
    assert [(b.start, b.stop) for b in blocks] == [
        (0, 6),
        (6, 12),
        (12, 18),
        (18, 24),
        (24, 25),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_exclusive_blocks_are_valid_and_fewest(seed):
    rng = np.random.RandomState(seed)
    X = sp.random(40, 12, density=0.15, format="csr", random_state=rng)
    blocks = exclusive_blocks(X)
    assert blocks[0].start == 0 and blocks[-1].stop == 12
    assert all(a.stop == b.start for a, b in zip(blocks[:-1], blocks[1:], strict=True))
    dense = X.toarray() != 0
    for block in blocks:
        assert dense[:, block].sum(axis=1).max() <= 1
    assert len(blocks) == _brute_force_fewest_blocks(X)


@pytest.mark.parametrize("with_multipliers", [False, True])
def test_matrix_free_directions_equal_the_dense_factor(
    force_matrix_free, with_multipliers
):
    force_matrix_free(True)
    X, y, group = _one_hot_data(600, 8, seed=2)
    cells = group * 2 + y
    model = _problem._RateConstrainedLogistic(
        X, y, np.ones(y.size), cells, 4, 1.0, True
    )
    assert model.matrix_free and model.coarse_basis is not None
    rng = np.random.RandomState(3)
    theta = rng.normal(scale=0.3, size=model.n_params)
    z = model.scores(theta)
    # Small multipliers keep H positive definite: the same solves.
    multipliers = 0.05 * rng.rand(4) if with_multipliers else None
    basis = rng.normal(size=(model.n_params, 3))
    for damping in (1e-4, 1e-2):
        free = _scp._MatrixFreeNewton(model, z, multipliers)
        dense = _scp._DampedNewton(model, z, multipliers)
        got = free.directions(damping, basis)
        # Twice with the same curvature: the second solve starts recycled.
        again = free.directions(damping, basis[:, ::-1])
        expected = dense.directions(damping, basis)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, atol=1e-5 * scale)
        np.testing.assert_allclose(again, expected[:, ::-1], atol=1e-5 * scale)
        assert not free.modified


def test_matrix_free_makes_an_indefinite_curvature_positive(force_matrix_free):
    force_matrix_free(True)
    X, y, group = _one_hot_data(400, 5, seed=4)
    cells = group * 2 + y
    model = _problem._RateConstrainedLogistic(
        X, y, np.ones(y.size), cells, 4, 1.0, True
    )
    model.temperature = 0.05  # sharp rates: large curvature
    z = model.scores(np.random.RandomState(5).normal(size=model.n_params))
    multipliers = np.array([50.0, -50.0, 50.0, -50.0])
    free = _scp._MatrixFreeNewton(model, z, multipliers)
    assert np.any(free.row_weight < 0)
    basis = np.random.RandomState(6).normal(size=(model.n_params, 2))
    directions = free.directions(1e-6, basis)
    # Solved against the positive definite A' diag(|w|) A + shift.
    assert free.modified and np.all(free.row_weight >= 0)
    shift = model.reg + 1e-6 * free.marquardt
    image = model.A.T @ (free.row_weight[:, None] * (model.A @ directions))
    image += shift[:, None] * directions
    np.testing.assert_allclose(image, basis, atol=1e-4 * np.abs(basis).max())


@pytest.mark.parametrize(
    "n_groups, tolerance, seed", [(2, 0.02, 7), (2, 0.0, 8), (3, 0.01, 9)]
)
def test_matrix_free_fit_equals_the_dense_path(
    force_matrix_free, n_groups, tolerance, seed
):
    X, y, group = _one_hot_data(2000, 10, n_groups=n_groups, seed=seed)
    fits = {}
    for matrix_free in (True, False):
        force_matrix_free(matrix_free)
        fits[matrix_free] = ConstrainedLogisticRegression(tolerance=tolerance).fit(
            X, y, sensitive_features=group
        )
    free, dense = fits[True], fits[False]
    np.testing.assert_allclose(free.coef_, dense.coef_, atol=1e-4)
    np.testing.assert_allclose(free.intercept_, dense.intercept_, atol=1e-4)
    np.testing.assert_array_equal(free.predict(X), dense.predict(X))
    gap = equalized_odds_difference(y, free.predict(X), sensitive_features=group)
    assert gap == pytest.approx(
        equalized_odds_difference(y, dense.predict(X), sensitive_features=group)
    )


def test_wide_sparse_design_takes_the_matrix_free_path(monkeypatch):
    """The default threshold: 1,000 parameters or more on a sparse design."""
    calls = []
    original = _scp._MatrixFreeNewton.__init__

    def spy(self, *args):
        calls.append(1)
        original(self, *args)

    monkeypatch.setattr(_scp._MatrixFreeNewton, "__init__", spy)
    X, y, group = _one_hot_data(3000, 250, seed=10)
    assert X.shape[1] >= _problem.MATRIX_FREE_MIN_PARAMS
    ConstrainedLogisticRegression(tolerance=0.05).fit(X, y, sensitive_features=group)
    assert calls
    calls.clear()
    ConstrainedLogisticRegression(tolerance=0.05).fit(
        X[:, :50].toarray(), y, sensitive_features=group
    )
    assert not calls
