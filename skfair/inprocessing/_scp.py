"""Sequential convex programming (SCP) for the rate-constrained logistic loss.

The program (scaled as in ``_RateConstrainedLogistic``)::

    minimise    f(theta) = sum_i w_i logloss_i(theta) / W + ||coef||^2 / (2 C W)
    subject to  max_g r_kg(theta) - min_g r_kg(theta) <= tolerance_k   for each k

where ``r_kg`` is group ``g``'s weighted mean of ``sigmoid(z_i / T)`` on label
slice ``k``, is smooth but not convex (a mean of sigmoids). Each iteration:

1. linearises the rates at the current iterate ``theta_k``;
2. takes the Hessian of the Lagrangian (the loss Hessian plus the rates'
   curvature weighted by the last multipliers), damped Levenberg-Marquardt
   style, ``H + lambda * diag(H)``, with ``lambda`` large enough for a
   Cholesky factor to exist (the rates' curvature may make ``H``
   indefinite);
3. solves the resulting QP, in the reduced space of ``_Subproblem`` (one
   coordinate per constrained cell, whatever the number of features), with
   an exact l1 penalty ``rho * s`` on the linearised violation ``s``
   (Fletcher's Sl1QP; ``rho`` is raised while that shrinks ``s``), so the QP
   is always feasible;
4. accepts the step if the merit function ``f + rho * violation`` decreases
   by at least a tenth of what the model predicted; if not, and the rates'
   curvature increased the violation, tries once a second-order correction
   (the constraints re-linearised to match the rates at the trial point);
   otherwise raises ``lambda`` (which shortens and turns the step, as a
   trust region would). Very good steps lower ``lambda``; as it vanishes the
   iteration becomes Newton's method on the KKT conditions.

On wide sparse designs (``_RateConstrainedLogistic.matrix_free``) step 2
never forms ``H``: its solves are conjugate gradients on products with it
(``_MatrixFreeNewton``), the same steps where ``H + lambda D`` is positive
definite, and memory that of the data.

It stops when the QP's step moves no coordinate by more than ``tol`` while
the damping is moderate (``lambda <= 1``), and the true (nonlinear)
constraints hold within ``tol``. The QP's step satisfies
``(H + lambda D) d = -(g + J' mu)``, so a vanishing step means that the
gradient of the Lagrangian vanishes with the QP's duals as multipliers: the
KKT conditions hold and the result is a KKT point (a local solution) of the
nonconvex program. Otherwise ``max_iter`` ends the run and the caller warns.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, ldl, solve_triangular

from ._decisions import rate_gaps
from ._problem import SUBPROBLEM_POOL

_INITIAL_DAMPING = 1e-4
_MIN_DAMPING = 1e-6
_MAX_DAMPING = 1e12
_INITIAL_PENALTY = 10.0
_MAX_PENALTY = 1e8
_ACCEPT_RATIO = 0.1
# Accepted iterates that share one Hessian (see _DampedNewton).
_HESSIAN_REUSE = 4
# Dampings of one curvature factorised apart before it is decomposed once
# (see _DampedNewton): a Cholesky factor costs about a tenth of a symmetric
# eigendecomposition.
_FACTORS_BEFORE_EIGEN = 4


@dataclass
class SCPResult:
    theta: np.ndarray
    n_iter: int
    converged: bool
    violation: float
    gaps: np.ndarray
    multipliers: np.ndarray
    inaccurate_statuses: list = field(default_factory=list)
    stalled: bool = False
    curvature: object = None
    damping: float = _INITIAL_DAMPING


class SubproblemError(Exception):
    """The QP solver failed or reported an unusable status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _violation(rates, n_slices, tolerance):
    return np.maximum(rate_gaps(rates, n_slices) - tolerance, 0.0).sum()


