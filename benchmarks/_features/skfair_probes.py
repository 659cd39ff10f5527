"""skfair's cell of every feature: one function per feature, in table order."""

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.metrics import equalized_odds_difference
from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing

from ._common import (
    NUMERIC,
    _combine,
    _lr,
    eo_verdict,
    expected_accuracy,
    expected_eo_gap,
    fit_score,
    groups_in_x_probes,
    inprocessing_verdict,
    routed_search,
    timed_fit,
    training_proba,
    with_routing,
    worst_case_eo_probes,
)


def estimators(data):
    """(label, estimator, param grid, X) with the groups read from the sex column."""
    drop_sex = make_column_transformer(("drop", ["sex"]), remainder="passthrough")
    remover = make_pipeline(
        DisparateImpactRemover(sensitive_cols="sex", random_state=0).set_output(
            transform="pandas"
        ),
        drop_sex,
        _lr(),
    )
    X = data.with_sex
    return [
        (
            "ThresholdOptimizer",
            ThresholdOptimizer(_lr(), sensitive_cols="sex", random_state=0),
            {"estimator__C": [0.1, 1.0]},
            X,
        ),
        (
            "Reweighing",
            Reweighing(_lr(), sensitive_cols="sex"),
            {"estimator__C": [0.1, 1.0]},
            X,
        ),
        ("DIR + LR pipeline", remover, {"logisticregression__C": [0.1, 1.0]}, X),
        (
            "ConstrainedLR",
            ConstrainedLogisticRegression(sensitive_cols="sex"),
            {"C": [0.1, 1.0]},
            X,
        ),
    ]


def _post_processor(post, tolerance=0.0):
    return ThresholdOptimizer(
        post.model, prefit=True, tolerance=tolerance, random_state=0
    ).fit(post.data.A, post.data.y, sensitive_features=post.data.sex)


# --------------------------------------------------------------------------
# scikit-learn tools


grid_search, cross_val_score = groups_in_x_probes(estimators)


def numpy_pipeline(data):
    X, y = data.ndarray(), data.y
    pipelines = [
        (
            "DIR -> ThresholdOptimizer",
            make_pipeline(
                DisparateImpactRemover(sensitive_cols=0, random_state=0),
                ThresholdOptimizer(_lr(), sensitive_cols=0, random_state=0),
            ),
        ),
        (
            "DIR -> Reweighing(scaler + LR)",
            make_pipeline(
                DisparateImpactRemover(sensitive_cols=0, random_state=0),
                Reweighing(make_pipeline(StandardScaler(), _lr()), sensitive_cols=0),
            ),
        ),
        (
            "DIR -> ConstrainedLR",
            make_pipeline(
                DisparateImpactRemover(sensitive_cols=0, random_state=0),
                ConstrainedLogisticRegression(sensitive_cols=0),
            ),
        ),
    ]
    return _combine((label, lambda p=p: fit_score(p, X, y)) for label, p in pipelines)


# --------------------------------------------------------------------------
# Pre-processing


def dir_unseen_rows(data):
    from scipy.stats import ks_2samp

    def ks(frame, male, column="hours-per-week"):
        values = np.asarray(frame[column], dtype=float)
        male = np.asarray(male, dtype=bool)
        return ks_2samp(values[male], values[~male]).statistic

    X, X_test = data.with_sex, data.frame_test[NUMERIC + ["sex"]]
    remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
    repaired = remover.set_output(transform="pandas").fit(X).transform(X_test)
    before, after = ks(X_test, data.male_test), ks(repaired, data.male_test)
    return (
        f"yes: test-row KS(hours-per-week) between the sexes {before:.3f} -> "
        f"{after:.3f}"
    )


def reweighing_pipeline(data):
    scale_numeric = make_column_transformer(
        (StandardScaler(), NUMERIC),
        ("passthrough", ["sex"]),
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    X, y = data.with_sex, data.y
    return _combine(
        [
            (
                "ColumnTransformer -> Reweighing(LR)",
                lambda: fit_score(
                    make_pipeline(
                        scale_numeric, Reweighing(_lr(), sensitive_cols="sex")
                    ),
                    X,
                    y,
                ),
            ),
            (
                "Reweighing(Pipeline(scaler, LR))",
                lambda: fit_score(
                    Reweighing(
                        make_pipeline(StandardScaler(), _lr()), sensitive_cols="sex"
                    ),
                    X,
                    y,
                ),
            ),
        ]
    )


# --------------------------------------------------------------------------
# Post-processing


def exact_postprocessing(post):
    return eo_verdict(training_proba(_post_processor(post), post.data), post.data)


def postprocessing_tolerance(post):
    data = post.data
    p0, p5 = (
        training_proba(_post_processor(post, tolerance), data)
        for tolerance in (0.0, 0.05)
    )
    return (
        f"yes: tolerance=0.05 -> training EO gap "
        f"{expected_eo_gap(p5, data.y, data.sex):.3f}, accuracy "
        f"{expected_accuracy(p0, data.y):.3f} -> "
        f"{expected_accuracy(p5, data.y):.3f}"
    )


def unseen_group(unseen):
    data = unseen.data
    model = _post_processor(unseen.post)
    try:
        pred = model.predict(unseen.X_new, sensitive_features=unseen.new_groups)
    except ValueError as exc:
        outcome = unseen.raised(exc)
    else:
        return unseen.silently(pred)
    remover = DisparateImpactRemover(random_state=0).fit(
        data.A, sensitive_features=data.sex
    )
    try:
        remover.transform(unseen.X_new, sensitive_features=unseen.new_groups)
    except ValueError:
        return outcome + " (DisparateImpactRemover.transform too)"
    return outcome + "; DisparateImpactRemover.transform: no error"


# --------------------------------------------------------------------------
# In-processing


def eo_inprocessing(data):
    model, seconds = timed_fit(
        lambda: ConstrainedLogisticRegression(
            constraints="equalized_odds", tolerance=0.0
        ).fit(data.A, data.y, sensitive_features=data.sex)
    )
    return inprocessing_verdict(data, lambda: model.predict(data.A_test), seconds)


# --------------------------------------------------------------------------
# Metrics


metric_speed, metric_sample_weight, intersectional_metric = worst_case_eo_probes(
    lambda: equalized_odds_difference
)


def intersectional_mitigator(data):
    model = ThresholdOptimizer(
        _lr(), sensitive_cols=["sex", "race"], random_state=0
    ).fit(data.frame, data.y)
    model.predict(data.frame)
    return (
        f"yes: ThresholdOptimizer(sensitive_cols=['sex', 'race']), "
        f"{len(model.groups_)} groups"
    )


@with_routing
def metadata_routing(data):
    to = (
        ThresholdOptimizer(_lr(), random_state=0)
        .set_fit_request(sensitive_features=True)
        .set_score_request(sensitive_features=True)
    )
    reweighing = Reweighing(_lr().set_fit_request(sample_weight=True)).set_fit_request(
        sensitive_features=True
    )
    constrained = ConstrainedLogisticRegression().set_fit_request(
        sensitive_features=True
    )
    return _combine(
        [
            (
                "ThresholdOptimizer",
                lambda: f"{routed_search(data, to, {'estimator__C': [0.1, 1.0]}):.3f}",
            ),
            (
                "Reweighing",
                lambda: (
                    f"{routed_search(data, reweighing, {'estimator__C': [0.1, 1]}):.3f}"
                ),
            ),
            (
                "ConstrainedLR",
                lambda: f"{routed_search(data, constrained, {'C': [0.1, 1.0]}):.3f}",
            ),
        ]
    )
