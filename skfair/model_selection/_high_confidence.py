"""A classifier whose fairness bound is certified on held-out rows.

:class:`HighConfidenceFairClassifier` follows the Seldonian recipe of Thomas
et al. (Science, 2019): split the training rows into a candidate part and a
safety part; fit and rank candidate models on the candidate part alone; then
test them on the safety part with a one-sided upper confidence bound on
their population gaps (:func:`skfair.metrics._certified.gap_upper_bound`),
one after another in that fixed order until one fails (fixed-sequence
testing, as in Learn then Test). Because the models and their order never
saw the safety rows, every passed bound is a valid confidence bound on the
population gap of exactly that model, simultaneously; a model refitted
afterwards on all rows would be another model, of which the tests say
nothing.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..metrics._certified import gap_upper_bound, gap_upper_bound_from_table
from ..utils import (
    check_sample_weight_1d,
    encode_fit_groups,
    resolve_sensitive_features,
)
from ..utils._binary import check_binary_target
from ..utils._randomized import prediction_seed
from ..utils._row_hash import _mix, row_uniforms
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _num_samples,
    _safe_indexing,
)
from ..utils._validation import (
    _check_labels_present,
    inner_estimator_tags,
    keep_state_on_error,
)

__all__ = ["HighConfidenceFairClassifier"]

# The metric whose population value each constraint bounds.
CONSTRAINT_METRICS = {
    "equalized_odds": "equalized_odds_difference",
    "equal_opportunity": "equal_opportunity_difference",
    "demographic_parity": "demographic_parity_difference",
    "false_positive_rate_parity": "false_positive_rate_difference",
}

# The true labels whose (group, label) cells each metric's rates are taken in
# (None: all rows of the group, for the selection rate).
_METRIC_LABELS = {
    "equalized_odds_difference": (0, 1),
    "equal_opportunity_difference": (1,),
    "demographic_parity_difference": None,
    "false_positive_rate_difference": (0,),
}

# The "auto" path of tolerances, as fractions of ``bound``.
_AUTO_PATH = (1.0, 0.8, 0.6, 0.4, 0.2, 0.1, 0.0)

# The predicted bound of a candidate is its candidate-part gap plus this many
# times the width the safety test would add (Thomas et al. 2019 double it):
# a candidate fitted on the candidate part looks fairer there than it is, so
# an uninflated prediction picks candidates that then fail the safety test.
# The prediction orders the sequential tests and is the one test of
# selection="predicted"; benchmarks/high_confidence.py compares the two.
PREDICTION_INFLATION = 2.0


def _final_step(estimator):
    """The estimator that does the work, and its fit-parameter prefix.

    A Pipeline's last step (recursively for nested pipelines) is the one
    whose ``tolerance`` and ``constraints`` are meant, and the one that takes
    ``sensitive_features`` and ``sample_weight`` in fit
    (``<step>__<param>`` without metadata routing).
    """
    prefix = ""
    while isinstance(estimator, Pipeline):
        name, step = estimator.steps[-1]
        if step is None or step == "passthrough":
            raise ValueError(
                "HighConfidenceFairClassifier needs a Pipeline that ends in an "
                f"estimator; its last step {name!r} is {step!r}."
            )
        prefix += f"{name}__"
        estimator = step
    return prefix, estimator


def _tolerance_key(estimator):
    """The ``set_params`` key of the estimator's ``tolerance``; an error if none."""
    prefix, step = _final_step(estimator)
    params = step.get_params(deep=False) if hasattr(step, "get_params") else {}
    if "tolerance" not in params:
        raise ValueError(
            "HighConfidenceFairClassifier tries a path of tolerances, so it "
            "needs an estimator with a `tolerance` parameter (the gap it fits "
            "to): ConstrainedLogisticRegression, ThresholdOptimizer, "
            "ExponentiatedGradient, RejectOptionClassifier, AdversarialDebiasing"
            ", or a Pipeline ending in one. "
            f"{type(step).__name__} has none (GridSearch and "
            "CalibratedEqualizedOdds have no tolerance either)."
        )
    return prefix + "tolerance"