def _solve(subproblem, solver, verbose):
    import cvxpy as cp

    try:
        status = subproblem.solve(solver, verbose=verbose)
    except cp.error.SolverError as exc:
        raise SubproblemError(
            "solver_error", f"solver {solver} failed on the subproblem: {exc}"
        ) from exc
    if (
        status in ("optimal", "optimal_inaccurate")
        and subproblem.coords.value is not None
    ):
        return status
    if status in ("infeasible", "infeasible_inaccurate"):
        raise SubproblemError(
            status,
            f"the fairness constraints are infeasible: solver {solver} reported "
            f"status {status!r} for the linearised subproblem. The program is "
            "feasible by construction (a model with zero coefficients gives "
            "every group the same rate), so this is a numerical failure of the "
            "solver; try another solver= or rescale the features.",
        )
    raise SubproblemError(
        status,
        f"solver {solver} did not solve the subproblem (status {status!r}); "
        "try another solver= or rescale the features.",
    )


def sequential_convex_fit(
    model,
    n_groups,
    n_slices,
    tolerance,
    theta0,
    *,
    solver,
    max_iter,
    tol,
    verbose,
    multipliers=None,
    curvature=None,
    damping=_INITIAL_DAMPING,
):
    """Run the SCP from ``theta0`` (best a point that satisfies the constraints).

    ``multipliers`` (of a previous run, e.g. at another temperature) seed
    the curvature of the first iteration.
    """
    subproblem = SUBPROBLEM_POOL.acquire(n_groups, n_slices)
    try:
        return _iterate(
            subproblem,
            model,
            n_slices,
            np.broadcast_to(np.asarray(tolerance, dtype=float), (n_slices,)),
            theta0,
            multipliers,
            curvature,
            damping,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
        )
    finally:
        SUBPROBLEM_POOL.release(subproblem)


class _PositiveDefiniteSolver:
    """Solves ``M x = rhs`` with ``M`` made positive definite where it is not.

    A Cholesky factor if ``matrix`` has one; otherwise a symmetric indefinite
    factorisation ``P' L D L' P`` (LAPACK's Bunch-Kaufman) whose 1x1 and 2x2
    blocks of ``D`` get the absolute values of their eigenvalues (floored),
    as in Cheng & Higham's modified Cholesky: the result is positive
    definite, equal to ``matrix`` where that was, and keeps the size of the
    curvature where the rates curve the wrong way, so steps along negative
    curvature stay of sensible length.
    """

    def __init__(self, matrix):
        try:
            self.cholesky = cho_factor(matrix, lower=True, check_finite=False)
            return
        except LinAlgError:
            self.cholesky = None
        outer, blocks, self.perm = ldl(matrix, lower=True, check_finite=False)
        self.lower = outer[self.perm]
        # D is block diagonal, mostly 1x1 blocks; a 2x2 block shows as a
        # nonzero below the diagonal.
        diagonal = np.diag(blocks).copy()
        floor = 1e-8 * max(np.abs(diagonal).max(), 1e-300)
        self.inverse_diagonal = 1.0 / np.maximum(np.abs(diagonal), floor)
        # The 2x2 blocks, all at once (a stack for numpy's batched eigh).
        self.pair_starts = np.flatnonzero(np.diag(blocks, -1))
        starts = self.pair_starts
        pairs = np.empty((starts.size, 2, 2))
        pairs[:, 0, 0] = blocks[starts, starts]
        pairs[:, 1, 1] = blocks[starts + 1, starts + 1]
        pairs[:, 0, 1] = pairs[:, 1, 0] = blocks[starts + 1, starts]
        eigval, eigvec = np.linalg.eigh(pairs)
        scaled = eigvec / np.maximum(np.abs(eigval), floor)[:, None, :]
        self.pair_inverses = scaled @ eigvec.transpose(0, 2, 1)

    def solve(self, rhs):
        if self.cholesky is not None:
            return cho_solve(self.cholesky, rhs, check_finite=False)
        inner = solve_triangular(
            self.lower, rhs[self.perm], lower=True, unit_diagonal=True
        )
        starts = self.pair_starts
        first, second = inner[starts], inner[starts + 1]
        inner *= self.inverse_diagonal.reshape((-1,) + (1,) * (inner.ndim - 1))
        inverses = self.pair_inverses.reshape(
            self.pair_inverses.shape + (1,) * (inner.ndim - 1)
        )
        inner[starts] = inverses[:, 0, 0] * first + inverses[:, 0, 1] * second
        inner[starts + 1] = inverses[:, 1, 0] * first + inverses[:, 1, 1] * second
        solution = np.empty_like(inner)
        solution[self.perm] = solve_triangular(
            self.lower, inner, lower=True, trans="T", unit_diagonal=True
        )
        return solution


