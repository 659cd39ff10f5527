"""BarycenterRegressor: demographic parity for regression by Wasserstein barycenters."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils import (
    check_n_samples,
    check_sample_weight_1d,
    encode_fit_groups,
    resolve_sensitive_features,
)
from ..utils._row_hash import row_uniforms
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    _fit_context,
    _num_samples,
)
from ..utils._small_cells import warn_small_cells
from ..utils._validation import keep_state_on_error
from ._wrapped import WrappedEstimatorMixin


class BarycenterRegressor(
    WrappedEstimatorMixin, RegressorMixin, MetaEstimatorMixin, BaseEstimator
):
    """Demographic parity for regression by Wasserstein-barycenter post-processing.

    The wrapped regressor's prediction ``s`` for a row of group ``g`` is
    mapped through the group's own CDF ``F_g`` (of the training predictions)
    to a level ``u = F_g(s)``, and then to the weighted barycenter of the
    groups' prediction distributions, whose quantile function is
    ``Q(u) = sum_h p_h Q_h(u)`` (``p_h``: the group's share of the training
    weight, ``Q_h``: its quantile function). Every group's fair predictions
    then follow the same distribution, the barycenter, which among all
    distributions common to the groups is the closest to the original
    predictions in mean squared (Wasserstein-2) distance (Chzhen et al. 2020,
    Le Gouic et al. 2020). ``repair_level`` interpolates between the model's
    prediction and the fair one.

    Parameters
    ----------
    estimator : estimator object
        The regressor whose ``predict`` is post-processed.

    repair_level : float, default=1.0
        ``lambda`` in [0, 1]: the prediction is ``(1 - lambda) * s + lambda *
        Q(u)``. 0 keeps the model's predictions, 1 gives equal distributions
        of predictions across groups (on the training data, exactly).

    prefit : bool, default=False
        Whether ``estimator`` is already fitted. If True it is used as it is
        (fitted on ``X`` without the ``sensitive_cols`` columns when those
        are used); otherwise a clone is fitted in :meth:`fit`. Inside
        ``GridSearchCV``, wrap a fitted model in
        :class:`~sklearn.frozen.FrozenEstimator` instead.

    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups (removed
        from ``X`` before the wrapped estimator sees it), or a callable
        X -> groups. If None, :meth:`fit`, :meth:`predict` and :meth:`score`
        take the groups as ``sensitive_features=``.

    random_state : int, RandomState instance or None, default=None
        Seeds the draws that split ties (see Notes): a function of each row
        and the seed. An int gives every row the same prediction on every
        call; a ``RandomState`` instance or None draws a fresh seed per call.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted wrapped estimator (``estimator`` itself if ``prefit``).

    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit, sorted.

    group_weights_ : ndarray of shape (n_groups,)
        Each group's share ``p_g`` of the training weight.

    group_values_ : list of ndarray
        For each group, the sorted distinct training predictions.

    group_cdfs_ : list of ndarray
        For each group, its CDF ``F_g`` at each of ``group_values_[g]``.

    quantile_levels_ : ndarray of shape (n_levels,)
        Increasing levels in (0, 1], ending at 1: the union of the groups'
        CDF values.

    barycenter_quantiles_ : ndarray of shape (n_levels,)
        The barycenter's quantile function: ``Q(u) =
        barycenter_quantiles_[j]`` for ``u`` in ``(quantile_levels_[j - 1],
        quantile_levels_[j]]``.

    n_features_in_ : int
        Number of columns of ``X`` seen in fit (sensitive columns included).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if it had string column names.

    See Also
    --------
    skfair.preprocessing.DisparateImpactRemover : The same quantile repair,
        applied to the features instead of the predictions.
    skfair.metrics.ks_distance_between_groups : How far apart the groups'
        prediction distributions are.

    Notes
    -----
    The training predictions define each group's empirical, weighted CDF
    ``F_g`` and quantile function ``Q_g(u) = min{s : F_g(s) >= u}``. The
    barycenter's quantile function is their ``p``-weighted average, a step
    function with a step at every group's CDF value.

    Ties are split exactly, as in the randomized probability integral
    transform: a prediction ``s`` that group ``g`` had in training, where
    ``F_g`` jumps from ``F_g(s-)`` to ``F_g(s)``, gets the level ``u =
    F_g(s-) + v (F_g(s) - F_g(s-))`` with ``v`` uniform in [0, 1). On the
    training data ``u`` is then exactly uniform within each group, so every
    group's repaired predictions (at ``repair_level=1``) follow the
    barycenter exactly, however many ties the model's predictions have. A
    prediction not seen in training gets ``u = F_g(s)``, with no draw (a
    prediction within a relative 1e-9 of one seen in training counts as
    seen, so that last-bit differences of the model's output between
    batches change nothing). As in
    :class:`ThresholdOptimizer`, ``v`` is a hash of the row (as the wrapped
    model sees it) and the seed, so a row's prediction never depends on the
    batch it comes in.

    The groups are needed at prediction time; a group not seen in fit is an
    error, since it has no CDF.

    References
    ----------
    E. Chzhen, C. Denis, M. Hebiri, L. Oneto and M. Pontil, "Fair Regression
    with Wasserstein Barycenters", Advances in Neural Information Processing
    Systems 33, 2020.

    T. Le Gouic, J.-M. Loubes and P. Rigollet, "Projection to Fairness in
    Statistical Learning", arXiv:2005.11720, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skfair.postprocessing import BarycenterRegressor
    >>> rng = np.random.RandomState(0)
    >>> group = rng.choice(["a", "b"], size=500)
    >>> X = rng.normal(size=(500, 1)) + 1.0 * (group == "b")[:, None]
    >>> y = 2 * X[:, 0] + rng.normal(size=500)
    >>> fair = BarycenterRegressor(LinearRegression(), random_state=0)
    >>> fair = fair.fit(X, y, sensitive_features=group)
    >>> pred = fair.predict(X, sensitive_features=group)
    >>> [round(float(pred[group == g].mean()), 2) for g in "ab"]
    [0.87, 0.87]
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "repair_level": [Interval(Real, 0, 1, closed="both")],
        "prefit": ["boolean"],
        "sensitive_cols": [str, Integral, "array-like", callable, None],
        "random_state": ["random_state"],
    }

    _weighted_part = "the group distributions"

    def __init__(
        self,
        estimator,
        *,
        repair_level=1.0,
        prefit=False,
        sensitive_cols=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.repair_level = repair_level
        self.prefit = prefit
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    @keep_state_on_error
    @_fit_context(
        # The wrapped estimator is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit the wrapped regressor (unless prefit) and the groups' distributions.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data (plus the ``sensitive_cols`` columns, if set).

        y : array-like of shape (n_samples,)
            Real-valued target.

        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, n_sensitive), default=None
            Group labels, when ``sensitive_cols`` is not set.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the groups' distributions and shares; also
            passed to the wrapped estimator's fit when it accepts them.

        **fit_params : dict
            Further parameters for the wrapped estimator's fit; only with
            metadata routing enabled.

        Returns
        -------
        self : BarycenterRegressor
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
        y_arr = column_or_1d(y, dtype=np.float64, warn=True)
        check_n_samples(y_arr, n_samples, name="y")
        if not np.isfinite(y_arr).all():
            raise ValueError("y contains NaN or infinity.")
        weights = check_sample_weight_1d(sample_weight, n_samples)
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        warn_small_cells(encoding.codes, encoding.groups, owner=type(self).__name__)
        self.groups_ = encoding.groups
        w = np.ones(n_samples) if weights is None else weights
        if n_samples and not w.sum() > 0:
            # Before the wrapped model, whose error for this differs between
            # scikit-learn versions (1.8.0's Ridge raises ZeroDivisionError).
            raise ValueError(
                "sample_weight sums to zero; BarycenterRegressor has no row to fit."
            )
        group_weight = np.bincount(
            encoding.codes, weights=w, minlength=len(self.groups_)
        )
        # The wrapped model validates X first (empty data, one row, ...).
        self.estimator_ = self._fit_estimator(
            X, X_model, y, sample_weight, sensitive_features, fit_params
        )
        self._check_groups(group_weight, n_samples)
        pred = self._model_predictions(X_model, n_samples)
        self.group_weights_ = group_weight / group_weight.sum()
        self.group_values_, self.group_cdfs_ = [], []
        for g in range(len(self.groups_)):
            rows = (encoding.codes == g) & (w > 0)
            values, cdf = _weighted_cdf(pred[rows], w[rows])
            self.group_values_.append(values)
            self.group_cdfs_.append(cdf)
        self.quantile_levels_, self.barycenter_quantiles_ = _barycenter(
            self.group_values_, self.group_cdfs_, self.group_weights_
        )
        return self

    def _check_groups(self, group_weight, n_samples):
        empty = np.flatnonzero(group_weight <= 0)
        if empty.size:
            raise ValueError(
                f"Group {format_label(self.groups_[empty[0]])} has zero total "
                "sample_weight, so its distribution of predictions is undefined."
            )

    def _model_predictions(self, X_model, n_samples):
        pred = np.asarray(self.estimator_.predict(X_model))
        if pred.ndim == 2 and pred.shape[1] == 1:
            pred = pred[:, 0]
        if pred.ndim != 1:
            raise ValueError(
                "the wrapped estimator's predict must return one value per row; "
                f"got shape {pred.shape}."
            )
        check_n_samples(pred, n_samples, name="the wrapped estimator's predictions")
        pred = pred.astype(np.float64)
        if not np.isfinite(pred).all():
            raise ValueError(
                "the wrapped estimator's predict returned NaN or infinite values."
            )
        return pred

    def _levels(self, pred, codes, X_model):
        """Each row's level ``u`` in its group's CDF, ties split by a row hash."""
        lower = np.zeros(pred.size)
        upper = np.zeros(pred.size)
        for g, (values, cdf) in enumerate(
            zip(self.group_values_, self.group_cdfs_, strict=True)
        ):
            rows = np.flatnonzero(codes == g)
            s = _snap_to_values(pred[rows], values)
            cdf0 = np.concatenate(([0.0], cdf))
            lower[rows] = cdf0[np.searchsorted(values, s, side="left")]
            upper[rows] = cdf0[np.searchsorted(values, s, side="right")]
        tied = upper > lower
        if tied.any():
            v = row_uniforms(X_model, self._prediction_seed())
            lower[tied] += v[tied] * (upper[tied] - lower[tied])
        return lower

    def predict(self, X, *, sensitive_features=None):
        """Fair predictions: each row's prediction moved to the barycenter.

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
            ``(1 - repair_level) * s + repair_level * Q(u)``, for the model's
            prediction ``s`` and its level ``u`` in the group's CDF.
        """
        check_is_fitted(self)
        X_model, codes = self._model_input_and_groups(X, sensitive_features, "predict")
        n_samples = _num_samples(X)
        pred = self._model_predictions(X_model, n_samples)
        level = self.repair_level
        if level == 0:
            return pred
        u = self._levels(pred, codes, X_model)
        # Q(u) is the value of the first level >= u; u = 0 (below every
        # training prediction of the group) gets the barycenter's minimum.
        index = np.searchsorted(self.quantile_levels_, u, side="left")
        fair = self.barycenter_quantiles_[
            np.minimum(index, self.quantile_levels_.size - 1)
        ]
        return (1.0 - level) * pred + level * fair

    def score(self, X, y, sample_weight=None, *, sensitive_features=None):
        """R^2 of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples.

        y : array-like of shape (n_samples,)
            True values.

        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        score : float
            Coefficient of determination of the fair predictions.
        """
        pred = self.predict(X, sensitive_features=sensitive_features)
        return float(r2_score(y, pred, sample_weight=sample_weight))


# Predictions this close (relatively) to a training prediction are that
# prediction: the same model on the same row can differ in the last bits
# between batches (BLAS blocking), which must not decide whether a tie is
# split.
_SNAP_RTOL = 1e-9


def _snap_to_values(pred, values):
    """``pred`` with entries within ``_SNAP_RTOL`` of a training value set to it."""
    tolerance = _SNAP_RTOL * max(np.abs(values).max(), np.finfo(np.float64).tiny)
    right = np.minimum(np.searchsorted(values, pred), values.size - 1)
    left = np.maximum(right - 1, 0)
    nearest = np.where(
        np.abs(values[left] - pred) < np.abs(values[right] - pred),
        values[left],
        values[right],
    )
    return np.where(np.abs(nearest - pred) <= tolerance, nearest, pred)


def _weighted_cdf(pred, weights):
    """Sorted distinct values and the weighted CDF at each (last value: 1)."""
    values, inverse = np.unique(pred, return_inverse=True)
    mass = np.bincount(inverse.ravel(), weights=weights, minlength=values.size)
    cdf = np.cumsum(mass) / mass.sum()
    cdf[-1] = 1.0  # exactly, so that every level u <= 1 has a quantile
    return values, cdf


def _barycenter(group_values, group_cdfs, group_weights):
    """The p-weighted average of the groups' quantile functions, as steps.

    Returns the increasing levels (the union of the groups' CDF values) and
    the barycenter's quantile on each interval ``(levels[j-1], levels[j]]``,
    where every group's quantile function is constant.
    """
    levels = np.unique(np.concatenate(group_cdfs))
    quantiles = np.zeros(levels.size)
    for values, cdf, p in zip(group_values, group_cdfs, group_weights, strict=True):
        # Q_g(u) = values[first i with cdf[i] >= u]
        index = np.minimum(np.searchsorted(cdf, levels, side="left"), values.size - 1)
        quantiles += p * values[index]
    return levels, quantiles
