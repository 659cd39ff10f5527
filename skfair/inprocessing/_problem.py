"""The pieces of the sequential convex program behind ConstrainedLogisticRegression.

Two parts:

``_RateConstrainedLogistic``
    The smooth nonlinear program on the training data: the regularised
    logistic loss, the groups' mean "soft decisions" ``sigmoid(z / T)`` per
    label slice ("rates"; ``T = 1`` gives the mean predicted probabilities,
    a small ``T`` approaches the rates of the hard decisions ``z > 0``; with
    ``T = None`` the mean decision-function values ``z``, linear in the
    coefficients, which makes the program convex), and
    their first and second derivatives, in closed form with numpy. ``X`` may
    be dense or scipy sparse; it is scaled internally (see there).

``_Subproblem`` / ``_SubproblemPool``
    The convex quadratic subproblem of every iteration, written once in
    cvxpy in a reduced space whose size is set by the number of constrained
    cells, not by the number of features (see ``_Subproblem``). A problem is
    compiled the first time it is solved; later iterations and later fits of
    the same shape only update parameter values, so cvxpy reuses it.
"""

import threading
import warnings
from collections import OrderedDict
from functools import cached_property

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._decisions import decision_gaps, decision_rates, feasible_threshold, rate_steps

# Up to this many constrained cells, the gradient and the Jacobian come from
# one dense product (see _RateConstrainedLogistic.first_order).
_FUSED_CELLS = 64
_SCALING_BLOCK_ROWS = 4096
# Designs with fewer entries take the exact trial scores (see step_scores).
_SINGLE_STEP_MIN_SIZE = 2**20
# Sparse designs with at least this many parameters: the SCP multiplies by
# the Hessian instead of factoring it (see _RateConstrainedLogistic.matrix_free).
MATRIX_FREE_MIN_PARAMS = 1000
# More blocks than this: no coarse correction (its k x k solves would cost).
_MAX_COARSE_BLOCKS = 256


def _column_scaling(X, sample_weight, center):
    """Weighted column means (or zeros) and scales that make columns O(1).

    Dense columns are centred and divided by their standard deviation;
    sparse ones (which centring would densify) are divided by their root mean
    square. Constant (or empty) columns keep the scale 1.
    """
    weight = sample_weight / sample_weight.sum()
    if sp.issparse(X):
        mean = np.zeros(X.shape[1])
        square = np.asarray(X.multiply(X).T @ weight).ravel()
    else:
        mean = weight @ X if center else np.zeros(X.shape[1])
        # By blocks of rows: (X - mean) ** 2 of the whole X would be two
        # temporary copies of it.
        square = np.zeros(X.shape[1])
        for start in range(0, X.shape[0], _SCALING_BLOCK_ROWS):
            block = slice(start, start + _SCALING_BLOCK_ROWS)
            square += weight[block] @ (X[block] - mean) ** 2
    scale = np.sqrt(square)
    scale[~(scale > 1e-12 * (1.0 + np.abs(mean)))] = 1.0
    return mean, scale


def soft_values(z, temperature):
    """What a rate averages: sigmoid(z / T), or z itself (``T`` None)."""
    return z if temperature is None else expit(z / temperature)


def soft_slopes(z, temperature):
    """Derivative of ``soft_values`` in ``z``."""
    if temperature is None:
        return np.ones_like(z)
    soft = expit(z / temperature)
    return soft * (1.0 - soft) / temperature


def soft_curvatures(z, temperature):
    """Second derivative of ``soft_values`` in ``z`` (none for mean scores)."""
    if temperature is None:
        return np.zeros_like(z)
    soft = expit(z / temperature)
    return soft * (1.0 - soft) * (1.0 - 2.0 * soft) / temperature**2


def dense_design(X, mean, scale, fit_intercept):
    """``[(X - mean) / scale, 1]`` (the ones column only with an intercept)."""
    n_features = X.shape[1]
    A = np.empty((X.shape[0], n_features + fit_intercept))
    np.subtract(X, mean, out=A[:, :n_features])
    A[:, :n_features] /= scale
    if fit_intercept:
        A[:, -1] = 1.0
    return A


class _RateConstrainedLogistic:
    """Loss and group rates of a linear logistic model on fixed training data.

    Works in internal coordinates ``theta`` of the scaled design
    ``A = [(X - mean) / scale, 1]`` (see ``_column_scaling``): a model with
    scaled coefficients ``theta`` is the model ``coef = theta[:p] / scale``,
    ``intercept = theta[p] - coef @ mean`` on the raw ``X``, and the penalty
    on ``coef`` is written in those terms, so the program is the same as on
    the raw features; only its conditioning improves (raw Adult's fnlwgt,
    ~1e5, no longer dominates the curvature).

    The objective is scaled by ``1 / (C * W)`` (``W`` the total sample weight)
    so that its values, gradients and multipliers are of order one whatever
    the number of rows; the minimiser is that of scikit-learn's
    ``C * sum_i w_i * logloss_i + 0.5 * ||coef||^2``.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), 0/1
    sample_weight : ndarray of shape (n_samples,)
    cell_codes : ndarray of shape (n_samples,)
        Index of the (label slice, group) cell of each row whose rate is
        constrained, ``-1`` for rows in no cell.
    n_cells : int
    C : float
    fit_intercept : bool
    """

    def __init__(self, X, y, sample_weight, cell_codes, n_cells, C, fit_intercept):
        n_samples, n_features = X.shape
        self.n_features = n_features
        self.fit_intercept = fit_intercept
        self.mean, self.feature_scale = _column_scaling(
            X, sample_weight, center=fit_intercept
        )
        self.A = self._design(X)
        self.n_params = self.A.shape[1]
        # The Hessian only steers the steps (each is checked on the float64
        # objective), so its Gram product, the costliest operation of a fit,
        # runs in single precision: about 5x faster in measurements here.
        self._A_single = None if sp.issparse(self.A) else self.A.astype(np.float32)
        self.y = y.astype(np.float64)
        total = sample_weight.sum()
        self.loss_weight = sample_weight / total
        # cells[k, i] = w_i / W_k for row i in cell k: rates = cells @ decisions.
        in_cell = cell_codes >= 0
        rows = cell_codes[in_cell]
        cols = np.flatnonzero(in_cell)
        cell_weight = np.bincount(
            rows, weights=sample_weight[in_cell], minlength=n_cells
        )
        self.cells = sp.csr_matrix(
            (sample_weight[in_cell] / cell_weight[rows], (rows, cols)),
            shape=(n_cells, n_samples),
        )
        self._start_program(C, total, n_cells, self.loss_weight @ self.y)

    def _start_program(self, C, total_weight, n_cells, base_rate):
        """The penalty, the units and the stage of a new program.

        Shared with the Dask program, whose data live elsewhere.
        """
        self.reg = np.zeros(self.n_params)
        self.reg[: self.n_features] = 1.0 / (C * total_weight * self.feature_scale**2)
        self.scale = C * total_weight  # multiply by this for sklearn's units
        self.n_cells = n_cells
        self.base_rate = float(base_rate)
        self.temperature = 1.0
        # Subtracted from the rates (see ConstrainedLogisticRegression's bound
        # on the decisions): a constant per cell, so no derivative changes.
        self.rate_offsets = 0.0
        # A second temperature whose rates are bounded too (see
        # ConstrainedLogisticRegression's continuation): the program's rates
        # are then the cells' rates at ``temperature`` (less the offsets),
        # followed by the same cells' rates at ``anchor``.
        self.anchor = None

    @property
    def temperatures(self):
        """The temperature of each block of cells' rates (see ``anchor``)."""
        if self.anchor is None:
            return (self.temperature,)
        return (self.temperature, self.anchor)

    def _design(self, X):
        if sp.issparse(X):
            scaled = sp.csr_matrix(X, dtype=np.float64) @ sp.diags(
                1.0 / self.feature_scale
            )
            if not self.fit_intercept:
                return scaled.tocsr()
            ones = sp.csr_matrix(np.ones((X.shape[0], 1)))
            return sp.hstack([scaled, ones], format="csr")
        return dense_design(X, self.mean, self.feature_scale, self.fit_intercept)

    def to_linear_model(self, theta):
        """``(coef, intercept)`` on the raw features for internal ``theta``."""
        coef = theta[: self.n_features] / self.feature_scale
        intercept = (
            theta[self.n_features] - coef @ self.mean if self.fit_intercept else 0.0
        )
        return coef, float(intercept)

    def from_linear_model(self, coef, intercept):
        """Internal ``theta`` of the raw-feature model ``(coef, intercept)``."""
        theta = np.zeros(self.n_params)
        theta[: self.n_features] = coef * self.feature_scale
        if self.fit_intercept:
            theta[-1] = intercept + coef @ self.mean
        return theta

    def scores(self, theta):
        return np.asarray(self.A @ theta).ravel()

    # What the decisions' bound needs of the rows; the Dask model (see
    # _dask.py) computes the same block by block.

    def decision_gaps(self, z, n_slices):
        """Largest minus smallest group rate of the decisions ``z > 0``, per slice."""
        return decision_gaps(self.cells, z, n_slices)

    def rate_step(self, n_slices):
        """The largest change one row makes to one cell's rate."""
        return float(rate_steps(self.cells, n_slices).max())

    def feasible_thresholds(self, z, n_slices, bounds):
        """See ``_decisions.feasible_threshold``."""
        return feasible_threshold(self.cells, z, n_slices, bounds)

    def decision_rates(self, z):
        """Each cell's (weighted) rate of the decisions ``z > 0``."""
        return decision_rates(self.cells, z)

    def offsets_to_decisions(self, z):
        """Per cell, the smooth rate minus the decisions' rate at scores ``z``."""
        return self.cells @ self.soft_decisions(z) - decision_rates(self.cells, z)

    def positive_share(self, z):
        """Weighted share of the rows with ``z > 0``."""
        return float(self.loss_weight @ (z > 0))

    def soft_decisions(self, z):
        """What the rates average: sigmoid(z / T), or z itself (``T`` None)."""
        return soft_values(z, self.temperature)

    def evaluate(self, theta, z=None):
        """Objective value, rates and decision-function values at ``theta``.

        ``z``, if given, are the scores ``A @ theta`` (see ``step_scores``).
        """
        if z is None:
            z = self.scores(theta)
        rates = np.concatenate(
            [self.cells @ soft_values(z, t) for t in self.temperatures]
        )
        rates[: self.cells.shape[0]] -= self.rate_offsets
        return self.objective(theta, z), rates, z

    def step_scores(self, z, step):
        """The scores after ``step``, ``z + A @ step``, for scores ``z``.

        Dense ``A``: the increment comes from the single-precision copy,
        at a third of the cost of a double-precision pass. Its rounding
        error is relative to the increment, not to the scores, so the
        objective's change over a step, which the acceptance test compares
        with the model's prediction, keeps about seven digits however small
        the step is; the scores of a run's iterates accumulate one such
        increment per accepted step (each run starts from exact scores, and
        the caller recomputes the scores of the models it keeps). Below
        ``_SINGLE_STEP_MIN_SIZE`` entries the saving is negligible and the
        exact product is used, which keeps small fits equal to rounding
        under rewritings of the data that change single-precision rounding
        (rows repeated instead of weighted, say).
        """
        if self._A_single is None or self._A_single.size < _SINGLE_STEP_MIN_SIZE:
            return z + self.scores(step)
        return z + self._A_single @ step.astype(np.float32)

    def objective(self, theta, z):
        """Objective value at ``theta``, whose scores ``A @ theta`` are ``z``."""
        # log(1 + exp(z)) - y z, stable for large |z|.
        loss = self.loss_weight @ (np.logaddexp(0.0, z) - self.y * z)
        return loss + 0.5 * theta @ (self.reg * theta)

    def loss(self, theta):
        return self.evaluate(theta)[0]

    def gradient(self, theta, z):
        residual = self.loss_weight * (expit(z) - self.y)
        return np.asarray(self.A.T @ residual).ravel() + self.reg * theta

    def rate_jacobian(self, z):
        """Rows: gradient of each cell's rate."""
        blocks = []
        for temperature in self.temperatures:
            slopes = soft_slopes(z, temperature)
            jacobian = self.cells.multiply(slopes[None, :]) @ self.A
            blocks.append(
                jacobian.toarray() if sp.issparse(jacobian) else np.asarray(jacobian)
            )
        return np.vstack(blocks)

    def first_order(self, theta, z):
        """The objective's gradient and the rates' Jacobian, in one pass over A.

        ``A.T @ [residual, cells' * slope]``: one matrix product with a few
        columns reads ``A`` once (a sparse-times-dense product per cell would
        read it again for each). Many cells fall back to the sparse product.
        """
        n_cells = self.cells.shape[0]
        n_rates = n_cells * len(self.temperatures)
        if n_rates >= _FUSED_CELLS:
            return self.gradient(theta, z), self.rate_jacobian(z)
        weights = np.zeros((z.size, 1 + n_rates))
        weights[:, 0] = self.loss_weight * (expit(z) - self.y)
        in_cell = self.cells.tocoo()
        for block, temperature in enumerate(self.temperatures):
            slopes = soft_slopes(z[in_cell.col], temperature)
            weights[in_cell.col, 1 + block * n_cells + in_cell.row] = (
                in_cell.data * slopes
            )
        if sp.issparse(self.A):
            products = np.asarray(self.A.T @ weights).T
        else:
            # weights' @ A, not A' @ weights: with A in rows (C order) BLAS
            # streams it without a transposed access, about twice as fast.
            products = weights.T @ self.A
        return products[0] + self.reg * theta, np.ascontiguousarray(products[1:])

    @property
    def matrix_free(self):
        """Whether the SCP should use products with the Hessian, not the Hessian.

        On a wide sparse design the dense ``n_params``-square Hessian and its
        Cholesky factor cost far more than the data (a one-hot 100,000 x
        5,000 table: 8 ones a row, 200 MB of Hessian, seconds per factor),
        while a product with it costs two passes over the nonzeros.
        """
        return sp.issparse(self.A) and self.n_params >= MATRIX_FREE_MIN_PARAMS

    @cached_property
    def transposed_design(self):
        """``A'``, for the matrix-free Hessian's products, made once.

        The CSC view of the CSR ``A`` (no copy): its product streams ``A``'s
        rows, twice as fast here as a CSR copy of ``A'``, whose long rows
        gather from scattered rows of the vector.
        """
        return self.A.T

    @cached_property
    def squared_design(self):
        """``A`` with every entry squared: ``diag(A' diag(w) A) = A2' w``."""
        return self.A.power(2).T

    @cached_property
    def coarse_basis(self):
        """Directions for the matrix-free solves' coarse correction, or None.

        One-hot columns of one feature never share a row and add up (times
        their scales) to the intercept column: each feature is a direction of
        almost no curvature (only the penalty's), which the diagonal
        preconditioner does not see and conjugate gradients find slowly. One
        basis vector per such block of columns (see ``exclusive_blocks``)
        and one for the intercept let the preconditioner solve them exactly.
        """
        blocks = [b for b in exclusive_blocks(self.A) if b.stop - b.start >= 2]
        if not blocks or len(blocks) > _MAX_COARSE_BLOCKS:
            return None
        values = np.asarray(abs(self.A).sum(axis=0)).ravel()
        counts = np.diff(self.A.tocsc().indptr)
        typical = np.divide(values, counts, out=np.zeros_like(values), where=counts > 0)
        inverse = np.divide(1.0, typical, out=np.zeros_like(typical), where=typical > 0)
        basis = np.zeros((self.n_params, len(blocks) + self.fit_intercept))
        for k, block in enumerate(blocks):
            basis[block, k] = inverse[block]
        if self.fit_intercept:
            basis[-1, -1] = 1.0
        return basis

    def lagrangian_row_weights(self, z, multipliers):
        """Per row, the weight of ``a_i a_i'`` in the Lagrangian's Hessian.

        Every row belongs to at most one cell, so the rates' curvature
        (sigma''(z / T) / T^2; none for mean scores) adds to the loss
        curvature row by row: the Hessian is ``A' diag(weights) A + diag(reg)``.
        Weights may be negative (the Hessian indefinite).
        """
        proba = expit(z)
        row_weight = self.loss_weight * proba * (1.0 - proba)
        if multipliers is not None and np.any(multipliers):
            per_block = np.split(multipliers, len(self.temperatures))
            for temperature, block in zip(self.temperatures, per_block, strict=True):
                if temperature is not None and np.any(block):
                    curvature = soft_curvatures(z, temperature)
                    row_weight = row_weight + (self.cells.T @ block) * curvature
        return row_weight

    def lagrangian_hessian(self, z, multipliers):
        """Hessian of loss + sum_k multipliers[k] * rate_k, in one Gram product.

        The result may be indefinite; the caller makes it positive definite.
        """
        row_weight = self.lagrangian_row_weights(z, multipliers)
        if self._A_single is None:
            hessian = _weighted_gram(self.A, row_weight)
        else:
            hessian = _weighted_gram(self._A_single, row_weight.astype(np.float32))
            hessian = hessian.astype(np.float64)
        hessian[np.diag_indices_from(hessian)] += self.reg
        return hessian


