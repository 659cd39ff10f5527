"""ConstrainedLogisticRegression: logistic regression under group-rate constraints."""

import dataclasses
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
    encode_fit_groups,
    resolve_sensitive_features,
)
from ..utils._dask import any_dask
from ..utils._sensitive import check_X_given
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ..utils._small_cells import warn_small_cells
from ..utils._validation import _check_labels_present, keep_state_on_error
from ._problem import _RateConstrainedLogistic
from ._scp import _INITIAL_DAMPING, SCPResult, SubproblemError, sequential_convex_fit
from ._training import (
    SLICES,
    TrainingProblem,
    check_class_weight,
    check_total_weight,
    check_two_classes,
    constraint_cells,
)

# Temperatures of the smooth stand-ins sigmoid(z / T) of the decisions z > 0,
# in logits: 1 is the predicted probability; at 0.2 a row's soft decision
# moves from 0.03 to 0.97 within 0.7 logit of the boundary. A third stage at
# 0.04 was dropped: where the bound is not met at 0.2 the offset runs and the
# exact threshold correction finish the job, and the sharper stage mostly ran
# to its iteration cap (tolerance 0, 10,000 x 1,000: 97 iterations with it,
# 45 without; Adult's test EO at tolerance 0 0.0415 with it, 0.0324 without).
_TEMPERATURES = (1.0, 0.2)
# Iterations and step tolerance of the runs after the first (T = 1).
_CONTINUATION_MAX_ITER = 20
_CONTINUATION_TOL = 1e-4
# Re-runs at each temperature with the bound lowered by the decisions' excess
# (before the exact threshold correction takes over).
_RETARGETS = 2
# The projection onto the decisions (see _project_onto_decisions): its
# iterations, the temperature of the slopes it starts with, the one below
# which it stops, and the step lengths it tries, in order.
_PROJECTION_MAX_ITER = 40
_PROJECTION_TEMPERATURE = 0.2
_PROJECTION_MIN_TEMPERATURE = 0.002
_PROJECTION_STEPS = (1.0, 2.0, 0.5, 4.0, 0.25, 0.125, 0.0625, 0.03125)
# Largest damping a continuation run inherits from the run before it.
_MAX_CARRIED_DAMPING = 10.0
# Below this share of rows with the minority decision, a fit warns.
_NEAR_CONSTANT = 0.01
# Looser tolerances tried, in rate steps above the tolerance, when the fit
# ends at a near-constant model (``_escape_constant``).
_ESCAPE_STEPS = (0.5, 1.0, 2.0)
# ... and always when one row moves a cell's rate by this much (a cell of
# fewer than 30 rows), where the continuation is least reliable.
_SMALL_CELL_STEP = 1.0 / 30
# ... but never when one row moves a rate by more than this (a cell of fewer
# than 4 rows), where a bound of tolerance plus one step means little.
_LARGEST_ESCAPE_STEP = 0.25

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
    """L2-regularised logistic regression whose groups' decision rates are bounded.

    Minimises scikit-learn's logistic objective

    ``C * sum_i w_i * logloss_i + 0.5 * ||coef||^2``

    (the intercept is not penalised; ``w_i`` are the sample weights) subject
    to a fairness constraint on the training data: for each label slice named
    by ``constraints`` (the rows labelled ``classes_[1]``, those labelled
    ``classes_[0]``, or all rows), the largest minus the smallest group's
    weighted rate of positive decisions is at most ``tolerance``:

    ``max_g r_g - min_g r_g <= tolerance``, with
    ``r_g = sum_{i in g, slice} w_i [predict(X)[i] == classes_[1]] /
    sum_{i in g, slice} w_i``.

    These are the groups' true and false positive rates (or selection rates)
    of the **decisions**, in the units that
    :func:`~skfair.metrics.equalized_odds_difference` and friends report on
    ``predict``. Rates move in steps of one row, so the bound holds up to one
    step of the coarsest cell: ``tolerance + max_(k, g) max_{i in (k, g)} w_i
    / sum_{j in (k, g)} w_j`` on every slice (without weights, one over the
    smallest (group, slice) cell's number of rows), the granularity of the
    largest gap that :func:`~skfair.metrics.equalized_odds_difference`
    reports. ``training_gaps_`` reports the gaps reached.

    Two other bounds are options (``gap_of``): on the groups' mean predicted
    probabilities (exact for a randomised classifier that predicts
    ``classes_[1]`` with probability ``predict_proba(X)[:, 1]``), and on the
    groups' mean decision-function values, which makes the program convex
    (see Notes). A held-out gap is an estimate with sampling noise of its
    own: on a test set with a few hundred rows in the smallest cell it
    scatters by about 0.02 around the population value, whatever the model.

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
        Largest allowed difference between two groups' rates on each slice,
        on the training data (with the sample weights), in the units of
        ``gap_of``. A ``tolerance`` at or above the unconstrained model's gaps
        (any value >= 1) leaves the model unconstrained, i.e. equal to
        ``LogisticRegression(C=C)``. With ``gap_of="predict"``, 0 asks every
        group's rates to agree within one row's step, which with four or
        more groups and thousands of rows per cell the fit may reach only
        with the constant model (it warns); a tolerance of a few steps, such
        as 0.001, then gives an informative model.
    gap_of : {"predict", "predict_proba", "decision_function"}, \
            default="predict"
        Which output's group means ``tolerance`` bounds:

        - "predict": the rates of the decisions (the default; what the
          fairness metrics measure on ``predict``);
        - "predict_proba": the mean predicted probabilities of
          ``classes_[1]`` (a smooth program; the decisions' gaps may be
          larger or smaller);
        - "decision_function": the mean decision-function values (logits),
          a convex program solved to its global optimum; ``tolerance`` is
          then in logits, not in rate units.
    C : float, default=1.0
        Inverse of regularisation strength, as in
        :class:`~sklearn.linear_model.LogisticRegression`.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept. Without one, the exact
        threshold correction of ``gap_of="predict"`` cannot move the
        threshold, and its only fallback is the zero model.
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
        Largest number of subproblems solved in one run of the sequential
        convex program (``gap_of="predict"`` makes a few runs; see Notes).
    tol : float, default=1e-6
        Stopping tolerance on the coefficient step (largest absolute change,
        in internally standardised units) and on the constraint violation.
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
        Number of subproblems solved (over all runs).
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in fit (tuples for intersectional groups).
    training_gaps_ : ndarray of shape (n_slices,)
        Largest minus smallest group rate of the decisions (``predict``) on
        each constrained slice, on the training data (with the sample
        weights), whatever ``gap_of``.
    constrained_gaps_ : ndarray of shape (n_slices,)
        The same gaps of what ``gap_of`` bounds: the decisions' rates
        (equal to ``training_gaps_``), the mean probabilities or the mean
        decision-function values.
    constraint_multipliers_ : ndarray of shape (n_slices, n_groups)
        Lagrange multipliers of the group constraints of the smooth program
        (for ``gap_of="predict"``, that of its last run), in the units of the
        objective above: positive for a group at the upper end of the allowed
        band, negative at the lower end, zero inside.
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
    The smooth program. With the rates taken as the groups' means of
    ``sigmoid(z / T)`` (``z`` the decision function; ``T = 1`` gives the mean
    probabilities), the program is smooth but not convex. It is solved by
    sequential convex programming: each iteration linearises the rates and
    solves, with cvxpy, a convex quadratic program (the Newton model of the
    Lagrangian, damped Levenberg-Marquardt style, with an exact penalty on
    the linearised violation), written in a reduced space of one coordinate
    per group and slice, so that its size does not grow with the number of
    features. It is compiled once per number of groups and slices and reused
    by later iterations and fits. A step is accepted only if it decreases the
    merit function ``loss + rho * violation`` by a fraction of the decrease
    the model predicted. Runs start from the constant model (zero
    coefficients, base-rate intercept), where every group has the same rate.
    A run stops when the step vanishes (to ``tol``) while the constraints hold
    within ``tol``: that is a Karush-Kuhn-Tucker point, a **local** solution
    of the nonconvex program, with the subproblem's duals as multipliers.
    Features are standardised internally (the objective and the returned
    coefficients are those of the raw features), so raw columns of any
    scale, such as Adult's ``fnlwgt``, converge like standardised ones.
    Sparse ``X`` (CSR or CSC) is scaled, not centred, and never densified;
    each iteration forms the ``n_params x n_params`` Hessian.

    ``gap_of="predict"`` (the decisions). Decisions ``z > 0`` are not
    smooth. The fit runs the smooth program with temperatures ``T`` = 1 and
    0.2 in turn (the second run starting where the first ended; a smaller
    ``T`` approaches the decisions). At each temperature, while the
    decisions' gaps exceed the bound, the bound given to the smooth program
    is lowered by their excess and the run repeated. The first temperature
    whose decisions meet the bound ends the sequence: smoother stand-ins
    vary less with the sample, so they generalise better. The runs at 0.2
    keep the first run's bound on the mean probabilities (``T = 1``) as
    well: a sharp stand-in alone can meet the bound on the training rows by
    moving the few rows nearest the threshold, gaps that return on new data;
    with the smooth bound kept, the decisions must be fair for the bulk of
    each group (20 random Adult splits at tolerance 0: held-out
    equalized-odds gap 0.019 on average, 0.028 without it, at the same
    accuracy). If no temperature's decisions meet the bound (a
    bound cannot go below 0), the smooth rates at the last temperature are
    shifted, cell by cell, by their distance to the decisions' rates at the
    current model, and the run repeated: the shifted rates equal the
    decisions' rates there, and their slopes steer the step. If the
    decisions still exceed the bound (with three or more groups, every cell
    must agree within one row's step), a projection follows: from the model
    of least loss met, steps of least curvature-weighted length whose
    linearised decision rates agree within each slice, each kept only if it
    lowers the decisions' exact excess over the bound, with the slopes taken
    at a temperature halved whenever no step does. Last comes an
    exact correction: for each model met (and the constant model), the
    decision thresholds nearest to 0 on either side at which the decisions
    meet the bound on the training data are found by one sorted sweep over
    the scores; the model whose intercept, moved to such a threshold, gives
    the smallest objective is returned. The constant model meets every bound,
    so the bound always holds on the training data; what is **global** is
    this guarantee, not optimality (each run finds a local solution, the
    correction is exact along the threshold only). The constraint is not
    convex, so with small cells the continuation can end near the constant
    model although a better model meets the bound; when the fit is
    near-constant (fewer than 1% of the training rows get the minority
    decision) or a (group, label) cell has fewer than 30 rows, fits at
    slightly looser tolerances (by 0.5, 1 and 2 rate steps) are moved to
    their nearest thresholds within this bound, and the one of least
    objective is kept if it is better. When the result is still
    near-constant, a warning says the fit found only such a classifier.
    Runs after the first are capped at 20 iterations and a step tolerance
    of 1e-4 (they only have to carry the model closer to the decisions); a
    ConvergenceWarning concerns the first.

    Dask arrays (``X`` a 2-D dask array; the groups, ``y`` and the weights
    Dask or in-memory arrays with the same rows) fit on the cluster: every
    sum over the rows is computed block by block and only the sums reach the
    process that solves the subproblems, so the fit equals the in-memory one
    up to the order of the sums; the prediction methods return lazy dask
    arrays (see :ref:`dask`).

    ``gap_of="decision_function"`` (convex). The groups' mean decision-function
    values are linear in the coefficients, so the constraints are linear and
    the program convex: the iteration above is then Newton's method, each
    step a cvxpy QP, and its KKT point is the **global** optimum. It is
    equal to solving the exponential-cone program in one cvxpy call (the
    tests check it), at a fraction of the cost. Equal mean scores do not
    make equal rates of decisions; the benchmarks measure how far apart they
    stay.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.inprocessing import ConstrainedLogisticRegression
    >>> from skfair.metrics import equalized_odds_difference
    >>> rng = np.random.RandomState(0)
    >>> group = rng.randint(0, 2, 1000)
    >>> X = rng.normal(size=(1000, 3)) + group[:, None]
    >>> y = (X[:, 0] + rng.normal(size=1000) > 0.5).astype(int)
    >>> clf = ConstrainedLogisticRegression(tolerance=0.02)
    >>> clf = clf.fit(X, y, sensitive_features=group)
    >>> gap = equalized_odds_difference(y, clf.predict(X), sensitive_features=group)
    >>> smallest_cell = np.bincount(2 * group + y).min()
    >>> bool(gap <= 0.02 + 1 / smallest_cell)
    True
    >>> bool(np.isclose(gap, clf.training_gaps_.max()))
    True
    """

    _parameter_constraints: dict = {
        "constraints": [StrOptions(set(SLICES))],
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
        check_X_given(X, "fit" if reset else "predict")
        if self.sensitive_cols is None:
            X_model = validate_data(
                self, X, dtype=np.float64, accept_sparse=("csr", "csc"), reset=reset
            )
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
            accept_sparse=True,
        )
        validate_data(self, X, skip_check_array=True, reset=reset)
        X_model = check_array(
            X_model, dtype=np.float64, accept_sparse=("csr", "csc"), input_name="X"
        )
        return X_model, groups

    @keep_state_on_error
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
        if any_dask(X, y, sample_weight, sensitive_features):
            from ._dask import dask_training_problem

            problem = dask_training_problem(
                self, X, y, sample_weight, sensitive_features
            )
        else:
            problem = self._training_problem(X, y, sample_weight, sensitive_features)
        model, n_groups, n_slices = problem.model, problem.n_groups, problem.n_slices
        theta0 = self._constant_model(model)
        if self.gap_of == "decision_function":
            fit = self._fit_convex(model, n_groups, n_slices, theta0, solver)
        elif self.gap_of == "predict_proba":
            fit = self._run_scp(model, n_groups, n_slices, theta0, solver)
        else:
            fit = self._fit_decisions(model, n_groups, n_slices, theta0, solver)
            fit = self._escape_constant(model, n_groups, n_slices, theta0, solver, fit)

        coef, intercept = model.to_linear_model(fit.theta)
        # The scores as predict computes them (on the raw features), so that
        # training_gaps_ is what the metrics report on predict.
        scores = problem.raw_scores(coef, intercept)
        training_gaps = model.decision_gaps(scores, n_slices)
        self._warn_if_not_converged(fit, training_gaps)
        if self.gap_of == "predict":
            self._warn_if_constant(model, n_groups, n_slices, theta0, solver, scores)
        self.classes_ = problem.classes
        self.coef_ = coef[None, :]
        self.intercept_ = np.array([intercept])
        self.n_iter_ = np.array([fit.n_iter], dtype=np.int32)
        self.groups_ = problem.groups
        self.training_gaps_ = training_gaps
        self.constrained_gaps_ = training_gaps if self.gap_of == "predict" else fit.gaps
        self.constraint_multipliers_ = (
            fit.multipliers.reshape(n_slices, n_groups) * model.scale
        )
        return self

    def _training_problem(self, X, y, sample_weight, sensitive_features):
        """Validate in-memory input; the smooth program on it."""
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
        check_two_classes(classes)
        sample_weight = check_sample_weight_1d(sample_weight, n_samples)
        if sample_weight is None:
            sample_weight = np.ones(n_samples)
        check_total_weight(sample_weight.sum())
        check_class_weight(
            np.bincount(y01, weights=sample_weight, minlength=2), classes
        )
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        warn_small_cells(
            encoding.codes,
            encoding.groups,
            y01,
            classes,
            owner=type(self).__name__,
            constraints=self.constraints,
        )
        cell_codes, n_slices = constraint_cells(
            y01, sample_weight, encoding, self.constraints, classes
        )
        model = _RateConstrainedLogistic(
            X_model,
            y01,
            sample_weight,
            cell_codes,
            n_slices * encoding.n_groups,
            self.C,
            self.fit_intercept,
        )
        return TrainingProblem(
            model=model,
            classes=classes,
            groups=encoding.groups,
            n_groups=encoding.n_groups,
            n_slices=n_slices,
            raw_scores=lambda coef, intercept: X_model @ coef + intercept,
        )

    def _constant_model(self, model):
        """Internal coefficients of the constant model (zeros, base-rate intercept).

        Every prediction is then the same number, so every group has the
        same rate on every slice and every constraint holds, whatever the
        tolerance: the fits start there (feasible) and it is the fallback of
        the decisions' threshold correction.
        """
        coef = np.zeros(model.n_features)
        intercept = 0.0
        if self.fit_intercept:
            base_rate = np.clip(model.base_rate, 1e-12, 1 - 1e-12)
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

    def _fit_decisions(self, model, n_groups, n_slices, theta0, solver, tolerance=None):
        """Bound the gaps of the hard decisions ``z > 0`` (see Notes).

        1. Continuation: the rates are ``mean sigmoid(z / T)`` for falling
           temperatures ``T`` (``T = 1``: mean probabilities), each run
           started where the last ended.
        2. At each temperature, while the decisions exceed the bounds, the
           bound handed to the smooth program is lowered by their excess and
           the run repeated (a few times), so the decisions, not their smooth
           stand-in, meet it; the first temperature whose decisions do ends
           the continuation (smoother stand-ins generalise better). If none
           does, the last temperature's rates are shifted onto the decisions'
           rates (``rate_offsets``) and the run repeated.
        3. Exact correction: for each model met on the way (and the constant
           one), the threshold nearest to 0 at which the decisions meet the
           bounds on the training data; the model (with its intercept moved
           to that threshold) of smallest objective wins.
        """
        # One allowance for every slice: the coarsest cell's step. The
        # equalized-odds difference is the largest gap over the slices, so its
        # granularity is that of its coarsest cell; asking the finely grained
        # slice (Adult's negatives: steps of 1/9,600) to meet 0 within its own
        # step while the coarse one (1/1,179) meets it within its own left a
        # single threshold nearly no feasible position, and the correction
        # fell back to the constant model on 2 of 21 Adult splits at tolerance
        # 0 (test accuracy 0.76 and 0.80 instead of about 0.835).
        tolerance = self.tolerance if tolerance is None else tolerance
        bounds = np.full(n_slices, tolerance + model.rate_step(n_slices))
        candidates = [(theta0, model.scores(theta0))]
        state = dict(
            theta=theta0,
            multipliers=None,
            n_iter=0,
            first=None,
            curvature=None,
            damping=_INITIAL_DAMPING,
        )

        def run(target, **budget):
            """One SCP run from the last model; its decisions' gaps, or None."""
            n_run, multipliers = n_slices, state["multipliers"]
            if model.anchor is not None:
                # The anchored rates (the first stage's mean probabilities)
                # keep the user's bound; their multipliers start where the
                # first stage left them.
                n_run = 2 * n_slices
                target = np.concatenate(
                    [
                        np.broadcast_to(target, (n_slices,)),
                        np.full(n_slices, float(tolerance)),
                    ]
                )
                if multipliers.size < n_run * n_groups:
                    multipliers = np.concatenate(
                        [np.zeros_like(multipliers), multipliers]
                    )
            try:
                result = self._run_scp(
                    model,
                    n_groups,
                    n_run,
                    state["theta"],
                    solver,
                    tolerance=target,
                    multipliers=multipliers,
                    curvature=state["curvature"],
                    damping=state["damping"],
                    **budget,
                )
            except ValueError:
                if len(candidates) == 1:
                    raise
                # Only the first run is needed; a later one that the QP solver
                # cannot handle (a sharp stage, a bound that only saturated
                # scores meet) ends the search, and the models met so far are
                # corrected below.
                return None
            state["first"] = state["first"] or result
            # Later runs only carry the model a little further (a lower
            # bound, a sharper temperature): the curvature at the end of the
            # first steers them too, without a new Gram product (the costly
            # part of an iteration on wide data); every step is still
            # checked by the merit function.
            state["curvature"] = result.curvature
            # And so does the damping it ended with (capped: a run that ended
            # on a tiny step must not freeze the next): a sharper stage starts
            # with steps about as short as the last one needed, instead of
            # rediscovering that by rejected steps.
            state["damping"] = min(
                max(result.damping, _INITIAL_DAMPING), _MAX_CARRIED_DAMPING
            )
            state["n_iter"] += result.n_iter
            state["theta"], state["multipliers"] = result.theta, result.multipliers
            z = model.scores(result.theta)
            candidates.append((result.theta, z))
            return model.decision_gaps(z, n_slices)

        gaps = None
        for stage, temperature in enumerate(_TEMPERATURES):
            model.temperature = temperature
            # Sharper stand-ins fit the training rows near the threshold, not
            # the distribution: alone, they let the decisions' gaps vanish on
            # the training data by moving a few rows across, gaps that come
            # back on new data. Keeping the first stage's bound on the mean
            # probabilities (smooth in the model, so it generalises) makes the
            # sharper stages find decisions that are fair for most rows, not
            # just these ones: over 20 random Adult splits at tolerance 0,
            # held-out EO 0.0191 on average with the anchor, 0.0280 without,
            # at the same accuracy (0.836).
            model.anchor = _TEMPERATURES[0] if stage else None
            # Later stages only have to carry the model a little further:
            # a short, coarse run each (the exact correction follows).
            budget = {} if stage == 0 else self._continuation_budget()
            target = np.full(n_slices, float(tolerance))
            for _ in range(_RETARGETS + 1):
                gaps = run(target, **budget)
                if gaps is None or np.all(gaps <= bounds):
                    break
                excess = np.maximum(gaps - tolerance, 0.0)
                if not np.any(target[excess > 0] > 0):
                    break  # the bound is 0 where the decisions exceed it
                target = np.maximum(target - excess, 0.0)
            if gaps is None or np.all(gaps <= bounds):
                break
        else:
            # The bound cannot go below 0 (tolerance=0 ends there): shift the
            # smooth rates onto the decisions' rates instead, so that at the
            # current model the bounded quantities are the decisions' rates,
            # while their smooth slopes steer the run.
            for _ in range(_RETARGETS + 1):
                model.rate_offsets = model.offsets_to_decisions(
                    model.scores(state["theta"])
                )
                gaps = run(tolerance, **self._continuation_budget())
                if gaps is None or np.all(gaps <= bounds):
                    break
            model.rate_offsets = 0.0
        if (gaps is None or not np.all(gaps <= bounds)) and len(candidates) > 1:
            candidates += self._project_onto_decisions(
                model, n_slices, bounds, candidates, state
            )
        model.temperature, model.anchor = 1.0, None
        # Convergence is that of the first, full-accuracy run; the others are
        # capped on purpose.
        first = state["first"]
        return SCPResult(
            theta=self._best_feasible(model, candidates, n_slices, bounds),
            n_iter=state["n_iter"],
            converged=first.converged,
            violation=first.violation,
            gaps=first.gaps,
            multipliers=state["multipliers"][: n_groups * n_slices],
            inaccurate_statuses=first.inaccurate_statuses,
            stalled=first.stalled,
        )

    def _project_onto_decisions(self, model, n_slices, bounds, candidates, state):
        """Newton-like steps on the decisions' rates themselves; the models met.

        Where the runs end with decisions outside the bound (every cell must
        agree within one row's step: with three or more groups, the offset
        runs often do not get there), this starts from the model of least
        loss met so far and solves, at each iteration, for the step ``d`` of
        least curvature-weighted length ``d'Hd`` (the last run's curvature)
        whose linearised decision rates are equal within each slice:
        ``r + J d = E m`` (``J`` the slopes of the smooth rates at a
        temperature ``T``, ``E`` the cells' slices, ``m`` free). A step is
        kept if, at one of a few lengths, it lowers the decisions' excess
        over the bound (exactly evaluated); when none does, ``T`` is halved
        (sharper slopes for the last rows to move). Every model kept is
        returned as a candidate for the exact threshold correction.
        Measured on synthetic data with 3 groups at tolerance 0 (20,000 and
        100,000 rows, two seeds): informative models (training accuracy
        0.64 to 0.75) where the fit had fallen back to the constant one
        (0.575).
        """
        n_cells = model.n_cells
        cells_in_slice = np.kron(
            np.eye(n_slices), np.ones((n_cells // n_slices, 1))
        )  # E above
        kkt = np.zeros((n_cells + n_slices, n_cells + n_slices))
        kkt[:n_cells, n_cells:] = -cells_in_slice
        kkt[n_cells:, :n_cells] = cells_in_slice.T
        losses = [model.objective(theta, z) for theta, z in candidates[1:]]
        theta = candidates[1 + int(np.argmin(losses))][0]
        z = model.scores(theta)

        def excess(z):
            return float(np.max(model.decision_gaps(z, n_slices) - bounds))

        best = excess(z)
        kept = []
        model.anchor, model.rate_offsets = None, 0.0
        model.temperature = _PROJECTION_TEMPERATURE
        curvature, damping = state["curvature"], state["damping"]
        for _ in range(_PROJECTION_MAX_ITER):
            if best <= 0 or model.temperature < _PROJECTION_MIN_TEMPERATURE:
                break
            jacobian = model.first_order(theta, z)[1]
            directions = (
                jacobian.T
                if curvature is None
                else curvature.directions(damping, jacobian.T)
            )
            kkt[:n_cells, :n_cells] = jacobian @ directions
            rhs = np.concatenate([-model.decision_rates(z), np.zeros(n_slices)])
            coords = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:n_cells]
            step = directions @ coords
            for length in _PROJECTION_STEPS:
                trial = theta + length * step
                trial_z = model.scores(trial)
                trial_excess = excess(trial_z)
                if trial_excess < best:
                    theta, z, best = trial, trial_z, trial_excess
                    kept.append((theta, z))
                    break
            else:
                model.temperature /= 2.0
        return kept

    def _continuation_budget(self):
        return dict(
            max_iter=min(self.max_iter, _CONTINUATION_MAX_ITER),
            tol=max(self.tol, _CONTINUATION_TOL),
        )

    def _escape_constant(self, model, n_groups, n_slices, theta0, solver, fit):
        """A better model within the bound, when the fit is unreliable.

        The decisions' constraint is not convex, and with small cells (one
        row moves a rate by a large step) the continuation can end at the
        constant model, or at a poor one, although a better one meets the
        bound (``tolerance`` plus one row's step): on a 6-group set with a
        6-row cell, every tolerance up to 0.02 gave the constant model while
        the fit at 0.05 had decisions within 0.02's bound. So, when the fit
        is near-constant or the smallest cell has fewer than 30 rows, fits at
        looser tolerances (``tolerance`` plus 0.5, 1 and 2 rate steps) are
        moved to their nearest thresholds that meet *this* tolerance's bound
        on the training data (the exact correction), and the model of least
        objective that is not near-constant, the fit's own included, wins.
        On large cells the step is tiny and nothing is refitted; with a cell
        of fewer than 4 rows, one row's step (over 1/4) would make the bound
        nearly vacuous, and the fit stands.
        """
        step = model.rate_step(n_slices)
        near_constant = self._near_constant(model, fit.theta)
        if step > _LARGEST_ESCAPE_STEP or (
            step < _SMALL_CELL_STEP and not near_constant
        ):
            return fit
        bounds = np.full(n_slices, self.tolerance + step)
        best, best_loss = fit, np.inf
        if not near_constant:
            best_loss = model.objective(fit.theta, model.scores(fit.theta))
        for extra in _ESCAPE_STEPS:
            try:
                looser = self._fit_decisions(
                    model,
                    n_groups,
                    n_slices,
                    theta0,
                    solver,
                    tolerance=self.tolerance + extra * step,
                )
            except ValueError:
                continue
            theta = self._best_feasible(
                model, [(looser.theta, model.scores(looser.theta))], n_slices, bounds
            )
            if theta is None or self._near_constant(model, theta):
                continue
            loss = model.objective(theta, model.scores(theta))
            if loss < best_loss:
                best, best_loss = dataclasses.replace(looser, theta=theta), loss
        return best

    @staticmethod
    def _near_constant(model, theta):
        """Whether fewer than 1% of the (weighted) rows get the minority decision."""
        positive = model.positive_share(model.scores(theta))
        return min(positive, 1.0 - positive) < _NEAR_CONSTANT

    def _best_feasible(self, model, candidates, n_slices, bounds):
        """The candidate, moved to its nearest feasible threshold, of least loss.

        ``candidates`` holds ``(theta, scores)`` pairs; moving the threshold
        shifts the scores by a constant, so no pass over the data is needed.
        """
        best, best_loss = None, np.inf
        for theta, z in candidates:
            for threshold in model.feasible_thresholds(z, n_slices, bounds):
                if threshold and not self.fit_intercept:
                    continue  # no intercept to move
                moved = theta.copy()
                if threshold:
                    moved[-1] -= threshold
                loss = model.objective(moved, z - threshold)
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

    def _warn_if_not_converged(self, result, training_gaps):
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
            decided = ", ".join(f"{gap:.3g}" for gap in training_gaps)
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

    def _warn_if_constant(self, model, n_groups, n_slices, theta0, solver, scores):
        """Say so when the bound leaves only a (near-)constant classifier.

        Only when the bound is the cause: on very imbalanced data the
        unconstrained model itself may predict one class almost everywhere,
        so that model is fitted (only in this rare case) and checked too.
        """

        def minority_share(z):
            positive = model.positive_share(z)
            return min(positive, 1.0 - positive)

        share = minority_share(scores)
        if share >= _NEAR_CONSTANT:
            return
        free = self._run_scp(model, n_groups, n_slices, theta0, solver, tolerance=1.0)
        if minority_share(model.scores(free.theta)) >= _NEAR_CONSTANT:
            warnings.warn(
                "the fit found only a near-constant classifier that meets "
                f"tolerance={self.tolerance} on the training data: "
                f"{100 * (1 - share):.1f}% of the (weighted) training rows get "
                "the same decision. Raise the tolerance, or use "
                "ThresholdOptimizer (group-specific thresholds).",
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
        if any_dask(X):
            from ._dask import dask_scores

            return dask_scores(self, X, "decision_function")
        X_model, _ = self._model_input(X, reset=False)
        if X_model.shape[1] != self.coef_.shape[1]:
            raise ValueError(
                f"X has {X_model.shape[1]} model features, but "
                f"ConstrainedLogisticRegression was fitted with {self.coef_.shape[1]}."
            )
        return np.asarray(X_model @ self.coef_[0]).ravel() + self.intercept_[0]

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
        if any_dask(X):
            from ._dask import dask_scores

            return dask_scores(self, X, "predict_proba")
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
        if any_dask(X):
            from ._dask import dask_scores

            return dask_scores(self, X, "predict_log_proba")
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
        if any_dask(X):
            from ._dask import dask_scores

            return dask_scores(self, X, "predict")
        return self.classes_[(self.decision_function(X) > 0).astype(np.intp)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags
