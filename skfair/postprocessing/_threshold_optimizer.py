"""ThresholdOptimizer: group-specific randomized thresholds found by an exact LP."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from ..utils import (
    check_n_samples,
    check_sample_weight_1d,
    encode_fit_groups,
    resolve_sensitive_features,
)
from ..utils._binary import check_binary_target
from ..utils._dask import any_dask
from ..utils._randomized import expected_accuracy, randomized_decisions
from ..utils._row_hash import row_uniforms
from ..utils._sensitive import format_label, python_label
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _num_samples,
    _raise_for_params,
    _safe_indexing,
)
from ..utils._small_cells import warn_small_cells
from ..utils._validation import (
    _check_labels_present,
    inner_estimator_tags,
    keep_state_on_error,
)
from ._group_blind import GroupBlindProgram, inferred_group_thresholds
from ._lp import (
    CONSTRAINT_RATES,
    RateBound,
    RateBoundsInfeasible,
    _check_solved,
    canonical_vertex_weights,
    rate_coefficients,
)
from ._multiclass import (
    MULTICLASS_CONSTRAINTS,
    check_multiclass_groups,
    confusion_counts,
    decision_rates,
    draw_decisions,
    fill_unseen_cells,
    multiclass_costs,
    solve_multiclass_lp,
)
from ._roc import group_roc_hulls
from ._split_lp import optimal_vertex_weights
from ._wrapped import WrappedEstimatorMixin, weight_fit_params

# The wrapped estimator's methods that can give a score, in order of preference.
_SCORE_METHODS = ("predict_proba", "decision_function", "predict")

# Which groups a rate needs: a true positive rate needs positives in the group,
# a false positive rate negatives, a selection rate any row of positive weight.
_RATE_NEEDS = {
    "true_positive_rate": "positive samples (y == {pos!r})",
    "false_positive_rate": "negative samples (y != {pos!r})",
    "selection_rate": "samples with positive weight",
}

_COST_KEYS = ("tp", "fp", "tn", "fn")

# The rates rate_bounds can bound, in the order the bounds are checked.
_BOUND_RATES = ("true_positive_rate", "false_positive_rate", "selection_rate")

# A bound met on the training rows to this precision (solver round-off).
_BOUND_PRECISION = 1e-9

# The fitted rules of each path; a fit forgets the other path's.
_BINARY_RULES = (
    "roc_hulls_",
    "decision_rules_",
    "operating_points_",
    "selection_rates_",
    "_rule_thresholds",
    "_rule_weights",
)
_MULTICLASS_RULES = ("decision_maps_", "decision_rates_", "class_decision_rates_")
_GROUP_BLIND_RULES = ("group_estimator_", "group_confusion_")


def _check_bound_pair(pair, name):
    """A (lower, upper) pair of rates in [0, 1] or None, lower <= upper."""
    if (
        isinstance(pair, (str, bytes, dict))
        or not hasattr(pair, "__len__")
        or len(pair) != 2
    ):
        raise ValueError(
            f"{name} must be a pair (lower, upper) of rates in [0, 1] or None "
            f"(no bound), e.g. (0.6, None); got {pair!r}."
        )
    checked = []
    for side, value in zip(("lower", "upper"), pair, strict=True):
        if value is None:
            checked.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(
                f"{name}'s {side} bound must be a real number in [0, 1] or None; "
                f"got {value!r}."
            )
        if not 0.0 <= value <= 1.0:  # NaN fails too
            raise ValueError(
                f"{name}'s {side} bound must be in [0, 1] (it bounds a rate); "
                f"got {value!r}."
            )
        checked.append(float(value))
    lo, hi = checked
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"{name} has lower bound {lo!r} above upper bound {hi!r}.")
    return lo, hi


def _available_rates(y01, weights, encoding):
    """{rate: bool array per group}: whether the group's rate is defined."""
    w = np.ones(y01.size) if weights is None else weights
    n_groups = len(encoding.groups)
    pos = np.bincount(encoding.codes, weights=w * y01, minlength=n_groups)
    tot = np.bincount(encoding.codes, weights=w, minlength=n_groups)
    return {
        "true_positive_rate": pos > 0,
        "false_positive_rate": tot - pos > 0,
        "selection_rate": tot > 0,
    }


def _labels_1d(y):
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr[:, 0]
    return y_arr


