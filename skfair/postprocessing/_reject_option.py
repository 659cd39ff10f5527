"""Reject option classification (Kamiran, Karim & Zhang, 2012), found exactly."""

from numbers import Integral, Real

import numpy as np

from ..utils._sensitive import format_label
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
)
from ..utils._validation import (
    keep_state_on_error,
)
from ._binary_base import BinaryPostProcessor
from ._lp import CONSTRAINT_RATES
from ._threshold_optimizer import ThresholdOptimizer

__all__ = ["RejectOptionClassifier"]

# Slack on the tolerance for rates that are equal in exact arithmetic but
# not in floating point.
_SLACK = 1e-12


def _suffix_sums(values):
    """``out[t] = values[t:].sum()`` for t = 0..len(values), non-increasing."""
    out = np.zeros(values.size + 1)
    out[:-1] = np.cumsum(values[::-1])[::-1]
    return out


def _group_tables(score_index, n_scores, y01, weight, rows):
    """Correct decisions and rates of the rules "positive iff index >= t"."""
    pos = np.bincount(
        score_index[rows], weights=weight[rows] * y01[rows], minlength=n_scores
    )
    neg = np.bincount(
        score_index[rows], weights=weight[rows] * (1 - y01[rows]), minlength=n_scores
    )
    tp, fp = _suffix_sums(pos), _suffix_sums(neg)
    n_pos, n_neg = tp[0], fp[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = {
            "selection_rate": (tp + fp) / (n_pos + n_neg),
            "true_positive_rate": tp / n_pos,
            "false_positive_rate": fp / n_neg,
        }
    return tp + (n_neg - fp), rates


def _range_argmax_table(values):
    """Sparse table: ``table[k][i]`` is the first argmax of ``values[i:i + 2**k]``."""
    table = [np.arange(values.size)]
    span = 1
    while 2 * span <= values.size:
        left, right = table[-1][:-span], table[-1][span:]
        table.append(np.where(values[right] > values[left], right, left))
        span *= 2
    return table


def _range_argmax(values, table, lo, hi):
    """First argmax of ``values[lo[i]:hi[i] + 1]`` for each i (lo <= hi)."""
    level = np.frexp(hi - lo + 1)[1] - 1  # floor(log2(length)), exactly
    out = np.empty(lo.size, dtype=np.intp)
    for k in np.unique(level):
        which = level == k
        a = table[k][lo[which]]
        b = table[k][hi[which] - (1 << int(k)) + 1]
        out[which] = np.where(values[b] > values[a], b, a)
    return out


def _best_thresholds(correct, rates, constraint_rates, tolerance, deprived, favoured):
    """Best (t_D, t_F), t_D <= t_F, with the rates within tolerance, exactly.

    The deprived group is positive iff its score index is >= t_D, the
    favoured iff >= t_F. For each t_D the favoured rates (non-increasing in
    t_F) are within tolerance on one interval of t_F; the best t_F there is
    a range-maximum query.
    """
    n_thresholds = correct[favoured].size
    t_d = np.arange(n_thresholds)
    lo, hi = t_d.copy(), np.full(n_thresholds, n_thresholds - 1)
    for rate in constraint_rates:
        r_d, r_f = rates[deprived][rate], -rates[favoured][rate]
        bound = tolerance + _SLACK
        lo = np.maximum(lo, np.searchsorted(r_f, -(r_d + bound), side="left"))
        hi = np.minimum(hi, np.searchsorted(r_f, -(r_d - bound), side="right") - 1)
    feasible = np.flatnonzero(lo <= hi)
    table = _range_argmax_table(correct[favoured])
    t_f = _range_argmax(correct[favoured], table, lo[feasible], hi[feasible])
    value = correct[deprived][feasible] + correct[favoured][t_f]
    best = int(np.argmax(value))
    return float(value[best]), int(feasible[best]), int(t_f[best])


class RejectOptionClassifier(BinaryPostProcessor):
    """Reject option classification: favour the deprived group near the boundary.

    Post-processing of Kamiran, Karim & Zhang (2012). Rows whose score from
    the wrapped estimator falls in the *critical region* ``[low, high)`` are
    uncertain; there, rows of the deprived group are predicted positive and
    rows of the favoured group negative. Outside it, a row is positive iff
    its score is at least ``high``. The region (equivalently the
    classification threshold ``(low + high) / 2`` and the margin
    ``(high - low) / 2``) and which of the two groups is deprived are the
    exact maximisers of the training accuracy under the constraint that the
    groups' rates differ by at most ``tolerance`` on the training data: the
    search runs over every pair of distinct training scores, not over a grid.

    Parameters
    ----------
    estimator : estimator object
        The scoring model. Its score is ``predict_proba(X)[:, k]`` for the
        column ``k`` of the positive class, else ``decision_function(X)``, else
        ``predict(X)``.
    constraints : {"demographic_parity", "equalized_odds", \
            "equal_opportunity", "false_positive_rate_parity"}, \
            default="demographic_parity"
        The rates that must be within ``tolerance`` of each other: the
        selection rate, the true and false positive rates, the true positive
        rate, or the false positive rate.
    tolerance : float, default=0.05
        Largest allowed difference of each constrained rate between the two
        groups on the training data.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted (on ``X`` without the
        ``sensitive_cols`` columns); otherwise a clone is fitted in
        :meth:`fit`.
    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups, which must
        be two. They are removed from ``X`` before the wrapped estimator sees
        it. If None, pass ``sensitive_features=`` to :meth:`fit`,
        :meth:`predict` and :meth:`score`. Or a callable X -> groups.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted wrapped estimator (``estimator`` itself if ``prefit``).
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.
    groups_ : ndarray of shape (2,)
        The two group labels, sorted.
    score_method_ : str
        The method of ``estimator_`` that gives the scores.
    deprived_group_ : object
        The group predicted positive in the critical region.
    critical_region_ : ndarray of shape (2,)
        ``[low, high]``: the deprived group is positive iff its score is
        ``>= low``, the favoured group iff ``>= high``. The bounds lie halfway
        between consecutive distinct training scores (``-inf``: every score,
        ``inf``: none); ``low == high`` means an empty region, a common
        threshold.
    training_accuracy_ : float
        The (weighted) accuracy of the decisions on the training data.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if they are all strings.

    See Also
    --------
    ThresholdOptimizer : Group-specific randomized thresholds (Hardt et al.).

    Notes
    -----
    The rule is a pair of group thresholds on the training scores' ranks:
    the deprived group's ``t_D`` and the favoured group's ``t_F``, with
    ``t_D <= t_F``. Accuracy is the sum of the two groups' correct
    decisions, and each group's rates do not increase with its threshold.
    So for each ``t_D`` the ``t_F`` that meet the constraints form one
    interval, found by binary search, and the best ``t_F`` in it is a range
    maximum query on a sparse table: the exact search over all ``D**2 / 2``
    regions of ``D`` distinct scores, for both choices of the deprived group,
    costs ``O(D log D)``. Ties in scores are never split. Two groups only,
    as in the paper: merge groups to get two. The region is fitted on the
    training data, so the rates of new data are within ``tolerance`` only up
    to sampling error.

    References
    ----------
    F. Kamiran, A. Karim and X. Zhang, "Decision theory for discrimination-aware
    classification", IEEE ICDM 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.metrics import demographic_parity_difference
    >>> from skfair.postprocessing import RejectOptionClassifier
    >>> rng = np.random.default_rng(0)
    >>> group = rng.choice(["a", "b"], size=600)
    >>> X = (rng.normal(size=600) + 0.8 * (group == "b"))[:, None]
    >>> y = (X[:, 0] + rng.normal(size=600) > 0.5).astype(int)
    >>> clf = RejectOptionClassifier(LogisticRegression(), tolerance=0.02)
    >>> clf = clf.fit(X, y, sensitive_features=group)
    >>> str(clf.deprived_group_)
    'a'
    >>> y_pred = clf.predict(X, sensitive_features=group)
    >>> bool(demographic_parity_difference(y, y_pred, sensitive_features=group) <= 0.02)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["predict_proba"]),
            HasMethods(["decision_function"]),
            HasMethods(["predict"]),
        ],
        "constraints": [StrOptions(set(CONSTRAINT_RATES))],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "prefit": ["boolean"],
        "sensitive_cols": [str, Integral, "array-like", callable, None],
    }

    _check_groups_have_rates = ThresholdOptimizer._check_groups_have_rates

    def __init__(
        self,
        estimator,
        *,
        constraints="demographic_parity",
        tolerance=0.05,
        prefit=False,
        sensitive_cols=None,
    ):
        self.estimator = estimator
        self.constraints = constraints
        self.tolerance = tolerance
        self.prefit = prefit
        self.sensitive_cols = sensitive_cols

    @keep_state_on_error
    @_fit_context(
        # The wrapped estimator is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit the wrapped estimator (unless prefit) and find the critical region.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data (plus the ``sensitive_cols`` columns, if set).
        y : array-like of shape (n_samples,)
            Binary target.
        sensitive_features : array-like of shape (n_samples,), default=None
            Group labels (two groups), when ``sensitive_cols`` is not set.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the accuracy and the rates; also passed to
            the wrapped estimator's fit when it accepts them.
        **fit_params : dict
            Further parameters for the wrapped estimator's fit (metadata
            routing only).

        Returns
        -------
        self : RejectOptionClassifier
            The fitted estimator.
        """
        X_model, y01, weights, encoding = self._start_fit(
            X, y, sensitive_features, sample_weight
        )
        if encoding.n_groups != 2:
            raise ValueError(
                f"RejectOptionClassifier needs exactly two groups (deprived and "
                f"favoured); the training data has {encoding.n_groups}: "
                f"{[format_label(g) for g in encoding.groups[:10]]}. Merge groups "
                "into two, or use ThresholdOptimizer."
            )
        rates = CONSTRAINT_RATES[self.constraints]
        self._check_groups_have_rates(y01, weights, encoding, rates)
        scores = self._fit_scores(
            X, X_model, y, sample_weight, sensitive_features, fit_params
        )
        self._fit_region(scores, y01, weights, encoding.codes, rates)
        return self

    def _fit_region(self, scores, y01, weights, codes, constraint_rates):
        distinct, score_index = np.unique(scores, return_inverse=True)
        weight = np.ones(scores.size) if weights is None else weights
        tables = [
            _group_tables(score_index, distinct.size, y01, weight, codes == g)
            for g in (0, 1)
        ]
        correct = [t[0] for t in tables]
        rates = [t[1] for t in tables]
        best = None
        for deprived in (0, 1):
            value, t_d, t_f = _best_thresholds(
                correct,
                rates,
                constraint_rates,
                float(self.tolerance),
                deprived,
                1 - deprived,
            )
            if best is None or value > best[0]:
                best = (value, deprived, t_d, t_f)
        value, deprived, t_d, t_f = best
        # Threshold index t stands for the cut below distinct[t]: halfway
        # between it and the score below (-inf for t = 0, inf for t = D).
        cuts = np.concatenate(([-np.inf], (distinct[1:] + distinct[:-1]) / 2, [np.inf]))
        self.deprived_group_ = self.groups_[deprived]
        self.critical_region_ = np.array([cuts[t_d], cuts[t_f]])
        self._group_cuts = np.empty(2)
        self._group_cuts[deprived] = cuts[t_d]
        self._group_cuts[1 - deprived] = cuts[t_f]
        self.training_accuracy_ = value / weight.sum()

    def _positive(self, X, sensitive_features, method):
        codes, scores, _ = self._codes_and_scores(X, sensitive_features, method)
        return scores >= self._group_cuts[codes]

    def predict(self, X, *, sensitive_features=None):
        """Class predictions with the critical region applied.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.
        sensitive_features : array-like of shape (n_samples,), default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        positive = self._positive(X, sensitive_features, "predict")
        return self.classes_[positive.astype(np.intp)]
