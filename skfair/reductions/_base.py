"""What ExponentiatedGradient and GridSearch share: fit set-up and best responses."""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
    is_regressor,
)
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..preprocessing._reweighing import _sample_weight_key
from ..utils import (
    check_n_samples,
    check_sample_weight_1d,
    encode_fit_groups,
    resolve_sensitive_features,
)
from ..utils._binary import check_binary_target
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _num_samples,
    _raise_for_params,
    _routing_enabled,
)
from ..utils._small_cells import warn_small_cells
from ..utils._validation import (
    fit_routing,
    inner_estimator_tags,
)
from ._moments import (
    CONSTRAINT_EVENTS,
    classification_moment,
    empty_cells,
    loss_moment,
)

# Estimators whose ``warm_start=True`` starts the next fit from the previous
# solution of the same problem (a start point, nothing else). For ensembles
# (gradient boosting, forests) warm_start means "add members to the fitted
# ensemble", which is not a start point, so they are never warm-started.
_START_POINT_WARM_STARTS = (LogisticRegression, SGDClassifier, MLPClassifier)

# A new best response must beat the best known one by this much to be kept.
_PRECISION = 1e-12

_EVENT_NEEDS = {
    "all": "samples with positive weight",
    "positive": "positive samples (y == {pos!r})",
    "negative": "negative samples (y != {pos!r})",
}


