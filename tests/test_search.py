"""Every estimator in a real model search: GridSearchCV over a Pipeline.

Each mitigator sits in the pipeline a user would build on Adult: a
ColumnTransformer that one-hot encodes the categorical columns, scales the
numeric ones and passes the sensitive column "sex" through (pandas output, so
the mitigator finds "sex" by name), then the mitigator with
``sensitive_cols="sex"``. DisparateImpactRemover repairs the raw numeric
columns, so it comes first and the ColumnTransformer drops "sex" after it.

The search scores accuracy and two fairness scorers that read "sex" from the
X they score, refits on accuracy, and must give finite scores without a
single warning. Run again with ``n_jobs=2`` (loky processes), on a dask
cluster (joblib's dask backend) and on the data as a polars DataFrame (every
step with polars output), it must give exactly the serial ``cv_results_``
(timings aside). ThresholdOptimizer's predictions are
randomized; its ``random_state`` makes every run draw the same numbers.
"""

import warnings

import joblib
import numpy as np
import polars as pl
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_adult
from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.metrics import make_fairness_scorer
from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing
from skfair.utils._dataframe import convert_frame

# scikit-learn 1.8 reads column names through the dataframe interchange
# protocol, which polars 2 no longer has; 1.9 reads them through narwhals.
SKLEARN_READS_POLARS_NAMES = hasattr(
    StandardScaler().fit(pl.DataFrame({"a": [0.0, 1.0]})), "feature_names_in_"
)

NUMERIC = ["age", "education-num", "hours-per-week"]
CATEGORICAL = ["relationship", "workclass"]
N_ROWS = 2400

SCORING = {
    "acc": "accuracy",
    "eo": make_fairness_scorer("equalized_odds_difference", sensitive_cols="sex"),
    "dp": make_fairness_scorer("demographic_parity_difference", sensitive_cols="sex"),
}


@pytest.fixture(scope="module")
def adult():
    """A fixed 2400-row sample of Adult: 3 numeric, 2 categorical columns, sex."""
    bunch = load_adult(split="train")
    X = bunch.data[NUMERIC + CATEGORICAL + ["sex"]].sample(n=N_ROWS, random_state=0)
    y = bunch.target.loc[X.index]
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _encoder(sex):
    """One-hot the categories, scale the numbers; ``sex``: "passthrough" or "drop"."""
    return ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                CATEGORICAL,
            ),
            ("numbers", StandardScaler(), NUMERIC),
            ("sex", sex, ["sex"]),
        ],
        verbose_feature_names_out=False,
    )


def _reweighing():
    steps = [
        ("encode", _encoder("passthrough")),
        ("fair", Reweighing(LogisticRegression(), sensitive_cols="sex")),
    ]
    return Pipeline(steps), {"fair__estimator__C": [0.1, 1.0]}


def _constrained_logistic():
    steps = [
        ("encode", _encoder("passthrough")),
        ("fair", ConstrainedLogisticRegression(sensitive_cols="sex")),
    ]
    return Pipeline(steps), {"fair__tolerance": [0.02, 0.1]}


def _threshold_optimizer():
    optimizer = ThresholdOptimizer(
        LogisticRegression(), sensitive_cols="sex", random_state=0
    )
    steps = [("encode", _encoder("passthrough")), ("fair", optimizer)]
    grid = {"fair__constraints": ["equalized_odds", "demographic_parity"]}
    return Pipeline(steps), grid


def _disparate_impact_remover():
    # The remover repairs the raw numeric columns and passes "sex" through;
    # the encoder then drops it (a group label, not a feature of the model).
    repair = DisparateImpactRemover(
        sensitive_cols="sex", columns=NUMERIC, random_state=0
    )
    steps = [
        ("repair", repair),
        ("encode", _encoder("drop")),
        ("model", LogisticRegression()),
    ]
    return Pipeline(steps), {"repair__repair_level": [0.0, 0.5, 1.0]}


PIPELINES = {
    "Reweighing": _reweighing,
    "ConstrainedLogisticRegression": _constrained_logistic,
    "ThresholdOptimizer": _threshold_optimizer,
    "DisparateImpactRemover": _disparate_impact_remover,
}