def _constraints_key(estimator):
    """The ``set_params`` key of the estimator's ``constraints``, or None."""
    prefix, step = _final_step(estimator)
    params = step.get_params(deep=False) if hasattr(step, "get_params") else {}
    return prefix + "constraints" if "constraints" in params else None


def _takes(method, param):
    """Whether the bound method ``method`` has the keyword ``param``."""
    import inspect

    try:
        return param in inspect.signature(method).parameters
    except (TypeError, ValueError):  # builtins and odd callables
        return False


def _fit_takes(estimator, param):
    _, step = _final_step(estimator)
    return _takes(step.fit, param)


def _method_takes(estimator, method, param):
    """Whether ``estimator.<method>`` passes ``param`` on to the model that needs it.

    ``Pipeline.predict(X, **params)`` hands its keywords to the last step's
    method (without routing), so a Pipeline takes what its last step takes.
    """
    _, step = _final_step(estimator)
    if param == "sensitive_features" and getattr(step, "group_estimator", None):
        # A group-blind ThresholdOptimizer infers the groups and refuses them.
        return False
    return hasattr(step, method) and _takes(getattr(step, method), param)


def _split_seed(seed):
    """The seed of the split's row numbers, scrambled from ``seed``.

    The randomized mitigators (ThresholdOptimizer) draw a row's decision as
    ``row_uniforms(X, seed) < p``. Were the split ordered by the same
    numbers for the same seed, the safety part would hold the rows with the
    smallest numbers, the ones most often drawn positive: the safety test
    would measure biased decisions. A scrambled seed gives numbers that are
    unrelated to the decisions' draws.
    """
    return int(_mix(np.uint64(seed % 2**64) ^ np.uint64(0x5AFE_7E57_C0FF_EE11)))


def _check_2d(X):
    if len(getattr(X, "shape", ())) == 1:
        raise ValueError(
            "Expected a 2-D X (n_samples, n_features), got a 1-D array. Reshape "
            "your data with X.reshape(-1, 1) for a single feature."
        )


def _take_rows(data, rows):
    """Rows of an array, DataFrame, list or array-like (``__array__`` only)."""
    if not (hasattr(data, "shape") or isinstance(data, list)):
        data = np.asarray(data)
    return _safe_indexing(data, rows)


def stratified_safety_mask(strata, u, safety_size):
    """Which rows go to the safety part: ``safety_size`` of every stratum.

    Within each stratum the rows are ordered by ``u`` (a number per row that
    depends on the row and the seed only, so the split does not depend on
    the order of the rows) and the first ``round(safety_size * n)`` rows go
    to the safety part, at least one and at most ``n - 1``. A stratum of a
    single row cannot be split: its row goes to the candidate part, where it
    helps fitting (the safety part then has no row of that cell, so its rate
    is unknown there and the bound is 1: one row certifies nothing).

    Parameters
    ----------
    strata : ndarray of shape (n_samples,), int
        Stratum code of each row (group x label).
    u : ndarray of shape (n_samples,)
        Ordering numbers in [0, 1).
    safety_size : float in (0, 1)

    Returns
    -------
    mask : ndarray of shape (n_samples,), bool
        True for the safety rows.
    """
    order = np.lexsort((u, strata))
    sorted_strata = strata[order]
    starts = np.flatnonzero(np.r_[True, sorted_strata[1:] != sorted_strata[:-1]])
    sizes = np.diff(np.r_[starts, sorted_strata.size])
    n_safety = np.clip(np.rint(safety_size * sizes), 1, sizes - 1)
    n_safety[sizes < 2] = 0
    rank = np.arange(sorted_strata.size) - np.repeat(starts, sizes)
    mask = np.zeros(strata.size, dtype=bool)
    mask[order] = rank < np.repeat(n_safety, sizes)
    return mask


def _count_table(group_codes, y01, pred01, n_groups, weights=None, power=1):
    """The (n_groups, 2, 2) table of (group, y_true, y_pred) counts or weights."""
    cells = (group_codes.astype(np.int64) * 2 + y01) * 2 + pred01
    w = None if weights is None else weights**power
    return np.bincount(cells, weights=w, minlength=n_groups * 4).reshape(n_groups, 2, 2)