def _final_step(estimator):
    """The last step of (nested) pipelines, and the parameter prefix to it."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        prefix += f"{name}__"
    return estimator, prefix


def warm_start_parameter(estimator, warm_start):
    """The parameter to set to True for warm starts, or None for none."""
    if warm_start is False:
        return None
    final, prefix = _final_step(estimator)
    has_parameter = "warm_start" in getattr(final, "get_params", dict)()
    if warm_start == "auto":
        use = has_parameter and isinstance(final, _START_POINT_WARM_STARTS)
    else:
        if not has_parameter:
            raise ValueError(
                f"warm_start=True, but {type(final).__name__} has no warm_start "
                "parameter; use warm_start='auto' or False."
            )
        use = True
    return prefix + "warm_start" if use else None


class BestResponses:
    """The cost-sensitive fits of a reduction, and what is known about each one.

    Every fitted classifier is evaluated once on the training rows; its
    training error and constraint violations are kept, so that the
    Lagrangian of any multiplier vector is a matrix product over the known
    classifiers and never a new prediction.

    Parameters
    ----------
    estimator : estimator object
        The template, cloned (or copied from the previous fit, for warm
        starts) for every fit.
    X : array-like
        The training rows as the estimator sees them.
    moment : ClassificationMoment
        Error and rates of decisions.
    fit_params : dict
        Further parameters of every fit.
    weight_key : str
        The fit keyword that takes the row weights.
    warm_parameter : str or None
        The parameter switching warm starts on, if they are used.
    """

    def __init__(
        self, estimator, X, moment, fit_params, weight_key, warm_parameter, total_weight
    ):
        self.X = X
        self.total_weight = total_weight
        self.moment = moment
        self.fit_params = fit_params
        self.weight_key = weight_key
        self.warm_parameter = warm_parameter
        self.template = clone(estimator)
        if warm_parameter is not None:
            self.template.set_params(**{warm_parameter: True})
        self.n_samples = _num_samples(X)
        self.predictors = []
        self.decisions = []
        self.errors = []
        self.violations = []
        self.lambdas = []
        self.n_fits = 0

    def fit(self, costs, start=None):
        """Fit a classifier that predicts positive where the cost is negative.

        ``start`` is a fitted classifier to warm-start from (a copy of it is
        fitted), or None. Returns the fitted classifier and its 0/1
        decisions on the training rows.
        """
        self.n_fits += 1
        if self.moment.regression:
            # The costs are the row weights of a plain weighted regression.
            return self._fit_weighted(self.moment.y, costs, start)
        labels = (costs < 0).astype(np.int64)
        weights = np.abs(costs)
        total = weights.sum()
        if labels.min() == labels.max() or total <= 0:
            # One label (or nothing to gain): the constant classifier is the
            # exact best response, and most estimators refuse one class.
            constant = int(labels[0]) if total > 0 else 0
            predictor = DummyClassifier(strategy="constant", constant=constant)
            predictor.fit(np.zeros((self.n_samples, 1)), labels)
            return predictor, np.full(self.n_samples, float(constant))
        return self._fit_weighted(labels, weights, start)

    def _fit_weighted(self, target, weights, start):
        total = weights.sum()
        # The weights sum to the total sample weight (the number of rows
        # without sample_weight), as the estimator would see the data, so
        # that its regularisation means what it means without the reduction
        # and integer sample weights act as repeated rows.
        weights = weights * (self.total_weight / total)
        if start is not None and self.warm_parameter is not None:
            predictor = copy.deepcopy(start)
        else:
            predictor = clone(self.template)
        predictor.fit(self.X, target, **{self.weight_key: weights}, **self.fit_params)
        if self.moment.regression:
            predictions = predictor_outputs(predictor, self.X, self.n_samples)
            return predictor, self.moment.losses(predictions)
        return predictor, predictor_decisions(predictor, self.X, self.n_samples)

    def add(self, predictor, decisions, lambda_vec):
        """Keep a classifier with its error and violations; return its index."""
        rates = self.moment.rates(decisions)
        self.predictors.append(predictor)
        self.decisions.append(decisions)
        self.errors.append(self.moment.error(decisions))
        self.violations.append(self.moment.violations(rates))
        self.lambdas.append(np.asarray(lambda_vec, dtype=np.float64).copy())
        return len(self.predictors) - 1

    def values(self, lambda_vec):
        """The Lagrangian of every known classifier at ``lambda_vec``."""
        return np.asarray(self.errors) + np.asarray(self.violations) @ lambda_vec

    def best(self, lambda_vec):
        """The best response to ``lambda_vec``: a new fit, kept if it is better.

        Returns
        -------
        index : int
            Index of the best known classifier at ``lambda_vec``.
        value : float
            Its Lagrangian at ``lambda_vec``.
        """
        values = self.values(lambda_vec) if self.predictors else np.empty(0)
        predictor, decisions = self.fit(
            self.moment.row_costs(lambda_vec), self._start(values)
        )
        rates = self.moment.rates(decisions)
        value = self.moment.lagrangian(
            self.moment.error(decisions), self.moment.violations(rates), lambda_vec
        )
        if values.size:
            index = int(np.argmin(values))
            if values[index] <= value - _PRECISION:
                return index, float(values[index])
        return self.add(predictor, decisions, lambda_vec), value

    def _start(self, values):
        """The known fit that is best at the new multipliers: the warm start.

        It is the known solution of the nearest problem in the sense that
        matters, closer than the last fit when the multipliers jump (the
        LP's multipliers do).
        """
        if self.warm_parameter is None:
            return None
        for index in np.argsort(values, kind="stable"):
            if not isinstance(self.predictors[index], DummyClassifier):
                return self.predictors[index]
        return None


def predictor_outputs(predictor, X, n_samples):
    """``predictor.predict(X)`` as finite floats, one per row."""
    output = np.asarray(predictor.predict(X), dtype=np.float64)
    if output.ndim == 2 and output.shape[1] == 1:
        output = output[:, 0]
    check_n_samples(output, n_samples, name="the wrapped estimator's predictions")
    if not np.isfinite(output).all():
        raise ValueError("the wrapped estimator predicted NaN or infinite values.")
    return output


def predictor_decisions(predictor, X, n_samples):
    """``predictor.predict(X)`` as 0/1 floats; it was fitted on 0/1 labels."""
    if isinstance(predictor, DummyClassifier):
        # The constant best response was fitted on a placeholder X.
        return np.full(n_samples, float(predictor.constant))
    output = np.asarray(predictor.predict(X))
    if output.ndim == 2 and output.shape[1] == 1:
        output = output[:, 0]
    check_n_samples(output, n_samples, name="the wrapped estimator's predictions")
    positive = output == 1
    if not (positive | (output == 0)).all():
        raise ValueError(
            "the wrapped estimator was fitted on 0/1 labels and must predict "
            "0 or 1; it predicted other values (is it a classifier?)."
        )
    return positive.astype(np.float64)


class ReductionBase(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit set-up, routing and tags of the reductions (binary classification)."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "constraints": [StrOptions(set(CONSTRAINT_EVENTS))],
        "sensitive_cols": [str, Integral, "array-like", callable, None],
        "warm_start": ["boolean", StrOptions({"auto"})],
    }

    _tolerance_constraint = {"tolerance": [Interval(Real, 0, None, closed="left")]}

    def _prepare(self, X, y, sensitive_features, sample_weight, fit_params, tolerance):
        """Resolve the groups, check the targets; return the oracle and moment."""
        X_model, raw_groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method="fit",
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        n_samples = _num_samples(X)
        regression = self.constraints == "bounded_group_loss"
        if regression:
            y01 = self._check_regression_target(y, n_samples)
        else:
            y01, self.classes_ = self._check_targets(y, n_samples)
        weights = check_sample_weight_1d(sample_weight, n_samples)
        weights = np.ones(n_samples) if weights is None else weights
        if weights.sum() <= 0:
            raise ValueError("sample_weight sums to zero; no row has weight.")
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        self.groups_ = encoding.groups
        warn_small_cells(
            encoding.codes,
            encoding.groups,
            None if regression else y01,  # a regression target has no cells
            None if regression else self.classes_,
            owner=type(self).__name__,
            constraints=self.constraints,
        )
        n_groups = len(encoding.groups)
        if regression:
            self._check_group_weights(weights, encoding.codes, n_groups)
            moment = loss_moment(
                y01, weights, encoding.codes, n_groups, tolerance, self.loss
            )
        else:
            self._check_cells(y01, weights, encoding.codes, n_groups)
            moment = classification_moment(
                self.constraints, y01, weights, encoding.codes, n_groups, tolerance
            )
        estimator_params = self._estimator_fit_params(fit_params)
        if _routing_enabled() and isinstance(self.estimator, Pipeline):
            weight_key = "sample_weight"  # routed by the Pipeline to its steps
        else:
            weight_key = _sample_weight_key(self.estimator, type(self).__name__)
        oracle = BestResponses(
            self.estimator,
            X_model,
            moment,
            estimator_params,
            weight_key,
            warm_start_parameter(self.estimator, self.warm_start),
            float(weights.sum()),
        )
        return oracle, moment, y01, weights

    def _check_targets(self, y, n_samples):
        if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            # The wrapped estimator never sees y, so warn here as it would.
            y = column_or_1d(y, warn=True)  # a DataConversionWarning
        return check_binary_target(y, n_samples, type(self).__name__)

    def _check_regression_target(self, y, n_samples):
        if not is_regressor(self.estimator):
            raise ValueError(
                "constraints='bounded_group_loss' is for regression: the "
                f"estimator must be a regressor; {type(self.estimator).__name__} "
                "is not."
            )
        y = column_or_1d(y, warn=True)
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        check_n_samples(y, n_samples, name="y")
        return y

    def _check_group_weights(self, weights, codes, n_groups):
        per_group = np.bincount(codes, weights=weights, minlength=n_groups)
        empty = np.flatnonzero(per_group <= 0)
        if empty.size:
            raise ValueError(
                f"Group {format_label(self.groups_[empty[0]])} has no samples "
                "with positive weight, so its mean loss is undefined."
            )

    def _check_cells(self, y01, weights, codes, n_groups):
        """Every constrained rate must exist in every group."""
        missing = empty_cells(self.constraints, y01, weights, codes, n_groups)
        if missing:
            event, g = missing[0]
            pos = self.classes_[1]
            pos = pos.item() if isinstance(pos, np.generic) else pos
            raise ValueError(
                f"Group {format_label(self.groups_[g])} has no "
                f"{_EVENT_NEEDS[event].format(pos=pos)} in the training data, so "
                f"a rate that constraints={self.constraints!r} bounds is "
                "undefined for it. Merge or drop the group, or choose a "
                "constraint that does not need this rate."
            )

    def _estimator_fit_params(self, fit_params):
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
            params = dict(routed.estimator.fit)
            params.pop("sample_weight", None)  # the reduction sets the weights
            return params
        _raise_for_params(fit_params, self, "fit")
        return {}

    def _model_input(self, X, method):
        """``X`` as the wrapped predictors see it (without sensitive columns)."""
        check_is_fitted(self)
        X_model, _ = resolve_sensitive_features(
            X, sensitive_cols=self.sensitive_cols, required=False, method=method
        )
        validate_data(self, X, skip_check_array=True, reset=False)
        return X_model

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``sample_weight`` and ``sensitive_features`` given to :meth:`fit` are
        used by this estimator: the wrapped estimator always receives the
        reduction's own row weights (which include ``sample_weight``). Other
        fit parameters are routed to the wrapped estimator's ``fit``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter` with the
            routing information.
        """
        return fit_routing(self, self.estimator)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = (
            self.sensitive_cols is None
            and inner_estimator_tags(self.estimator).input_tags.sparse
        )
        return tags


def mixture_probability(predictors, weights, X, n_samples):
    """Probability of a positive decision of the mixture, row by row."""
    p = np.zeros(n_samples)
    for predictor, weight in zip(predictors, weights, strict=True):
        if weight > 0:
            p += weight * predictor_decisions(predictor, X, n_samples)
    # Weights that sum to 1 may overshoot by an ulp.
    return np.clip(p, 0.0, 1.0)
