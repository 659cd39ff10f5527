"""AIF360's cell of every feature: one function per feature, in table order.

AIF360's sklearn API reads the groups from the DataFrame index (its
ExponentiatedGradientReduction: from a column); its older API
(``aif360.algorithms``) works on ``BinaryLabelDataset`` objects.
"""

import inspect

import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ._common import (
    NUMERIC,
    _combine,
    _lr,
    eo_verdict,
    fit_accuracy_each,
    fit_score,
    groups_in_x_probes,
    inprocessing_verdict,
    no_sensitive_features_keyword,
    timed_fit,
)


def _reweighing_meta(estimator, prot_attr="sex"):
    from aif360.sklearn.preprocessing import Reweighing, ReweighingMeta

    return ReweighingMeta(estimator, reweigher=Reweighing(prot_attr=prot_attr))


def _exponentiated_gradient(prot_attr):
    from aif360.sklearn.inprocessing import ExponentiatedGradientReduction

    return ExponentiatedGradientReduction(prot_attr, _lr(), "EqualizedOdds")


def estimators(data):
    """(label, estimator, grid, X) - each AIF360 tool wants its own X layout."""
    from aif360.sklearn.postprocessing import (
        CalibratedEqualizedOdds,
        PostProcessingMeta,
    )

    return [
        (
            "ReweighingMeta",
            _reweighing_meta(_lr()),
            {"estimator__C": [0.1, 1.0]},
            data.indexed(),
        ),
        (
            "ExponentiatedGradientReduction",
            _exponentiated_gradient("male"),
            {"estimator__C": [0.1, 1.0]},
            data.with_male(),
        ),
        (
            "PostProcessingMeta(CalibratedEqualizedOdds)",
            PostProcessingMeta(
                _lr(), CalibratedEqualizedOdds(prot_attr="sex"), random_state=0
            ),
            {"estimator__C": [0.1, 1.0]},
            data.indexed(),
        ),
    ]


def _label_datasets(male, y, labels):
    """The (truth, predictions) BinaryLabelDatasets of EqOddsPostprocessing."""
    from aif360.datasets import BinaryLabelDataset

    def dataset(label):
        df = pd.DataFrame({"male": male, "label": label})
        return BinaryLabelDataset(
            df=df, label_names=["label"], protected_attribute_names=["male"]
        )

    return dataset(y), dataset(labels)


def _post_processor(post):
    from aif360.algorithms.postprocessing import EqOddsPostprocessing

    truth, predicted = _label_datasets(
        post.data.male, post.data.y, (post.scores > 0.5).astype(float)
    )
    model = EqOddsPostprocessing(
        unprivileged_groups=[{"male": 0}], privileged_groups=[{"male": 1}], seed=0
    )
    return model.fit(truth, predicted)


def _expected(post, fitted):
    """P(positive) of AIF360's randomized flips, from its LP solution."""
    priv_p2p, priv_n2p, unpriv_p2p, unpriv_n2p = fitted.model_params.x
    hard = post.scores > 0.5
    male = post.data.male == 1
    return np.where(
        male,
        np.where(hard, priv_p2p, priv_n2p),
        np.where(hard, unpriv_p2p, unpriv_n2p),
    )


# --------------------------------------------------------------------------
# scikit-learn tools


grid_search, cross_val_score = groups_in_x_probes(estimators)


def numpy_pipeline(data):
    return fit_accuracy_each(
        [
            (
                "ReweighingMeta(prot_attr=0)",
                lambda: make_pipeline(_reweighing_meta(_lr(), prot_attr=0)),
            ),
            (
                "ExponentiatedGradientReduction(prot_attr=0)",
                lambda: make_pipeline(_exponentiated_gradient(0)),
            ),
        ],
        data.ndarray(),
        data.y,
    )


# --------------------------------------------------------------------------
# Pre-processing


def dir_unseen_rows(data):
    from aif360.algorithms.preprocessing import DisparateImpactRemover
    from aif360.datasets import BinaryLabelDataset

    def dataset(frame, male, y):
        df = frame[NUMERIC].astype(float).assign(sex=male, label=y)
        return BinaryLabelDataset(
            df=df, label_names=["label"], protected_attribute_names=["sex"]
        )

    remover = DisparateImpactRemover(sensitive_attribute="sex").fit(
        dataset(data.frame, data.male, data.y)
    )
    remover.transform(dataset(data.frame_test, data.male_test, data.y_test))
    return "yes"


