"""ExponentiatedGradient: the reduction of Agarwal et al. (2018) for any classifier."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import RegressorTags
from sklearn.utils.metaestimators import available_if

from ..utils._randomized import (
    expected_accuracy,
    prediction_seed,
    randomized_decisions,
)
from ..utils._row_hash import row_uniforms
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context, _num_samples
from ..utils._validation import keep_state_on_error
from ._base import ReductionBase, mixture_probability, predictor_outputs
from ._moments import CONSTRAINT_EVENTS

# The default duality-gap threshold is this multiple of the standard error of
# the first classifier's training error (Agarwal et al.'s statistical floor).
_NU_MULTIPLIER = 0.5
# The step size shrinks by _SHRINK_ETA when the best gap has not shrunk by
# _SHRINK_REGRET since the last check; checks grow apart geometrically.
_REGRET_CHECK_START = 5
_REGRET_CHECK_GROWTH = 1.6
_SHRINK_REGRET = 0.8
_SHRINK_ETA = 0.8
# Gaps this close count as equal when choosing the returned mixture.
_GAP_TIE = 1e-8


def solve_mixture_lp(errors, violations, bound):
    """The best mixture of known classifiers and its multipliers (a small LP).

    Minimises ``errors @ Q + bound * z`` over mixture weights ``Q`` (summing
    to 1) and ``z >= 0`` subject to ``violations.T @ Q <= z``: the error of
    the mixture plus ``bound`` times its largest constraint violation. The
    duals of the violation rows are the multipliers ``lambda`` (non-negative,
    summing to at most ``bound``) at which the mixture is a saddle point of
    the Lagrangian over the known classifiers.

    Returns
    -------
    weights : ndarray of shape (n_classifiers,)
    lambda_vec : ndarray of shape (n_constraints,)
    value : float
        The Lagrangian of the pair, which is the LP's optimum.
    """
    n_h, n_constraints = violations.shape
    c = np.append(errors, bound)
    A_ub = np.hstack([violations.T, -np.ones((n_constraints, 1))])
    A_eq = np.append(np.ones(n_h), 0.0)[None, :]
    result = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(n_constraints),
        A_eq=A_eq,
        b_eq=[1.0],
        bounds=(0, None),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(
            "HiGHS failed on the mixture LP of ExponentiatedGradient "
            f"(status {result.status}: {result.message})."
        )
    weights = np.clip(result.x[:-1], 0.0, None)
    weights /= weights.sum()
    lambda_vec = np.clip(-result.ineqlin.marginals, 0.0, None)
    return weights, lambda_vec, float(result.fun)


class ExponentiatedGradient(ReductionBase):
    """A fair randomized mixture of any classifier that takes sample weights.

    The reduction of Agarwal et al. (2018): minimise the training error
    subject to the groups' rates differing by at most ``tolerance``, over
    randomized mixtures of classifiers from ``estimator``'s family. It is a
    game between the classifier and the Lagrange multipliers of the
    constraints: the multipliers follow exponentiated gradient steps, and the
    classifier player answers each multiplier vector with a *best response*,
    one fit of a clone of ``estimator`` on relabelled, reweighted data (a
    cost-sensitive classification problem). After every step a small linear
    program (scipy's HiGHS) finds the best mixture of the classifiers found
    so far and its multipliers; the fit stops when that mixture's duality gap
    is below ``nu``.

    Parameters
    ----------
    estimator : estimator object
        A binary classifier whose ``fit`` takes ``sample_weight`` (or a
        :class:`~sklearn.pipeline.Pipeline` whose final step does). It is
        fitted on 0/1 labels.

    constraints : {"equalized_odds", "demographic_parity", \
            "equal_opportunity", "false_positive_rate_parity", \
            "error_rate_parity", "bounded_group_loss"}, \
            default="equalized_odds"
        The rates made equal across groups: true and false positive rates,
        the selection rate, the true positive rate, the false positive rate,
        or the error rate. "bounded_group_loss" is for regression (Agarwal,
        Dudik & Wu, 2019): ``estimator`` is then a regressor, and every
        group's mean ``loss`` must be at most ``tolerance`` while the overall
        mean loss is minimised.

    tolerance : float, default=0.01
        Largest allowed difference of each constrained rate between any two
        groups, on the training data, in rate units (as in every skfair
        estimator). Must be non-negative.

    eps : float, default=0.01
        Sets the bound ``B = 1 / eps`` on the sum of the Lagrange multipliers,
        so a violation of ``delta`` costs at most ``delta / eps`` in the
        objective. Smaller values enforce the constraints more strictly and
        take more iterations. The returned mixture's training gaps are within
        ``tolerance`` plus a few ``eps`` times its duality gap.

    max_iter : int, default=50
        Maximum number of iterations (each fits ``estimator`` twice).

    nu : float, default=None
        The duality gap at which the fit stops. If None, half the standard
        error of the first classifier's training error,
        ``0.5 * std(errors) / sqrt(n_samples)``, as in the paper.

    eta0 : float, default=2.0
        Initial step size of the multipliers' updates, in units of ``1 / B``.

    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups; several
        columns define intersectional groups. These columns are group labels,
        not features: they are removed from ``X`` before the wrapped estimator
        sees it (in fit and in predict). If None, :meth:`fit` takes the
        groups as ``sensitive_features=``. Or a callable X -> groups (called
        on every ``X``; no column is removed).

    random_state : int, RandomState instance or None, default=None
        Seeds the randomized decisions of :meth:`predict`, which are a
        function of each row and the seed (see Notes). An int gives every
        row the same decision on every call, in any batch and in any
        process. With a ``RandomState`` instance, or None, each call draws a
        fresh seed from it. It does not affect the fit.

    randomized : bool, default=True
        If True, :meth:`predict` draws from the mixture. If False, the model
        is deterministic: :meth:`predict` and :meth:`predict_proba` use the
        single classifier of ``predictors_`` with the lowest training error
        among those whose training gaps are within ``tolerance + eps`` (if
        none is, the one with the smallest largest gap, with a warning);
        see ``deterministic_index_``.

    warm_start : bool or "auto", default="auto"
        Whether each best response starts from the previous one. "auto" does
        so for the estimators whose ``warm_start`` means a start point
        (LogisticRegression, SGDClassifier, MLPClassifier, also as the final
        step of a Pipeline), never for ensembles, whose ``warm_start`` adds
        members. True sets ``warm_start=True`` on any estimator that has the
        parameter; False never warm-starts.

    loss : {"square", "absolute"}, default="square"
        The loss of "bounded_group_loss", of the predictions clipped to the
        range of the training ``y``. The regressor should minimise this loss
        (e.g. ``loss="absolute_error"`` of a gradient-boosted regressor for
        "absolute"). Ignored by the classification constraints.

    Attributes
    ----------
    predictors_ : list of estimator objects
        The classifiers found (fitted on 0/1 labels), in order.

    weights_ : ndarray of shape (n_predictors,)
        The mixture's weight of each predictor (they sum to 1).

    lambda_vecs_ : ndarray of shape (n_predictors, n_constraints)
        The Lagrange multipliers each predictor is the best response to.

    constraint_pairs_ : list of tuple
        ``(rate, group_a, group_b)`` of each constraint (column of
        ``lambda_vecs_``): ``rate[group_a] - rate[group_b] <= tolerance``.

    training_error_ : float
        Expected training error of the model :meth:`predict` uses (its mean
        loss for "bounded_group_loss").

    training_gaps_ : dict
        Largest difference between groups of each constrained rate, on the
        training data, of the model :meth:`predict` uses (expected rates of
        the mixture if ``randomized``); for "bounded_group_loss", the
        largest group's mean loss.

    best_gap_ : float
        The duality gap of the returned mixture.

    nu_ : float
        The duality gap threshold used.

    n_iter_ : int
        Number of iterations run.

    n_oracle_calls_ : int
        Number of fits of ``estimator`` (best responses).

    deterministic_index_ : int
        Index in ``predictors_`` of the classifier used when
        ``randomized=False``.

    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class (not with
        "bounded_group_loss").

    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit, sorted.

    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if it had string column names.

    See Also
    --------
    GridSearch : The reduction's grid of multipliers, deterministic.
    skfair.inprocessing.ConstrainedLogisticRegression : Constraints inside a
        logistic regression.
    skfair.postprocessing.ThresholdOptimizer : Group-specific thresholds.

    Notes
    -----
    The constraints are pairwise: for every event (all rows, ``y`` positive
    or ``y`` negative, by ``constraints``) and every ordered pair of groups,
    ``rate[a] - rate[b] <= tolerance``, with weighted rates. This is exactly
    a bound on the largest difference between groups, whatever the number
    of groups. (fairlearn bounds each group's difference from the overall
    rate instead.)

    Iteration ``t`` fits a best response to the exponentiated-gradient
    multipliers, solves the LP over the classifiers found, and fits a best
    response to the LP's multipliers, which both certifies the LP mixture's
    duality gap and adds a classifier. Best responses are kept only if they
    improve on the known classifiers at their multipliers. Each classifier's
    training decisions are computed once; the Lagrangian of any multipliers
    is then a matrix product. The returned mixture is the LP mixture with
    the smallest duality gap.

    :meth:`predict` draws each row's decision from :meth:`predict_proba`: a
    row with probability ``p`` of a positive decision is positive iff
    ``u < p``, where ``u`` in [0, 1) is a hash of the seed and of the row's
    values as the wrapped estimator sees them (the same rule as
    :class:`~skfair.postprocessing.ThresholdOptimizer`). A row's decision
    therefore depends on the row and the seed only, never on the batch.
    The predictors do not see the groups, so neither :meth:`predict` nor
    :meth:`predict_proba` needs them. For "bounded_group_loss", each row's
    prediction is that of the predictor its hash ``u`` picks, with the
    mixture's weights as probabilities, and :meth:`score` is the R² of
    :meth:`predict`.

    References
    ----------
    A. Agarwal, A. Beygelzimer, M. Dudik, J. Langford and H. Wallach, "A
    Reductions Approach to Fair Classification", ICML 2018.

    A. Agarwal, M. Dudik and Z. S. Wu, "Fair Regression: Quantitative
    Definitions and Reduction-Based Algorithms", ICML 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.reductions import ExponentiatedGradient
    >>> from skfair.metrics import demographic_parity_difference
    >>> rng = np.random.RandomState(0)
    >>> group = rng.choice(["a", "b"], size=600)
    >>> X = np.column_stack([rng.normal(size=600) + 0.8 * (group == "b"),
    ...                      rng.normal(size=600)])
    >>> y = (X[:, 0] + rng.normal(size=600) > 0.5).astype(int)
    >>> eg = ExponentiatedGradient(LogisticRegression(),
    ...                            constraints="demographic_parity",
    ...                            tolerance=0.02, random_state=0)
    >>> eg = eg.fit(X, y, sensitive_features=group)
    >>> bool(eg.training_gaps_["selection_rate"] <= 0.02 + eg.eps)
    True
    >>> proba = eg.predict_proba(X)[:, 1]
    >>> bool(abs(proba[group == "a"].mean() - proba[group == "b"].mean()) < 0.03)
    True
    >>> eg.predict(X[:3]).tolist() == eg.predict(X[:10])[:3].tolist()
    True
    """

    _parameter_constraints: dict = {
        **ReductionBase._parameter_constraints,
        **ReductionBase._tolerance_constraint,
        "eps": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "nu": [Interval(Real, 0, None, closed="left"), None],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "randomized": ["boolean"],
        "warm_start": ["boolean", StrOptions({"auto"})],
        "constraints": [StrOptions({*CONSTRAINT_EVENTS, "bounded_group_loss"})],
        "loss": [StrOptions({"square", "absolute"})],
    }

    def __init__(
        self,
        estimator,
        *,
        constraints="equalized_odds",
        tolerance=0.01,
        eps=0.01,
        max_iter=50,
        nu=None,
        eta0=2.0,
        sensitive_cols=None,
        random_state=None,
        randomized=True,
        warm_start="auto",
        loss="square",
    ):
        self.estimator = estimator
        self.constraints = constraints
        self.tolerance = tolerance
        self.eps = eps
        self.max_iter = max_iter
        self.nu = nu
        self.eta0 = eta0
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state
        self.randomized = randomized
        self.warm_start = warm_start
        self.loss = loss

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Find the fair mixture of best responses.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, as accepted by the wrapped estimator (plus the
            ``sensitive_cols`` columns, if set).

        y : array-like of shape (n_samples,)
            Binary target, any two labels.

        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_sensitive), default=None
            Group labels, when ``sensitive_cols`` is not set.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the error and the rates; they are part of
            the weights every best response is fitted with.

        **fit_params : dict
            Further parameters for the wrapped estimator's fit; only with
            metadata routing enabled.

        Returns
        -------
        self : ExponentiatedGradient
            The fitted estimator.
        """
        oracle, moment, y01, weights = self._prepare(
            X, y, sensitive_features, sample_weight, fit_params, self.tolerance
        )
        bound = 1.0 / self.eps
        n_constraints = moment.n_constraints
        theta = np.zeros(n_constraints)
        eta = self.eta0 / bound
        best = None  # (gap, weights, lambda) of the best LP mixture so far
        gaps = []
        last_check, last_gap = _REGRET_CHECK_START, np.inf
        for t in range(self.max_iter):
            exp_theta = np.exp(theta)
            lambda_eg = bound * exp_theta / (1.0 + exp_theta.sum())
            h_index, _ = oracle.best(lambda_eg)
            if t == 0:
                self.nu_ = self._default_nu(oracle.decisions[h_index], y01, weights)
            mixture, lambda_lp, value = solve_mixture_lp(
                np.asarray(oracle.errors), np.asarray(oracle.violations), bound
            )
            gap = self._duality_gap(oracle, moment, mixture, lambda_lp, value, bound)
            gaps.append(gap)
            if best is None or gap <= best[0] + _GAP_TIE:
                best = (gap, mixture, lambda_lp)
            if gap < self.nu_:
                break
            if t >= last_check * _REGRET_CHECK_GROWTH:
                if min(gaps) > last_gap * _SHRINK_REGRET:
                    eta *= _SHRINK_ETA
                last_check, last_gap = t, min(gaps)
            theta += eta * oracle.violations[h_index]
        self.n_iter_ = t + 1
        self.best_gap_, mixture, _ = best
        n_predictors = len(oracle.predictors)
        self.weights_ = np.zeros(n_predictors)
        self.weights_[: mixture.size] = mixture
        self.predictors_ = oracle.predictors
        self.lambda_vecs_ = np.asarray(oracle.lambdas).reshape(
            n_predictors, n_constraints
        )
        self.n_oracle_calls_ = oracle.n_fits
        self.constraint_pairs_ = moment.constraint_labels(self.groups_)
        self._store_training_figures(oracle, moment)
        if self.best_gap_ >= self.nu_:
            warnings.warn(
                f"ExponentiatedGradient stopped after max_iter={self.max_iter} "
                f"iterations with duality gap {self.best_gap_:.3g} > nu="
                f"{self.nu_:.3g}; the mixture may be suboptimal or violate the "
                "constraints. Increase max_iter or eps.",
                ConvergenceWarning,
            )
        return self

    def _default_nu(self, decisions, y01, weights):
        if self.nu is not None:
            return float(self.nu)
        # The rows' errors (classification) or losses (regression).
        errors = decisions if self._regression else np.abs(decisions - y01)
        mean = np.average(errors, weights=weights)
        std = np.sqrt(np.average((errors - mean) ** 2, weights=weights))
        # Weights count as repeated rows in the sample size.
        return _NU_MULTIPLIER * std / np.sqrt(weights.sum())

    @staticmethod
    def _duality_gap(oracle, moment, mixture, lambda_vec, value, bound):
        """Gap of (mixture, lambda): how far each player is from its best reply.

        The multipliers' best reply is all of ``bound`` on the largest
        violation (or none); the classifiers' best reply is a new best
        response to ``lambda_vec``, which is also kept if it is better.
        """
        errors = np.asarray(oracle.errors)[: mixture.size]
        violations = np.asarray(oracle.violations)[: mixture.size]
        error = errors @ mixture
        violation = mixture @ violations
        lagrangian = error + lambda_vec @ violation
        high = error + bound * max(0.0, violation.max())
        _, low = oracle.best(lambda_vec)
        return max(lagrangian - min(low, value), high - lagrangian, 0.0)

    def _store_training_figures(self, oracle, moment):
        decisions = np.asarray(oracle.decisions)
        errors = np.asarray(oracle.errors)
        gaps = [moment.gaps(moment.rates(d)) for d in decisions]
        largest = np.array([max(g.values()) for g in gaps])
        within = np.flatnonzero(largest <= self.tolerance + self.eps)
        if within.size:
            self.deterministic_index_ = int(within[np.argmin(errors[within])])
        else:
            self.deterministic_index_ = int(np.argmin(largest))
        if self.randomized:
            p = self.weights_ @ decisions
            self.training_error_ = moment.error(p)
            self.training_gaps_ = moment.gaps(moment.rates(p))
        else:
            index = self.deterministic_index_
            self.training_error_ = float(errors[index])
            self.training_gaps_ = gaps[index]
            if not within.size:
                warnings.warn(
                    "randomized=False: no single classifier found meets the "
                    f"constraints within tolerance + eps = "
                    f"{self.tolerance + self.eps:.3g} on the training data; the "
                    f"one with the smallest gap ({largest[index]:.3g}) is used.",
                    UserWarning,
                )

    def _positive_probability(self, X, method):
        X_model = self._model_input(X, method)
        n_samples = _num_samples(X)
        if self.randomized:
            return mixture_probability(
                self.predictors_, self.weights_, X_model, n_samples
            ), X_model
        predictor = self.predictors_[self.deterministic_index_]
        return mixture_probability([predictor], [1.0], X_model, n_samples), X_model

    @property
    def _regression(self):
        return self.constraints == "bounded_group_loss"

    def _regression_predict(self, X_model, n_samples):
        """Each row's prediction by one predictor, drawn by the row's hash."""
        if self.randomized:
            used = np.flatnonzero(self.weights_ > 0)
        else:
            used = np.array([self.deterministic_index_])
        outputs = np.column_stack(
            [predictor_outputs(self.predictors_[j], X_model, n_samples) for j in used]
        )
        if used.size == 1:
            return outputs[:, 0]
        cumulative = np.cumsum(self.weights_[used])
        u = row_uniforms(X_model, prediction_seed(self.random_state))
        choice = np.minimum(
            np.searchsorted(cumulative / cumulative[-1], u, side="right"),
            used.size - 1,
        )
        return outputs[np.arange(n_samples), choice]

    @available_if(lambda self: self.constraints != "bounded_group_loss")
    def predict_proba(self, X):
        """Probability of each class under the mixture's randomized decision.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Column 1 is the probability that the row is predicted
            ``classes_[1]``: the total weight of the predictors that predict
            it positive. Column 0 is its complement.
        """
        p, _ = self._positive_probability(X, "predict_proba")
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Randomized class predictions drawn from :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``; row ``i`` is positive iff ``u_i < p_i``
            for ``p`` from :meth:`predict_proba` and ``u_i`` in [0, 1) a hash
            of row ``i`` and the seed: the same row gets the same decision in
            any batch.
        """
        if self._regression:
            X_model = self._model_input(X, "predict")
            return self._regression_predict(X_model, _num_samples(X))
        p, X_model = self._positive_probability(X, "predict")
        positive = randomized_decisions(p, X_model, self.random_state)
        return self.classes_[positive.astype(np.intp)]

    def score(self, X, y, sample_weight=None):
        """Expected accuracy of the randomized decisions on ``(X, y)``.

        The mean over the randomness of :meth:`predict` of its accuracy,
        without sampling noise.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples.

        y : array-like of shape (n_samples,)
            True labels, from ``classes_``.

        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Weighted expected accuracy.
        """
        if self._regression:
            return r2_score(y, self.predict(X), sample_weight=sample_weight)
        p, _ = self._positive_probability(X, "score")
        return expected_accuracy(p, y, self.classes_, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.randomized and not isinstance(
            self.random_state, Integral
        )
        if self.constraints == "bounded_group_loss":
            tags.estimator_type = "regressor"
            tags.classifier_tags = None
            tags.regressor_tags = RegressorTags()
        return tags