def exclusive_blocks(A):
    """The fewest contiguous runs of columns in which no row has two nonzeros.

    The columns that one-hot encoding makes of one feature form such a run
    (a row has one level), so do single columns. Each pair of consecutive
    nonzeros of a row, in columns ``l < r``, needs a block boundary ``b``
    with ``l < b <= r``; sweeping ``r`` upwards and placing a boundary at
    ``r`` only when the last one is not above the largest such ``l`` places
    the fewest (the greedy stabbing of intervals by their right ends).

    Returns
    -------
    list of slice
    """
    A = sp.csr_matrix(A)
    A.sort_indices()
    n_columns = A.shape[1]
    indices = A.indices
    last_of_row = np.zeros(indices.size, dtype=bool)
    ends = A.indptr[1:][np.diff(A.indptr) > 0] - 1
    last_of_row[ends] = True
    pair = ~last_of_row[:-1]
    # The largest l of each r: the last column of each row of the (r, l)
    # pattern once CSR has sorted it (faster than np.maximum.at).
    pattern = sp.csr_matrix(
        (
            np.ones(int(pair.sum()), dtype=np.int8),
            (indices[1:][pair], indices[:-1][pair]),
        ),
        shape=(n_columns, n_columns),
    )
    pattern.sum_duplicates()
    rights = np.flatnonzero(np.diff(pattern.indptr))
    largest_left = pattern.indices[pattern.indptr[rights + 1] - 1]
    boundaries = [0]
    for right, left in zip(rights.tolist(), largest_left.tolist(), strict=True):
        if left >= boundaries[-1]:
            boundaries.append(right)
    boundaries.append(n_columns)
    pairs = zip(boundaries[:-1], boundaries[1:], strict=True)
    return [slice(a, b) for a, b in pairs if b > a]


