"""ConstrainedLogisticRegression: logistic regression under group-rate constraints."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..utils import (
    check_binary_labels,
    check_sample_weight_1d,
    encode_groups,
    resolve_sensitive_features,
)
from ..utils._sensitive import format_label, python_label
from ..utils._validation import _check_labels_present
from . import _decisions
from ._problem import _RateConstrainedLogistic
from ._scp import SCPResult, SubproblemError, sequential_convex_fit

# For each constraint: the label slices whose groups' rates are equalised,
# as (label the rows must have or None for all rows, name of the rate).
_SLICES = {
    "equalized_odds": ((1, "positives"), (0, "negatives")),
    "equal_opportunity": ((1, "positives"),),
    "false_positive_rate_parity": ((0, "negatives"),),
    "demographic_parity": ((None, "all rows"),),
}

# Temperatures of the smooth stand-ins sigmoid(z / T) of the decisions z > 0,
# in logits: 1 is the predicted probability; at 0.03 a row's soft decision
# moves from 0.03 to 0.97 within 0.2 logit of the boundary.
_TEMPERATURES = (1.0, 0.2, 0.04)
# Iterations and step tolerance of the runs after the first (T = 1).
_CONTINUATION_MAX_ITER = 20
_CONTINUATION_TOL = 1e-4
# Re-runs at the last temperature with the bound lowered by the decisions'
# excess (before the exact threshold correction takes over).
_RETARGETS = 2
# Below this share of rows with the minority decision, a fit warns.
_NEAR_CONSTANT = 0.01

# Solvers tried in this order when solver=None: an interior-point QP solver
# first (accurate duals), then first-order and conic fallbacks.
_PREFERRED_SOLVERS = ("CLARABEL", "OSQP", "PIQP", "PROXQP", "SCS", "ECOS")


def _default_solver(installed):
    for name in _PREFERRED_SOLVERS:
        if name in installed:
            return name
    raise ValueError(
        "no quadratic-programming solver is installed for cvxpy "
        f"(installed: {installed}); install clarabel or osqp."
    )


def _check_solver(solver):
    import cvxpy as cp

    installed = cp.installed_solvers()
    if solver is None:
        return _default_solver(installed)
    name = solver.upper()
    if name not in installed:
        raise ValueError(
            f"solver={solver!r} is not an installed cvxpy solver; installed "
            f"solvers: {installed}."
        )
    return name


class ConstrainedLogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-regularised logistic regression whose group rates are constrained.

    Minimises scikit-learn's logistic objective

    ``C * sum_i w_i * logloss_i + 0.5 * ||coef||^2``

    (the intercept is not penalised; ``w_i`` are the sample weights) subject
    to a fairness constraint on the training data that bounds, for each label
    slice named by ``constraints``, the difference between the largest and
    the smallest group's **weighted mean predicted probability** on that
    slice by ``tolerance``:

    ``max_g r_g - min_g r_g <= tolerance``, with
    ``r_g = sum_{i in g, slice} w_i p_i / sum_{i in g, slice} w_i`` and
    ``p_i = predict_proba(X)[i, 1]``.

    The slices are the rows whose label is the positive class
    (``classes_[1]``) and those whose label is the negative class, so these
    ``r_g`` are the "soft" true and false positive rates; ``tolerance`` is
    therefore in the units of the gaps that
    :func:`~skfair.metrics.equalized_odds_difference` and friends report
    (a difference of rates). Thresholded predictions (``predict``) follow the
    same trend: a smaller ``tolerance`` gives a smaller measured gap.

    The program is smooth but not convex (a mean of sigmoids), so it is
    solved by sequential convex programming: each iteration linearises the
    rates at the current coefficients and solves, with cvxpy, a small convex
    quadratic program in ``n_features + 1`` variables (the Newton model of
    the Lagrangian in a trust region, with an exact penalty on the
    linearised violation); see Notes. The cvxpy problem is compiled once per
    shape (number of coefficients, of groups and of slices) and reused by
    later iterations and refits, which only update its parameters.

    Features are best standardised, as for
    :class:`~sklearn.linear_model.LogisticRegression`; the trust region is
    scaled by each coefficient's curvature, so unscaled features converge
    too, but possibly in more iterations.

    Parameters
    ----------
    constraints : {"equalized_odds", "equal_opportunity", \
            "false_positive_rate_parity", "demographic_parity"}, \
            default="equalized_odds"
        Which groups' rates are bounded:

        - "equalized_odds": among positives and among negatives;
        - "equal_opportunity": among positives only;
        - "false_positive_rate_parity": among negatives only;
        - "demographic_parity": among all rows.
    tolerance : float, default=0.0
        Largest allowed difference between two groups' mean predicted
        probabilities on each slice, on the training data (with the sample
        weights). Any value >= 1 leaves the model unconstrained, i.e. equal to
        ``LogisticRegression(C=C)``.
    C : float, default=1.0
        Inverse of regularisation strength, as in
        :class:`~sklearn.linear_model.LogisticRegression`.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` holding the groups. They are
        group labels, not features: they are removed from ``X`` before the
        model sees it, in ``fit`` and in every prediction method (which still
        expect them in ``X``). Several columns give intersectional groups. If
        None, pass ``sensitive_features=`` to ``fit``. Or a callable X -> groups
        (called on every ``X``; no column is removed).
    solver : str or None, default=None
        The cvxpy solver of the quadratic subproblems, e.g. "CLARABEL" or
        "OSQP"; must be installed (see ``cvxpy.installed_solvers()``). None
        picks CLARABEL when available, else another installed QP solver.
    max_iter : int, default=100
        Largest number of subproblems solved.
    tol : float, default=1e-6
        Stopping tolerance on the coefficient step (largest absolute change)
        and on the constraint violation.
    verbose : int, default=0
        1 prints one line per iteration; 2 also prints the solver's output.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is the positive class.
    coef_ : ndarray of shape (1, n_features_model)
        Coefficients of the model's features (``X`` without
        ``sensitive_cols``).
    intercept_ : ndarray of shape (1,)
        Intercept (0 when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Number of subproblems solved.
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in fit (tuples for intersectional groups).
    training_gaps_ : ndarray of shape (n_slices,)
        Largest minus smallest group rate on each constrained slice, on the
        training data, at the solution.
    constraint_multipliers_ : ndarray of shape (n_slices, n_groups)
        Lagrange multipliers of the group-rate constraints at the solution, in
        the units of the objective above: positive for a group at the upper
        end of the allowed band, negative at the lower end, zero inside.
    n_features_in_ : int
        Number of columns of ``X`` in fit (sensitive columns included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in fit, when they are all strings.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The unconstrained model.
    skfair.postprocessing.ThresholdOptimizer : Group thresholds after fitting.

    Notes
    -----
    Convergence. Iterations start from the constant model (zero
    coefficients, base-rate intercept), where every group has the same rate,
    so the first iterate is feasible for any ``tolerance``, and the program
    itself is always feasible. A step is accepted only if it decreases the
    merit function ``loss + rho * violation`` by a fraction of the decrease
    the quadratic model predicted (a second-order correction is tried when
    the rates' curvature spoils a step); otherwise the trust region shrinks.
    The fit stops when the subproblem's step changes no coefficient by more
    than ``tol`` (strictly inside the trust region) and the constraints
    hold on the training data within ``tol``: the subproblem's optimality
    conditions at a vanishing step are then the Karush-Kuhn-Tucker
    conditions of the constrained program, with the subproblem's duals as
    the multipliers (``constraint_multipliers_``). The result is a KKT point
    (a local solution) of the nonconvex program. If ``max_iter`` is reached
    first, or the solver reports an inaccurate solution, a
    :class:`~sklearn.exceptions.ConvergenceWarning` gives the remaining
    violation or the solver's status; a failed or infeasible subproblem
    raises a ``ValueError``.

    Near the unconstrained end the iteration is Newton's method with a trust
    region and converges quadratically; ``tolerance >= 1`` reproduces
    ``LogisticRegression(C=C)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.inprocessing import ConstrainedLogisticRegression
    >>> rng = np.random.RandomState(0)
    >>> group = rng.randint(0, 2, 400)
    >>> X = rng.normal(size=(400, 3)) + group[:, None]
    >>> y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    >>> clf = ConstrainedLogisticRegression(tolerance=0.02)
    >>> clf = clf.fit(X, y, sensitive_features=group)
    >>> bool(clf.training_gaps_.max() <= 0.02 + 1e-6)
    True
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "constraints": [StrOptions(set(_SLICES))],
        "gap_of": [StrOptions({"predict", "predict_proba", "decision_function"})],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "sensitive_cols": [str, Integral, list, tuple, np.ndarray, callable, None],
        "solver": [str, None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        constraints="equalized_odds",
        tolerance=0.0,
        gap_of="predict",
        C=1.0,
        fit_intercept=True,
        sensitive_cols=None,
        solver=None,
        max_iter=100,
        tol=1e-6,
        verbose=0,
    ):
        self.constraints = constraints
        self.tolerance = tolerance
        self.gap_of = gap_of
        self.C = C
        self.fit_intercept = fit_intercept
        self.sensitive_cols = sensitive_cols
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _model_input(self, X, *, reset, sensitive_features=None, required=False):
        """Validate ``X``; return the model's float matrix and the raw groups.

        ``n_features_in_`` and ``feature_names_in_`` describe the full ``X``
        (sensitive columns included), which may hold non-numeric group
        columns; only the remaining columns must be numeric.
        """
        if self.sensitive_cols is None:
            X_model = validate_data(self, X, dtype=np.float64, reset=reset)
            _, groups = resolve_sensitive_features(
                X_model,
                sensitive_features=sensitive_features,
                required=required,
                method="fit",
            )
            return X_model, groups
        # Split first: it reports a 1-D X in scikit-learn's words.
        X_model, groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            required=required,
            method="fit",
        )
        validate_data(self, X, skip_check_array=True, reset=reset)
        X_model = check_array(X_model, dtype=np.float64, input_name="X")
        return X_model, groups

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, sensitive_features=None):
        """Fit the constrained model.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data (with the ``sensitive_cols`` columns, if set).
        y : array-like of shape (n_samples,)
            Binary target, any two labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows, in the loss and in the group rates.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_columns), default=None
            Group of each row (several columns: intersectional groups), when
            ``sensitive_cols`` is not set.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        solver = _check_solver(self.solver)
        X_model, raw_groups = self._model_input(
            X, reset=True, sensitive_features=sensitive_features, required=True
        )
        n_samples = X_model.shape[0]
        check_consistent_length(X_model, y)
        y = column_or_1d(y, warn=True)
        _check_labels_present(y)  # before type_of_target (see there)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {y_type}."
            )
        y01, classes = check_binary_labels(y)
        if classes.size != 2:
            raise ValueError(
                f"y holds one class only ({classes.tolist()}); "
                "ConstrainedLogisticRegression needs samples of two classes."
            )
        sample_weight = check_sample_weight_1d(sample_weight, n_samples)
        if sample_weight is None:
            sample_weight = np.ones(n_samples)
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight sums to zero; nothing to fit.")
        class_weight = np.bincount(y01, weights=sample_weight, minlength=2)
        for label, weight in zip(classes, class_weight, strict=True):
            if not weight > 0:
                raise ValueError(
                    f"class {format_label(label)} of y has zero total sample_weight; "
                    "ConstrainedLogisticRegression needs both classes with "
                    "positive weight."
                )
        encoding = encode_groups(raw_groups)
        cell_codes, n_slices = self._cells(y01, sample_weight, encoding, classes)
        model = _RateConstrainedLogistic(
            X_model,
            y01,
            sample_weight,
            cell_codes,
            n_slices * encoding.n_groups,
            self.C,
            self.fit_intercept,
        )
        theta0 = self._constant_model(model, y01, sample_weight)
        if self.gap_of == "decision_function":
            fit = self._fit_convex(model, encoding.n_groups, n_slices, theta0, solver)
        elif self.gap_of == "predict_proba":
            fit = self._run_scp(model, encoding.n_groups, n_slices, theta0, solver)
        else:
            fit = self._fit_decisions(
                model, encoding.n_groups, n_slices, theta0, solver
            )

        coef, intercept = model.to_linear_model(fit.theta)
        scores = X_model @ coef + intercept
        decision_gaps = _decisions.decision_gaps(model.cells, scores, n_slices)
        self._warn_if_not_converged(fit, decision_gaps)
        self._warn_if_constant(scores, sample_weight, decision_gaps)
        self.classes_ = classes
        self.coef_ = coef[None, :]
        self.intercept_ = np.array([intercept])
        self.n_iter_ = np.array([fit.n_iter], dtype=np.int32)
        self.groups_ = encoding.groups
        self.training_gaps_ = decision_gaps
        self.constrained_gaps_ = decision_gaps if self.gap_of == "predict" else fit.gaps
        self.constraint_multipliers_ = (
            fit.multipliers.reshape(n_slices, encoding.n_groups) * model.scale
        )
        return self

    def _cells(self, y01, sample_weight, encoding, classes):
        """Cell (slice, group) of every constrained row; check none is empty."""
        slices = _SLICES[self.constraints]
        n_groups = encoding.n_groups
        cell_codes = np.full(y01.shape[0], -1, dtype=np.intp)
        for k, (label, name) in enumerate(slices):
            rows = np.ones(y01.shape[0], dtype=bool) if label is None else y01 == label
            cell_codes[rows] = k * n_groups + encoding.codes[rows]
            weight = np.bincount(
                encoding.codes[rows], weights=sample_weight[rows], minlength=n_groups
            )
            for g in np.flatnonzero(weight <= 0):
                which = (
                    "rows"
                    if label is None
                    else f"rows with label {format_label(classes[label])}"
                )
                group = python_label(encoding.groups[g])
                raise ValueError(
                    f"group {group!r} has no {which} (with positive sample "
                    f"weight) in the training data; constraints="
                    f"{self.constraints!r} compares the groups' rates among "
                    f"{name}, so every group needs such rows."
                )
        return cell_codes, len(slices)

    def _constant_model(self, model, y01, sample_weight):
        """Internal coefficients of the constant model (zeros, base-rate intercept).

        Every prediction is then the same number, so every group has the
        same rate on every slice and every constraint holds, whatever the
        tolerance: the fits start there (feasible) and it is the fallback of
        the decisions' threshold correction.
        """
        coef = np.zeros(model.n_features)
        intercept = 0.0
        if self.fit_intercept:
            base_rate = np.clip(
                np.average(y01, weights=sample_weight), 1e-12, 1 - 1e-12
            )
            intercept = np.log(base_rate / (1.0 - base_rate))
        return model.from_linear_model(coef, intercept)

    def _run_scp(
        self, model, n_groups, n_slices, theta0, solver, *, tolerance=None, **kwargs
    ):
        kwargs.setdefault("tol", self.tol)
        kwargs.setdefault("max_iter", self.max_iter)
        try:
            return sequential_convex_fit(
                model,
                n_groups,
                n_slices,
                self.tolerance if tolerance is None else tolerance,
                theta0,
                solver=solver,
                verbose=self.verbose,
                **kwargs,
            )
        except SubproblemError as exc:
            raise ValueError(str(exc)) from exc

    def _fit_decisions(self, model, n_groups, n_slices, theta0, solver):
        """Bound the gaps of the hard decisions ``z > 0`` (see Notes).

        1. Continuation: the rates are ``mean sigmoid(z / T)`` for falling
           temperatures ``T`` (``T = 1``: mean probabilities), each run
           started where the last ended.
        2. At each temperature, while the decisions exceed the bounds, the
           bound handed to the smooth program is lowered by their excess and
           the run repeated (a few times), so the decisions, not their smooth
           stand-in, meet it; the first temperature whose decisions do ends
           the continuation (smoother stand-ins generalise better).
        3. Exact correction: for each model met on the way (and the constant
           one), the threshold nearest to 0 at which the decisions meet the
           bounds on the training data; the model (with its intercept moved
           to that threshold) of smallest objective wins.
        """
        cells = model.cells
        bounds = self.tolerance + _decisions.rate_steps(cells, n_slices)
        candidates = [theta0]
        theta, multipliers, n_iter = theta0, None, 0
        solver_failed = False
        for stage, temperature in enumerate(_TEMPERATURES):
            model.temperature = temperature
            # Later stages only have to carry the model a little further:
            # a short, coarse run each (the exact correction follows).
            budget = (
                {}
                if stage == 0
                else dict(
                    max_iter=min(self.max_iter, _CONTINUATION_MAX_ITER),
                    tol=max(self.tol, _CONTINUATION_TOL),
                )
            )
            target = np.full(n_slices, float(self.tolerance))
            for _ in range(_RETARGETS + 1):
                try:
                    result = self._run_scp(
                        model,
                        n_groups,
                        n_slices,
                        theta,
                        solver,
                        tolerance=target,
                        multipliers=multipliers,
                        **budget,
                    )
                except ValueError:
                    if len(candidates) == 1:
                        raise
                    # Only the first run is needed; a later one that the QP
                    # solver cannot handle (a sharp stage, a bound close to
                    # what only saturated scores reach) ends the continuation,
                    # and the models met so far are corrected below.
                    solver_failed = True
                    break
                if stage == 0:
                    first = result
                n_iter += result.n_iter
                theta, multipliers = result.theta, result.multipliers
                candidates.append(theta)
                gaps = _decisions.decision_gaps(cells, model.scores(theta), n_slices)
                excess = np.maximum(gaps - self.tolerance, 0.0)
                if np.all(gaps <= bounds) or not np.any(target[excess > 0] > 0):
                    break
                target = np.maximum(target - excess, 0.0)
            if solver_failed or np.all(gaps <= bounds):
                break
        model.temperature = 1.0
        # Convergence is that of the first, full-accuracy stage; the others
        # are capped on purpose.
        return SCPResult(
            theta=self._best_feasible(model, candidates, n_slices, bounds),
            n_iter=n_iter,
            converged=first.converged,
            violation=first.violation,
            gaps=first.gaps,
            multipliers=multipliers,
            inaccurate_statuses=first.inaccurate_statuses,
            stalled=first.stalled,
        )

    def _best_feasible(self, model, candidates, n_slices, bounds):
        """The candidate, moved to its nearest feasible threshold, of least loss."""
        best, best_loss = None, np.inf
        for theta in candidates:
            z = model.scores(theta)
            for threshold in _decisions.feasible_threshold(
                model.cells, z, n_slices, bounds
            ):
                if threshold and not self.fit_intercept:
                    continue  # no intercept to move
                moved = theta.copy()
                if threshold:
                    moved[-1] -= threshold
                loss = model.loss(moved)
                if loss < best_loss:
                    best, best_loss = moved, loss
        return best

    def _fit_convex(self, model, n_groups, n_slices, theta0, solver):
        """Bound the groups' mean decision-function values: a convex program.

        The means are linear in the coefficients, so the program is convex
        and the SCP's KKT point is its global minimum; the SCP is Newton's
        method here (no constraint curvature), each step a cvxpy QP.
        """
        model.temperature = None
        try:
            return self._run_scp(model, n_groups, n_slices, theta0, solver)
        finally:
            model.temperature = 1.0

    def _warn_if_not_converged(self, result, decision_gaps):
        gaps = ", ".join(f"{gap:.3g}" for gap in result.gaps)
        if result.inaccurate_statuses:
            statuses = sorted(set(result.inaccurate_statuses))
            warnings.warn(
                f"the cvxpy solver returned status {statuses} on "
                f"{len(result.inaccurate_statuses)} solve(s) in "
                f"{result.n_iter} iteration(s); "
                f"the solution may be inaccurate (training gaps {gaps}, "
                f"tolerance {self.tolerance}).",
                ConvergenceWarning,
            )
        if result.converged:
            return
        reason = (
            "the steps stalled"
            if result.stalled
            else f"max_iter={self.max_iter} was reached"
        )
        if self.gap_of == "predict":
            decided = ", ".join(f"{gap:.3g}" for gap in decision_gaps)
            outcome = (
                f"The decisions still meet the bound on the training data (gaps "
                f"{decided}, tolerance {self.tolerance}, after the threshold "
                "correction), but the model may be further from the optimum."
            )
        else:
            outcome = (
                f"Remaining constraint violation {result.violation:.3g} "
                f"(training gaps {gaps}, tolerance {self.tolerance})."
            )
        warnings.warn(
            f"ConstrainedLogisticRegression did not converge: {reason}. "
            f"{outcome} Increase max_iter.",
            ConvergenceWarning,
        )

    def _warn_if_constant(self, scores, sample_weight, decision_gaps):
        """Say so when only a (near-)constant classifier meets the tolerance."""
        if self.gap_of != "predict":
            return
        positive = np.average(scores > 0, weights=sample_weight)
        if min(positive, 1.0 - positive) < _NEAR_CONSTANT:
            warnings.warn(
                f"only a near-constant classifier meets tolerance="
                f"{self.tolerance} on the training data: "
                f"{100 * max(positive, 1 - positive):.1f}% of the (weighted) "
                "training rows get the same decision. Raise the tolerance, or "
                "use ThresholdOptimizer (group-specific thresholds).",
                UserWarning,
            )

    def decision_function(self, X):
        """Signed distance to the hyperplane: ``X_model @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data, with the ``sensitive_cols`` columns if set (they are removed
            before scoring).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Positive values predict ``classes_[1]``.
        """
        check_is_fitted(self)
        X_model, _ = self._model_input(X, reset=False)
        if X_model.shape[1] != self.coef_.shape[1]:
            raise ValueError(
                f"X has {X_model.shape[1]} model features, but "
                f"ConstrainedLogisticRegression was fitted with {self.coef_.shape[1]}."
            )
        return X_model @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data, with the ``sensitive_cols`` columns if set.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``.
        """
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data, with the ``sensitive_cols`` columns if set.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
        """
        scores = self.decision_function(X)
        return np.column_stack([log_expit(-scores), log_expit(scores)])

    def predict(self, X):
        """Predict class labels (``classes_[1]`` where the score is positive).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data, with the ``sensitive_cols`` columns if set.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(np.intp)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
