"""Calibrated equalized odds (Pleiss et al., 2017)."""

import warnings
from numbers import Integral

import numpy as np

from ..utils._row_hash import row_uniforms
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import (
    HasMethods,
    StrOptions,
    _fit_context,
)
from ..utils._validation import (
    keep_state_on_error,
)
from ._binary_base import BinaryPostProcessor
from ._threshold_optimizer import ThresholdOptimizer

__all__ = ["CalibratedEqualizedOdds"]

# Which labels each cost needs in every group: the generalized false positive
# rate is a mean over negatives, the false negative rate over positives.
_NEEDS = {"fpr": (0,), "fnr": (1,), "weighted": (0, 1)}
_COST_NAMES = {
    "fpr": "generalized false positive rate",
    "fnr": "generalized false negative rate",
    "weighted": "weighted generalized error rate",
}


def _group_costs(scores, y01, weight, codes, n_groups, cost_constraint):
    """Each group's base rate, cost, and the cost of its trivial classifier.

    The trivial classifier of a group gives every row the group's base rate
    ``mu``: its generalized false positive rate is ``mu`` and its generalized
    false negative rate ``1 - mu``.
    """

    def group_sum(values):
        return np.bincount(codes, weights=weight * values, minlength=n_groups)

    total, n_pos = group_sum(np.ones_like(scores)), group_sum(y01)
    n_neg = total - n_pos
    base_rate = n_pos / total
    with np.errstate(invalid="ignore", divide="ignore"):
        gfpr = group_sum(scores * (1 - y01)) / n_neg
        gfnr = group_sum((1 - scores) * y01) / n_pos
    if cost_constraint == "fpr":
        return base_rate, gfpr, base_rate
    if cost_constraint == "fnr":
        return base_rate, gfnr, 1 - base_rate
    # As in Pleiss et al. and AIF360: each rate weighted by its class's share
    # in the group, the two weights normalised to sum to one.
    cost = (gfpr * (1 - base_rate) + gfnr * base_rate) / 2
    trivial = (base_rate * (1 - base_rate) + (1 - base_rate) * base_rate) / 2
    return base_rate, cost, trivial


