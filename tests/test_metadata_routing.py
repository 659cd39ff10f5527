"""Metadata routing of ``sensitive_features`` to and through skfair's estimators.

With ``sklearn.config_context(enable_metadata_routing=True)`` (never set
globally: every test runs inside the context of the ``routing`` fixture) and
the requests set, the groups must reach each estimator inside ``Pipeline``,
``GridSearchCV`` and ``cross_validate``, and reach the inner estimator of
``Reweighing`` and ``ThresholdOptimizer``. A consuming stub records what it
receives, so the tests check that it got exactly the rows of each fold; the
skfair estimators are checked by comparing with direct fits on the same rows
and groups.

scikit-learn's scorers call ``predict(X)`` without metadata; estimators that
need the groups at predict time must then read them from X with
``sensitive_cols``. The last tests check that the keyword-only setting fails
loudly in that case, never with a silent score.
"""

import inspect
import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skfair.inprocessing import AdversarialDebiasing, ConstrainedLogisticRegression
from skfair.postprocessing import (
    BarycenterRegressor,
    CalibratedEqualizedOdds,
    RejectOptionClassifier,
    ThresholdOptimizer,
)
from skfair.preprocessing import (
    CorrelationRemover,
    DisparateImpactRemover,
    Reweighing,
    reweighing_weights,
)
from skfair.reductions import ExponentiatedGradient, GridSearch

CV = KFold(n_splits=3, shuffle=True, random_state=0)


@pytest.fixture(autouse=True)
def routing():
    assert not sklearn.get_config()["enable_metadata_routing"]
    with sklearn.config_context(enable_metadata_routing=True):
        yield
    assert not sklearn.get_config()["enable_metadata_routing"]


def _data(n=180, seed=0):
    """X (column 0 is the row id), y, string groups; and a held-out set."""
    rng = np.random.default_rng(seed)
    n_total = n + n // 2
    groups = rng.choice(np.array(["F", "M"], dtype=object), n_total, p=[0.4, 0.6])
    male = groups == "M"
    x1 = rng.normal(size=n_total) + 0.8 * male
    x2 = rng.normal(size=n_total)
    logit = 1.5 * x1 - x2 + 0.6 * male - 0.4
    y = (rng.uniform(size=n_total) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    X = np.column_stack([np.arange(n_total, dtype=float), x1, x2])
    return (X[:n], y[:n], groups[:n]), (X[n:], y[n:], groups[n:])


TRAIN, TEST = _data()

# --------------------------------------------------------------------------
# A consuming stub that records what it receives
# --------------------------------------------------------------------------

# Meta-estimators fit clones of the stub, so records go to a module-level
# registry rather than to the instance.
RECORDS = []


@pytest.fixture(autouse=True)
def _clear_records():
    RECORDS.clear()
    yield
    RECORDS.clear()


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """A classifier scoring rows by their second column; records every call.

    Each record holds the method, the row ids (column 0 of X) and the
    ``sensitive_features`` and ``sample_weight`` received.
    """

    def __init__(self, tag="stub"):
        self.tag = tag

    def _record(self, method, X, sensitive_features=None, sample_weight=None):
        X = np.asarray(X, dtype=float)
        RECORDS.append(
            {
                "tag": self.tag,
                "method": method,
                "rows": X[:, 0].astype(int),
                "sensitive_features": (
                    None
                    if sensitive_features is None
                    else np.asarray(sensitive_features)
                ),
                "sample_weight": (
                    None if sample_weight is None else np.asarray(sample_weight)
                ),
            }
        )
        return X

    def fit(self, X, y, sample_weight=None, sensitive_features=None):
        self._record("fit", X, sensitive_features, sample_weight)
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X, sensitive_features=None):
        X = self._record("predict_proba", X, sensitive_features)
        positive = _sigmoid(X[:, 1])
        return np.column_stack([1 - positive, positive])

    def predict(self, X, sensitive_features=None):
        X = self._record("predict", X, sensitive_features)
        return self.classes_[(X[:, 1] > 0).astype(int)]

    def score(self, X, y, sample_weight=None, sensitive_features=None):
        self._record("score", X, sensitive_features, sample_weight)
        return float(np.mean(self.classes_[(np.asarray(X)[:, 1] > 0).astype(int)] == y))


def _records(method, tag="stub"):
    return [r for r in RECORDS if r["method"] == method and r["tag"] == tag]