class _DampedNewton:
    """The curvature ``H`` of the Lagrangian and the damped solves with it.

    The Gram product behind ``H`` is the costly part of an iteration
    (``n_samples * n_params**2``), so it is kept for a few iterates
    (``_HESSIAN_REUSE``; a whole run in the continuation, see
    ``sequential_convex_fit``) while the gradient and the rates' Jacobian,
    which cost one pass over the data, are fresh at every iterate: a
    chord-Newton step, checked like any other by the merit function.

    Each damping needs its own factor of ``H + damping * D``. A curvature
    that has seen ``_FACTORS_BEFORE_EIGEN`` dampings (a long run of rejected
    steps, or a curvature shared by runs) is decomposed once instead,
    ``D^-1/2 H D^-1/2 = V diag(e) V'``, after which every damping costs two
    products with ``V``: ``(H + damping D)^-1 = D^-1/2 V diag(1 / (e +
    damping)) V' D^-1/2``, the eigenvalues made positive as in
    ``_PositiveDefiniteSolver`` (their absolute values, floored).
    """

    def __init__(self, model, z, multipliers):
        self.hessian = model.lagrangian_hessian(z, multipliers)
        diagonal = np.diag(self.hessian)
        typical = max(np.mean(np.abs(diagonal)), 1e-300)
        self.marquardt = np.maximum(diagonal, 1e-3 * typical)
        self.age = 0
        self._damping = self._solver = None
        self._n_factors = 0
        self._eigen = None

    def directions(self, damping, basis):
        """``(H + damping D)^-1 basis``, ``H`` made positive definite."""
        if self._eigen is None and self._n_factors >= _FACTORS_BEFORE_EIGEN:
            root = np.sqrt(self.marquardt)
            scaled = self.hessian / root[:, None] / root[None, :]
            self._eigen = (root, *np.linalg.eigh(0.5 * (scaled + scaled.T)))
            self.hessian = None  # the decomposition replaces it
        if self._eigen is not None:
            root, eigval, eigvec = self._eigen
            shifted = np.abs(eigval + damping)
            shifted = np.maximum(shifted, 1e-8 * max(shifted.max(), 1e-300))
            inner = eigvec.T @ (basis / root.reshape((-1,) + (1,) * (basis.ndim - 1)))
            inner /= shifted.reshape((-1,) + (1,) * (inner.ndim - 1))
            return (eigvec @ inner) / root.reshape((-1,) + (1,) * (basis.ndim - 1))
        if damping != self._damping:
            damped = self.hessian.copy()
            damped[np.diag_indices_from(damped)] += damping * self.marquardt
            self._solver = _PositiveDefiniteSolver(damped)
            self._damping = damping
            self._n_factors += 1
        return self._solver.solve(basis)


# Conjugate gradients of _MatrixFreeNewton: the residual relative to the
# right-hand side at which a solve stops, a cap on the iterations, and on
# the search directions a solve keeps for the next one.
_CG_TOL = 1e-6
_CG_MAX_ITER = 1000
_CG_MAX_KEPT = 96


