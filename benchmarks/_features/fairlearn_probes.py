"""fairlearn's cell of every feature: one function per feature, in table order.

fairlearn takes the groups only as a keyword (``sensitive_features=``), never
as a column of X, so X is the numeric columns and the groups are passed by
hand wherever a probe fits or predicts.
"""

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._common import (
    NOTE_HOOKS,
    _attempt,
    _combine,
    _lr,
    _note,
    _require_absent,
    _short,
    accuracy,
    cross_validate_each,
    eo_verdict,
    inprocessing_verdict,
    routed_search,
    search_each,
    timed_fit,
    training_proba,
    with_routing,
    worst_case_eo_probes,
)


def _threshold_optimizer(**kwargs):
    from fairlearn.postprocessing import ThresholdOptimizer

    return ThresholdOptimizer(predict_method="predict_proba", **kwargs)


def _exponentiated_gradient():
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

    return ExponentiatedGradient(_lr(), EqualizedOdds())


def estimators(data):
    """(label, estimator, param grid, X); the groups go to fit separately."""
    return [
        (
            "ThresholdOptimizer",
            _threshold_optimizer(estimator=_lr()),
            {"estimator__C": [0.1, 1.0]},
            data.numeric,
        ),
        (
            "ExponentiatedGradient",
            _exponentiated_gradient(),
            {"estimator__C": [0.1, 1.0]},
            data.numeric,
        ),
    ]


def _post_processor(post, **kwargs):
    return _threshold_optimizer(
        estimator=post.model, constraints="equalized_odds", prefit=True, **kwargs
    ).fit(post.data.A, post.data.y, sensitive_features=post.data.sex)


# --------------------------------------------------------------------------
# scikit-learn tools


def grid_search(data):
    def accuracy_note():
        # The default scoring needs a score method; scoring="accuracy" needs
        # only predict(X), which ThresholdOptimizer cannot do without groups.
        outcome = search_each(
            estimators(data), data.y, "accuracy", sensitive_features=data.sex
        )
        _note(
            "GridSearchCV",
            "fairlearn",
            "with scoring='accuracy' instead: " + outcome.replace("<br>", "; "),
        )

    NOTE_HOOKS.append(accuracy_note)
    return search_each(estimators(data), data.y, sensitive_features=data.sex)


def cross_val_score(data):
    return cross_validate_each(
        estimators(data), data.y, params={"sensitive_features": data.sex}
    )


def numpy_pipeline(data):
    X, y = data.ndarray(), data.y
    Xf = X[:, 1:]  # fairlearn takes the groups separately, not as a column

    def threshold_pipeline():
        return make_pipeline(
            StandardScaler(), _threshold_optimizer(estimator=_lr())
        ).fit(Xf, y, thresholdoptimizer__sensitive_features=data.sex)

    def threshold():
        pred = threshold_pipeline().predict(
            Xf, sensitive_features=data.sex, random_state=0
        )
        return f"accuracy {np.mean(pred == y):.3f}; groups passed by hand"

    def reduction():
        model = make_pipeline(StandardScaler(), _exponentiated_gradient()).fit(
            Xf, y, exponentiatedgradient__sensitive_features=data.sex
        )
        return accuracy(model, Xf, y)

    result = _combine(
        [
            ("StandardScaler -> ThresholdOptimizer", threshold),
            ("StandardScaler -> ExponentiatedGradient", reduction),
        ]
    )
    _note(
        "Pipeline with numpy arrays",
        "fairlearn",
        "the groups are not a column: passed by hand, "
        "fit(X, y, thresholdoptimizer__sensitive_features=g) and "
        "predict(X, sensitive_features=g)",
    )
    try:
        threshold_pipeline().score(Xf, y)
    except Exception as exc:  # noqa: BLE001
        _note(
            "Pipeline with numpy arrays",
            "fairlearn",
            f"Pipeline(..., ThresholdOptimizer).score(X, y): {_short(exc)}",
        )
    return result


# --------------------------------------------------------------------------
# Pre-processing


def dir_unseen_rows(data):
    return _require_absent(
        "fairlearn.preprocessing",
        ["DisparateImpactRemover"],
        "DisparateImpactRemover (its pre-processor is CorrelationRemover)",
    )


def reweighing_pipeline(data):
    return _require_absent("fairlearn.preprocessing", ["Reweighing"], "Reweighing")


# --------------------------------------------------------------------------
# Post-processing


def exact_postprocessing(post):
    model = _post_processor(post)
    return eo_verdict(training_proba(model, post.data, "_pmf_predict"), post.data)


def postprocessing_tolerance(post):
    _post_processor(post, tol=0.05)
    return "yes (tol=0.05 accepted)"


def unseen_group(unseen):
    model = _post_processor(unseen.post)
    try:
        pred = model.predict(
            unseen.X_new, sensitive_features=unseen.new_groups, random_state=0
        )
    except Exception as exc:  # noqa: BLE001
        return unseen.raised(exc)
    return unseen.silently(pred)


# --------------------------------------------------------------------------
# In-processing


def eo_inprocessing(data):
    model, seconds = timed_fit(
        lambda: _exponentiated_gradient().fit(
            data.A, data.y, sensitive_features=data.sex
        )
    )
    return inprocessing_verdict(
        data, lambda: model.predict(data.A_test, random_state=0), seconds
    )


# --------------------------------------------------------------------------
# Metrics


def _equalized_odds_difference():
    from fairlearn.metrics import equalized_odds_difference

    return equalized_odds_difference


metric_speed, metric_sample_weight, intersectional_metric = worst_case_eo_probes(
    _equalized_odds_difference
)


def intersectional_mitigator(data):
    groups = data.frame[["sex", "race"]].astype(str)
    model = _threshold_optimizer(estimator=_lr()).fit(
        data.numeric, data.y, sensitive_features=groups
    )
    model.predict(data.numeric, sensitive_features=groups, random_state=0)
    n_groups = len(model.interpolated_thresholder_.interpolation_dict)
    return (
        "yes: ThresholdOptimizer, sensitive_features = 2-column DataFrame, "
        f"{n_groups} groups"
    )


@with_routing
def metadata_routing(data):
    def threshold(scoring):
        model = (
            _threshold_optimizer(estimator=_lr())
            .set_fit_request(sensitive_features=True)
            .set_predict_request(sensitive_features=True)
        )
        grid = {"estimator__C": [0.1, 1.0]}
        return f"{routed_search(data, model, grid, scoring=scoring):.3f}"

    def reduction():
        model = _exponentiated_gradient().set_fit_request(sensitive_features=True)
        return f"{routed_search(data, model, {'estimator__C': [0.1, 1]}):.3f}"

    outcome = _combine(
        [
            ("ThresholdOptimizer", lambda: threshold(None)),
            ("ExponentiatedGradient", reduction),
        ]
    )
    _note(
        "Metadata routing",
        "fairlearn",
        "ThresholdOptimizer with set_predict_request and scoring='accuracy': "
        + _attempt("", lambda: threshold("accuracy"))[1].lstrip(": "),
    )
    return outcome