def _train_and_test_folds(X, y):
    return [(train, test) for train, test in CV.split(X, y)]


def _assert_rows(records, expected_row_sets):
    """The records' rows are exactly the expected row sets (as multisets)."""
    got = sorted(tuple(sorted(r["rows"].tolist())) for r in records)
    expected = sorted(tuple(sorted(rows.tolist())) for rows in expected_row_sets)
    assert got == expected


def _assert_groups_follow_rows(records, groups):
    for record in records:
        assert_array_equal(record["sensitive_features"], groups[record["rows"]])


# --------------------------------------------------------------------------
# The stub inside skfair's meta-estimators, inside Pipeline and searches
# --------------------------------------------------------------------------


def _stub(tag="stub"):
    return (
        RecordingClassifier(tag)
        .set_fit_request(sensitive_features=True, sample_weight=True)
        .set_score_request(sensitive_features=True)
    )


def test_stub_inside_reweighing_inside_pipeline_inside_grid_search():
    X, y, groups = TRAIN
    repair = (
        DisparateImpactRemover(columns=[1, 2], random_state=0)
        .set_fit_request(sensitive_features=True)
        .set_transform_request(sensitive_features=True)
    )
    reweighing = Reweighing(_stub()).set_fit_request(sensitive_features=True)
    pipe = Pipeline([("repair", repair), ("clf", reweighing)])
    search = GridSearchCV(pipe, {"repair__repair_level": [0.5, 1.0]}, cv=CV)
    search.fit(X, y, sensitive_features=groups)

    folds = _train_and_test_folds(X, y)
    fits = _records("fit")
    # 2 candidates x 3 folds, then the refit on every row.
    _assert_rows(fits, [train for train, _ in folds] * 2 + [np.arange(len(X))])
    _assert_groups_follow_rows(fits, groups)
    for record in fits:
        rows = record["rows"]
        assert_allclose(
            record["sample_weight"],
            reweighing_weights(y[rows], sensitive_features=groups[rows]),
        )
    # Default scoring is Pipeline.score: the test folds' groups reach the
    # remover's transform and the stub's score.
    scores = _records("score")
    _assert_rows(scores, [test for _, test in folds] * 2)
    _assert_groups_follow_rows(scores, groups)


def test_stub_inside_threshold_optimizer_inside_cross_validate():
    X, y, groups = TRAIN
    optimizer = (
        ThresholdOptimizer(_stub(), random_state=0)
        .set_fit_request(sensitive_features=True)
        .set_score_request(sensitive_features=True)
    )
    result = cross_validate(
        optimizer,
        X,
        y,
        cv=CV,
        params={"sensitive_features": groups},
        return_estimator=True,
    )
    folds = _train_and_test_folds(X, y)
    fits = _records("fit")
    _assert_rows(fits, [train for train, _ in folds])
    _assert_groups_follow_rows(fits, groups)
    assert all(record["sample_weight"] is None for record in fits)
    # ThresholdOptimizer scores its rows itself and routes nothing at predict
    # time: the stub's predict_proba gets no groups.
    assert all(r["sensitive_features"] is None for r in _records("predict_proba"))
    for (train, test), fitted, score in zip(
        folds, result["estimator"], result["test_score"], strict=True
    ):
        assert_array_equal(fitted.groups_, np.unique(groups[train]))
        expected = fitted.score(X[test], y[test], sensitive_features=groups[test])
        assert score == expected


def test_stub_without_request_gets_no_groups():
    # Requests are honoured both ways: an inner estimator that does not ask
    # for the groups does not get them, while the meta-estimator uses them.
    X, y, groups = TRAIN
    inner = RecordingClassifier().set_fit_request(
        sensitive_features=False, sample_weight=True
    )
    Reweighing(inner).set_fit_request(sensitive_features=True).fit(
        X, y, sensitive_features=groups
    )
    (record,) = _records("fit")
    assert record["sensitive_features"] is None
    assert_allclose(
        record["sample_weight"], reweighing_weights(y, sensitive_features=groups)
    )


# --------------------------------------------------------------------------
# Each skfair estimator receives the groups: same result as a direct fit
# --------------------------------------------------------------------------


