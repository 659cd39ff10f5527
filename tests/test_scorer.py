"""Tests of make_fairness_scorer in searches, with and without metadata routing."""

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skfair.metrics as skm
from skfair.metrics import make_fairness_scorer


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    x1 = rng.normal(size=n) + (sex == "male")
    x2 = rng.normal(size=n)
    y = (x1 + 0.5 * x2 + rng.normal(scale=0.8, size=n) > 0.5).astype(int)
    X = pd.DataFrame({"x1": x1, "sex": sex, "x2": x2})
    return X, y


def _pipeline(sex_handling):
    if sex_handling == "drop":
        columns = ColumnTransformer(
            [("num", StandardScaler(), ["x1", "x2"]), ("sex", "drop", ["sex"])]
        )
    else:
        columns = ColumnTransformer(
            [
                ("num", StandardScaler(), ["x1", "x2"]),
                ("sex", OneHotEncoder(), ["sex"]),
            ]
        )
    return Pipeline([("columns", columns), ("model", LogisticRegression())])


@pytest.mark.parametrize("sex_handling", ["drop", "encode"])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_with_sensitive_cols(sex_handling, n_jobs):
    X, y = _data()
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"model__C": [0.01, 1.0]}
    scoring = {
        "acc": "accuracy",
        "eo": make_fairness_scorer("equalized_odds_difference", sensitive_cols="sex"),
        "dpr": make_fairness_scorer("demographic_parity_ratio", sensitive_cols=["sex"]),
    }
    search = GridSearchCV(
        _pipeline(sex_handling),
        grid,
        scoring=scoring,
        refit="acc",
        cv=cv,
        n_jobs=n_jobs,
    )
    search.fit(X, y)
    results = search.cv_results_
    # Recompute every fold by hand: fit, predict on the raw test X, metric.
    for i, params in enumerate(results["params"]):
        for k, (train, test) in enumerate(cv.split(X)):
            model = clone(_pipeline(sex_handling)).set_params(**params)
            model.fit(X.iloc[train], y[train])
            pred = model.predict(X.iloc[test])
            sex = X["sex"].to_numpy()[test]
            eo = skm.equalized_odds_difference(y[test], pred, sensitive_features=sex)
            dpr = skm.demographic_parity_ratio(y[test], pred, sensitive_features=sex)
            assert results[f"split{k}_test_eo"][i] == pytest.approx(-eo)
            assert results[f"split{k}_test_dpr"][i] == pytest.approx(dpr - 1)
    assert hasattr(search, "best_estimator_")


def test_scorer_uses_metadata_routing_without_sensitive_cols():
    X, y = _data(seed=1)
    X_num = X[["x1", "x2"]].to_numpy()
    sf = X["sex"].to_numpy()
    cv = KFold(4, shuffle=True, random_state=1)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer("equalized_odds_difference", agg="mean")
        scorer.set_score_request(sensitive_features=True)
        out = cross_validate(
            LogisticRegression(),
            X_num,
            y,
            cv=cv,
            scoring=scorer,
            params={"sensitive_features": sf},
        )
    for k, (train, test) in enumerate(cv.split(X_num)):
        pred = LogisticRegression().fit(X_num[train], y[train]).predict(X_num[test])
        expected = skm.equalized_odds_difference(
            y[test], pred, sensitive_features=sf[test], agg="mean"
        )
        assert out["test_score"][k] == pytest.approx(-expected)


def test_routed_sample_weight_with_sensitive_cols():
    X, y = _data(seed=2)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer(
            "demographic_parity_difference", sensitive_cols="sex"
        )
        scorer.set_score_request(sample_weight=True)
        pipe = _pipeline("drop")
        # The weights are for the scorer only, not for fitting.
        pipe["model"].set_fit_request(sample_weight=False)
        pipe["columns"].transformers[0][1].set_fit_request(sample_weight=False)
        out = cross_validate(
            pipe, X, y, cv=cv, scoring=scorer, params={"sample_weight": w}
        )
    for k, (train, test) in enumerate(cv.split(X)):
        pred = _pipeline("drop").fit(X.iloc[train], y[train]).predict(X.iloc[test])
        expected = skm.demographic_parity_difference(
            y[test],
            pred,
            sensitive_features=X["sex"].to_numpy()[test],
            sample_weight=w[test],
        )
        assert out["test_score"][k] == pytest.approx(-expected)


