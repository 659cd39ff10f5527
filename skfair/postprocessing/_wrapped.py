"""What the post-processors that wrap a model share: fitting it, and the seed.

Both :class:`ThresholdOptimizer` and :class:`BarycenterRegressor` fit a clone
of a wrapped estimator (or use a prefit one) on ``X`` without the sensitive
columns, route fit metadata to it, and draw randomized outputs from a hash
of each row and a per-call seed.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.metadata_routing import (
    process_routing,
)
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ..utils import encode_known_groups, resolve_sensitive_features
from ..utils._randomized import prediction_seed
from ..utils._sklearn_compat import _raise_for_params, _routing_enabled
from ..utils._validation import fit_routing, inner_estimator_tags


def weight_fit_params(estimator, sample_weight, role, weighted_part):
    """``{"sample_weight": w}`` if ``estimator.fit`` takes it, else ``{}``, warned.

    ``role`` names the estimator in the warning ("estimator",
    "group_estimator"); ``weighted_part`` says what still uses the weights.
    """
    if sample_weight is None:
        return {}
    if has_fit_parameter(estimator, "sample_weight"):
        return {"sample_weight": sample_weight}
    warnings.warn(
        f"{type(estimator).__name__}.fit does not accept sample_weight; the "
        f"{role} is fitted without weights ({weighted_part} still use them).",
        UserWarning,
    )
    return {}


class WrappedEstimatorMixin:
    """Fit (or check) the wrapped ``estimator``; the seed of randomized outputs."""

    # What still uses sample_weight when the wrapped estimator cannot.
    _weighted_part = "the fitted rules"

    def _fit_estimator(self, X, X_model, y, sample_weight, sensitive_features, params):
        if self.prefit:
            if params:
                raise ValueError(
                    "prefit=True: the estimator is not refitted, so fit "
                    f"parameters {sorted(params)} would be ignored."
                )
            self._check_prefit_estimator(X, X_model)
            return self.estimator
        if not hasattr(self.estimator, "fit"):
            raise ValueError(
                f"estimator {self.estimator!r} has no fit method; fit it first "
                "and pass prefit=True."
            )
        if _routing_enabled():
            metadata = {"sample_weight": sample_weight}
            metadata["sensitive_features"] = sensitive_features
            metadata = {k: v for k, v in metadata.items() if v is not None}
            routed = process_routing(self, "fit", **metadata, **params)
            fit_params = routed.estimator.fit
        else:
            _raise_for_params(params, self, "fit")
            fit_params = weight_fit_params(
                self.estimator, sample_weight, "estimator", self._weighted_part
            )
        return clone(self.estimator).fit(X_model, y, **fit_params)

    def _check_prefit_estimator(self, X, X_model):
        """A prefit estimator must be fitted, on X without the sensitive columns."""
        try:
            check_is_fitted(self.estimator)
        except NotFittedError as exc:
            name = type(self).__name__
            raise NotFittedError(
                f"{exc} {name} has prefit=True, so its estimator "
                f"must be fitted. If this {name} was cloned (by "
                "GridSearchCV, cross_val_score or clone), the clone holds an "
                "unfitted copy of the estimator: wrap the fitted estimator in "
                "sklearn.frozen.FrozenEstimator and "
                f"leave prefit=False, i.e. {name}(FrozenEstimator("
                "fitted_model)), which clones to the fitted model."
            ) from exc
        if self.sensitive_cols is None or callable(self.sensitive_cols):
            return  # X is passed to the estimator as it is
        n_columns = X.shape[1] if hasattr(X, "shape") else len(X[0])
        expected = getattr(self.estimator, "feature_names_in_", None)
        if hasattr(X, "columns"):
            kept = set(X_model.columns)
            sensitive = [col for col in X.columns if col not in kept]
        else:
            sensitive = np.atleast_1d(self.sensitive_cols).tolist()
        if expected is not None and hasattr(X, "columns"):
            clash = [col for col in sensitive if col in set(expected)]
        else:
            n_expected = getattr(self.estimator, "n_features_in_", None)
            clash = sensitive if n_expected == n_columns else []
        if clash:
            raise ValueError(
                "The prefit estimator was trained with the sensitive column(s) "
                f"{list(clash)} as features, but skfair removed them from X "
                "before calling it: columns named by sensitive_cols are group "
                "labels, not features, so the wrapped estimator sees X without "
                f"them ({X_model.shape[1]} of {n_columns} columns). Refit the "
                "model on X without these columns, or give it a copy of the "
                "column under another name (e.g. X['sex_feature'] = X['sex']), "
                "which stays in X."
            )

    def _prediction_seed(self):
        """The seed of one call to predict: the int itself, else a fresh draw."""
        return prediction_seed(self.random_state)

    def _model_input_and_groups(self, X, sensitive_features, method):
        """``X`` as the wrapped model sees it, and the code of each row's group.

        A group not seen in fit is a ValueError naming it.
        """
        X_model, raw_groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method=method,
        )
        validate_data(self, X, skip_check_array=True, reset=False)
        return X_model, encode_known_groups(raw_groups, self.groups_)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``sample_weight`` and ``sensitive_features`` given to :meth:`fit` are
        used by this estimator and also routed to the wrapped estimator's
        ``fit`` if it requests them; other fit parameters go to the wrapped
        estimator's ``fit`` only.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter` with the
            routing information.
        """
        return fit_routing(self, self.estimator)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A row's randomized output is a function of the row and the seed:
        # fixed for an int random_state, a fresh seed per call otherwise.
        tags.non_deterministic = not isinstance(self.random_state, Integral)
        tags.input_tags.sparse = (
            self.sensitive_cols is None
            and inner_estimator_tags(self.estimator).input_tags.sparse
        )
        return tags