def _with_requests(estimator):
    """Request the groups in fit and in every method of ``estimator`` taking them."""
    estimator.set_fit_request(sensitive_features=True)
    for method in ("predict", "predict_proba", "transform", "score"):
        setter = f"set_{method}_request"
        if hasattr(estimator, setter) and hasattr(estimator, method):
            try:
                getattr(estimator, setter)(sensitive_features=True)
            except TypeError:  # the method does not take the groups
                pass
    return estimator


def _mitigators():
    """One skfair estimator of each kind, with routing-ready inner estimators."""
    return {
        "Reweighing": Reweighing(
            LogisticRegression().set_fit_request(sample_weight=True)
        ),
        "ConstrainedLogisticRegression": ConstrainedLogisticRegression(
            constraints="demographic_parity", tolerance=0.02
        ),
        "ThresholdOptimizer": ThresholdOptimizer(
            LogisticRegression(), constraints="demographic_parity", random_state=0
        ),
        "DisparateImpactRemover": DisparateImpactRemover(random_state=0),
        "ExponentiatedGradient": ExponentiatedGradient(
            LogisticRegression(), constraints="demographic_parity", random_state=0
        ),
        "GridSearch": GridSearch(LogisticRegression(), grid_size=5),
        "BarycenterRegressor": BarycenterRegressor(
            Ridge().set_fit_request(sample_weight=True), random_state=0
        ),
        "CorrelationRemover": CorrelationRemover(),
        "RejectOptionClassifier": RejectOptionClassifier(LogisticRegression()),
        "CalibratedEqualizedOdds": CalibratedEqualizedOdds(
            LogisticRegression(), random_state=0
        ),
        "AdversarialDebiasing": AdversarialDebiasing(random_state=0),
    }


MITIGATORS = [
    "Reweighing",
    "ConstrainedLogisticRegression",
    "ThresholdOptimizer",
    "DisparateImpactRemover",
    "ExponentiatedGradient",
    "GridSearch",
    "BarycenterRegressor",
    "CorrelationRemover",
    "RejectOptionClassifier",
    "CalibratedEqualizedOdds",
    "AdversarialDebiasing",
]
# The transformers, cross-validated with a classifier after them.
TRANSFORMERS = ("DisparateImpactRemover", "CorrelationRemover")


def _make(name):
    return _with_requests(_mitigators()[name])


def _takes_groups(estimator, method):
    return (
        "sensitive_features" in inspect.signature(getattr(estimator, method)).parameters
    )


def _outputs(estimator, X, groups):
    """Every prediction/transform output, the groups passed where taken."""
    out = {}
    for method in ("predict", "predict_proba", "transform"):
        if hasattr(estimator, method):
            kwargs = {}
            consumer = estimator[-1] if isinstance(estimator, Pipeline) else estimator
            if _takes_groups(consumer, method):
                kwargs["sensitive_features"] = groups
            out[method] = np.asarray(getattr(estimator, method)(X, **kwargs))
    return out


def _assert_outputs_equal(actual, expected):
    assert actual.keys() == expected.keys()
    for method in expected:
        assert_allclose(actual[method], expected[method], err_msg=method)


def _assert_outputs_differ(actual, expected):
    assert any(
        actual[m].shape != expected[m].shape or not np.allclose(actual[m], expected[m])
        for m in expected
    )


@pytest.mark.parametrize("name", MITIGATORS)
def test_pipeline_routes_groups(name):
    (X, y, groups), (X_test, _, groups_test) = TRAIN, TEST
    X, X_test = X[:, 1:], X_test[:, 1:]
    pipe = Pipeline([("scale", StandardScaler()), ("est", _make(name))])
    pipe.fit(X, y, sensitive_features=groups)

    scaler = StandardScaler().fit(X)
    direct = _mitigators()[name].fit(scaler.transform(X), y, sensitive_features=groups)
    routed_out = _outputs(pipe, X_test, groups_test)
    direct_out = _outputs(direct, scaler.transform(X_test), groups_test)
    _assert_outputs_equal(routed_out, direct_out)
    assert_array_equal(pipe[-1].groups_, direct.groups_)

    # The comparison is sensitive to the groups: other groups, other result.
    shuffled = np.random.default_rng(0).permutation(groups)
    other = _mitigators()[name].fit(scaler.transform(X), y, sensitive_features=shuffled)
    _assert_outputs_differ(
        routed_out, _outputs(other, scaler.transform(X_test), groups_test)
    )


def _scored(name):
    """The estimator as cross-validated: a transformer gets a classifier after it."""
    estimator = _make(name)
    if name in TRANSFORMERS:
        return Pipeline([("repair", estimator), ("clf", LogisticRegression())])
    return estimator