def test_sign_pickle_and_clone():
    X, y = _data(seed=3)
    model = _pipeline("encode").fit(X, y)
    pred = model.predict(X)
    expected = skm.equal_opportunity_ratio(y, pred, sensitive_features=X["sex"])
    assert 0 < expected < 1
    named = make_fairness_scorer("equal_opportunity_ratio", sensitive_cols="sex")
    negated = make_fairness_scorer(skm.equal_opportunity_ratio, sensitive_cols="sex")
    kept = make_fairness_scorer(
        skm.equal_opportunity_ratio, sensitive_cols="sex", greater_is_better=True
    )
    assert named(model, X, y) == pytest.approx(expected - 1)
    assert negated(model, X, y) == pytest.approx(-expected)
    assert kept(model, X, y) == pytest.approx(expected)
    for scorer in (named, kept):
        for copy in (pickle.loads(pickle.dumps(scorer)), clone(scorer, safe=False)):
            assert copy(model, X, y) == scorer(model, X, y)
        assert "sensitive_cols='sex'" in repr(scorer)


def test_numpy_X_with_column_position_and_callable_metric():
    X, y = _data(seed=4)
    X_arr = X[["x1", "x2"]].assign(sex=(X["sex"] == "male").astype(float)).to_numpy()
    model = LogisticRegression().fit(X_arr, y)
    pred = model.predict(X_arr)

    scorer = make_fairness_scorer(
        skm.average_odds_difference, sensitive_cols=2, privileged_group=1.0
    )
    expected = skm.average_odds_difference(
        y, pred, sensitive_features=X_arr[:, 2], privileged_group=1.0
    )
    assert scorer(model, X_arr, y) == pytest.approx(-expected)


def test_scorer_construction_errors():
    with pytest.raises(ValueError, match="Unknown fairness metric 'accuracy'"):
        make_fairness_scorer("accuracy")
    with pytest.raises(ValueError, match=r"has no parameter\(s\) \['agg'\]"):
        make_fairness_scorer("demographic_parity_difference", agg="mean")
    with pytest.raises(ValueError, match="supplies these itself"):
        make_fairness_scorer("equalized_odds_difference", sensitive_features=[0, 1])
    with pytest.raises(ValueError, match="greater_is_better"):
        make_fairness_scorer(skm.equalized_odds_difference, greater_is_better="yes")
    for value in (True, False):
        with pytest.raises(ValueError, match="already minus its distance from parity"):
            make_fairness_scorer("demographic_parity_ratio", greater_is_better=value)
    with pytest.raises(ValueError, match="metric must be"):
        make_fairness_scorer(3)


def test_scorer_without_groups_explains_both_ways():
    X, y = _data(seed=5)
    X_num = X[["x1", "x2"]].to_numpy()
    model = LogisticRegression().fit(X_num, y)
    # Routing off: no way to get the groups, so making the scorer fails.
    for metric in ("equalized_odds_difference", skm.demographic_parity_difference):
        with pytest.raises(
            ValueError, match="sensitive_cols=.*enable_metadata_routing.*set_score_req"
        ):
            make_fairness_scorer(metric)
    # Routing on but nothing routed: the call itself says both ways.
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer("equalized_odds_difference")
        with pytest.raises(ValueError, match="sensitive_cols=.*set_score_request"):
            scorer(model, X_num, y)


@pytest.mark.parametrize("multimetric", [False, True])
def test_search_with_a_groupless_scorer_fails_before_fitting(multimetric):
    # scikit-learn turns a scorer's exception into error_score (NaN) with a
    # warning per split; the scorer must fail before the search runs at all.
    X, y = _data(seed=7)
    with pytest.raises(ValueError, match="sensitive_cols=.*set_score_request"):
        scorer = make_fairness_scorer("equalized_odds_difference")
        scoring = {"acc": "accuracy", "eo": scorer} if multimetric else scorer
        GridSearchCV(
            _pipeline("drop"),
            {"model__C": [0.1, 1.0]},
            scoring=scoring,
            refit="acc" if multimetric else True,
        ).fit(X, y)