class _MatrixFreeNewton:
    """:class:`_DampedNewton` without forming ``H``: products with it.

    ``H = A' diag(w) A + diag(reg)``, with ``w`` the Lagrangian's row
    weights, is never built; ``(H + damping D) x = b`` is solved by
    conjugate gradients, each iteration one product with ``A`` and one with
    ``A'`` for all the right-hand sides at once (the gradient and each
    rate's gradient: a few columns). Memory is that of ``A`` plus a few
    dozen vectors of length ``n_params``, whatever the number of
    parameters. What keeps the iterations few:

    - a two-level preconditioner: the diagonal, plus an exact solve on the
      model's ``coarse_basis`` (one direction per one-hot feature and the
      intercept, the directions of least curvature);
    - recycling: the iterates that share this curvature (a few accepted
      steps, each damping) solve with the same ``A' diag(w) A``, so each
      solve starts from the Galerkin solution on the last solve's search
      directions (their products with the new damped matrix follow from the
      old ones without a pass over ``A``).

    When ``H + damping D`` is positive definite the solves are those of
    :class:`_DampedNewton` (to ``_CG_TOL``): the same steps. Where it is not
    (the rates' curvature, weighted by their multipliers, outweighs the
    loss's on some rows; conjugate gradients meet a direction of
    nonpositive curvature), the rows' weights are replaced by their absolute
    values, which makes ``H`` positive definite and keeps the size of the
    curvature, in the spirit of the dense path's modification (which works
    on a factor this path does not have).
    """

    def __init__(self, model, z, multipliers):
        self.A = model.A
        self.A_transposed = model.transposed_design
        self.A_squared = model.squared_design
        self.reg = model.reg
        self.coarse = model.coarse_basis
        self._set_weights(model.lagrangian_row_weights(z, multipliers))
        self.modified = False
        typical = max(np.mean(np.abs(self.diagonal)), 1e-300)
        self.marquardt = np.maximum(self.diagonal, 1e-3 * typical)
        self.age = 0

    def _set_weights(self, row_weight):
        self.row_weight = row_weight
        self.diagonal = self.A_squared @ row_weight + self.reg
        if self.coarse is not None:
            self._coarse_image = self._unshifted_product(self.coarse)
        # The last solve's search directions and their images under
        # A' diag(w) A (see _recycled_start).
        self._kept = None

    def _unshifted_product(self, v):
        """``A' diag(w) A v``."""
        return self.A_transposed @ (self.row_weight[:, None] * (self.A @ v))

    def directions(self, damping, basis):
        """``(H + damping D)^-1 basis``, ``H`` made positive definite."""
        rhs = basis.reshape(basis.shape[0], -1)
        solution = self._conjugate_gradients(damping, rhs)
        if solution is None:
            self._set_weights(np.abs(self.row_weight))
            self.modified = True
            solution = self._conjugate_gradients(damping, rhs)
        return solution.reshape(basis.shape)

    def _coarse_solver(self, shift):
        """Cholesky factor of ``Z' (H + shift) Z``, or None if it has none."""
        if self.coarse is None:
            return None
        Z = self.coarse
        small = Z.T @ self._coarse_image + Z.T @ (shift * Z)
        try:
            return cho_factor(0.5 * (small + small.T), lower=True, check_finite=False)
        except LinAlgError:
            return None

    def _recycled_start(self, shift, rhs):
        """Galerkin solution on the last solve's search directions, or zero.

        Returns the start and its residual ``rhs - (H + shift) start``.
        """
        if self._kept is None:
            return np.zeros_like(rhs), rhs.copy()
        directions, unshifted_images = self._kept
        # The same A' diag(w) A: only the diagonal shift changed.
        images = unshifted_images + shift * directions
        small = directions.T @ images
        eigval, eigvec = np.linalg.eigh(0.5 * (small + small.T))
        keep = eigval > 1e-10 * max(eigval[-1], 1e-300)
        if not keep.any():
            return np.zeros_like(rhs), rhs.copy()
        basis = eigvec[:, keep]
        coords = basis @ ((basis.T @ (directions.T @ rhs)) / eigval[keep][:, None])
        return directions @ coords, rhs - images @ coords

    def _conjugate_gradients(self, damping, rhs):
        """Preconditioned CG, one per column; None at nonpositive curvature."""
        shift = (self.reg + damping * self.marquardt)[:, None]
        inverse_diagonal = 1.0 / np.maximum(
            self.diagonal + damping * self.marquardt, 1e-12 * self.marquardt
        )
        inverse_diagonal = inverse_diagonal[:, None]
        coarse = self._coarse_solver(shift)
        Z = self.coarse

        def precondition(r):
            out = inverse_diagonal * r
            if coarse is not None:
                out += Z @ cho_solve(coarse, Z.T @ r, check_finite=False)
            return out

        x, residual = self._recycled_start(shift, rhs)
        target = _CG_TOL * np.linalg.norm(rhs, axis=0)
        active = np.linalg.norm(residual, axis=0) > target
        preconditioned = precondition(residual)
        direction = preconditioned.copy()
        rho = np.sum(residual * preconditioned, axis=0)
        kept_directions, kept_images = [], []
        for _ in range(_CG_MAX_ITER):
            if not active.any():
                break
            image = self._unshifted_product(direction) + shift * direction
            curvature = np.sum(direction * image, axis=0)
            if np.any(curvature[active] <= 0):
                if self.modified:
                    break  # rounding: keep the iterate reached
                return None
            if sum(d.shape[1] for d in kept_directions) < _CG_MAX_KEPT:
                kept_directions.append(direction[:, active])
                kept_images.append(image[:, active] - shift * direction[:, active])
            alpha = np.where(active, rho / np.where(active, curvature, 1.0), 0.0)
            x += alpha * direction
            residual -= alpha * image
            active &= np.linalg.norm(residual, axis=0) > target
            preconditioned = precondition(residual)
            new_rho = np.sum(residual * preconditioned, axis=0)
            beta = np.where(active, new_rho / np.where(rho != 0, rho, 1.0), 0.0)
            direction = preconditioned + beta * direction
            rho = new_rho
        if kept_directions:
            # With the unshifted images: _recycled_start adds its own shift.
            self._kept = (np.hstack(kept_directions), np.hstack(kept_images))
        return x