def _direct_score(name, train, test, params=None):
    """Score of a direct fit on ``train``, the groups passed by hand."""
    (X, y, groups) = TRAIN
    X = X[:, 1:]
    params = {k.removeprefix("repair__"): v for k, v in (params or {}).items()}
    estimator = _mitigators()[name].set_params(**params)
    if name in TRANSFORMERS:
        estimator.fit(X[train], y[train], sensitive_features=groups[train])
        clf = LogisticRegression().fit(
            estimator.transform(X[train], sensitive_features=groups[train]), y[train]
        )
        repaired = estimator.transform(X[test], sensitive_features=groups[test])
        return clf.score(repaired, y[test]), estimator
    estimator.fit(X[train], y[train], sensitive_features=groups[train])
    kwargs = {}
    if _takes_groups(estimator, "score"):
        kwargs["sensitive_features"] = groups[test]
    return estimator.score(X[test], y[test], **kwargs), estimator


@pytest.mark.parametrize("name", MITIGATORS)
def test_cross_validate_routes_each_folds_groups(name):
    X, y, groups = TRAIN
    X = X[:, 1:]
    result = cross_validate(
        _scored(name),
        X,
        y,
        cv=CV,
        params={"sensitive_features": groups},
        return_estimator=True,
    )
    folds = _train_and_test_folds(X, y)
    for (train, test), fitted, score in zip(
        folds, result["estimator"], result["test_score"], strict=True
    ):
        expected_score, direct = _direct_score(name, train, test)
        assert score == pytest.approx(expected_score, abs=1e-12)
        fitted = fitted[0] if isinstance(fitted, Pipeline) else fitted
        assert_array_equal(fitted.groups_, direct.groups_)
        _assert_outputs_equal(
            _outputs(fitted, X[test], groups[test]),
            _outputs(direct, X[test], groups[test]),
        )


_GRIDS = {
    "Reweighing": {"estimator__C": [0.1, 1.0]},
    "ConstrainedLogisticRegression": {"tolerance": [0.01, 0.1]},
    "ThresholdOptimizer": {"tolerance": [0.0, 0.1]},
    "DisparateImpactRemover": {"repair__repair_level": [0.5, 1.0]},
    "ExponentiatedGradient": {"tolerance": [0.01, 0.1]},
    "GridSearch": {"grid_size": [3, 5]},
    "BarycenterRegressor": {"repair_level": [0.5, 1.0]},
    "CorrelationRemover": {"repair__alpha": [0.5, 1.0]},
    "RejectOptionClassifier": {"tolerance": [0.01, 0.1]},
    "CalibratedEqualizedOdds": {"cost_constraint": ["fnr", "fpr"]},
    "AdversarialDebiasing": {"adversary_loss_weight": [0.1, 1.0]},
}


@pytest.mark.parametrize("name", MITIGATORS)
def test_grid_search_routes_groups(name):
    X, y, groups = TRAIN
    X = X[:, 1:]
    grid = _GRIDS[name]
    search = GridSearchCV(_scored(name), grid, cv=CV)
    search.fit(X, y, sensitive_features=groups)
    ((param, values),) = grid.items()
    folds = _train_and_test_folds(X, y)
    for i, value in enumerate(values):
        assert search.cv_results_["params"][i] == {param: value}
        expected = [
            _direct_score(name, train, test, {param: value})[0] for train, test in folds
        ]
        assert_allclose(
            [search.cv_results_[f"split{k}_test_score"][i] for k in range(3)],
            expected,
            atol=1e-12,
        )
    # The refitted best estimator got every row's groups.
    best = search.best_estimator_
    best = best[0] if isinstance(best, Pipeline) else best
    assert_array_equal(best.groups_, ["F", "M"])


# --------------------------------------------------------------------------
# Scorers call predict(X) without metadata: a documented limitation
# --------------------------------------------------------------------------


def _needs_groups_at_predict():
    return {
        "ThresholdOptimizer": _make("ThresholdOptimizer"),
        "DisparateImpactRemover": Pipeline(
            [("repair", _make("DisparateImpactRemover")), ("clf", LogisticRegression())]
        ),
    }


