"""Sequential convex programming (SCP) for the rate-constrained logistic loss.

The program (scaled as in ``_RateConstrainedLogistic``)::

    minimise    f(theta) = sum_i w_i logloss_i(theta) / W + ||coef||^2 / (2 C W)
    subject to  max_g r_kg(theta) - min_g r_kg(theta) <= tolerance   for each k

where ``r_kg`` is group ``g``'s weighted mean predicted probability on label
slice ``k``, is smooth but not convex (a mean of sigmoids). Each iteration:

1. linearises the rates at the current iterate ``theta_k``;
2. takes the quadratic model of the Lagrangian (the loss Hessian plus the
   rates' curvature weighted by the last multipliers, eigenvalues floored so
   that it is PSD);
3. solves the resulting QP in ``d = theta - theta_k`` inside a box trust
   region scaled by each coordinate's curvature, with an exact l1 penalty
   ``rho * s`` on the linearised violation ``s`` (Fletcher's Sl1QP; ``rho``
   is raised while that shrinks ``s``), so the QP is always feasible;
4. accepts the step if the merit function ``f + rho * violation`` decreases
   by at least a tenth of what the model predicted; if not, and the rates'
   curvature increased the violation, tries once a second-order correction
   (the constraints re-linearised to match the rates at the trial point);
   otherwise shrinks the trust region (and grows it after very good steps).

It starts from the constant model (zero coefficients), where every group has
the same rate, so the iterates start feasible. It stops when the QP's step
moves no coefficient by more than ``tol`` while strictly inside the trust
region, and the true (nonlinear) constraints hold within ``tol``. A vanishing
QP step means that the QP's optimality conditions at ``d = 0`` hold, and these
are the KKT conditions of the program above, with the QP's duals as the
multipliers: the result is a KKT point (a local solution) of the nonconvex
program. Otherwise ``max_iter`` ends the run and the caller warns.
"""

from dataclasses import dataclass, field

import numpy as np

from ._problem import SUBPROBLEM_POOL, convex_factor

_INITIAL_RADIUS = 1.0
_MAX_RADIUS = 1e4
_INITIAL_PENALTY = 10.0
_MAX_PENALTY = 1e8
_ACCEPT_RATIO = 0.1


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


class SubproblemError(Exception):
    """The QP solver failed or reported an unusable status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def rate_gaps(rates, n_slices):
    """Largest minus smallest group rate, per label slice."""
    per_slice = rates.reshape(n_slices, -1)
    return per_slice.max(axis=1) - per_slice.min(axis=1)


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
        and subproblem.step.value is not None
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
    model, n_groups, n_slices, tolerance, theta0, *, solver, max_iter, tol, verbose
):
    """Run the SCP from ``theta0`` (which should satisfy the constraints)."""
    subproblem = SUBPROBLEM_POOL.acquire(model.n_params, n_groups, n_slices)
    try:
        return _iterate(
            subproblem,
            model,
            n_slices,
            tolerance,
            theta0,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            verbose=verbose,
        )
    finally:
        SUBPROBLEM_POOL.release(subproblem)


def _iterate(
    subproblem, model, n_slices, tolerance, theta, *, solver, max_iter, tol, verbose
):
    loss, rates, proba = model.evaluate(theta)
    violation = _violation(rates, n_slices, tolerance)
    radius, penalty = _INITIAL_RADIUS, _INITIAL_PENALTY
    multipliers = np.zeros(rates.size)
    inaccurate = []
    converged = stalled = False
    n_iter = 0

    def solve(values, penalty):
        status, penalty = _solve_with_steering(
            subproblem, values, penalty, solver, verbose=verbose > 1
        )
        if status != "optimal":
            inaccurate.append(status)
        return subproblem.step.value.copy(), penalty

    def trial(step):
        new_theta = theta + step
        new_loss, new_rates, new_proba = model.evaluate(new_theta)
        new_violation = _violation(new_rates, n_slices, tolerance)
        return new_theta, new_loss, new_rates, new_proba, new_violation

    while n_iter < max_iter:
        n_iter += 1
        gradient = model.gradient(theta, proba)
        factor = convex_factor(model.lagrangian_hessian(proba, multipliers))
        # The trust region is a box scaled by the curvature of each coordinate,
        # so rarely active features (small curvature) may move further.
        scale = np.sqrt(np.maximum(np.einsum("ij,ij->j", factor, factor), 1e-12))
        jacobian = model.rate_jacobian(proba)
        values = dict(
            factor=factor,
            gradient=gradient,
            rates=rates.reshape(n_slices, -1),
            jacobians=jacobian.reshape(n_slices, -1, model.n_params),
            radius=radius / scale,
            tolerance=tolerance,
        )
        step, penalty = solve(values, penalty)
        step_size = np.max(np.abs(step), initial=0.0)
        scaled_size = np.max(np.abs(step) * scale, initial=0.0)
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
            values["rates"] = (candidate[2] - jacobian @ step).reshape(n_slices, -1)
            subproblem.rates_values(values["rates"])
            step, penalty = solve(values, penalty)
            candidate = trial(step)
            actual = merit - (candidate[1] + penalty * candidate[4])
            accepted = corrected = _acceptable(actual, predicted, merit)
        if verbose:
            ratio = actual / predicted if predicted > 0 else float("nan")
            outcome = "accepted" if accepted else "rejected"
            print(
                f"[SCP] iter {n_iter:3d}  loss {loss:.10g}  violation {violation:.2e}"
                f"  step {step_size:.2e}  radius {radius:.2e}  penalty {penalty:.0e}"
                f"  ratio {ratio:.3f}  {outcome}{' (corrected)' if corrected else ''}"
            )
        # The QP's step is (almost) zero strictly inside the trust region: the
        # current point satisfies the program's KKT conditions to within tol,
        # with this QP's duals as multipliers.
        stationary = step_size <= tol and scaled_size < 0.5 * radius
        if accepted or stationary:
            multipliers = subproblem.multipliers()
        if accepted:
            theta, loss, rates, proba, violation = candidate
            if (
                actual > 0.75 * predicted
                and scaled_size > 0.9 * radius
                and not corrected
            ):
                radius = min(2.0 * radius, _MAX_RADIUS)
        else:
            radius = 0.25 * scaled_size
        if stationary and violation <= tol:
            converged = True
            break
        if np.max(radius / scale) < 1e-3 * tol:
            stalled = True
            break
    return SCPResult(
        theta=theta,
        n_iter=n_iter,
        converged=converged,
        violation=float(np.max(rate_gaps(rates, n_slices) - tolerance, initial=0.0)),
        gaps=rate_gaps(rates, n_slices),
        multipliers=multipliers,
        inaccurate_statuses=inaccurate,
        stalled=stalled,
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
    constraints' multipliers (raise it) or that the trust region is too small
    to reach the constraints (raising it does not help; keep it).
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