class ThresholdOptimizer(
    WrappedEstimatorMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Group-specific randomized thresholds under a fairness constraint.

    Post-processing of Hardt, Price & Srebro (2016): a score from the wrapped
    estimator is turned into a decision by a randomized threshold rule that
    depends on the row's group. The rules are the exact optimum, over all
    randomized thresholds of the score, of the expected ``objective`` on the
    training data, subject to ``constraints`` holding on the training data up
    to ``tolerance``. They are found by a linear program (scipy's HiGHS) over
    each group's ROC convex hull, not by a grid search.

    With more than two classes in ``y`` the rule is a randomized map, per
    group, from the wrapped model's predicted class to a decision (see
    Multiclass in Notes and the user guide's "Beyond binary" page).

    Parameters
    ----------
    estimator : estimator object
        The scoring model. Its score is ``predict_proba(X)[:, k]`` for the
        column ``k`` of the positive class, else ``decision_function(X)``, else
        ``predict(X)`` (class labels become 0/1, numbers are used as they are).
        With multiclass ``y`` the model's output is its predicted class: the
        argmax of ``predict_proba`` (else ``decision_function``), else
        ``predict``.

    constraints : {"equalized_odds", "equal_opportunity", \
            "false_positive_rate_parity", "demographic_parity"} or None, \
            default="equalized_odds"
        The rates made equal across groups: true and false positive rates,
        the true positive rate, the false positive rate, or the selection
        rate (rate of positive decisions). With multiclass ``y``:
        "demographic_parity" equalises the rate of every decision,
        "equalized_odds" the distribution of decisions among every true
        class, "equal_opportunity" every class's recall;
        "false_positive_rate_parity" is binary only. None: no parity
        constraint; each group gets its own best rule for ``objective``,
        subject to ``rate_bounds`` if given (levelling up, see below).

    objective : {"accuracy", "balanced_accuracy"}, dict or array-like of \
            shape (n_classes, n_classes), default="accuracy"
        What the rules optimise on the training data (all with
        ``sample_weight``): expected accuracy, expected balanced accuracy, or
        a cost matrix given as a dict ``{"fp": c_fp, "fn": c_fn}`` of the cost
        of a false positive and of a false negative, optionally with costs
        ``"tp"`` and ``"tn"`` (missing entries cost 0; negative costs are
        gains). The expected total cost is minimised. ``{"fp": 1, "fn": 1}``
        is the same as ``"accuracy"``. With multiclass ``y`` the cost matrix
        is an array ``cost[true class, decision]`` in the order of
        ``classes_`` (``1 - np.eye(n_classes)`` is ``"accuracy"``).

    tolerance : float, default=0.0
        Largest allowed difference of each constrained rate between any two
        groups, on the training data. It relaxes every constraint,
        equalized odds included. Must be non-negative.

    rate_bounds : dict, default=None
        Bounds on each group's own rates on the training data (binary ``y``
        only), met together with ``constraints``: keys among
        ``"true_positive_rate"``, ``"false_positive_rate"`` and
        ``"selection_rate"``, each value a pair ``(lower, upper)`` of rates
        in [0, 1], None for no bound on that side. A pair applies to every
        group; a dict ``{group: (lower, upper)}`` bounds the groups it names
        (labels as in ``groups_``, tuples for intersectional groups) and
        leaves the others free. E.g. ``{"true_positive_rate": (0.6, None)}``
        asks every group's recall to be at least 0.6 ("levelling up" rather
        than down), ``{"false_positive_rate": {"b": (None, 0.1)}}`` caps
        group "b"'s false positive rate. The bounds are linear rows of the
        same linear program, so the optimum is exact and every bound holds
        on the training rows to solver precision (1e-9; fit checks it). If
        they cannot all be met, fit raises a ``ValueError`` naming the group,
        the bound and the best value of that rate reachable under the
        constraints and the bounds checked before it (by rate in the order
        of the keys above, then by group, lower before upper). A group whose
        bounded rate is undefined (e.g. no positives, for a true positive
        rate) is an error.

    group_estimator : classifier, default=None
        Group-blind post-processing (binary ``y`` only): a classifier with
        ``fit`` and ``predict`` that learns to predict the group from ``X``.
        ``fit`` clones it and fits it on the training rows to predict the
        group codes (positions in ``groups_``) from the same ``X`` the
        wrapped estimator sees (without the ``sensitive_cols`` columns),
        with ``sample_weight`` if its fit accepts it. Each row is then
        decided by a randomized threshold rule of its score chosen by its
        INFERRED group ``group_estimator_.predict(X)``, while
        ``constraints``, ``tolerance`` and ``rate_bounds`` are measured on
        the TRUE groups of the training rows. The rules are the exact
        optimum of a linear program over mixtures of every threshold of
        each inferred group (see Notes), so the constraints hold on the
        training rows to solver precision (1e-9; fit checks it).
        :meth:`predict`, :meth:`predict_proba` and :meth:`score` then need
        no groups and refuse ``sensitive_features=`` (a ``ValueError``:
        the true groups are never used after fit); with ``sensitive_cols``
        the columns must still be in ``X`` (the same columns as in fit) but
        they are removed and their values are not used. A row whose
        inferred group the group model inferred for no training row has no
        rule: a ``ValueError`` names the group. If the group model overfits,
        its inferences on the training rows are better than on new rows and
        the constraints are met on a joint distribution of (true, inferred)
        group that new data does not have: set ``group_cv``.

    group_cv : int, cross-validation generator or iterable, default=None
        With ``group_estimator``: None uses the group model fitted on all
        training rows to infer their groups for the linear program (cheap;
        fine for a model that does not overfit, such as a regularised
        logistic regression on many rows). Otherwise the inferred groups of
        the training rows are out of fold (cross-fitting, as
        :func:`~sklearn.model_selection.cross_val_predict` with this ``cv``,
        stratified by group for an int); ``group_estimator_`` is still
        fitted on all rows and used at predict.

    prefit : bool, default=False
        Whether ``estimator`` is already fitted. If True it is used as it is
        (and must be fitted, on ``X`` without the ``sensitive_cols`` columns
        when those are used); otherwise a clone is fitted in :meth:`fit`. To
        use a fitted estimator inside :func:`~sklearn.base.clone`-based tools
        such as ``GridSearchCV``, wrap it in
        :class:`~sklearn.frozen.FrozenEstimator` instead.

    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups; several
        columns define intersectional groups. These columns are group labels,
        not features: they are removed from ``X`` before the wrapped estimator
        sees it (in fit and in predict). If None, every method that needs
        the groups takes them as ``sensitive_features=``. Or a callable X ->
        groups (called on every ``X``; no column is removed).

    random_state : int, RandomState instance or None, default=None
        Seeds the randomized decisions of :meth:`predict`, which are a
        function of each row and the seed (see Notes). An int gives every
        row the same decision on every call, in any batch and in any
        process. With a ``RandomState`` instance, or None (numpy's global
        random state), each call draws a fresh seed from it: within a call
        identical rows still get identical decisions, but calls differ.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted wrapped estimator (``estimator`` itself if ``prefit``).

    classes_ : ndarray of shape (n_classes,)
        The class labels seen in fit, sorted; for binary ``y``,
        ``classes_[1]`` is the positive class.

    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit, sorted (tuples for intersectional
        groups).

    score_method_ : str
        The method of ``estimator_`` that gives the scores.

    roc_hulls_ : list of ndarray of shape (n_vertices, 3)
        For each group (in the order of ``groups_``), the vertices of its
        training ROC convex hull: columns are false positive rate, true
        positive rate, and the threshold ``t`` of the rule "positive iff score
        >= t" (+inf: never, -inf: always). A rate is NaN for a group without
        negatives (false positive rate) or positives (true positive rate).

    decision_rules_ : list of dict
        For each group, ``{"thresholds": t, "probabilities": p}`` with ``t``
        decreasing: a row with score ``s`` is predicted positive with
        probability ``p[j]`` for the first ``j`` with ``s >= t[j]``, and 0 if
        ``s < t[-1]`` (or if ``t`` is empty). The thresholds lie halfway
        between consecutive distinct training scores of the group; -inf
        stands for "any score".

    operating_points_ : ndarray of shape (n_groups, 2)
        Expected false and true positive rate of each group's rule on the
        training data (NaN where undefined).

    selection_rates_ : ndarray of shape (n_groups,)
        Expected rate of positive decisions of each group on the training
        data.

        With ``group_estimator``, ``decision_rules_`` are per INFERRED group
        (the rule for rows inferred to be ``groups_[h]``; empty thresholds
        for a group inferred for no training row), ``operating_points_`` and
        ``selection_rates_`` per TRUE group, and ``roc_hulls_`` is not set.

    group_estimator_ : classifier
        The fitted clone of ``group_estimator`` (only with it).

    group_confusion_ : ndarray of shape (n_groups, n_groups)
        With ``group_estimator``: ``group_confusion_[g, h]`` is the weight of
        the training rows of true group ``g`` inferred to be group ``h`` (out
        of fold with ``group_cv``), which the linear program used.

        ``roc_hulls_``, ``decision_rules_``, ``operating_points_`` and
        ``selection_rates_`` exist for binary ``y`` only; the next three for
        multiclass ``y`` only.

    decision_maps_ : ndarray of shape (n_groups, n_classes, n_classes)
        ``decision_maps_[g, a, d]`` is the probability of deciding
        ``classes_[d]`` for a row of group ``groups_[g]`` that the model
        predicts ``classes_[a]``; each ``[g, a]`` row sums to 1.

    decision_rates_ : ndarray of shape (n_groups, n_classes)
        Expected rate of each decision in each group on the training data.

    class_decision_rates_ : ndarray of shape (n_groups, n_classes, n_classes)
        ``class_decision_rates_[g, y, d]``: expected rate of decision ``d``
        among the group's training rows of true class ``y``.

    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if it had string column names.

    See Also
    --------
    sklearn.model_selection.FixedThresholdClassifier : One threshold for all.
    skfair.inprocessing.ConstrainedLogisticRegression : Fairness constraints
        inside the model fit rather than after it.

    Notes
    -----
    For each group, rules "positive iff score >= t" for ``t`` between
    consecutive distinct scores give the points of the group's ROC curve on
    the training data; a randomized rule reaches any point of their convex
    hull. The objective and the constraints are linear in the convex weights
    over the hull vertices, so the optimum is a linear program; with
    ``tolerance`` the constraint "every pair of groups differs by at most
    ``tolerance``" is written with one common lower and upper bound per rate.
    The program is always feasible, since "never positive" gives equal rates
    in every group (``rate_bounds`` can make it infeasible, which fit
    reports). The groups share only these bounds: once they are fixed,
    each group's best rule is found on its own. So, except for equalized
    odds with up to 1,000 groups (solved directly by scipy's HiGHS), the
    program is solved by an exact search over the bounds with one cheap pass
    over the groups per step, whose cost grows about linearly with the
    number of groups where the direct LP's grows about quadratically. With
    ``rate_bounds`` the direct LP is solved (the bounds are rows of their
    own groups, which the search does not model), whatever the number of
    groups; with neither constraints nor bounds each group takes its best
    threshold.

    Ties in scores are never split by a threshold: a vertex separates two
    distinct scores, and randomization happens only between vertices. The
    optimum is over rules that do not invert the score, i.e. operating points
    on or above the chance diagonal, as in the paper.

    Many randomized rules reach the same optimal training rates. The one kept
    is, as in the paper, a mix of the two hull vertices around the operating
    point when it lies on the group's hull, and otherwise a mix of the hull
    point at the same false positive rate f with the score-independent rule
    "positive with probability f", whose rates carry over to any data.

    :meth:`predict` draws each row's decision from :meth:`predict_proba`: a
    row with probability ``p`` of a positive decision is positive iff
    ``u < p``, where ``u`` in [0, 1) is a hash of the seed and of the row's
    values as the wrapped estimator sees them (``X`` without the
    ``sensitive_cols`` columns); the row's group sets ``p``. A row's
    decision therefore depends on the row and the seed only, never on the
    batch: the same row predicted alone, in another batch or in another
    order gets the same decision, and identical rows get identical
    decisions, whether the groups come from ``sensitive_cols`` or
    ``sensitive_features=``. Over many distinct rows the hashes behave like
    independent uniform draws, so the rates of positive decisions are those
    of :meth:`predict_proba`. Rows whose probability is 0 or 1 need no draw.
    :meth:`score` returns the expected accuracy of the randomized decisions.

    **Group-blind (group_estimator).** For each inferred group ``h`` the
    candidate rules are "positive iff score >= t" for ``t`` between
    consecutive distinct training scores of the rows inferred ``h``, plus
    "never" and "always"; a rule for ``h`` is a mixture of them with weights
    ``lambda_h``. Each true group's expected true positive (false positive,
    selection) count is a sum over inferred groups of known counts of its
    rows above each threshold, times ``lambda_h``: linear. So the objective
    and every constraint on the true groups are linear in the weights, and
    HiGHS solves the program exactly (no grid; tens of thousands of
    thresholds per inferred group solve in about a second). Unlike the
    group-aware case no ROC hull is taken: an inferred group mixes rows of
    several true groups. Optimal among rules that see the score and the
    inferred group; with a group model that recovers the groups exactly it
    equals the ordinary optimum. The constraints hold in expectation on
    the training rows; on new rows they hold as far as the (true, inferred)
    group mix and the scores generalise.

    **Multiclass.** With ``K > 2`` classes, the model's output is discretised
    to its predicted class ``a`` and each group ``g`` gets a row-stochastic
    ``K x K`` matrix ``P_g[a, d]`` (Hardt et al.'s derived predictor, as
    generalised by Putzel & Lee, 2022). Every rate and the expected
    objective are linear in these matrices given the weighted training
    counts of (group, true class, predicted class), so one linear program
    finds the exact optimum over all such randomized maps; "exact" means
    optimal among post-processors that see only the group and the model's
    predicted class, with the constraints holding in expected rates on the
    training data to solver precision (about 1e-9). A predicted class that
    a group never had in training decides with the group's overall decision
    rates. :meth:`predict` draws decision ``d`` for a row with probabilities
    ``p`` as the first ``d`` with ``u < p_0 + ... + p_d``, with the same
    per-row ``u`` as in the binary case.

    **Dask.** With ``prefit=True``, ``fit`` takes Dask arrays (binary ``y``):
    each block of rows is scored on the cluster and summarised, per group, as
    the weight of positives and negatives at each distinct score; the merged
    summary gives the in-memory ROC hulls and rules exactly (sums differ only
    in floating-point order). :meth:`predict` and :meth:`predict_proba` of
    Dask input return lazy dask arrays, block by block. See the user guide's
    "Scaling out with Dask".

    References
    ----------
    M. Hardt, E. Price and N. Srebro, "Equality of Opportunity in Supervised
    Learning", Advances in Neural Information Processing Systems 29, 2016.

    P. Putzel and S. Lee, "Blackbox Post-Processing for Multiclass Fairness",
    AAAI Workshop on Artificial Intelligence Safety, 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.postprocessing import ThresholdOptimizer
    >>> rng = np.random.RandomState(0)
    >>> group = rng.choice(["a", "b"], size=400)
    >>> X = (rng.normal(size=400) + 0.8 * (group == "b"))[:, None]
    >>> y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    >>> opt = ThresholdOptimizer(LogisticRegression(), random_state=0)
    >>> opt = opt.fit(X, y, sensitive_features=group)
    >>> opt.operating_points_.round(3)  # (false, true positive rate) per group
    array([[0.105, 0.649],
           [0.105, 0.649]])
    >>> proba = opt.predict_proba(X, sensitive_features=group)[:, 1]
    >>> [float(proba[(group == g) & (y == 1)].mean().round(6)) for g in "ab"]
    [0.64895, 0.64895]
    >>> opt.predict(X[:5], sensitive_features=group[:5])
    array([1, 0, 0, 0, 0])

    Levelling up instead of parity: no parity constraint, and every
    group's true positive rate at least 0.7. Without the bound, group "a"
    would get 0.63; group "b"'s best rule already reaches 0.73.

    >>> up = ThresholdOptimizer(
    ...     LogisticRegression(),
    ...     constraints=None,
    ...     rate_bounds={"true_positive_rate": (0.7, None)},
    ...     random_state=0,
    ... ).fit(X, y, sensitive_features=group)
    >>> up.operating_points_.round(3)  # (false, true positive rate) per group
    array([[0.165, 0.7  ],
           [0.155, 0.73 ]])

    Group-blind: the group is inferred from X by a classifier, the
    constraint holds on the true groups of the training rows, and predict
    needs no groups.

    >>> blind = ThresholdOptimizer(
    ...     LogisticRegression(),
    ...     tolerance=0.02,
    ...     group_estimator=LogisticRegression(),
    ...     random_state=0,
    ... ).fit(X, y, sensitive_features=group)
    >>> blind.operating_points_.round(3)  # per TRUE group, within 0.02
    array([[0.072, 0.24 ],
           [0.092, 0.26 ]])
    >>> blind.predict(X[:5])
    array([1, 0, 0, 0, 0])

    Three classes: demographic parity equalises the rate of every decision.

    >>> y3 = np.digitize(3 * X[:, 0] + rng.normal(size=400), [0.0, 2.0])
    >>> mc = ThresholdOptimizer(LogisticRegression(), constraints="demographic_parity")
    >>> mc = mc.fit(X, y3, sensitive_features=group)
    >>> mc.decision_rates_.round(3)  # rate of each decision per group
    array([[0.282, 0.176, 0.542],
           [0.282, 0.176, 0.542]])
    """

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["predict_proba"]),
            HasMethods(["decision_function"]),
            HasMethods(["predict"]),
        ],
        "constraints": [StrOptions(set(CONSTRAINT_RATES)), None],
        "objective": [
            StrOptions({"accuracy", "balanced_accuracy"}),
            dict,
            "array-like",
        ],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "rate_bounds": [dict, None],
        "group_estimator": [HasMethods(["fit", "predict"]), None],
        "group_cv": ["cv_object", None],
        "prefit": ["boolean"],
        "sensitive_cols": [str, Integral, "array-like", callable, None],
        "random_state": ["random_state"],
    }

    _weighted_part = "the thresholds"

    def __init__(
        self,
        estimator,
        *,
        constraints="equalized_odds",
        objective="accuracy",
        tolerance=0.0,
        rate_bounds=None,
        group_estimator=None,
        group_cv=None,
        prefit=False,
        sensitive_cols=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.constraints = constraints
        self.objective = objective
        self.tolerance = tolerance
        self.rate_bounds = rate_bounds
        self.group_estimator = group_estimator
        self.group_cv = group_cv
        self.prefit = prefit
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    @keep_state_on_error
    @_fit_context(
        # The wrapped estimator is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit the wrapped estimator (unless prefit) and the threshold rules.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, as accepted by the wrapped estimator (plus the
            ``sensitive_cols`` columns, if set).

        y : array-like of shape (n_samples,)
            Target: binary or multiclass, any labels.

        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_sensitive), default=None
            Group labels, when ``sensitive_cols`` is not set. Several columns
            define intersectional groups.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the objective and the constraints; also
            passed to the wrapped estimator's fit when it accepts them (with
            metadata routing enabled, when it requests them).

        **fit_params : dict
            Further parameters for the wrapped estimator's fit; only with
            metadata routing enabled (``sklearn.set_config(
            enable_metadata_routing=True)``).

        Returns
        -------
        self : ThresholdOptimizer
            The fitted estimator.
        """
        X_model, raw_groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method="fit",
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        n_samples = _num_samples(X)
        self._forget_fitted_rules()
        if self.group_estimator is not None:
            self._check_group_blind_supported(X, y, raw_groups, sample_weight)
        if any_dask(X, y, raw_groups, sample_weight):
            from ._dask import fit_on_dask

            _raise_for_params(fit_params, self, "fit")
            return fit_on_dask(
                self, X, X_model, raw_groups, y, sample_weight, sensitive_features
            )
        if self._is_multiclass(y):
            return self._fit_multiclass(
                X, X_model, raw_groups, y, sample_weight, sensitive_features, fit_params
            )
        y01, self.classes_ = self._check_targets(y, n_samples)
        weights = check_sample_weight_1d(sample_weight, n_samples)
        costs = self._objective_costs(y01, weights)
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        self.groups_ = encoding.groups
        warn_small_cells(
            encoding.codes,
            encoding.groups,
            y01,
            self.classes_,
            owner=type(self).__name__,
            constraints=self.constraints,
        )
        rate_bounds = self._check_rates(y01, weights, encoding)

        self.estimator_ = self._fit_estimator(
            X, X_model, y, sample_weight, sensitive_features, fit_params
        )
        self.score_method_ = self._find_score_method()
        scores = self._scores(X_model)
        check_n_samples(scores, n_samples, name="the wrapped estimator's scores")
        if self.group_estimator is not None:
            self._fit_group_blind(
                X_model,
                scores,
                y01,
                weights,
                encoding,
                costs,
                rate_bounds,
            )
            return self
        self._fit_rules(scores, y01, weights, encoding.codes, costs, rate_bounds)
        return self

    def _parity_rates(self):
        """The rates that ``constraints`` equalises (none for None)."""
        return () if self.constraints is None else CONSTRAINT_RATES[self.constraints]

    def _check_rates(self, y01, weights, encoding):
        """Check that every constrained rate exists; the resolved rate bounds."""
        self._check_groups_have_rates(y01, weights, encoding, self._parity_rates())
        rate_bounds = self._resolve_rate_bounds(encoding.groups)
        self._check_bounded_rates_exist(y01, weights, encoding, rate_bounds)
        return rate_bounds

    def _fit_rules(self, scores, y01, weights, codes, costs, rate_bounds=()):
        """The groups' ROC hulls and the LP's optimal randomized rules."""
        hulls = group_roc_hulls(scores, y01, weights, codes, len(self.groups_))
        try:
            vertex_weights, _ = optimal_vertex_weights(
                hulls,
                costs=costs,
                rates=self._parity_rates(),
                tolerance=float(self.tolerance),
                rate_bounds=rate_bounds,
            )
        except RateBoundsInfeasible as exc:
            raise ValueError(self._infeasible_message(exc)) from None
        vertex_weights = [
            canonical_vertex_weights(h, w)
            for h, w in zip(hulls, vertex_weights, strict=True)
        ]
        self._check_bounds_met(hulls, vertex_weights, rate_bounds)
        self._store_rules(hulls, vertex_weights)

    # -- group-blind rules (group_estimator) -----------------------------------

    def _check_group_blind_supported(self, X, y, raw_groups, sample_weight):
        """group_estimator: binary y, in memory."""
        if any_dask(X, y, raw_groups, sample_weight):
            raise ValueError(
                "group_estimator is not supported with Dask input; fit on "
                "in-memory data (numpy or a DataFrame)."
            )
        if self._is_multiclass(y):
            raise ValueError(
                "Only binary classification is supported with group_estimator "
                "(randomized threshold rules of a binary score per inferred "
                "group); y has more than two classes. Set group_estimator=None "
                "for multiclass y."
            )

    def _fit_group_estimator(self, X_model, codes, sample_weight):
        """Clone and fit the group model to predict the group codes from X."""
        fit_params = weight_fit_params(
            self.group_estimator, sample_weight, "group_estimator", "the thresholds"
        )
        return clone(self.group_estimator).fit(X_model, codes, **fit_params)

    def _cross_fitted_codes(self, X_model, codes, sample_weight, n_samples):
        """Out-of-fold inferred groups of the training rows (``group_cv``)."""
        cv = check_cv(self.group_cv, codes, classifier=True)
        inferred = np.empty(n_samples, dtype=np.intp)
        fitted = self.group_estimator_
        try:
            for train, test in cv.split(X_model, codes):
                weights = None if sample_weight is None else sample_weight[train]
                self.group_estimator_ = self._fit_group_estimator(
                    _safe_indexing(X_model, train), codes[train], weights
                )
                inferred[test] = self._inferred_codes(
                    _safe_indexing(X_model, test), test.size
                )
        finally:
            self.group_estimator_ = fitted
        return inferred

    def _inferred_codes(self, X_model, n_samples):
        """The group model's prediction of each row, as a code of ``groups_``."""
        inferred = np.asarray(self.group_estimator_.predict(X_model))
        if inferred.ndim == 2 and inferred.shape[1] == 1:
            inferred = inferred[:, 0]
        check_n_samples(inferred, n_samples, name="the group_estimator's predictions")
        n_groups = len(self.groups_)
        ok = inferred.dtype.kind in "biuf"
        if ok:
            ok = bool(
                np.all((inferred >= 0) & (inferred < n_groups))
                and np.all(inferred == np.round(inferred))
            )
        if not ok:
            raise ValueError(
                "the group_estimator must predict the group codes it was "
                f"fitted on (integers 0..{n_groups - 1}, the positions of the "
                f"groups in groups_); it predicted values such as "
                f"{inferred[:3].tolist()}."
            )
        return inferred.astype(np.intp)

    def _fit_group_blind(
        self,
        X_model,
        scores,
        y01,
        weights,
        encoding,
        costs,
        rate_bounds,
    ):
        """Rules per inferred group under constraints on the true groups."""
        n_samples, n_groups = scores.size, len(self.groups_)
        self.group_estimator_ = self._fit_group_estimator(
            X_model, encoding.codes, weights
        )
        if self.group_cv is None:
            inferred = self._inferred_codes(X_model, n_samples)
        else:
            inferred = self._cross_fitted_codes(
                X_model, encoding.codes, weights, n_samples
            )
        w = np.ones(n_samples) if weights is None else weights
        self.group_confusion_ = np.zeros((n_groups, n_groups))
        np.add.at(self.group_confusion_, (encoding.codes, inferred), w)
        blocks = inferred_group_thresholds(
            scores, y01, weights, inferred, encoding.codes, n_groups
        )
        rates = self._parity_rates()
        program = GroupBlindProgram(blocks, costs, rates, float(self.tolerance))
        result = program.solve(rate_bounds)
        if result.status == 2 and rate_bounds:
            raise ValueError(self._infeasible_message(program.diagnose(rate_bounds)))
        _check_solved(result, "The group-blind threshold linear program")
        lam = program.weights(result.x)
        self._check_group_blind_solution(program, lam, rates, rate_bounds)

        tpr = program.true_group_rates(lam, "true_positive_rate")
        fpr = program.true_group_rates(lam, "false_positive_rate")
        self.operating_points_ = np.column_stack([fpr, tpr])
        self.selection_rates_ = program.true_group_rates(lam, "selection_rate")
        self.decision_rules_ = []
        seen = self.group_confusion_.sum(axis=0) > 0
        for h, (block, weight) in enumerate(zip(blocks, lam, strict=True)):
            if not seen[h]:
                self.decision_rules_.append(
                    {"thresholds": np.zeros(0), "probabilities": np.zeros(0)}
                )
                continue
            # The "never" threshold adds nothing for finite scores.
            idx = np.flatnonzero((weight > 0) & (block.thresholds < np.inf))
            self.decision_rules_.append(
                {
                    "thresholds": block.thresholds[idx].copy(),
                    "probabilities": np.cumsum(weight[idx][::-1])[::-1],
                }
            )

    def _check_group_blind_solution(self, program, lam, rates, rate_bounds):
        """The rules meet the constraints on the true groups (to 1e-9)."""
        for rate in rates:
            values = program.true_group_rates(lam, rate)
            gap = float(np.nanmax(values) - np.nanmin(values))
            if gap - self.tolerance > _BOUND_PRECISION:  # pragma: no cover
                raise RuntimeError(
                    f"The group-blind threshold linear program returned rules "
                    f"whose {rate} differs by {gap!r} between true groups, "
                    f"beyond tolerance={self.tolerance!r} by more than the "
                    f"{_BOUND_PRECISION:g} solver precision."
                )
        for bound in rate_bounds:
            rate = float(program.true_group_rates(lam, bound.rate)[bound.group])
            excess = bound.value - rate if bound.lower else rate - bound.value
            if excess > _BOUND_PRECISION:  # pragma: no cover - solver failure
                label = format_label(self.groups_[bound.group])
                raise RuntimeError(
                    f"The group-blind threshold linear program returned rules "
                    f"whose {bound.rate} in group {label} is {rate!r}, beyond "
                    f"its bound {bound.value!r} by {excess:.3g}."
                )

    def _group_blind_probability(self, X, sensitive_features, method):
        """Probability of a positive decision by inferred group; the model's X."""
        if sensitive_features is not None:
            raise ValueError(
                f"{method} got sensitive_features=, but this ThresholdOptimizer "
                "has a group_estimator: it decides by the group inferred from "
                "X and never uses the true groups after fit. Call "
                f"{method}(X) without sensitive_features."
            )
        # With sensitive_cols, X has the columns seen in fit; they are
        # removed (their values unused) so that the models see what they saw.
        X_model, _ = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=None,
            required=False,
            method=method,
        )
        validate_data(self, X, skip_check_array=True, reset=False)
        n_samples = _num_samples(X)
        scores = self._scores(X_model)
        check_n_samples(scores, n_samples, name="the wrapped estimator's scores")
        inferred = self._inferred_codes(X_model, n_samples)
        seen = self.group_confusion_.sum(axis=0) > 0
        unseen = ~seen[inferred]
        if unseen.any():
            label = format_label(self.groups_[inferred[unseen][0]])
            raise ValueError(
                f"the group_estimator infers group {label} for some rows, but "
                "it inferred that group for no training row, so there is no "
                "decision rule for it (the rules are fitted per inferred group "
                "on the training rows)."
            )
        proba = np.zeros(n_samples)
        for h, rule in enumerate(self.decision_rules_):
            rows = np.flatnonzero(inferred == h)
            if rows.size == 0 or rule["thresholds"].size == 0:
                continue
            # The first j (thresholds decrease) with score >= thresholds[j].
            j = np.searchsorted(-rule["thresholds"], -scores[rows], side="left")
            padded = np.append(rule["probabilities"], 0.0)
            proba[rows] = padded[j]
        return np.clip(proba, 0.0, 1.0), X_model

    # -- rate bounds ----------------------------------------------------------

    def _bound_pairs(self):
        """``rate_bounds`` checked: {rate: (lo, hi) or {group: (lo, hi)}}."""
        if self.rate_bounds is None:
            return {}
        unknown = [key for key in self.rate_bounds if key not in _BOUND_RATES]
        if unknown:
            raise ValueError(
                f"rate_bounds has unknown rate(s) {unknown}; its keys must be "
                f"among {list(_BOUND_RATES)}."
            )
        pairs = {}
        for rate in _BOUND_RATES:
            if rate not in self.rate_bounds:
                continue
            value = self.rate_bounds[rate]
            if isinstance(value, dict):
                pairs[rate] = {
                    group: _check_bound_pair(pair, f"rate_bounds[{rate!r}][{group!r}]")
                    for group, pair in value.items()
                }
            else:
                pairs[rate] = _check_bound_pair(value, f"rate_bounds[{rate!r}]")
        return pairs

    def _resolve_rate_bounds(self, groups):
        """The bounds as one-sided rows per group, in the documented order."""
        pairs = self._bound_pairs()
        index = {python_label(label): g for g, label in enumerate(groups)}
        per_group = {}
        for rate, value in pairs.items():
            if isinstance(value, dict):
                chosen = {}
                for key, pair in value.items():
                    g = index.get(python_label(key))
                    if g is None:
                        shown = [python_label(label) for label in groups[:20]]
                        more = "..." if len(groups) > 20 else ""
                        raise ValueError(
                            f"rate_bounds[{rate!r}] names group "
                            f"{format_label(key)}, which is not a group of the "
                            f"training data (groups: {shown}{more})."
                        )
                    chosen[g] = pair
            else:
                chosen = dict.fromkeys(range(len(groups)), value)
            per_group[rate] = chosen
        bounds = []
        for rate, chosen in per_group.items():
            for g in sorted(chosen):
                lo, hi = chosen[g]
                if lo is not None:
                    bounds.append(RateBound(g, rate, True, lo))
                if hi is not None:
                    bounds.append(RateBound(g, rate, False, hi))
        return bounds

    def _check_bounded_rates_exist(self, y01, weights, encoding, rate_bounds):
        """A bounded rate must be defined in its group."""
        if not rate_bounds:
            return
        available = _available_rates(y01, weights, encoding)
        for bound in rate_bounds:
            if not available[bound.rate][bound.group]:
                label = format_label(encoding.groups[bound.group])
                pos_label = python_label(self.classes_[1])
                needs = _RATE_NEEDS[bound.rate].format(pos=pos_label)
                raise ValueError(
                    f"Group {label} has no {needs} in the training data, so its "
                    f"{bound.rate.replace('_', ' ')} is undefined and "
                    f"rate_bounds[{bound.rate!r}] cannot be applied to it. Bound "
                    "the other groups only (a dict per group), or merge or drop "
                    "the group."
                )

    def _parity_text(self):
        if self.constraints is None:
            return "no parity constraint (constraints=None)"
        return f"constraints={self.constraints!r} with tolerance={self.tolerance!r}"

    def _infeasible_message(self, exc):
        def describe(bound):
            sense = ">=" if bound.lower else "<="
            label = format_label(self.groups_[bound.group])
            return f"group {label}: {bound.rate} {sense} {bound.value:g}"

        bound = exc.bound
        best = "largest" if bound.lower else "smallest"
        message = (
            f"rate_bounds cannot be met on the training data: {describe(bound)} "
            f"is out of reach. The {best} {bound.rate} that group "
            f"{format_label(self.groups_[bound.group])} can reach is "
            f"{exc.best:.6g}, under {self._parity_text()}"
        )
        if exc.earlier:
            shown = "; ".join(describe(b) for b in exc.earlier[:6])
            more = f"; and {len(exc.earlier) - 6} more" if len(exc.earlier) > 6 else ""
            message += f" and the bounds checked before it ({shown}{more})"
        return (
            message + ". Loosen this bound, the ones before it or the parity "
            "constraint (bounds are checked by rate in the order "
            f"{list(_BOUND_RATES)}, then by group in the order of groups_, "
            "lower before upper)."
        )

    def _check_bounds_met(self, hulls, vertex_weights, rate_bounds):
        """The fitted rules meet every bound on the training rows (to 1e-9)."""
        for bound in rate_bounds:
            hull = hulls[bound.group]
            rate = float(
                vertex_weights[bound.group] @ rate_coefficients(hull, bound.rate)
            )
            excess = bound.value - rate if bound.lower else rate - bound.value
            if excess > _BOUND_PRECISION:  # pragma: no cover - solver failure
                label = format_label(self.groups_[bound.group])
                raise RuntimeError(
                    f"The threshold linear program returned rules whose "
                    f"{bound.rate} in group {label} is {rate!r}, beyond its "
                    f"bound {bound.value!r} by {excess:.3g} (more than the "
                    f"{_BOUND_PRECISION:g} solver precision)."
                )

    def _forget_fitted_rules(self):
        # A refit on the other kind of target must not keep stale rules.
        for name in (*_BINARY_RULES, *_MULTICLASS_RULES, *_GROUP_BLIND_RULES):
            vars(self).pop(name, None)

    @staticmethod
    def _is_multiclass(y):
        _check_labels_present(y)  # before type_of_target (see there)
        return type_of_target(y, input_name="y", raise_unknown=True) == "multiclass"

    def _fit_multiclass(
        self, X, X_model, raw_groups, y, sample_weight, sensitive_features, fit_params
    ):
        """Fit the per-group randomized maps of the multiclass case."""
        if self.rate_bounds is not None:
            raise ValueError(
                "Only binary classification is supported with rate_bounds, "
                "which bounds the true positive, false positive and "
                "selection rates of the positive class, which exist for binary "
                "y only; y has more than two classes. It is not implemented "
                "for multiclass y: set rate_bounds=None."
            )
        if self.constraints is not None and self.constraints not in (
            MULTICLASS_CONSTRAINTS
        ):
            raise ValueError(
                f"constraints={self.constraints!r} is for binary y; with "
                f"multiclass y use one of {list(MULTICLASS_CONSTRAINTS)}."
            )
        n_samples = _num_samples(X)
        y_arr = _labels_1d(y)
        check_n_samples(y_arr, n_samples, name="y")
        self.classes_, y_codes = np.unique(y_arr, return_inverse=True)
        weights = check_sample_weight_1d(sample_weight, n_samples)
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        self.groups_ = encoding.groups
        warn_small_cells(
            encoding.codes,
            encoding.groups,
            y_codes,
            self.classes_,
            owner=type(self).__name__,
            constraints=self.constraints,
        )
        n_groups, n_classes = len(self.groups_), self.classes_.size
        class_weight = np.bincount(y_codes, weights=weights, minlength=n_classes)
        for label, total in zip(self.classes_, class_weight, strict=True):
            if total <= 0:
                raise ValueError(
                    f"class {format_label(label)} of y has zero total "
                    "sample_weight; ThresholdOptimizer needs every class with "
                    "positive weight."
                )
        cost = multiclass_costs(self.objective, class_weight, self.classes_)
        # Groups and rates are checked on y alone, before the model is fitted.
        label_counts = confusion_counts(
            encoding.codes, y_codes, y_codes, weights, n_groups, n_classes
        )
        check_multiclass_groups(
            label_counts, self.groups_, self.classes_, self.constraints
        )

        self.estimator_ = self._fit_estimator(
            X, X_model, y, sample_weight, sensitive_features, fit_params
        )
        self.score_method_ = self._find_score_method()
        cells = self._predicted_cells(X_model)
        check_n_samples(cells, n_samples, name="the wrapped estimator's predictions")
        counts = confusion_counts(
            encoding.codes, y_codes, cells, weights, n_groups, n_classes
        )
        maps = solve_multiclass_lp(
            counts, cost, self.constraints, float(self.tolerance)
        )
        self.decision_maps_ = fill_unseen_cells(maps, counts)
        self.decision_rates_, self.class_decision_rates_ = decision_rates(
            self.decision_maps_, counts
        )
        return self

    def _predicted_cells(self, X_model):
        """The wrapped model's predicted class of each row, as a code."""
        method = self.score_method_
        output = np.asarray(getattr(self.estimator_, method)(X_model))
        est_classes = getattr(self.estimator_, "classes_", None)
        n_classes = self.classes_.size
        if method == "predict":
            if output.ndim == 2 and output.shape[1] == 1:
                output = output[:, 0]
            labels = output
        else:
            if output.ndim != 2 or output.shape[1] != n_classes:
                raise ValueError(
                    f"the wrapped estimator's {method} must return one column "
                    f"per class ({n_classes}: {self.classes_.tolist()}); got "
                    f"shape {output.shape}."
                )
            if not np.isfinite(output).all():
                raise ValueError(
                    f"the wrapped estimator's {method} returned NaN or infinite scores."
                )
            columns = np.arange(n_classes) if est_classes is None else est_classes
            labels = np.asarray(columns)[np.argmax(output, axis=1)]
            if est_classes is None:
                labels = self.classes_[labels]
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"the wrapped estimator predicts {format_label(labels[unknown][0])}, "
                f"which is not one of the classes of y {self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, labels)

    def _check_targets(self, y, n_samples):
        return check_binary_target(
            y,
            n_samples,
            "ThresholdOptimizer",
            supported="binary and multiclass classification are",
        )

    def _objective_costs(self, y01, weights):
        """Cost per unit weight of each outcome, normalised by the total weight."""
        w = np.ones(y01.size) if weights is None else weights
        total = w.sum()
        n_pos = w[y01 == 1].sum()
        n_neg = total - n_pos
        for label, class_weight in zip(self.classes_, (n_neg, n_pos), strict=True):
            if class_weight <= 0:
                raise ValueError(
                    f"class {format_label(label)} of y has zero total sample_weight; "
                    "ThresholdOptimizer needs both classes with positive weight."
                )
        if not isinstance(self.objective, (str, dict)):
            raise ValueError(
                "objective as a cost matrix array is for multiclass y; for "
                "binary y give a dict such as {'fp': 1.0, 'fn': 5.0}."
            )
        if self.objective == "accuracy":
            return {"tp": 0.0, "fp": 1.0 / total, "tn": 0.0, "fn": 1.0 / total}
        if self.objective == "balanced_accuracy":
            return {"tp": 0.0, "fp": 0.5 / n_neg, "tn": 0.0, "fn": 0.5 / n_pos}
        costs = dict(self.objective)
        unknown = set(costs) - set(_COST_KEYS)
        if unknown or not costs:
            raise ValueError(
                "objective as a cost matrix must be a dict with keys among "
                f"{list(_COST_KEYS)} (e.g. {{'fp': 1.0, 'fn': 5.0}}); got "
                f"{self.objective!r}."
            )
        for key, value in costs.items():
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ValueError(
                    f"objective[{key!r}] must be a real number; got {value!r}."
                )
            if not np.isfinite(value):
                raise ValueError(f"objective[{key!r}] must be finite; got {value!r}.")
        # Scaling all costs by one positive number keeps the optimum; costs
        # of order 1 keep the LP within the solver's numerical range (costs
        # like 1e200 made HiGHS fail, and 1e-300 would be taken for zero).
        scale = max(abs(float(value)) for value in costs.values()) or 1.0
        return {key: float(costs.get(key, 0.0)) / scale / total for key in _COST_KEYS}

    def _check_groups_have_rates(self, y01, weights, encoding, rates):
        """Every constrained rate must exist in every group."""
        available = _available_rates(y01, weights, encoding)
        for rate in rates:
            missing = np.flatnonzero(~available[rate])
            if missing.size:
                label = format_label(encoding.groups[missing[0]])
                pos = self.classes_[1]
                pos = pos.item() if isinstance(pos, np.generic) else pos
                needs = _RATE_NEEDS[rate].format(pos=pos)
                raise ValueError(
                    f"Group {label} has no {needs} in the training data, so its "
                    f"{rate.replace('_', ' ')} is undefined and "
                    f"constraints={self.constraints!r} cannot be applied. Merge "
                    "or drop the group, or choose a constraint that does not "
                    "need this rate."
                )

    def _find_score_method(self):
        for name in _SCORE_METHODS:
            if hasattr(self.estimator_, name):
                return name
        raise ValueError(  # pragma: no cover - ruled out by parameter validation
            f"estimator {self.estimator_!r} has none of {list(_SCORE_METHODS)}."
        )

    def _scores(self, X_model):
        """Scores of the wrapped estimator: larger means more likely positive."""
        pos_label = self.classes_[1]
        est_classes = getattr(self.estimator_, "classes_", None)
        if est_classes is not None:
            est_classes = np.asarray(est_classes)
        method = self.score_method_
        output = np.asarray(getattr(self.estimator_, method)(X_model))
        if method == "predict_proba":
            if output.ndim != 2:
                raise ValueError(
                    "the wrapped estimator's predict_proba must return a 2-D "
                    f"array; got shape {output.shape}."
                )
            if est_classes is not None and est_classes.size != output.shape[1]:
                raise ValueError(
                    f"the wrapped estimator's predict_proba returned "
                    f"{output.shape[1]} column(s) but its classes_ "
                    f"{est_classes.tolist()} has {est_classes.size}; it must "
                    "return one column per class."
                )
            column = self._positive_column(est_classes, output.shape[1])
            scores = output[:, column]
        elif method == "decision_function":
            if output.ndim == 2 and output.shape[1] == 1:
                output = output[:, 0]
            if output.ndim != 1:
                raise ValueError(
                    "the wrapped estimator's decision_function must return one "
                    f"score per row (binary classifier); got shape {output.shape}."
                )
            scores = output
            if est_classes is not None:
                # scikit-learn's convention: positive scores mean classes_[1].
                column = self._positive_column(est_classes, 2)
                if column == 0:
                    scores = -scores
        else:
            if output.ndim == 2 and output.shape[1] == 1:
                output = output[:, 0]
            if output.ndim != 1:
                raise ValueError(
                    "the wrapped estimator's predict must return one value per "
                    f"row; got shape {output.shape}."
                )
            if np.isin(output, self.classes_).all():
                scores = output == pos_label
            elif output.dtype.kind in "biuf":
                scores = output
            else:
                raise ValueError(
                    "the wrapped estimator's predict returns values that are "
                    f"neither the classes {self.classes_.tolist()} nor numbers."
                )
        scores = np.asarray(scores, dtype=np.float64)
        if not np.isfinite(scores).all():
            raise ValueError(
                f"the wrapped estimator's {method} returned NaN or infinite scores."
            )
        return scores

    def _positive_column(self, est_classes, n_columns):
        pos_label = self.classes_[1]
        if est_classes is None:
            if n_columns != 2:
                raise ValueError(
                    "the wrapped estimator has no classes_, so its predict_proba "
                    f"must have 2 columns (negative, positive); it has {n_columns}."
                )
            return 1
        matches = np.flatnonzero(est_classes == pos_label)
        if est_classes.size != 2 or matches.size != 1:
            raise ValueError(
                f"the wrapped estimator's classes_ {est_classes.tolist()} are not "
                f"the two classes of y {self.classes_.tolist()}."
            )
        return int(matches[0])

    def _store_rules(self, hulls, vertex_weights):
        n_groups = len(hulls)
        self.roc_hulls_ = [np.column_stack([h.fpr, h.tpr, h.thresholds]) for h in hulls]
        self.operating_points_ = np.array(
            [[w @ h.fpr, w @ h.tpr] for h, w in zip(hulls, vertex_weights, strict=True)]
        ).reshape(n_groups, 2)
        self.selection_rates_ = np.array(
            [
                w @ rate_coefficients(h, "selection_rate")
                for h, w in zip(hulls, vertex_weights, strict=True)
            ]
        )
        # Padded (n_groups, k) tables for vectorised prediction: a row with
        # score s gets sum_k weight[g, k] * (s >= threshold[g, k]).
        # The "never" vertex (threshold +inf) adds nothing for finite scores.
        used = [
            np.flatnonzero((w > 0) & (h.thresholds < np.inf))
            for h, w in zip(hulls, vertex_weights, strict=True)
        ]
        width = max(idx.size for idx in used)
        self._rule_thresholds = np.full((n_groups, width), np.inf)
        self._rule_weights = np.zeros((n_groups, width))
        self.decision_rules_ = []
        for g, (h, w, idx) in enumerate(zip(hulls, vertex_weights, used, strict=True)):
            self._rule_thresholds[g, : idx.size] = h.thresholds[idx]
            self._rule_weights[g, : idx.size] = w[idx]
            # Vertices are in decreasing threshold order; a score above t[j]
            # is also above every later threshold.
            self.decision_rules_.append(
                {
                    "thresholds": h.thresholds[idx].copy(),
                    "probabilities": np.cumsum(w[idx][::-1])[::-1],
                }
            )

    def _positive_probability(self, X, sensitive_features, method):
        """The probability of a positive decision of each row, and the model's X."""
        check_is_fitted(self)
        if hasattr(self, "group_estimator_"):
            return self._group_blind_probability(X, sensitive_features, method)
        X_model, codes = self._model_input_and_groups(X, sensitive_features, method)
        n_samples = _num_samples(X)
        scores = self._scores(X_model)
        check_n_samples(scores, n_samples, name="the wrapped estimator's scores")
        proba = np.zeros(n_samples)
        for k in range(self._rule_weights.shape[1]):
            thresholds = self._rule_thresholds[:, k][codes]
            weights = self._rule_weights[:, k][codes]
            proba += np.where(scores >= thresholds, weights, 0.0)
        # Sums of weights that add up to 1 may overshoot by an ulp.
        return np.clip(proba, 0.0, 1.0), X_model

    def _multiclass_fitted(self):
        check_is_fitted(self)
        return hasattr(self, "decision_maps_")

    def _decision_probabilities(self, X, sensitive_features, method):
        """Multiclass: each row's probability of each decision, and the model's X."""
        X_model, codes = self._model_input_and_groups(X, sensitive_features, method)
        cells = self._predicted_cells(X_model)
        check_n_samples(
            cells, _num_samples(X), name="the wrapped estimator's predictions"
        )
        return self.decision_maps_[codes, cells], X_model

    def predict_proba(self, X, *, sensitive_features=None):
        """Probability of each class under the groups' randomized rules.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_sensitive), default=None
            Group labels, when ``sensitive_cols`` is not set. Every group must
            have been seen in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Column 1 is the probability that the row is predicted
            ``classes_[1]`` (the positive class), column 0 its complement.
        """
        if any_dask(X, sensitive_features):
            from ._dask import predict_on_dask

            return predict_on_dask(self, "predict_proba", X, sensitive_features)
        if self._multiclass_fitted():
            proba, _ = self._decision_probabilities(
                X, sensitive_features, "predict_proba"
            )
            return proba
        p, _ = self._positive_probability(X, sensitive_features, "predict_proba")
        return np.column_stack([1.0 - p, p])

    def predict(self, X, *, sensitive_features=None):
        """Randomized class predictions drawn from :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_sensitive), default=None
            Group labels, when ``sensitive_cols`` is not set. Every group must
            have been seen in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``; row ``i`` is positive iff ``u_i < p_i``
            for ``p`` from :meth:`predict_proba` and ``u_i`` in [0, 1) a hash
            of row ``i`` and the seed (see Notes): the same row gets the same
            decision in any batch.
        """
        if any_dask(X, sensitive_features):
            from ._dask import predict_on_dask

            return predict_on_dask(self, "predict", X, sensitive_features)
        if self._multiclass_fitted():
            proba, X_model = self._decision_probabilities(
                X, sensitive_features, "predict"
            )
            u = np.zeros(proba.shape[0])
            if (proba.max(axis=1) < 1.0).any():
                # The same per-row draw as the binary case (see there).
                u = row_uniforms(X_model, self._prediction_seed())
            return self.classes_[draw_decisions(proba, u)]
        p, X_model = self._positive_probability(X, sensitive_features, "predict")
        # Each row's draw is a function of the row, never of its position in
        # the batch. The row is what the wrapped model sees (without the
        # sensitive columns), so the draw is the same whether the groups come
        # from sensitive_cols or sensitive_features=, and whatever their
        # labels; the group still decides p.
        positive = randomized_decisions(p, X_model, self.random_state)
        return self.classes_[positive.astype(np.intp)]

    def score(self, X, y, sample_weight=None, *, sensitive_features=None):
        """Expected accuracy of the randomized decisions on ``(X, y)``.

        This is the mean, over the randomness of :meth:`predict`, of its
        accuracy: ``mean(p_i if y_i is positive else 1 - p_i)`` with ``p``
        from :meth:`predict_proba`. It is deterministic and has no sampling
        noise, which suits model selection.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples.

        y : array-like of shape (n_samples,)
            True labels, from ``classes_``.

        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        score : float
            Weighted expected accuracy.
        """
        if self._multiclass_fitted():
            proba, _ = self._decision_probabilities(X, sensitive_features, "score")
        else:
            proba, _ = self._positive_probability(X, sensitive_features, "score")
        return expected_accuracy(proba, y, self.classes_, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # rate_bounds bounds the rates of the positive class: binary y only.
        # So is group_estimator (rules per inferred group of a binary score).
        tags.classifier_tags.multi_class = (
            self.rate_bounds is None and self.group_estimator is None
        )
        if self.group_estimator is not None:
            # Sparse X also reaches the group model.
            tags.input_tags.sparse = (
                tags.input_tags.sparse
                and inner_estimator_tags(self.group_estimator).input_tags.sparse
            )
        return tags

    def plot(self, ax=None):
        """Draw each group's ROC hull and its chosen operating point.

        Needs matplotlib.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure's axes if None.

        Returns
        -------
        ax : matplotlib Axes
            The axes drawn on.
        """
        if hasattr(self, "group_estimator_"):
            raise ValueError(
                "plot draws each group's ROC hull; with group_estimator the "
                "rules are per inferred group and have no hull (see "
                "decision_rules_ and operating_points_)."
            )
        if self._multiclass_fitted():
            raise ValueError(
                "plot draws the groups' ROC hulls, which exist for binary y "
                "only; with multiclass y, inspect decision_maps_ and "
                "class_decision_rates_ instead."
            )
        from ._plot import plot_threshold_optimizer

        return plot_threshold_optimizer(self, ax=ax)