def _weighted_gram(A, weight):
    """Dense ``A.T @ diag(weight) @ A``.

    Dense ``A``: symmetric products ``B.T @ B`` (BLAS syrk, half the work of
    a general product); rows of negative weight (possible in the Lagrangian)
    are subtracted apart. Sparse ``A``: a sparse product, densified at the
    end (the result is ``n_params`` squared, never ``n_samples`` wide).
    """
    if sp.issparse(A):
        return np.asarray((A.T @ A.multiply(weight[:, None])).toarray())
    positive = weight > 0
    if positive.all():
        B = A * np.sqrt(weight)[:, None]
        return B.T @ B
    B = A[positive] * np.sqrt(weight[positive])[:, None]
    negative = weight < 0
    N = A[negative] * np.sqrt(-weight[negative])[:, None]
    return B.T @ B - N.T @ N


def _whitening(gram):
    """``W`` with ``W' gram W`` the identity on ``gram``'s range (zero elsewhere).

    Directions whose curvature is below ``1e-12`` of the largest are dropped:
    they are rounding noise of a (near) rank-deficient ``gram``.
    """
    eigval, eigvec = np.linalg.eigh(0.5 * (gram + gram.T))
    keep = eigval > 1e-12 * max(eigval[-1], 1e-300)
    scale = np.zeros_like(eigval)
    scale[keep] = 1.0 / np.sqrt(eigval[keep])
    return eigvec * scale


