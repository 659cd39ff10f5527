"""ConstrainedLogisticRegression: logistic regression under group-rate constraints."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
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
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ..utils._validation import _check_labels_present
from ._problem import _RateConstrainedLogistic
from ._scp import SubproblemError, sequential_convex_fit

# For each constraint: the label slices whose groups' rates are equalised,
# as (label the rows must have or None for all rows, name of the rate).
_SLICES = {
    "equalized_odds": ((1, "positives"), (0, "negatives")),
    "equal_opportunity": ((1, "positives"),),
    "false_positive_rate_parity": ((0, "negatives"),),
    "demographic_parity": ((None, "all rows"),),
}

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
        result = self._solve(
            model, encoding.n_groups, n_slices, y01, sample_weight, solver
        )

        theta = result.theta
        n_features = X_model.shape[1]
        self.classes_ = classes
        self.coef_ = theta[None, :n_features].copy()
        self.intercept_ = (
            theta[n_features:].copy() if self.fit_intercept else np.zeros(1)
        )
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.groups_ = encoding.groups
        self.training_gaps_ = result.gaps
        self.constraint_multipliers_ = (
            result.multipliers.reshape(n_slices, encoding.n_groups) * model.scale
        )
        self._warn_if_not_converged(result)
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

    def _solve(self, model, n_groups, n_slices, y01, sample_weight, solver):
        # Start where every group has the same rate: zero coefficients (and the
        # base-rate intercept), so every prediction is the same number and
        # every constraint holds, whatever the tolerance. The SCP then keeps
        # the linearised constraints satisfied from a feasible point.
        theta0 = np.zeros(model.n_params)
        if self.fit_intercept:
            base_rate = np.clip(
                np.average(y01, weights=sample_weight), 1e-12, 1 - 1e-12
            )
            theta0[-1] = np.log(base_rate / (1.0 - base_rate))
        try:
            return sequential_convex_fit(
                model,
                n_groups,
                n_slices,
                self.tolerance,
                theta0,
                solver=solver,
                max_iter=self.max_iter,
                tol=self.tol,
                verbose=self.verbose,
            )
        except SubproblemError as exc:
            raise ValueError(str(exc)) from exc

    def _warn_if_not_converged(self, result):
        gaps = ", ".join(f"{gap:.3g}" for gap in result.gaps)
        if result.inaccurate_statuses:
            statuses = sorted(set(result.inaccurate_statuses))
            warnings.warn(
                f"the cvxpy solver returned status {statuses} on "
                f"{len(result.inaccurate_statuses)} subproblem solve(s) in "
                f"{result.n_iter} iteration(s); "
                f"the solution may be inaccurate (training gaps {gaps}, "
                f"tolerance {self.tolerance}).",
                ConvergenceWarning,
            )
        if not result.converged:
            reason = (
                "the trust region collapsed"
                if result.stalled
                else f"max_iter={self.max_iter} was reached"
            )
            warnings.warn(
                f"ConstrainedLogisticRegression did not converge: {reason}. "
                f"Remaining constraint violation {result.violation:.3g} "
                f"(training gaps {gaps}, tolerance {self.tolerance}). Increase "
                "max_iter or scale the features.",
                ConvergenceWarning,
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
