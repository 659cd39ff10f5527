"""The pieces of the sequential convex program behind ConstrainedLogisticRegression.

Two parts:

``_RateConstrainedLogistic``
    The smooth nonlinear program on the training data: the regularised
    logistic loss, the groups' mean predicted probabilities ("rates") and
    their first and second derivatives, all in closed form with numpy.

``_Subproblem`` / ``_SubproblemPool``
    The convex quadratic subproblem solved at every iteration, written once
    in cvxpy with ``cvxpy.Parameter`` objects for everything that depends on
    the data or the current iterate. A problem is compiled the first time it
    is solved; later iterations and later fits of the same shape only update
    parameter values, so cvxpy reuses the compiled problem.
"""

import threading
import warnings
from collections import OrderedDict

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from scipy.special import expit


class _RateConstrainedLogistic:
    """Loss and group rates of a linear logistic model on fixed training data.

    The objective is scaled by ``1 / (C * W)`` (``W`` the total sample weight)
    so that its values, gradients and multipliers are of order one whatever
    the number of rows; the minimiser is that of scikit-learn's
    ``C * sum_i w_i logloss_i + 0.5 * ||coef||^2``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
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
        if fit_intercept:
            self.A = np.empty((n_samples, n_features + 1))
            self.A[:, :n_features] = X
            self.A[:, n_features] = 1.0
        else:
            self.A = np.ascontiguousarray(X, dtype=np.float64)
        self.n_params = self.A.shape[1]
        self.y = y.astype(np.float64)
        total = sample_weight.sum()
        self.loss_weight = sample_weight / total
        self.reg = np.zeros(self.n_params)
        self.reg[:n_features] = 1.0 / (C * total)
        # cells[k, i] = w_i / W_k for row i in cell k: rates = cells @ proba.
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
        self.scale = C * total  # multiply by this to return to sklearn's units

    def evaluate(self, theta):
        """Objective value, group rates and predicted probabilities at ``theta``."""
        z = self.A @ theta
        # log(1 + exp(z)) - y z, stable for large |z|.
        loss = self.loss_weight @ (np.logaddexp(0.0, z) - self.y * z)
        loss += 0.5 * theta @ (self.reg * theta)
        proba = expit(z)
        return loss, self.cells @ proba, proba

    def gradient(self, theta, proba):
        return self.A.T @ (self.loss_weight * (proba - self.y)) + self.reg * theta

    def rate_jacobian(self, proba):
        """Rows: gradient of each cell's rate (mean of sigma(x.theta))."""
        slope = proba * (1.0 - proba)
        return np.asarray(self.cells.multiply(slope[None, :]) @ self.A)

    def lagrangian_hessian(self, proba, multipliers):
        """Hessian of loss + sum_k multipliers[k] * rate_k, in one Gram product.

        Every row belongs to at most one cell, so the rates' curvature
        (sigma'' = p (1 - p) (1 - 2 p)) adds to the loss curvature row by row.
        """
        slope = proba * (1.0 - proba)
        row_weight = self.loss_weight * slope
        if multipliers is not None and np.any(multipliers):
            row_multiplier = self.cells.T @ multipliers
            row_weight = row_weight + row_multiplier * slope * (1.0 - 2.0 * proba)
        hessian = _weighted_gram(self.A, row_weight)
        hessian[np.diag_indices_from(hessian)] += self.reg
        return hessian


def _weighted_gram(A, weight):
    """``A.T @ diag(weight) @ A`` as symmetric products ``B.T @ B`` (BLAS syrk).

    numpy computes ``B.T @ B`` with half the work of a general product; rows
    of negative weight (possible in the Lagrangian) are subtracted apart.
    """
    positive = weight > 0
    if positive.all():
        B = A * np.sqrt(weight)[:, None]
        return B.T @ B
    B = A[positive] * np.sqrt(weight[positive])[:, None]
    negative = weight < 0
    N = A[negative] * np.sqrt(-weight[negative])[:, None]
    return B.T @ B - N.T @ N


def convex_factor(hessian):
    """Return ``F`` with ``F.T @ F`` the nearest PSD matrix (eigenvalues floored).

    The Lagrangian's Hessian may be indefinite where the constraints curve
    the wrong way; flooring its eigenvalues keeps the subproblem convex, and
    the trust region and acceptance test take care of the rest.
    """
    eigval, eigvec = np.linalg.eigh(0.5 * (hessian + hessian.T))
    floor = 1e-10 * max(eigval[-1], 1.0)
    return np.sqrt(np.maximum(eigval, floor))[:, None] * eigvec.T


# First-order solvers stop at a loose accuracy by default, which is too
# coarse for the acceptance test and the multipliers of the SCP: tighten them.
_SOLVER_OPTIONS = {
    "OSQP": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200_000},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}


