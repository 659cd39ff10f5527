"""Plumbing shared by the binary post-processors that wrap a scoring model."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import (
    check_n_samples,
    check_sample_weight_1d,
    encode_known_groups,
    resolve_sensitive_features,
)
from ..utils._binary import prepare_binary_fit
from ..utils._sklearn_compat import _num_samples
from ..utils._validation import inner_estimator_tags
from ._threshold_optimizer import ThresholdOptimizer


class BinaryPostProcessor(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Base of RejectOptionClassifier and CalibratedEqualizedOdds.

    Subclasses have the parameters ``estimator``, ``prefit`` and
    ``sensitive_cols``; their ``fit`` calls :meth:`_start_fit` and
    :meth:`_fit_scores`, their prediction methods :meth:`_codes_and_scores`.
    """

    # Shared with ThresholdOptimizer: fitting (or checking) the wrapped model,
    # reading its scores, and routing metadata to the wrapped model's fit.
    _fit_estimator = ThresholdOptimizer._fit_estimator
    _check_prefit_estimator = ThresholdOptimizer._check_prefit_estimator
    _find_score_method = ThresholdOptimizer._find_score_method
    _scores = ThresholdOptimizer._scores
    _positive_column = ThresholdOptimizer._positive_column
    get_metadata_routing = ThresholdOptimizer.get_metadata_routing
    # What still uses the weights when the wrapped fit cannot (_fit_estimator).
    _weighted_part = "the fitted rules"

    def _start_fit(self, X, y, sensitive_features, sample_weight):
        """Apply the sensitive-feature rule; check y, the weights and the groups.

        Sets ``classes_`` and ``groups_``. Returns ``X`` for the model, ``y``
        as 0/1, the weights (or None) and the groups' encoding.
        """
        return prepare_binary_fit(self, X, y, sensitive_features, sample_weight)

    def _fit_scores(self, X, X_model, y, sample_weight, sensitive_features, params):
        """Fit (or check) the wrapped model; its scores of the training rows."""
        self.estimator_ = self._fit_estimator(
            X, X_model, y, sample_weight, sensitive_features, params
        )
        self.score_method_ = self._find_score_method()
        scores = self._scores(X_model)
        check_n_samples(scores, _num_samples(X), name="the wrapped estimator's scores")
        return scores

    def _codes_and_scores(self, X, sensitive_features, method):
        """The rows' group codes, the model's scores, and ``X`` for the model."""
        check_is_fitted(self)
        X_model, raw_groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method=method,
        )
        validate_data(self, X, skip_check_array=True, reset=False)
        codes = encode_known_groups(raw_groups, self.groups_)
        scores = self._scores(X_model)
        check_n_samples(scores, _num_samples(X), name="the wrapped estimator's scores")
        return codes, scores, X_model

    def score(self, X, y, sample_weight=None, *, sensitive_features=None):
        """Accuracy of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        Returns
        -------
        score : float
            Weighted accuracy.
        """
        y_pred = self.predict(X, sensitive_features=sensitive_features)
        y_true = np.asarray(y)
        check_n_samples(y_true, y_pred.size, name="y")
        weights = check_sample_weight_1d(sample_weight, y_pred.size)
        return float(np.average(y_pred == y_true.reshape(-1), weights=weights))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = (
            self.sensitive_cols is None
            and inner_estimator_tags(self.estimator).input_tags.sparse
        )
        return tags