def _search(name, output="pandas", **kwargs):
    pipeline, grid = PIPELINES[name]()
    pipeline.set_output(transform=output)
    # error_score="raise": a failed fit must fail the test, not hide as NaN.
    return GridSearchCV(
        pipeline,
        grid,
        scoring=SCORING,
        refit="acc",
        cv=3,
        error_score="raise",
        **kwargs,
    )


def _results_without_timings(search):
    return {k: v for k, v in search.cv_results_.items() if "time" not in k}


def _assert_same_results(expected, actual):
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if key == "params":
            assert actual[key] == value
        elif isinstance(value, np.ma.MaskedArray):  # param_* columns
            assert actual[key].tolist() == value.tolist(), key
        else:
            np.testing.assert_array_equal(actual[key], value, err_msg=key)


@pytest.fixture(scope="module", params=sorted(PIPELINES))
def serial_search(request, adult):
    """(name, fitted serial search, warnings it raised), once per estimator."""
    X, y = adult
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = _search(request.param).fit(X, y)
    return request.param, search, caught


def test_serial_search_has_finite_scores_and_no_warning(serial_search):
    name, search, caught = serial_search
    assert [str(w.message) for w in caught] == [], name
    n_candidates = len(search.cv_results_["params"])
    assert n_candidates >= 2
    for metric in SCORING:
        for split in range(3):
            scores = search.cv_results_[f"split{split}_test_{metric}"]
            assert np.isfinite(scores).all(), (name, metric, scores)
    # Accuracy of a sensible model on Adult, and fairness scorers that are
    # negated differences (greater is better, 0 is perfect parity).
    assert (search.cv_results_["mean_test_acc"] > 0.7).all()
    for metric in ("eo", "dp"):
        assert (search.cv_results_[f"split0_test_{metric}"] <= 0).all()
        assert (search.cv_results_[f"split0_test_{metric}"] >= -1).all()
    # refit="acc": the refitted candidate is the most accurate one.
    assert search.best_index_ == np.argmax(search.cv_results_["mean_test_acc"])
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]


def test_loky_search_equals_serial(serial_search, adult):
    name, serial, _ = serial_search
    X, y = adult
    parallel = _search(name, n_jobs=2).fit(X, y)
    _assert_same_results(
        _results_without_timings(serial), _results_without_timings(parallel)
    )
    assert parallel.best_params_ == serial.best_params_


def test_dask_search_equals_serial(serial_search, adult, dask_client):
    name, serial, _ = serial_search
    X, y = adult
    with joblib.parallel_backend("dask"):
        distributed = _search(name, n_jobs=2).fit(X, y)
    _assert_same_results(
        _results_without_timings(serial), _results_without_timings(distributed)
    )
    assert distributed.best_params_ == serial.best_params_


@pytest.mark.skipif(
    not SKLEARN_READS_POLARS_NAMES,
    reason="ColumnTransformer selects polars 2 columns by name from scikit-learn 1.9",
)
def test_polars_search_equals_pandas(serial_search, adult):
    # The same search on the same data as a polars DataFrame, every step with
    # polars output, so each mitigator and scorer finds "sex" in a polars frame.
    name, serial, _ = serial_search
    X, y = adult
    X_polars = convert_frame(X, "polars")
    assert isinstance(X_polars, pl.DataFrame)
    on_polars = _search(name, output="polars").fit(X_polars, pl.Series(y.to_numpy()))
    _assert_same_results(
        _results_without_timings(serial), _results_without_timings(on_polars)
    )


def test_threshold_optimizer_search_is_randomized_yet_reproducible(adult):
    # The equalities above are meaningful for ThresholdOptimizer only if its
    # predictions really are random draws: another seed must change some of
    # them, while the same seed repeats them exactly.
    X, y = adult
    pipeline, _ = _threshold_optimizer()
    pipeline.set_output(transform="pandas").fit(X, y)
    first = pipeline.predict(X)
    np.testing.assert_array_equal(pipeline.predict(X), first)
    pipeline.set_params(fair__random_state=1)
    assert (pipeline.predict(X) != first).any()