def test_sensitive_cols_scorer_refuses_routed_groups():
    X, y = _data(seed=6)
    scorer = make_fairness_scorer("equalized_odds_difference", sensitive_cols="sex")
    model = _pipeline("drop").fit(X, y)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="does not request sensitive_features"):
            scorer.set_score_request(sensitive_features=True)
        with pytest.raises(ValueError, match="one way only"):
            scorer._score(
                lambda est, method, X, **kw: getattr(est, method)(X),
                model,
                X,
                y,
                sensitive_features=X["sex"],
            )


# ---------------------------------------------------------------- parity ranking

# Two groups with the same base rate. The fair model gives both the same
# confusion table (TPR 0.75, FPR 0.25); the others favour or starve one group.
_Y_GROUP = [1, 1, 1, 1, 0, 0, 0, 0]
_FAIR_GROUP = [1, 1, 1, 0, 1, 0, 0, 0]


class _FixedPredictions(ClassifierMixin, BaseEstimator):
    """Predicts the fair predictions, or favours / starves one group."""

    def __init__(self, mode="fair"):
        self.mode = mode

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        pred = X["fair"].to_numpy().copy()
        if self.mode != "fair":
            action, group = self.mode.split("_")
            pred[X["group"].to_numpy() == group] = 1 if action == "favour" else 0
        return pred


_MODES = ["favour_a", "favour_b", "starve_a", "starve_b"]


def _parity_data(repeats=3):
    n = len(_Y_GROUP)
    X = pd.DataFrame(
        {
            "fair": np.tile(_FAIR_GROUP, 2 * repeats),
            "group": np.repeat(["a", "b"], n).tolist() * repeats,
        }
    )
    return X, np.tile(_Y_GROUP, 2 * repeats)


def _metric_variants():
    """Every accepted metric name, with each of its aggregation options."""
    variants = []
    for name, func in skm._scorer.FAIRNESS_METRICS.items():
        params = inspect.signature(func).parameters
        options = [{}]
        if "method" in params:
            options.append({"method": "to_overall"})
        if "agg" in params:
            options.append({"agg": "mean"})
        if "privileged_group" in params:
            options.append({"privileged_group": "a"})
        variants += [(name, kw) for kw in options]
    return variants


def test_every_metric_name_is_covered():
    names = {name for name, _ in _metric_variants()}
    assert names == set(skm._scorer.FAIRNESS_METRICS)
    assert {"average_odds_difference", "disparate_impact_ratio"} <= names


@pytest.mark.parametrize("name, kw", _metric_variants())
def test_named_scorer_ranks_the_fair_model_first(name, kw):
    X, y = _parity_data()
    scorer = make_fairness_scorer(name, sensitive_cols="group", **kw)
    fair = scorer(_FixedPredictions("fair").fit(X, y), X, y)
    assert fair == pytest.approx(0.0)  # parity is the best possible score
    for mode in _MODES:
        unfair = scorer(_FixedPredictions(mode).fit(X, y), X, y)
        assert unfair < fair - 0.1, (mode, unfair)
    # And the search picks it, whatever order the candidates come in.
    search = GridSearchCV(
        _FixedPredictions(),
        {"mode": [*_MODES[:2], "fair", *_MODES[2:]]},
        scoring=scorer,
        cv=KFold(3),
    ).fit(X, y)
    assert search.best_params_ == {"mode": "fair"}


@pytest.mark.parametrize(
    "name, value, distance",
    [
        ("average_odds_difference", -0.3, 0.3),
        ("average_odds_difference", 0.3, 0.3),
        ("demographic_parity_ratio", 0.8, 0.2),
        ("disparate_impact_ratio", 0.5, 0.5),
        ("disparate_impact_ratio", 2.0, 0.5),  # favouring either side alike
        ("disparate_impact_ratio", float("inf"), 1.0),
        ("disparate_impact_ratio", 0.0, 1.0),
    ],
)
def test_parity_distance_rule(name, value, distance):
    assert skm._scorer._parity_distance(name, value) == pytest.approx(distance)
    assert np.isnan(skm._scorer._parity_distance(name, float("nan")))


def test_disparate_impact_score_does_not_depend_on_the_privileged_group():
    X, y = _parity_data()
    model = _FixedPredictions("starve_b").fit(X, y)
    scores = [
        make_fairness_scorer(
            "disparate_impact_ratio", sensitive_cols="group", privileged_group=g
        )(model, X, y)
        for g in ("a", "b")
    ]
    assert scores[0] == pytest.approx(scores[1])
    assert scores[0] < -0.1