class CalibratedEqualizedOdds(BinaryPostProcessor):
    """Equalize a generalized error rate across groups, keeping calibration.

    Post-processing of Pleiss et al. (2017). The wrapped estimator's
    probabilities are assumed calibrated within each group. The group with
    the highest cost (generalized false negative rate, false positive rate,
    or their weighted sum, on the training data) keeps its probabilities;
    in every other group, a share ``mix_rates_[g]`` of the rows, chosen at
    random, gets the group's base rate instead of its probability. That
    trivial score is calibrated too, and the share is the one that raises
    the group's cost to the highest cost, so the groups' costs are equal and
    the scores stay calibrated. Decisions are positive iff the score is
    above 0.5.

    Parameters
    ----------
    estimator : estimator object
        The calibrated scoring model, with ``predict_proba``.
    cost_constraint : {"fnr", "fpr", "weighted"}, default="fnr"
        The cost equalized: the generalized false negative rate (mean of
        ``1 - p`` over the positives), the generalized false positive rate
        (mean of ``p`` over the negatives), or their sum weighted by the
        group's base rate ``mu``, ``(gfpr * (1 - mu) + gfnr * mu) / 2``.
    prefit : bool, default=False
        Whether ``estimator`` is already fitted (on ``X`` without the
        ``sensitive_cols`` columns); otherwise a clone is fitted in
        :meth:`fit`. The paper fits the mix rates on held-out data: fit the
        model elsewhere and pass ``prefit=True``.
    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups. They are
        removed from ``X`` before the wrapped estimator sees it. If None,
        pass ``sensitive_features=`` to :meth:`fit` and the prediction
        methods. Or a callable X -> groups.
    random_state : int, RandomState instance or None, default=None
        Seeds which rows get the trivial score: a function of each row and
        the seed (as in :class:`ThresholdOptimizer`), so an int gives every
        row the same score on every call and in any batch. With a
        ``RandomState`` instance or None each call draws a fresh seed.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted wrapped estimator (``estimator`` itself if ``prefit``).
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit, sorted.
    base_rates_ : ndarray of shape (n_groups,)
        Each group's (weighted) share of positives: its trivial score.
    costs_ : ndarray of shape (n_groups,)
        Each group's cost on the training data before mixing.
    mix_rates_ : ndarray of shape (n_groups,)
        The share of each group's rows that get the trivial score; 0 for the
        group of the highest cost.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if they are all strings.

    See Also
    --------
    ThresholdOptimizer : Exact equalized odds, without calibration.

    Notes
    -----
    With two groups this is the method of the paper and of AIF360's
    ``CalibratedEqOddsPostprocessing`` (their mix rates agree to rounding).
    With more groups, every group is mixed up to the highest cost. A group
    whose trivial classifier costs less than that cannot reach it; its mix
    rate is then 1 and a ``UserWarning`` names it. Equalizing one
    generalized rate is what calibration allows: equalizing both false
    positive and false negative rates with calibrated scores is impossible
    in general.

    References
    ----------
    G. Pleiss, M. Raghavan, F. Wu, J. Kleinberg and K. Q. Weinberger, "On
    Fairness and Calibration", Advances in Neural Information Processing
    Systems 30, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.postprocessing import CalibratedEqualizedOdds
    >>> rng = np.random.default_rng(0)
    >>> group = rng.choice(["a", "b"], size=1000)
    >>> X = (rng.normal(size=1000) + 0.3 * (group == "b"))[:, None]
    >>> y = (X[:, 0] + rng.normal(size=1000) > 0.5).astype(int)
    >>> ceo = CalibratedEqualizedOdds(LogisticRegression(), random_state=0)
    >>> ceo = ceo.fit(X, y, sensitive_features=group)
    >>> ceo.costs_.round(3)  # generalized false negative rates
    array([0.453, 0.391])
    >>> ceo.mix_rates_.round(3)  # group "b" is raised to group "a"'s
    array([0.   , 0.383])
    >>> ceo.predict(X[:4], sensitive_features=group[:4])
    array([1, 0, 0, 0])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict_proba"])],
        "cost_constraint": [StrOptions(set(_NEEDS))],
        "prefit": ["boolean"],
        "sensitive_cols": [str, Integral, "array-like", callable, None],
        "random_state": ["random_state"],
    }

    _prediction_seed = ThresholdOptimizer._prediction_seed

    def __init__(
        self,
        estimator,
        *,
        cost_constraint="fnr",
        prefit=False,
        sensitive_cols=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.cost_constraint = cost_constraint
        self.prefit = prefit
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    @keep_state_on_error
    @_fit_context(
        # The wrapped estimator is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit the wrapped estimator (unless prefit) and the groups' mix rates.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data (plus the ``sensitive_cols`` columns, if set).
        y : array-like of shape (n_samples,)
            Binary target.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is not set.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the base rates and costs; also passed to
            the wrapped estimator's fit when it accepts them.
        **fit_params : dict
            Further parameters for the wrapped estimator's fit (metadata
            routing only).

        Returns
        -------
        self : CalibratedEqualizedOdds
            The fitted estimator.
        """
        X_model, y01, weights, encoding = self._start_fit(
            X, y, sensitive_features, sample_weight
        )
        weight = np.ones(y01.size) if weights is None else weights
        self._check_groups_have_labels(y01, weight, encoding)
        scores = self._fit_scores(
            X, X_model, y, sample_weight, sensitive_features, fit_params
        )
        base_rate, cost, trivial = _group_costs(
            scores, y01, weight, encoding.codes, encoding.n_groups, self.cost_constraint
        )
        target = cost.max()
        with np.errstate(invalid="ignore", divide="ignore"):
            mix = np.where(cost < target, (target - cost) / (trivial - cost), 0.0)
        unreachable = np.flatnonzero((cost < target) & ~(trivial >= target))
        if unreachable.size:
            warnings.warn(
                "The trivial classifier (the base rate for every row) of group "
                f"{format_label(self.groups_[unreachable[0]])} has a "
                f"{_COST_NAMES[self.cost_constraint]} of "
                f"{trivial[unreachable[0]]:.4g}, less than the highest group's "
                f"{target:.4g}: mixing cannot equalize it, so its mix rate is set "
                "to 1.",
                UserWarning,
            )
        self.base_rates_ = base_rate
        self.costs_ = cost
        # Unreachable: as near as mixing gets, all rows trivial.
        mix[unreachable] = 1.0
        self.mix_rates_ = np.clip(mix, 0.0, 1.0)
        return self

    def _check_groups_have_labels(self, y01, weight, encoding):
        for label in _NEEDS[self.cost_constraint]:
            present = np.bincount(
                encoding.codes,
                weights=weight * (y01 == label),
                minlength=encoding.n_groups,
            )
            missing = np.flatnonzero(~(present > 0))
            if missing.size:
                kind = "positive" if label == 1 else "negative"
                raise ValueError(
                    f"Group {format_label(encoding.groups[missing[0]])} has no "
                    f"{kind} samples (y == {format_label(self.classes_[label])}) "
                    f"in the training data, so its {_COST_NAMES[self.cost_constraint]} "
                    "is undefined. Merge or drop the group, or choose another "
                    "cost_constraint."
                )

    def _mixed_scores(self, X, sensitive_features, method):
        """Each row's score: its probability, or its group's base rate."""
        codes, scores, X_model = self._codes_and_scores(X, sensitive_features, method)
        mix = self.mix_rates_[codes]
        if not mix.any():
            return scores
        # A row's draw is a function of the row as the model sees it and the
        # seed, never of its position in the batch.
        trivial = row_uniforms(X_model, self._prediction_seed()) < mix
        return np.where(trivial, self.base_rates_[codes], scores)

    def predict_proba(self, X, *, sensitive_features=None):
        """Calibrated probabilities after mixing.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.
        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Column 1 is the row's score (its probability from the wrapped
            estimator, or its group's base rate for the mixed rows).
        """
        p = self._mixed_scores(X, sensitive_features, "predict_proba")
        return np.column_stack([1.0 - p, p])

    def predict(self, X, *, sensitive_features=None):
        """Decisions: positive iff the mixed score is above 0.5.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.
        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        p = self._mixed_scores(X, sensitive_features, "predict")
        return self.classes_[(p > 0.5).astype(np.intp)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = not isinstance(self.random_state, Integral)
        return tags