# First-order solvers stop at a loose accuracy by default, which is too
# coarse for the acceptance test and the multipliers of the SCP: tighten them.
_SOLVER_OPTIONS = {
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200_000},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}

# ``warnings.catch_warnings`` swaps the process-wide filter list, so two
# threads inside it at once can leave a filter behind for good: the solves
# that silence cvxpy's warning hold this lock. They are small (the costly
# Gram products run outside it, in BLAS, which releases the GIL).
_CATCH_WARNINGS_LOCK = threading.Lock()


class _Subproblem:
    """The convex QP of one SCP iteration in a reduced space, compiled once.

    The full subproblem, in the step ``d`` of the ``n_params`` coefficients,
    with ``g`` the gradient, ``H`` the damped (positive definite) Hessian of
    the Lagrangian, ``r`` the rates of the ``n_slices x n_groups`` cells and
    ``J`` their Jacobian, is::

        minimise    g.d + 0.5 d'Hd + rho * sum_k s_k
        subject to  lo_k <= r_kg + J_kg . d <= hi_k   for every cell (k, g)
                    hi_k - lo_k <= tolerance_k + s_k,  s_k >= 0

    Its solution satisfies ``H d = -(g + J' mu)``, so it lies in the span of
    ``V = H^{-1} [g, J']``: writing ``d = V c`` loses nothing, and with
    ``Q = [g, J']' V`` the problem in ``c`` (one coordinate per cell, plus
    one) only involves ``Q``::

        minimise    Q[0] . c + 0.5 ||F c||^2 + rho * sum_k s_k    (F'F = Q)
        subject to  lo_k <= r_kg + Q[1 + (k, g)] . c <= hi_k, ...

    The compiled problem's size is therefore set by the number of cells,
    whatever the number of features (a dense ``n_params`` squared parameter
    would make cvxpy's canonicalisation cubic in memory). ``c`` is further
    whitened, ``c = W u`` with ``W' Q W = I`` (``_whitening``), so that the
    QP's Hessian is the identity: its conditioning no longer depends on that
    of ``H`` or on the scales of ``g`` and ``J``. The slacks ``s`` make it
    feasible for any data (an exact l1 penalty, as in Fletcher's Sl1QP);
    ``rho`` is raised until they vanish.
    """

    def __init__(self, n_groups, n_slices):
        self.key = (n_groups, n_slices)
        n_cells = n_groups * n_slices
        size = n_cells + 1
        self.coords = cp.Variable(size, name="coords")  # u above
        self.slack = cp.Variable(n_slices, nonneg=True, name="slack")
        self.lower = cp.Variable(n_slices, name="lower")
        self.upper = cp.Variable(n_slices, name="upper")
        self.linear = cp.Parameter(size, name="linear")
        self.rates = [
            cp.Parameter(n_groups, name=f"rates_{k}") for k in range(n_slices)
        ]
        self.jacobians = [
            cp.Parameter((n_groups, size), name=f"jacobian_{k}")
            for k in range(n_slices)
        ]
        self.penalty = cp.Parameter(nonneg=True, name="penalty")
        self.tolerance = cp.Parameter(n_slices, nonneg=True, name="tolerance")
        self.above_lower = []
        self.below_upper = []
        for k in range(n_slices):
            linearised = self.rates[k] + self.jacobians[k] @ self.coords
            self.above_lower.append(linearised >= self.lower[k])
            self.below_upper.append(linearised <= self.upper[k])
        constraints = self.above_lower + self.below_upper
        constraints.append(self.upper - self.lower <= self.tolerance + self.slack)
        objective = (
            self.linear @ self.coords
            + 0.5 * cp.sum_squares(self.coords)
            + self.penalty * cp.sum(self.slack)
        )
        self.problem = cp.Problem(cp.Minimize(objective), constraints)

    def set_values(self, *, gram, rates, penalty, tolerance):
        """``gram`` is ``Q`` above: ``[g, J']' H^{-1} [g, J']``."""
        n_slices = len(self.rates)
        self.whitening = _whitening(gram)
        reduced = gram @ self.whitening
        self.linear.value = reduced[0]
        for k, jacobian in enumerate(np.split(reduced[1:], n_slices)):
            self.jacobians[k].value = jacobian
        self.rates_values(rates)
        self.penalty.value = penalty
        self.tolerance.value = np.broadcast_to(tolerance, (n_slices,)).copy()

    def step_coordinates(self):
        """``c`` above: the step is ``H^{-1} [g, J'] @ c``."""
        return self.whitening @ self.coords.value

    def rates_values(self, rates):
        per_slice = rates.reshape(len(self.rates), -1)
        for param, value in zip(self.rates, per_slice, strict=True):
            param.value = value

    def solve(self, solver, verbose=False):
        """Solve; return the cvxpy status string."""
        options = _SOLVER_OPTIONS.get(solver, {})
        with _CATCH_WARNINGS_LOCK, warnings.catch_warnings():
            # An inaccurate status is returned to the caller, which reports it
            # once per fit as a ConvergenceWarning naming the status; cvxpy's
            # own UserWarning would repeat it for every subproblem solved.
            warnings.filterwarnings(
                "ignore", message="Solution may be inaccurate", category=UserWarning
            )
            self._solve(solver, verbose, options)
        return self.problem.status

    def _solve(self, solver, verbose, options):
        # warm_start=False: with it, cvxpy keeps the solver object of the
        # last solve and only updates its data. A Clarabel solver reused
        # that way after a badly scaled fit failed on every later subproblem
        # of the same shape. The compiled problem (the costly part) is
        # reused either way.
        self.problem.solve(solver=solver, verbose=verbose, warm_start=False, **options)

    def model_value(self):
        """Value of the quadratic model (without the constant) at the solution."""
        return self.loss_model_value() + self.penalty.value * np.sum(
            np.maximum(self.slack.value, 0.0)
        )

    def loss_model_value(self):
        """The quadratic model's change of the objective alone (no penalty)."""
        coords = self.coords.value
        return self.linear.value @ coords + 0.5 * coords @ coords

    def multipliers(self):
        """Multiplier of each cell's rate: upper-bound dual minus lower-bound dual."""
        return np.concatenate(
            [
                np.asarray(up.dual_value) - np.asarray(low.dual_value)
                for up, low in zip(self.below_upper, self.above_lower, strict=True)
            ]
        )


class _SubproblemPool:
    """Compiled subproblems, kept per shape and handed to one fit at a time.

    A fit takes a problem of its shape out of the pool (building one only if
    none is free) and puts it back when done, so refits reuse the compiled
    problem and concurrent fits in threads never share parameter values.
    """

    def __init__(self, max_shapes=16):
        self.max_shapes = max_shapes
        self._free = OrderedDict()
        self._lock = threading.Lock()
        self.n_built = 0

    def acquire(self, n_groups, n_slices):
        key = (n_groups, n_slices)
        with self._lock:
            free = self._free.get(key)
            if free:
                return free.pop()
            self.n_built += 1
        return _Subproblem(n_groups, n_slices)

    def release(self, subproblem):
        with self._lock:
            self._free.setdefault(subproblem.key, []).append(subproblem)
            self._free.move_to_end(subproblem.key)
            while len(self._free) > self.max_shapes:
                self._free.popitem(last=False)

    def cached(self, n_groups, n_slices):
        """The free compiled problems of that shape (for inspection)."""
        with self._lock:
            return list(self._free.get((n_groups, n_slices), []))


SUBPROBLEM_POOL = _SubproblemPool()
