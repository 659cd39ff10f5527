"""Tests of make_fairness_scorer in searches, with and without metadata routing."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
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
        "dpr": make_fairness_scorer(
            "demographic_parity_ratio", sensitive_cols=["sex"], greater_is_better=True
        ),
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
            assert results[f"split{k}_test_dpr"][i] == pytest.approx(dpr)
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
    worse = make_fairness_scorer("equal_opportunity_ratio", sensitive_cols="sex")
    better = make_fairness_scorer(
        "equal_opportunity_ratio", sensitive_cols="sex", greater_is_better=True
    )
    assert worse(model, X, y) == pytest.approx(-expected)
    assert better(model, X, y) == pytest.approx(expected)
    for copy in (pickle.loads(pickle.dumps(better)), clone(better, safe=False)):
        assert copy(model, X, y) == better(model, X, y)
    assert "sensitive_cols='sex'" in repr(better)


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
        make_fairness_scorer("equalized_odds_difference", greater_is_better="yes")
    with pytest.raises(ValueError, match="metric must be"):
        make_fairness_scorer(3)


def test_scorer_without_groups_explains_both_ways():
    X, y = _data(seed=5)
    X_num = X[["x1", "x2"]].to_numpy()
    model = LogisticRegression().fit(X_num, y)
    scorer = make_fairness_scorer("equalized_odds_difference")
    with pytest.raises(ValueError, match="sensitive_cols=.*set_score_request"):
        scorer(model, X_num, y)


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