@pytest.mark.parametrize("name", ["ThresholdOptimizer", "DisparateImpactRemover"])
def test_scorer_without_groups_raises_a_clear_error(name):
    X, y, groups = TRAIN
    estimator = _needs_groups_at_predict()[name]
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        cross_validate(
            estimator,
            X[:, 1:],
            y,
            cv=CV,
            scoring="accuracy",
            params={"sensitive_features": groups},
            error_score="raise",
        )


@pytest.mark.parametrize("name", ["ThresholdOptimizer", "DisparateImpactRemover"])
def test_scorer_without_groups_never_gives_a_silent_score(name):
    # With scikit-learn's default error_score=nan the failure is a NaN score
    # and a warning that carries skfair's message, never a number.
    X, y, groups = TRAIN
    estimator = _needs_groups_at_predict()[name]
    with pytest.warns(UserWarning, match="needs the sensitive features"):
        result = cross_validate(
            estimator,
            X[:, 1:],
            y,
            cv=CV,
            scoring="accuracy",
            params={"sensitive_features": groups},
        )
    assert np.isnan(result["test_score"]).all()


def test_sensitive_cols_is_the_way_to_score_with_a_scorer():
    # The documented way: read the groups from X. The accuracy scorer then
    # works, and its scores are those of direct fits on the folds.
    X, y, groups = TRAIN
    X_with_groups = np.column_stack([X[:, 1:], (groups == "M").astype(float)])
    optimizer = ThresholdOptimizer(
        LogisticRegression(),
        constraints="demographic_parity",
        sensitive_cols=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search = GridSearchCV(
            optimizer, {"tolerance": [0.0, 0.1]}, cv=CV, scoring="accuracy"
        ).fit(X_with_groups, y)
    for i, tolerance in enumerate([0.0, 0.1]):
        expected = [
            np.mean(
                clone(optimizer)
                .set_params(tolerance=tolerance)
                .fit(X_with_groups[train], y[train])
                .predict(X_with_groups[test])
                == y[test]
            )
            for train, test in CV.split(X, y)
        ]
        assert_allclose(
            [search.cv_results_[f"split{k}_test_score"][i] for k in range(3)],
            expected,
        )


@pytest.mark.parametrize(
    "name", ["Reweighing", "ConstrainedLogisticRegression", "AdversarialDebiasing"]
)
def test_scorer_works_for_estimators_that_need_groups_only_in_fit(name):
    X, y, groups = TRAIN
    X = X[:, 1:]
    result = cross_validate(
        _make(name),
        X,
        y,
        cv=CV,
        scoring="accuracy",
        params={"sensitive_features": groups},
    )
    for (train, test), score in zip(
        _train_and_test_folds(X, y), result["test_score"], strict=True
    ):
        direct = _mitigators()[name].fit(
            X[train], y[train], sensitive_features=groups[train]
        )
        assert score == pytest.approx(np.mean(direct.predict(X[test]) == y[test]))


class _DuckClassifier:
    """A classifier with fit/predict/predict_proba and no BaseEstimator."""

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, X, y, sample_weight=None):
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@pytest.mark.parametrize("meta", [Reweighing, ThresholdOptimizer])
def test_duck_typed_estimator_with_routed_groups(meta):
    # Failed with AttributeError __sklearn_tags__ (the meta-estimators' tags
    # asked scikit-learn for the inner estimator's, which needs BaseEstimator).
    X, y, groups = TRAIN
    logistic = LogisticRegression().set_fit_request(sample_weight=True)
    duck = meta(_DuckClassifier()).set_fit_request(sensitive_features=True)
    plain = meta(logistic).set_fit_request(sensitive_features=True)
    predict_kwargs = {}
    if meta is ThresholdOptimizer:
        duck.set_params(random_state=0)
        plain.set_params(random_state=0)
        predict_kwargs = {"sensitive_features": TEST[2]}
    duck.fit(X, y, sensitive_features=groups)
    plain.fit(X, y, sensitive_features=groups)
    assert_allclose(
        duck.predict_proba(TEST[0], **predict_kwargs),
        plain.predict_proba(TEST[0], **predict_kwargs),
    )


def test_duck_typed_estimator_in_grid_search_with_routed_groups():
    X, y, groups = TRAIN
    duck = Reweighing(_DuckClassifier()).set_fit_request(sensitive_features=True)
    search = GridSearchCV(duck, {}, cv=CV, scoring="accuracy", error_score="raise")
    search.fit(X, y, sensitive_features=groups)
    assert 0.5 < search.best_score_ <= 1.0
