"""scikit-lego's cell of every feature: one function per feature, in table order.

scikit-lego's fair classifiers read the group from a 0/1 column of X named
in ``sensitive_cols``; its fairness metrics are scorers, called here with a
stand-in estimator whose predictions are a column of X.
"""

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._common import (
    NotOffered,
    _note,
    _require_absent,
    fit_accuracy_each,
    groups_in_x_probes,
    no_sensitive_features_keyword,
)


class _Predictions:
    """A stand-in 'estimator' whose predictions are column 0 of X."""

    def predict(self, X):
        return np.asarray(X)[:, 0]


def _equal_opportunity(covariance_threshold=0.1, sensitive_cols=("male",)):
    from sklego.linear_model import EqualOpportunityClassifier

    return EqualOpportunityClassifier(
        covariance_threshold=covariance_threshold,
        positive_target=1,
        sensitive_cols=list(sensitive_cols),
    )


def estimators(data):
    """(label, estimator, param grid, X) with the group in column ``male``."""
    from sklego.linear_model import DemographicParityClassifier

    return [
        (
            "EqualOpportunityClassifier",
            _equal_opportunity(),
            {"estimator__C": [0.1, 1.0]},
            data.with_male(),
        ),
        (
            "DemographicParityClassifier",
            DemographicParityClassifier(
                covariance_threshold=0.1, sensitive_cols=["male"]
            ),
            {"estimator__C": [0.1, 1.0]},
            data.with_male(),
        ),
    ]


def _no_postprocessing(*_):
    """NotOffered after checking that no sklego.*postprocessing module exists."""
    import pkgutil

    import sklego

    names = [m.name for m in pkgutil.iter_modules(sklego.__path__)]
    found = [n for n in names if "postprocess" in n or "threshold" in n]
    if found:
        raise RuntimeError(f"sklego has modules {found}; write a probe for them")
    raise NotOffered("no post-processing module in sklego")


# --------------------------------------------------------------------------
# scikit-learn tools


grid_search, cross_val_score = groups_in_x_probes(estimators)


def numpy_pipeline(data):
    return fit_accuracy_each(
        [
            (
                "StandardScaler -> EqualOpportunityClassifier",
                lambda: make_pipeline(
                    StandardScaler(), _equal_opportunity(sensitive_cols=[0])
                ),
            )
        ],
        data.ndarray(),
        data.y,
    )


# --------------------------------------------------------------------------
# Pre-processing


def dir_unseen_rows(data):
    return _require_absent(
        "sklego.preprocessing",
        ["DisparateImpactRemover"],
        "DisparateImpactRemover (its fairness pre-processor is InformationFilter)",
    )


def reweighing_pipeline(data):
    return _require_absent("sklego.preprocessing", ["Reweighing"], "Reweighing")


# --------------------------------------------------------------------------
# Post-processing


exact_postprocessing = _no_postprocessing
postprocessing_tolerance = _no_postprocessing


def unseen_group(unseen):
    data = unseen.data
    model = _equal_opportunity().fit(data.with_male(), data.y)
    X_unseen = data.with_male(data.frame_test, np.full(len(data.y_test), 7.0))
    try:
        pred = model.predict(X_unseen)
    except Exception as exc:  # noqa: BLE001
        return unseen.raised(exc)
    same = np.array_equal(
        pred, model.predict(data.with_male(data.frame_test, data.male_test))
    )
    return (
        f"no error: {np.mean(pred == 1):.0%} positive with male=7 "
        "(EqualOpportunityClassifier); "
        + (
            "same predictions as with the true groups: the group is not used at predict"
            if same
            else "predictions differ from those with the true groups"
        )
    )


# --------------------------------------------------------------------------
# In-processing


def eo_inprocessing(data):
    import sklego.linear_model as linear_model

    _note(
        "Equalized-odds in-processing",
        "scikit-lego",
        "fair classifiers in sklego.linear_model: "
        + ", ".join(
            n
            for n in dir(linear_model)
            if n.endswith("Classifier") and not n.startswith(("_", "OneVs"))
        )
        + " (equal opportunity / demographic parity covariance constraints)",
    )
    return _require_absent(
        "sklego.linear_model",
        ["EqualizedOddsClassifier"],
        "equalized-odds classifier",
    )


# --------------------------------------------------------------------------
# Metrics


def metric_speed(y_true, y_pred, male):
    from sklego.metrics import equal_opportunity_score

    X = np.column_stack([y_pred, male])
    scorer = equal_opportunity_score(sensitive_column=1)
    return "equal_opportunity_score", lambda: scorer(_Predictions(), X, y_true)


def metric_sample_weight(weighted):
    from sklego.metrics import equal_opportunity_score

    scorer = equal_opportunity_score(sensitive_column=1)
    scorer(
        _Predictions(),
        np.column_stack([weighted.y_pred, weighted.male]),
        weighted.y_true,
        sample_weight=weighted.weights,
    )
    return "yes"


def intersectional_metric(inter):
    from sklego.metrics import equal_opportunity_score

    X = np.column_stack(
        [inter.y_pred, inter.sex == "Male", inter.race == "White"]
    ).astype(float)
    equal_opportunity_score(sensitive_column=[1, 2])(_Predictions(), X, inter.y_true)
    return "yes"


def intersectional_mitigator(data):
    X = data.with_male().assign(white=(data.race == "White").astype(float))
    model = _equal_opportunity(0.0, ["male", "white"]).fit(X, data.y)
    return (
        "runs: EqualOpportunityClassifier(sensitive_cols=['male', 'white']), "
        f"one covariance bound per indicator column, not per intersection "
        f"({np.mean(model.predict(X) == data.y):.3f} training accuracy)"
    )


def metadata_routing(data):
    from sklego.linear_model import (
        _DemographicParityClassifier,
        _EqualOpportunityClassifier,
    )

    return no_sensitive_features_keyword(
        [_EqualOpportunityClassifier, _DemographicParityClassifier]
    )