def reweighing_pipeline(data):
    X, y = data.indexed(), data.y
    return _combine(
        [
            (
                "StandardScaler(pandas out) -> ReweighingMeta(LR)",
                lambda: fit_score(
                    make_pipeline(
                        StandardScaler().set_output(transform="pandas"),
                        _reweighing_meta(_lr()),
                    ),
                    X,
                    y,
                ),
            ),
            (
                "ReweighingMeta(Pipeline(scaler, LR))",
                lambda: fit_score(
                    _reweighing_meta(make_pipeline(StandardScaler(), _lr())), X, y
                ),
            ),
        ]
    )


# --------------------------------------------------------------------------
# Post-processing


def exact_postprocessing(post):
    result = eo_verdict(_expected(post, _post_processor(post)), post.data)
    return result + " (EqOddsPostprocessing: LP over flips of 0/1 labels)"


def postprocessing_tolerance(post):
    from aif360.algorithms.postprocessing import EqOddsPostprocessing

    parameters = list(inspect.signature(EqOddsPostprocessing).parameters)
    if not any(k in p for p in parameters for k in ("tol", "eps", "slack")):
        return (
            "no (EqOddsPostprocessing has no tolerance parameter: "
            f"{', '.join(parameters)})"
        )
    return "yes"


def unseen_group(unseen):
    post = unseen.post
    fitted = _post_processor(post)
    truth, predicted = _label_datasets(
        np.full(unseen.n, 2.0),  # neither the privileged (1) nor unprivileged (0)
        unseen.data.y_test[: unseen.n],
        post.model.predict(unseen.X_new).astype(float),
    )
    try:
        out = fitted.predict(predicted)
    except Exception as exc:  # noqa: BLE001
        return unseen.raised(exc)
    return unseen.silently(out.labels) + " (EqOddsPostprocessing; sex=2, fit saw 0/1)"


# --------------------------------------------------------------------------
# In-processing


def eo_inprocessing(data):
    columns = [f"x{i}" for i in range(data.A.shape[1])]
    X = pd.DataFrame(data.A, columns=columns).assign(male=data.male)
    X_test = pd.DataFrame(data.A_test, columns=columns).assign(male=data.male_test)
    model, seconds = timed_fit(lambda: _exponentiated_gradient("male").fit(X, data.y))
    return (
        inprocessing_verdict(data, lambda: model.predict(X_test), seconds)
        + " (wraps fairlearn)"
    )


# --------------------------------------------------------------------------
# Metrics


def metric_speed(y_true, y_pred, male):
    from aif360.sklearn.metrics import average_odds_difference

    return (
        "average_odds_difference",
        lambda: average_odds_difference(y_true, y_pred, prot_attr=male),
    )


def metric_sample_weight(weighted):
    from aif360.sklearn.metrics import average_odds_difference

    return weighted.check(average_odds_difference, "prot_attr")


def intersectional_metric(inter):
    from aif360.sklearn.metrics import average_odds_difference

    index = pd.MultiIndex.from_frame(inter.groups)
    value = average_odds_difference(
        pd.Series(inter.y_true, index=index),
        pd.Series(inter.y_pred, index=index),
        prot_attr=["sex", "race"],
        priv_group=("Male", "White"),
    )
    return (
        f"partly: average_odds_difference(prot_attr=['sex', 'race'], "
        f"priv_group=('Male', 'White')) = {value:.4f}, one intersection "
        f"against all other rows pooled; worst-case EO gap over the "
        f"{inter.n_groups} groups {inter.reference:.4f}"
    )


def intersectional_mitigator(data):
    X = data.indexed(attrs=("sex", "race"))
    model = _reweighing_meta(_lr(), prot_attr=["sex", "race"]).fit(X, data.y)
    n_groups = len(model.reweigher_.groups_)
    return f"yes: ReweighingMeta(prot_attr=['sex', 'race']), {n_groups} groups"


def metadata_routing(data):
    from aif360.sklearn.inprocessing import ExponentiatedGradientReduction
    from aif360.sklearn.postprocessing import PostProcessingMeta
    from aif360.sklearn.preprocessing import ReweighingMeta

    return no_sensitive_features_keyword(
        [ReweighingMeta, ExponentiatedGradientReduction, PostProcessingMeta]
    )