def _curvature(model, z, multipliers):
    """The curvature object of an iterate: matrix-free on wide sparse designs."""
    if getattr(model, "matrix_free", False):
        return _MatrixFreeNewton(model, z, multipliers)
    return _DampedNewton(model, z, multipliers)


def _iterate(
    subproblem,
    model,
    n_slices,
    tolerance,
    theta,
    multipliers,
    curvature,
    damping,
    *,
    solver,
    max_iter,
    tol,
    verbose,
):
    loss, rates, z = model.evaluate(theta)
    violation = _violation(rates, n_slices, tolerance)
    penalty = _INITIAL_PENALTY
    if multipliers is None:
        multipliers = np.zeros(rates.size)
    inaccurate = []
    converged = stalled = False
    n_iter = 0
    newton, basis = curvature, None
    # The last curvature computed, for the runs after this one: a rejected
    # step may drop it from this run (to refresh it), not from theirs.
    last_curvature = curvature
    fixed = curvature is not None

    def solve(gram, shifted_rates, penalty):
        status, penalty = _solve_with_steering(
            subproblem,
            dict(gram=gram, rates=shifted_rates, tolerance=tolerance),
            penalty,
            solver,
            verbose=verbose > 1,
        )
        if status != "optimal":
            inaccurate.append(status)
        return subproblem.step_coordinates(), penalty

    def trial(step):
        new_theta = theta + step
        new_loss, new_rates, new_z = model.evaluate(
            new_theta, model.step_scores(z, step)
        )
        new_violation = _violation(new_rates, n_slices, tolerance)
        return new_theta, new_loss, new_rates, new_z, new_violation

    while n_iter < max_iter:
        n_iter += 1
        if newton is None or (newton.age >= _HESSIAN_REUSE and not fixed):
            newton = last_curvature = _curvature(model, z, multipliers)
        if basis is None:
            gradient, jacobian = model.first_order(theta, z)
            basis = np.column_stack([gradient, jacobian.T])
        directions = newton.directions(damping, basis)
        gram = basis.T @ directions
        coords, penalty = solve(gram, rates, penalty)
        step = directions @ coords
        step_size = np.max(np.abs(step), initial=0.0)
        predicted = penalty * violation - subproblem.model_value()
        merit = loss + penalty * violation
        candidate = trial(step)
        actual = merit - (candidate[1] + penalty * candidate[4])
        accepted = _acceptable(actual, predicted, merit)
        corrected = False
        if not accepted and candidate[4] > violation:
            # Second-order correction: the step was spoiled by the rates'
            # curvature (more violation than the linear model predicted).
            # Re-solve with the constraints linearised so that they match the
            # rates at the trial point, which pulls the step back onto them.
            shifted = candidate[2] - jacobian @ step
            coords, penalty = solve(gram, shifted, penalty)
            step = directions @ coords
            candidate = trial(step)
            actual = merit - (candidate[1] + penalty * candidate[4])
            accepted = corrected = _acceptable(actual, predicted, merit)
        if verbose:
            ratio = actual / predicted if predicted > 0 else float("nan")
            outcome = "accepted" if accepted else "rejected"
            print(
                f"[SCP] iter {n_iter:3d}  loss {loss:.10g}  violation {violation:.2e}"
                f"  step {step_size:.2e}  damping {damping:.1e}  penalty {penalty:.0e}"
                f"  ratio {ratio:.3f}  {outcome}{' (corrected)' if corrected else ''}"
            )
        # The QP's step is (almost) zero, or it predicts no decrease of the
        # objective (or of the merit function) beyond tol**2, and is barely
        # damped: the current point satisfies the program's KKT conditions
        # to within about tol, with this QP's duals as multipliers (near such
        # a point, the predicted decrease is half the squared norm of the
        # Lagrangian's gradient in the metric of the damped Hessian's
        # inverse; for the exact-penalty merit, the model's decrease measures
        # criticality in the same way). The last two tests end runs whose
        # last steps are spoilt by rounding or the rates' curvature (steps of
        # order sqrt of the violation that trade loss for violation).
        loss_decrease = -subproblem.loss_model_value()
        stationary = damping <= 1.0 and (
            step_size <= tol
            or loss_decrease <= tol**2 * (1.0 + abs(loss))
            or predicted <= tol**2 * (1.0 + abs(merit))
        )
        if accepted or stationary:
            multipliers = subproblem.multipliers()
        if accepted:
            theta, loss, rates, z, violation = candidate
            basis = None
            newton.age += 1
            if actual > 0.75 * predicted:
                damping = max(damping / 3.0, _MIN_DAMPING)
        else:
            damping = max(4.0 * damping, 1e-4)
            if newton.age and not fixed:
                newton = None  # a stale curvature may be the culprit: refresh
        if stationary and violation <= tol:
            converged = True
            break
        if damping > _MAX_DAMPING:
            stalled = True
            break
    # The rates the run reports, from exact scores (the iterates' scores
    # carry the single-precision increments of model.step_scores).
    rates = model.evaluate(theta)[1]
    return SCPResult(
        theta=theta,
        n_iter=n_iter,
        converged=converged,
        violation=float(np.max(rate_gaps(rates, n_slices) - tolerance, initial=0.0)),
        gaps=rate_gaps(rates, n_slices),
        multipliers=multipliers,
        inaccurate_statuses=inaccurate,
        stalled=stalled,
        curvature=last_curvature,
        damping=damping,
    )


def _acceptable(actual, predicted, merit):
    """Whether the merit decreased by enough of what the model predicted."""
    # Below this the model and the merit differ by rounding only.
    negligible = 1e-13 * (1.0 + abs(merit))
    if predicted <= negligible:
        return actual >= -negligible
    return actual >= _ACCEPT_RATIO * predicted


def _solve_with_steering(subproblem, values, penalty, solver, verbose):
    """Solve the QP, raising the penalty while that shrinks the linearised slack.

    A slack left at the solution means either that the penalty is below the
    constraints' multipliers (raise it) or that the step cannot reach the
    constraints (raising it does not help; keep it).
    """
    subproblem.set_values(penalty=penalty, **values)
    status = _solve(subproblem, solver, verbose)
    slack = np.sum(np.maximum(subproblem.slack.value, 0.0))
    while slack > 1e-9 and penalty < _MAX_PENALTY:
        trial_penalty = 10.0 * penalty
        subproblem.penalty.value = trial_penalty
        trial_status = _solve(subproblem, solver, verbose)
        trial_slack = np.sum(np.maximum(subproblem.slack.value, 0.0))
        penalty, status = trial_penalty, trial_status
        if trial_slack > 0.5 * slack:
            break
        slack = trial_slack
    return status, penalty