class _Subproblem:
    """The convex QP of one SCP iteration, compiled once per shape.

    With ``d`` the step in the parameters, ``r`` the current rates of the
    ``n_slices x n_groups`` cells and ``J`` their Jacobian::

        minimise    g.d + 0.5 ||F d||^2 + rho * sum_k s_k
        subject to  lo_k <= r_kg + J_kg . d <= hi_k   for every cell (k, g)
                    hi_k - lo_k <= tolerance + s_k,  s_k >= 0
                    -radius_j <= d_j <= radius_j            for every j

    The slacks ``s`` make the subproblem feasible for any data (an exact l1
    penalty, as in Fletcher's Sl1QP); ``rho`` is raised until they vanish.
    Written with a factor ``F`` (a parameter times the variable) rather than a
    PSD matrix parameter so that the problem is DPP and compiles once.
    """

    def __init__(self, n_params, n_groups, n_slices):
        self.key = (n_params, n_groups, n_slices)
        self.step = cp.Variable(n_params, name="step")
        self.slack = cp.Variable(n_slices, nonneg=True, name="slack")
        self.lower = cp.Variable(n_slices, name="lower")
        self.upper = cp.Variable(n_slices, name="upper")
        self.factor = cp.Parameter((n_params, n_params), name="hessian_factor")
        self.gradient = cp.Parameter(n_params, name="gradient")
        self.rates = [
            cp.Parameter(n_groups, name=f"rates_{k}") for k in range(n_slices)
        ]
        self.jacobians = [
            cp.Parameter((n_groups, n_params), name=f"jacobian_{k}")
            for k in range(n_slices)
        ]
        self.radius = cp.Parameter(n_params, nonneg=True, name="trust_radius")
        self.penalty = cp.Parameter(nonneg=True, name="penalty")
        self.tolerance = cp.Parameter(nonneg=True, name="tolerance")
        self.above_lower = []
        self.below_upper = []
        constraints = []
        for k in range(n_slices):
            linearised = self.rates[k] + self.jacobians[k] @ self.step
            self.above_lower.append(linearised >= self.lower[k])
            self.below_upper.append(linearised <= self.upper[k])
        constraints += self.above_lower + self.below_upper
        constraints.append(self.upper - self.lower <= self.tolerance + self.slack)
        constraints += [self.step <= self.radius, -self.radius <= self.step]
        objective = (
            self.gradient @ self.step
            + 0.5 * cp.sum_squares(self.factor @ self.step)
            + self.penalty * cp.sum(self.slack)
        )
        self.problem = cp.Problem(cp.Minimize(objective), constraints)

    def set_values(
        self, *, factor, gradient, rates, jacobians, radius, penalty, tolerance
    ):
        self.factor.value = factor
        self.gradient.value = gradient
        for k, param in enumerate(self.rates):
            param.value = rates[k]
        for k, param in enumerate(self.jacobians):
            param.value = jacobians[k]
        self.radius.value = radius
        self.penalty.value = penalty
        self.tolerance.value = tolerance

    def rates_values(self, rates):
        for k, param in enumerate(self.rates):
            param.value = rates[k]

    def solve(self, solver, verbose=False):
        """Solve; return the cvxpy status string."""
        options = _SOLVER_OPTIONS.get(solver, {})
        with warnings.catch_warnings():
            # An inaccurate status is returned to the caller, which reports it
            # once per fit as a ConvergenceWarning naming the status; cvxpy's
            # own UserWarning would repeat it for every subproblem solved.
            warnings.filterwarnings(
                "ignore", message="Solution may be inaccurate", category=UserWarning
            )
            # warm_start=False: with it, cvxpy keeps the solver object of the
            # last solve and only updates its data. A Clarabel solver reused
            # that way after a fit on badly scaled features (a column near
            # 1e8) failed on every later subproblem of the same shape, i.e.
            # every later fit in the process. The compiled problem (the
            # costly part) is reused either way.
            self.problem.solve(
                solver=solver, verbose=verbose, warm_start=False, **options
            )
        return self.problem.status

    def model_value(self):
        """Value of the quadratic model (without the constant) at the solution."""
        step = self.step.value
        return (
            self.gradient.value @ step
            + 0.5 * np.sum((self.factor.value @ step) ** 2)
            + self.penalty.value * np.sum(np.maximum(self.slack.value, 0.0))
        )

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

    def acquire(self, n_params, n_groups, n_slices):
        key = (n_params, n_groups, n_slices)
        with self._lock:
            free = self._free.get(key)
            if free:
                return free.pop()
            self.n_built += 1
        return _Subproblem(n_params, n_groups, n_slices)

    def release(self, subproblem):
        with self._lock:
            self._free.setdefault(subproblem.key, []).append(subproblem)
            self._free.move_to_end(subproblem.key)
            while len(self._free) > self.max_shapes:
                self._free.popitem(last=False)

    def cached(self, n_params, n_groups, n_slices):
        """The free compiled problems of that shape (for inspection)."""
        with self._lock:
            return list(self._free.get((n_params, n_groups, n_slices), []))


SUBPROBLEM_POOL = _SubproblemPool()