def _effective_cell_sizes(group_codes, y01, n_groups, weights):
    """Rows of each (group, label) cell; Kish's effective number with weights."""
    cells = group_codes.astype(np.int64) * 2 + y01
    counts = np.bincount(cells, minlength=n_groups * 2).astype(np.float64)
    if weights is None:
        return counts.reshape(n_groups, 2)
    total = np.bincount(cells, weights=weights, minlength=n_groups * 2)
    square = np.bincount(cells, weights=weights**2, minlength=n_groups * 2)
    effective = np.zeros_like(total)
    np.divide(total**2, square, out=effective, where=square > 0)
    return effective.reshape(n_groups, 2)


def _rates_on_sizes(positive_rate, sizes):
    """A count table of ``sizes[g, y]`` rows per cell, a share ``positive_rate[g, y]``
    of them predicted 1."""
    table = np.empty(sizes.shape + (2,))
    table[..., 1] = sizes * positive_rate
    table[..., 0] = sizes - table[..., 1]
    return table


def _cell_rates(table):
    """Share of predicted positives in each (group, label) cell (0 if empty)."""
    totals = table.sum(axis=-1)
    rates = np.zeros(totals.shape)
    np.divide(table[..., 1], totals, out=rates, where=totals > 0)
    return rates


def _observed_gap(table, metric):
    """The metric's value on a count table (NaN if fewer than two groups)."""
    labels = _METRIC_LABELS[metric]
    present = table.sum(axis=(1, 2)) > 0
    table = table[present]
    if table.shape[0] < 2:
        return np.nan
    if labels is None:
        totals = table.sum(axis=(1, 2))
        rates = table[:, :, 1].sum(axis=1) / totals
        return float(rates.max() - rates.min())
    rates = _cell_rates(table)
    gaps = []
    for label in labels:
        has_rows = table[:, label].sum(axis=-1) > 0
        if has_rows.sum() >= 2:
            gaps.append(np.ptp(rates[has_rows, label]))
        else:
            gaps.append(1.0)  # nothing known: as the bound treats it
    return float(max(gaps))


class HighConfidenceFairClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A fair classifier whose fairness bound holds on new data with high confidence.

    Every skfair mitigator meets its ``tolerance`` on the rows it was fitted
    on. This meta-estimator certifies instead that the gap of the returned
    model on the **population** the rows come from is at most ``bound``, with
    probability at least ``confidence`` over the draw of the training rows
    (a Seldonian algorithm, Thomas et al. 2019). ``fit``:

    1. splits the rows, stratified by group x label, into a candidate part
       and a safety part (``safety_size`` of every (group, label) cell);
    2. fits clones of ``estimator`` on the candidate part over a path of
       ``tolerances`` and predicts each candidate's bound: the certified
       bound its candidate-part decisions would get on a sample of the
       safety part's cell sizes, with the width it adds doubled (see Notes);
    3. tests candidates on the safety part with
       :func:`~skfair.metrics.gap_upper_bound`. With ``selection=
       "sequential"`` (the default) they are tested in the order of their
       predicted bounds, smallest first, each at the full ``confidence``,
       until one fails (fixed-sequence testing); the model is the most
       accurate candidate (accuracy on the candidate part) that passed. With
       ``selection="predicted"`` only one is tested: the most accurate
       candidate predicted to pass, else the one with the smallest predicted
       bound (Thomas et al.'s procedure). If a candidate passed, it is the
       model (``certified_ = True``); otherwise ``fallback`` decides.

    Parameters
    ----------
    estimator : estimator instance
        A skfair mitigator with a ``tolerance`` parameter
        (:class:`~skfair.inprocessing.ConstrainedLogisticRegression`,
        :class:`~skfair.postprocessing.ThresholdOptimizer`,
        :class:`~skfair.reductions.ExponentiatedGradient`,
        :class:`~skfair.postprocessing.RejectOptionClassifier`, ...), or a
        :class:`~sklearn.pipeline.Pipeline` ending in one; the tolerance is
        found by name, the last step's ``tolerance``. Its ``sensitive_cols``
        should be None: it gets the groups from this estimator, as the
        ``sensitive_features=`` keyword of ``fit`` (and of ``predict`` /
        ``predict_proba`` where those take it).
    constraints : {"equalized_odds", "equal_opportunity", \
            "demographic_parity", "false_positive_rate_parity"}, \
            default="equalized_odds"
        The fairness criterion that is bounded: the largest between-group
        gap of the true and false positive rates, of the true positive
        rates, of the selection rates, or of the false positive rates. It is
        also set on ``estimator`` (its last step) when that has a
        ``constraints`` parameter, so that the candidates fit the criterion
        that is tested.
    bound : float in [0, 1], default=0.05
        The largest population gap to certify.
    confidence : float in (0, 1), default=0.95
        The probability, over the draw of the training rows, that a
        certified model's population gap is at most ``bound``.
    safety_size : float in (0, 1), default=0.5
        Share of every (group, label) cell held out for the safety test.
    tolerances : "auto" or array-like of float, default="auto"
        The tolerances of the candidates. "auto": ``bound`` times 1, .8, .6,
        .4, .2, .1 and 0.
    fallback : {"constant", "raise"}, default="constant"
        What a failed safety test gives. "constant": a model that predicts
        the majority label of the training rows (weighted) for every row, so
        its gap is 0 on any data, and a
        :class:`~skfair.exceptions.CertificationWarning` that names the
        tightest bound this data could certify. "raise": a
        :class:`~skfair.exceptions.CertificationError` with that message.
    selection : {"sequential", "predicted"}, default="sequential"
        How the safety part chooses among the candidates. "sequential":
        fixed-sequence testing of the candidates, the smallest predicted bound
        first, stopping at the first failure; the most accurate passer is the
        model. "predicted": the one candidate the prediction picks is tested.
        Both certify at ``confidence`` (see Notes); "sequential" fails less
        often, because its first test is of the candidate most likely to
        pass, and it loses less accuracy, because the safety part, not a
        prediction, says how loose a tolerance it can certify.
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` that hold the groups; they
        are group labels, not features, and are removed from ``X`` before
        ``estimator`` sees it. If None, pass ``sensitive_features=`` to
        ``fit`` (and to ``predict`` when ``estimator``'s predict needs the
        groups, as ThresholdOptimizer's does). A callable X -> groups is
        called on every ``X``; no column is removed then.
    random_state : int, RandomState instance or None, default=None
        Seed of the split. A row's part depends on the row's features and
        the seed only, not on its position, so permuting the rows gives the
        same split.

    Attributes
    ----------
    estimator_ : estimator instance
        The model: the chosen candidate if certified, else (fallback
        "constant") a fitted :class:`~sklearn.dummy.DummyClassifier` that
        predicts ``majority_label_``.
    certified_ : bool
        Whether the safety test passed.
    upper_bound_ : float
        The certified upper bound on the chosen candidate's population gap
        (from the safety part); if none passed, that of the first tested
        candidate.
    tolerance_ : float
        The tolerance of the chosen candidate (if none passed, of the first
        tested one).
    tightest_bound_ : float
        The bound a model with equal rates in every group (the chosen
        candidate's overall rates on the safety part) would get from the
        safety part's cell sizes: about the smallest bound this data can
        certify at this confidence.
    candidate_results_ : dict of ndarray
        ``"tolerance"``, ``"accuracy"`` (on the candidate part),
        ``"predicted_bound"`` and ``"upper_bound"`` (on the safety part; NaN
        for a candidate that was not tested) of every candidate, in path
        order.
    majority_label_ : object
        The majority label of the training rows (weighted).
    classes_ : ndarray of shape (2,)
        The class labels.
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in ``fit``.
    n_features_in_ : int
        Number of columns of the ``X`` passed to ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in ``fit``, if they are all strings.

    See Also
    --------
    skfair.metrics.gap_upper_bound : The bound of the safety test.

    Notes
    -----
    **What is certified.** With probability at least ``confidence`` over the
    draw of the training rows, a certified model's gap on the population is
    at most ``bound`` (if certification succeeds at all). This assumes iid
    rows from the population the model will meet, and groups given
    correctly; with ``sample_weight``, rows are taken as drawn with those
    weights and the bound uses Kish's effective cell sizes. A randomized
    model (ThresholdOptimizer) is certified for its randomized decisions.

    **Why testing several candidates keeps the guarantee.** The order of
    the tests is fixed by the candidate part, which is independent of the
    safety part. Take the first candidate in that order whose population gap
    exceeds ``bound``: it passes its test with probability at most
    ``1 - confidence``, and a failure stops the sequence before any later
    candidate is tested, so the chance that any passed candidate exceeds
    ``bound`` is at most ``1 - confidence`` (fixed-sequence testing, as in
    Angelopoulos et al.'s Learn then Test). Every passer is then within
    ``bound`` at once, so which of them is chosen does not matter to the
    guarantee.

    **No refit on all rows.** The certified model is the chosen candidate,
    fitted on the candidate part only. Refitting it on all rows would give a
    different model that has never been tested: its gap on new rows can
    exceed ``bound`` (the training gap is what the tolerance bounds, and it
    is optimistic). The price is a model fitted on fewer rows.

    **The split.** Rows are ordered within each (group, label) cell by a hash
    of their features and the seed and the first ``round(safety_size * n)``
    go to the safety part, at least one row and at most ``n - 1``; a cell of
    a single row stays in the candidate part (then nothing is certified
    about it: its rate is unknown in the safety part and the bound is 1).

    **The predicted bound.** A candidate's decisions on the candidate part
    give its per-cell rates; the bound those rates would get on the safety
    part's cell sizes is ``u``, its candidate-part gap ``g``; the predicted
    bound is ``g + 2 * (u - g)``. The candidate-part gap of a model fitted
    there is optimistic, so a prediction without the doubling, as Thomas et
    al. note, picks candidates that then fail the safety test.

    **Sample weights** go to ``estimator.fit`` when it accepts them (else
    the candidates are fitted unweighted) and always to the accuracy of the
    candidates and to the bound.

    References
    ----------
    P. S. Thomas, B. Castro da Silva, A. G. Barto, S. Giguere, Y. Brun and
    E. Brunskill, "Preventing undesirable behavior of intelligent machines",
    Science 366(6468), 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.model_selection import HighConfidenceFairClassifier
    >>> from skfair.postprocessing import ThresholdOptimizer
    >>> rng = np.random.default_rng(0)
    >>> n = 20_000
    >>> group = rng.integers(0, 2, n)
    >>> X = np.column_stack([group, rng.normal(size=(n, 2)) + 0.3 * group[:, None]])
    >>> y = (X[:, 1] + X[:, 2] + rng.normal(size=n) > 0.3).astype(int)
    >>> clf = HighConfidenceFairClassifier(
    ...     ThresholdOptimizer(LogisticRegression(), random_state=0),
    ...     bound=0.1, sensitive_cols=0, random_state=0,
    ... ).fit(X, y)
    >>> bool(clf.certified_), bool(clf.upper_bound_ <= 0.1)
    (True, True)
    >>> clf.predict(X[:5]).shape
    (5,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "constraints": [StrOptions(set(CONSTRAINT_METRICS))],
        "bound": [Interval(Real, 0, 1, closed="both")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "safety_size": [Interval(Real, 0, 1, closed="neither")],
        "tolerances": [StrOptions({"auto"}), "array-like"],
        "fallback": [StrOptions({"constant", "raise"})],
        "selection": [StrOptions({"sequential", "predicted"})],
        "sensitive_cols": [None, str, Integral, "array-like", callable],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        constraints="equalized_odds",
        bound=0.05,
        confidence=0.95,
        safety_size=0.5,
        tolerances="auto",
        fallback="constant",
        selection="sequential",
        sensitive_cols=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.constraints = constraints
        self.bound = bound
        self.confidence = confidence
        self.safety_size = safety_size
        self.tolerances = tolerances
        self.fallback = fallback
        self.selection = selection
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    def _tolerance_path(self):
        if isinstance(self.tolerances, str):
            return self.bound * np.asarray(_AUTO_PATH)
        path = np.asarray(self.tolerances, dtype=np.float64).reshape(-1)
        if path.size == 0 or not np.isfinite(path).all() or (path < 0).any():
            raise ValueError(
                "tolerances must be 'auto' or a non-empty list of finite, "
                f"non-negative numbers; got {self.tolerances!r}."
            )
        return path

    @keep_state_on_error
    @_fit_context(
        # The inner estimator is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None):
        """Choose a model on the candidate part and certify it on the safety part.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set.
        y : array-like of shape (n_samples,)
            Binary class labels.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, for the candidates' fit (when ``estimator.fit``
            takes them), their accuracy and the bound.

        Returns
        -------
        self : object
            The fitted meta-estimator.

        Warns
        -----
        CertificationWarning
            If the safety test fails and ``fallback="constant"``.

        Raises
        ------
        CertificationError
            If the safety test fails and ``fallback="raise"``.
        """
        if y is None:
            raise ValueError(
                "HighConfidenceFairClassifier requires y to be passed, but the "
                "target y is None."
            )
        _check_2d(X)
        tolerance_key = _tolerance_key(self.estimator)
        path = self._tolerance_path()
        X_model, sens = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method="fit",
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        n_samples = _num_samples(X)
        if _num_samples(y) != n_samples:
            raise ValueError(
                f"y has {_num_samples(y)} rows but X has {n_samples}; they must match."
            )
        y = column_or_1d(y, warn=True)
        _check_labels_present(y)  # before check_classification_targets (NaN)
        check_classification_targets(y)  # scikit-learn's "Unknown label type"
        y01, classes = check_binary_target(y, n_samples, type(self).__name__)
        weights = check_sample_weight_1d(sample_weight, n_samples)
        encoding = encode_fit_groups(sens, type(self).__name__)
        codes, n_groups = encoding.codes, encoding.n_groups
        metric = CONSTRAINT_METRICS[self.constraints]

        u = row_uniforms(X_model, _split_seed(prediction_seed(self.random_state)))
        safe = stratified_safety_mask(
            codes.astype(np.int64) * 2 + y01, u, self.safety_size
        )
        cand_rows, safe_rows = np.flatnonzero(~safe), np.flatnonzero(safe)
        if cand_rows.size == 0 or safe_rows.size == 0:
            raise ValueError(
                f"{n_samples} rows are too few to split into a candidate part "
                "and a safety part; every (group, label) cell needs two rows."
            )

        def part(rows):
            return dict(
                X=_take_rows(X_model, rows),
                y=_take_rows(y, rows),
                sens=_take_rows(sens, rows),
                codes=codes[rows],
                y01=y01[rows],
                w=None if weights is None else weights[rows],
            )

        cand, safety = part(cand_rows), part(safe_rows)
        safety_sizes = _effective_cell_sizes(
            safety["codes"], safety["y01"], n_groups, safety["w"]
        )
        candidates, accuracies, predicted = [], [], []
        for tolerance in path:
            model = self._fit_candidate(tolerance_key, float(tolerance), cand)
            pred01 = self._decisions(model, cand, classes)
            table = _count_table(
                cand["codes"], cand["y01"], pred01, n_groups, cand["w"]
            )
            candidates.append(model)
            accuracies.append(
                (table[:, 0, 0].sum() + table[:, 1, 1].sum()) / table.sum()
            )
            predicted.append(self._predicted_bound(table, safety_sizes, metric))
        accuracies, predicted = np.asarray(accuracies), np.asarray(predicted)
        tested = np.full(path.size, np.nan)
        chosen, safety_pred = self._safety_tests(
            candidates, accuracies, predicted, tested, safety, classes, metric
        )
        self.upper_bound_ = float(tested[chosen])
        self.tolerance_ = float(path[chosen])
        self.candidate_results_ = {
            "tolerance": path.copy(),
            "accuracy": accuracies,
            "predicted_bound": predicted,
            "upper_bound": tested,
        }
        self.tightest_bound_ = self._tightest_bound(
            safety, safety_pred, safety_sizes, n_groups, metric
        )
        self.certified_ = bool(self.upper_bound_ <= self.bound)
        self.classes_ = classes
        self.groups_ = encoding.groups
        self.majority_label_ = self._majority(y01, weights, classes)
        if self.certified_:
            self.estimator_ = candidates[chosen]
        else:
            self._fall_back(X_model, y, safety_sizes, metric)
        return self

    def _fit_candidate(self, tolerance_key, tolerance, cand):
        estimator = clone(self.estimator).set_params(**{tolerance_key: tolerance})
        constraints_key = _constraints_key(estimator)
        if constraints_key is not None:
            estimator.set_params(**{constraints_key: self.constraints})
        prefix = "" if _routing_on() else _final_step(estimator)[0]
        params = {}
        if _fit_takes(estimator, "sensitive_features"):
            params[prefix + "sensitive_features"] = cand["sens"]
        if cand["w"] is not None and _fit_takes(estimator, "sample_weight"):
            params[prefix + "sample_weight"] = cand["w"]
        return estimator.fit(cand["X"], cand["y"], **params)

    @staticmethod
    def _decisions(model, part, classes):
        kwargs = {}
        if _method_takes(model, "predict", "sensitive_features"):
            kwargs["sensitive_features"] = part["sens"]
        pred = np.asarray(model.predict(part["X"], **kwargs))
        return (pred == classes[-1]).astype(np.int64)

    def _predicted_bound(self, table, safety_sizes, metric):
        """The candidate's bound on a sample of the safety part's sizes, inflated."""
        gap = _observed_gap(table, metric)
        rescaled = _rates_on_sizes(_cell_rates(table), safety_sizes)
        bound = gap_upper_bound_from_table(
            rescaled, metric=metric, confidence=self.confidence
        )
        if not np.isfinite(bound) or not np.isfinite(gap):
            return 1.0
        return float(min(1.0, gap + PREDICTION_INFLATION * max(bound - gap, 0.0)))

    def _test_order(self, accuracies, predicted):
        """The candidates to test on the safety part, in the order of testing.

        "predicted": the one most accurate candidate predicted to pass, else
        the one with the smallest predicted bound. "sequential": every
        candidate, the smallest predicted bound first (ties: the more
        accurate, then path order), an order fixed by the candidate part
        alone, as fixed-sequence testing requires.
        """
        if self.selection == "sequential":
            return np.lexsort((np.arange(predicted.size), -accuracies, predicted))
        passing = np.flatnonzero(predicted <= self.bound)
        if passing.size:
            # Ties: the first in path order (the loosest tolerance).
            return passing[[np.argmax(accuracies[passing])]]
        return np.lexsort((-accuracies, predicted))[:1]

    def _safety_tests(
        self, candidates, accuracies, predicted, tested, safety, classes, metric
    ):
        """Test candidates in order until one fails; the most accurate passer wins.

        Fixed-sequence testing: every test is at the full ``confidence`` and
        the first failure stops the sequence. The first candidate in the order
        whose population gap exceeds ``bound`` can only be passed with
        probability ``1 - confidence``, and every later one is reached only
        through it, so with probability at least ``confidence`` no passed
        candidate exceeds ``bound``. ``tested`` gets each tested candidate's
        upper bound. Returns the chosen index (the first tested one if none
        passed) and its decisions on the safety part.
        """
        decisions, passed = {}, []
        for j in self._test_order(accuracies, predicted):
            decisions[j] = self._decisions(candidates[j], safety, classes)
            tested[j] = gap_upper_bound(
                safety["y01"],
                decisions[j],
                sensitive_features=safety["codes"],
                metric=metric,
                confidence=self.confidence,
                sample_weight=safety["w"],
            )
            if not tested[j] <= self.bound:
                break
            passed.append(j)
        if not passed:
            first = next(iter(decisions))
            return first, decisions[first]
        # Ties: the first in path order (the loosest tolerance).
        best = min(passed, key=lambda j: (-accuracies[j], j))
        return best, decisions[best]

    def _tightest_bound(self, safety, safety_pred, safety_sizes, n_groups, metric):
        """The bound of equal rates in every group, on the safety part's cell sizes."""
        table = _count_table(
            np.zeros_like(safety["codes"]), safety["y01"], safety_pred, 1, safety["w"]
        )
        pooled = _cell_rates(table)[0]
        if _METRIC_LABELS[metric] is None:
            # Selection rate: one rate for both labels.
            pooled[:] = table[0, :, 1].sum() / table[0].sum()
        equal = _rates_on_sizes(
            np.broadcast_to(pooled, safety_sizes.shape), safety_sizes
        )
        return float(
            gap_upper_bound_from_table(equal, metric=metric, confidence=self.confidence)
        )

    @staticmethod
    def _majority(y01, weights, classes):
        counts = np.bincount(y01, weights=weights, minlength=2)
        # Ties: the positive label, scikit-learn's order for a tie of two.
        return classes[int(counts[1] >= counts[0])]

    def _message(self, safety_sizes, metric):
        labels = _METRIC_LABELS[metric]
        sizes = safety_sizes.sum(axis=1) if labels is None else safety_sizes[:, labels]
        smallest = float(sizes.min())
        cell = "group" if labels is None else "(group, label) cell"
        return (
            f"HighConfidenceFairClassifier could not certify {metric} <= "
            f"{self.bound:g} at confidence {self.confidence:g}: the first tested "
            f"candidate (tolerance {self.tolerance_:g}) has an upper bound of "
            f"{self.upper_bound_:.3f} on the safety part. With {smallest:,.0f} "
            f"rows in the smallest {cell} of the safety part, the tightest "
            "bound this data could certify (a model with equal rates in every "
            f"group) is about {self.tightest_bound_:.3f}. More rows, a larger "
            "safety_size, a looser bound or a lower confidence can help."
        )

    def _fall_back(self, X_model, y, safety_sizes, metric):
        from ..exceptions import CertificationError, CertificationWarning

        message = self._message(safety_sizes, metric)
        if self.fallback == "raise":
            raise CertificationError(message)
        import warnings

        warnings.warn(
            message
            + f" Predicting the majority label {format_label(self.majority_label_)} "
            "for every row (gap 0).",
            CertificationWarning,
            stacklevel=3,
        )
        dummy = DummyClassifier(strategy="constant", constant=self.majority_label_)
        self.estimator_ = dummy.fit(np.zeros((_num_samples(y), 1)), y)

    def _model_input(self, X, sensitive_features, method):
        check_is_fitted(self)
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        needs_groups = self.certified_ and _method_takes(
            self.estimator_, method, "sensitive_features"
        )
        X_model, sens = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            required=needs_groups,
            method=method,
        )
        if not self.certified_:
            return np.zeros((_num_samples(X), 1)), {}
        return X_model, {"sensitive_features": sens} if needs_groups else {}

    def predict(self, X, *, sensitive_features=None):
        """Predict class labels with the certified model (or the constant).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is None and ``estimator``'s
            predict needs them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        X_model, kwargs = self._model_input(X, sensitive_features, "predict")
        return self.estimator_.predict(X_model, **kwargs)

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X, *, sensitive_features=None):
        """Class probabilities of the certified model (or the constant's 0 / 1).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is None and ``estimator``'s
            predict_proba needs them.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities, columns in ``classes_`` order.
        """
        X_model, kwargs = self._model_input(X, sensitive_features, "predict_proba")
        return self.estimator_.predict_proba(X_model, **kwargs)

    def score(self, X, y, sample_weight=None, *, sensitive_features=None):
        """Accuracy of :meth:`predict` on ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        sensitive_features : array-like, default=None
            Group labels, as for :meth:`predict`.

        Returns
        -------
        score : float
            The (weighted) share of correct predictions.
        """
        from sklearn.metrics import accuracy_score

        pred = self.predict(X, sensitive_features=sensitive_features)
        return float(accuracy_score(y, pred, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = inner_estimator_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse and self.sensitive_cols is None
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.classifier_tags.multi_class = False
        return tags


def _routing_on():
    from ..utils._sklearn_compat import _routing_enabled

    return _routing_enabled()
