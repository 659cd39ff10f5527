"""Tests for reweighing_weights and the Reweighing meta-estimator."""

import pickle
import warnings
from collections import Counter
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.metadata_routing import MetadataRouter

from skfair.exceptions import SmallCellWarning
from skfair.preprocessing import DisparateImpactRemover, Reweighing, reweighing_weights


def _brute_force_weights(y, groups, sample_weight=None):
    """w(g, c) = P(g) P(c) / P(g, c), counted row by row in plain Python."""
    n = len(y)
    sw = [1.0] * n if sample_weight is None else list(sample_weight)
    total = sum(sw)
    by_group, by_class, by_cell = Counter(), Counter(), Counter()
    for yi, gi, wi in zip(y, groups, sw, strict=True):
        by_group[gi] += wi
        by_class[yi] += wi
        by_cell[gi, yi] += wi
    out = []
    for yi, gi, wi in zip(y, groups, sw, strict=True):
        p_g, p_c, p_gc = by_group[gi] / total, by_class[yi] / total, by_cell[gi, yi]
        out.append(0.0 if p_gc == 0 else wi * p_g * p_c / (p_gc / total))
    return np.array(out)


def _toy(n=400, seed=0, n_groups=2):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n)
    x1 = rng.normal(size=n) + group
    x2 = rng.normal(size=n)
    y = (x1 + 0.5 * x2 + rng.normal(size=n) > 0.7).astype(int)
    return np.column_stack([x1, x2]), y, group


# --------------------------------------------------------------------------
# reweighing_weights
# --------------------------------------------------------------------------


def test_weights_hand_computed():
    # 8 rows: group a has 3 positives of 4, group b 1 of 4; P(g) = P(c) = 1/2.
    y = [1, 1, 1, 0, 1, 0, 0, 0]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    expected = [
        0.25 / (3 / 8),
        0.25 / (3 / 8),
        0.25 / (3 / 8),
        0.25 / (1 / 8),
        0.25 / (1 / 8),
        0.25 / (3 / 8),
        0.25 / (3 / 8),
        0.25 / (3 / 8),
    ]
    assert_allclose(reweighing_weights(y, sensitive_features=g), expected)


@pytest.mark.parametrize("seed", range(3))
def test_weights_match_brute_force_many_groups_and_classes(seed):
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.choice(["lo", "mid", "hi"], n, p=[0.5, 0.3, 0.2])
    g = rng.integers(0, 5, n)
    sw = rng.uniform(0.1, 3.0, n)
    assert_allclose(
        reweighing_weights(y, sensitive_features=g), _brute_force_weights(y, g)
    )
    assert_allclose(
        reweighing_weights(y, sensitive_features=g, sample_weight=sw),
        _brute_force_weights(y, g, sw),
    )


@pytest.mark.parametrize("scale", [1e-200, 1e-300, 1e300, 1e306])
def test_weights_at_extreme_scales_match_exact_arithmetic(scale):
    # The products P(g) P(c) underflowed to 0 (1e-200) or overflowed to NaN
    # (1e306); the oracle computes in exact fractions.
    rng = np.random.default_rng(4)
    n = 60
    y = rng.integers(0, 2, n)
    g = rng.integers(0, 3, n)
    sw = rng.uniform(0.1, 1.5, n) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # 60 rows in 6 cells: small cells, as the data mean to be.
        warnings.filterwarnings("ignore", category=SmallCellWarning)
        weights = reweighing_weights(y, sensitive_features=g, sample_weight=sw)
    exact = _brute_force_weights(y, g, [Fraction(w) for w in sw])
    assert_allclose(weights, [float(w) for w in exact], rtol=1e-12)


def test_weights_overflowing_float64_raise():
    # Group "a" is rare among positives: its positive row's factor is 2.5.
    y = [1, 0, 0, 0, 1, 1, 1, 1]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    with pytest.raises(ValueError, match="overflow float64.*Divide sample_weight"):
        reweighing_weights(y, sensitive_features=g, sample_weight=[1e308] * 8)


def test_weights_intersectional_groups():
    rng = np.random.default_rng(1)
    n = 500
    sex = rng.choice(["f", "m"], n)
    race = rng.choice(["x", "y", "z"], n)
    y = rng.integers(0, 2, n)
    sf = pd.DataFrame({"sex": sex, "race": race})
    combined = [f"{s}|{r}" for s, r in zip(sex, race, strict=True)]
    assert_allclose(
        reweighing_weights(y, sensitive_features=sf),
        _brute_force_weights(y, combined),
    )
    assert_allclose(
        reweighing_weights(y, sensitive_features=np.column_stack([sex, race])),
        _brute_force_weights(y, combined),
    )


def test_weights_make_group_and_label_independent():
    rng = np.random.default_rng(2)
    n = 1000
    g = rng.integers(0, 3, n)
    y = (rng.random(n) < 0.2 + 0.2 * g).astype(int)
    sw = rng.uniform(0.5, 2.0, n)
    w = reweighing_weights(y, sensitive_features=g, sample_weight=sw)
    total = w.sum()
    assert total == pytest.approx(sw.sum())
    for gi in range(3):
        # Group totals and class totals are kept; the joint is the product.
        assert w[g == gi].sum() == pytest.approx(sw[g == gi].sum())
        for c in (0, 1):
            p_joint = w[(g == gi) & (y == c)].sum() / total
            p_prod = (w[g == gi].sum() / total) * (w[y == c].sum() / total)
            assert p_joint == pytest.approx(p_prod)
    for c in (0, 1):
        assert w[y == c].sum() == pytest.approx(sw[y == c].sum())


def test_integer_sample_weight_equals_repeating_rows():
    rng = np.random.default_rng(3)
    n = 60
    y = rng.integers(0, 2, n)
    g = rng.integers(0, 3, n)
    counts = rng.integers(1, 4, n)
    weighted = reweighing_weights(y, sensitive_features=g, sample_weight=counts)
    repeated = reweighing_weights(
        np.repeat(y, counts), sensitive_features=np.repeat(g, counts)
    )
    # Each repeated copy has the per-row factor; the weighted row has count x it.
    assert_allclose(weighted, counts * repeated[np.cumsum(counts) - 1])


def test_zero_weight_cells_and_groups():
    y = np.array([1, 0, 1, 0, 1, 0])
    g = np.array([0, 0, 1, 1, 2, 2])
    sw = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])  # cell (1, 1) and group 2 empty
    w = reweighing_weights(y, sensitive_features=g, sample_weight=sw)
    assert np.isfinite(w).all()
    assert_array_equal(w[sw == 0], 0.0)
    assert_allclose(w, _brute_force_weights(y, g, sw))
    # Group 1 has weight in class 0 only: P(g=1) P(c=0) / P(g=1, c=0) = 2/3.
    assert w[3] == pytest.approx(2 / 3)


def test_single_group_gives_unit_weights():
    y = [0, 1, 1, 0, 1]
    assert_allclose(reweighing_weights(y, sensitive_features=["a"] * 5), 1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": [0, 1, 1], "sensitive_features": [0, 1]}, "rows"),
        ({"y": [0, 1, 1], "sensitive_features": [0, np.nan, 1.0]}, "missing"),
        ({"y": [0, np.nan, 1], "sensitive_features": [0, 1, 1]}, "missing"),
        ({"y": [0.1, 0.7, 1.3, 2.2], "sensitive_features": [0, 1, 1, 0]}, "class"),
        (
            {"y": [0, 1], "sensitive_features": [0, 1], "sample_weight": [0, 0]},
            "zero",
        ),
        (
            {"y": [0, 1], "sensitive_features": [0, 1], "sample_weight": [1, -1]},
            "negative",
        ),
        (
            {"y": [0, 1], "sensitive_features": [0, 1], "sample_weight": [1]},
            "sample_weight",
        ),
    ],
)
def test_weights_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        reweighing_weights(**kwargs)


def test_weights_do_not_modify_inputs():
    y = np.array([1, 0, 1, 1])
    g = pd.Series(["a", "b", "a", "b"])
    sw = np.array([1.0, 2.0, 3.0, 4.0])
    copies = y.copy(), g.copy(), sw.copy()
    reweighing_weights(y, sensitive_features=g, sample_weight=sw)
    assert_array_equal(y, copies[0])
    pd.testing.assert_series_equal(g, copies[1])
    assert_array_equal(sw, copies[2])


def test_weights_match_aif360_binary_label_dataset():
    pytest.importorskip("aif360")
    from aif360.algorithms.preprocessing import Reweighing as AifReweighing
    from aif360.datasets import BinaryLabelDataset

    rng = np.random.default_rng(4)
    n = 500
    sex = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.15 + 0.3 * sex).astype(int)
    sw = rng.uniform(0.5, 2.0, n)
    df = pd.DataFrame({"x": rng.normal(size=n), "sex": sex.astype(float), "y": y})
    dataset = BinaryLabelDataset(
        df=df,
        label_names=["y"],
        protected_attribute_names=["sex"],
        favorable_label=1,
        unfavorable_label=0,
    )
    dataset.instance_weights = sw.copy()
    aif = AifReweighing(
        unprivileged_groups=[{"sex": 0}], privileged_groups=[{"sex": 1}]
    ).fit_transform(dataset)
    assert_allclose(
        reweighing_weights(y, sensitive_features=sex, sample_weight=sw),
        aif.instance_weights,
    )


def test_weights_match_aif360_sklearn_api_intersectional_multiclass():
    pytest.importorskip("aif360")
    from aif360.sklearn.preprocessing import Reweighing as AifReweighing

    rng = np.random.default_rng(5)
    n = 400
    sex = rng.choice(["f", "m"], n)
    race = rng.choice(["p", "q", "r"], n)
    y = rng.integers(0, 3, n)
    index = pd.MultiIndex.from_arrays([sex, race], names=["sex", "race"])
    X = pd.DataFrame({"x": rng.normal(size=n)}, index=index)
    _, aif_weights = AifReweighing(prot_attr=["sex", "race"]).fit_transform(X, y)
    ours = reweighing_weights(y, sensitive_features=np.column_stack([sex, race]))
    assert_allclose(ours, aif_weights)


# --------------------------------------------------------------------------
# Reweighing meta-estimator
# --------------------------------------------------------------------------


def test_fit_equals_manual_weighted_fit():
    X, y, g = _toy()
    weights = reweighing_weights(y, sensitive_features=g)
    manual = LogisticRegression().fit(X, y, sample_weight=weights)
    model = Reweighing(LogisticRegression()).fit(X, y, sensitive_features=g)
    assert_allclose(model.estimator_.coef_, manual.coef_)
    assert_array_equal(model.predict(X), manual.predict(X))
    assert_allclose(model.predict_proba(X), manual.predict_proba(X))
    assert_allclose(model.decision_function(X), manual.decision_function(X))
    assert model.score(X, y) == pytest.approx(manual.score(X, y))
    assert_array_equal(model.classes_, [0, 1])
    assert model.n_features_in_ == 2
    assert model.estimator is not model.estimator_  # a clone was fitted


def test_fitted_tables():
    X, y, g = _toy()
    model = Reweighing(LogisticRegression()).fit(X, y, sensitive_features=g)
    assert_array_equal(model.groups_, [0, 1])
    w = reweighing_weights(y, sensitive_features=g)
    for gi in (0, 1):
        for c in (0, 1):
            rows = (g == gi) & (y == c)
            assert model.weight_factors_[gi, c] == pytest.approx(w[rows][0])


def test_sample_weight_is_multiplied_in():
    X, y, g = _toy()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    weights = reweighing_weights(y, sensitive_features=g, sample_weight=sw)
    manual = LogisticRegression().fit(X, y, sample_weight=weights)
    model = Reweighing(LogisticRegression()).fit(
        X, y, sensitive_features=g, sample_weight=sw
    )
    assert_allclose(model.estimator_.coef_, manual.coef_)


def _frame(X, g):
    return pd.DataFrame(
        {"x1": X[:, 0], "group": np.where(g == 1, "b", "a"), "x2": X[:, 1]}
    )


def test_sensitive_cols_equals_keyword_and_drops_the_column():
    X, y, g = _toy()
    df = _frame(X, g)
    by_cols = Reweighing(LogisticRegression(), sensitive_cols="group").fit(df, y)
    by_keyword = Reweighing(LogisticRegression()).fit(
        df[["x1", "x2"]], y, sensitive_features=df["group"]
    )
    assert_allclose(by_cols.estimator_.coef_, by_keyword.estimator_.coef_)
    assert_allclose(
        by_cols.predict_proba(df), by_keyword.predict_proba(df[["x1", "x2"]])
    )
    # The group column is a group label, not a feature of the inner model.
    assert list(by_cols.estimator_.feature_names_in_) == ["x1", "x2"]
    assert list(by_cols.feature_names_in_) == ["x1", "group", "x2"]
    assert by_cols.n_features_in_ == 3

    # Same with a numpy array and a column position.
    arr = np.column_stack([X[:, 0], g, X[:, 1]])
    by_position = Reweighing(LogisticRegression(), sensitive_cols=1).fit(arr, y)
    assert_allclose(by_position.estimator_.coef_, by_keyword.estimator_.coef_)
    assert by_position.estimator_.n_features_in_ == 2
    assert_array_equal(by_position.predict(arr), by_cols.predict(df))


def test_predict_checks_features():
    X, y, g = _toy()
    df = _frame(X, g)
    model = Reweighing(LogisticRegression(), sensitive_cols="group").fit(df, y)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df[["x2", "group", "x1"]])
    arr_model = Reweighing(LogisticRegression(), sensitive_cols=0).fit(
        np.column_stack([g, X]), y
    )
    with pytest.raises(ValueError, match="features"):
        arr_model.predict(X)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        Reweighing(LogisticRegression(), sensitive_cols=0).predict(np.ones((2, 2)))


def test_delegated_methods_exist_only_if_inner_has_them():
    assert not hasattr(Reweighing(LinearSVC()), "predict_proba")
    assert hasattr(Reweighing(LinearSVC()), "decision_function")
    assert hasattr(Reweighing(LogisticRegression()), "predict_proba")
    X, y, g = _toy()
    model = Reweighing(LinearSVC()).fit(X, y, sensitive_features=g)
    assert not hasattr(model, "predict_proba")
    assert model.decision_function(X).shape == (len(y),)


def test_multiclass():
    rng = np.random.default_rng(6)
    n = 600
    g = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + g[:, None]
    y = np.digitize(X[:, 0] + rng.normal(size=n), [0.0, 1.0])
    weights = reweighing_weights(y, sensitive_features=g)
    manual = LogisticRegression().fit(X, y, sample_weight=weights)
    model = Reweighing(LogisticRegression()).fit(X, y, sensitive_features=g)
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.weight_factors_.shape == (2, 3)
    assert_allclose(model.predict_proba(X), manual.predict_proba(X))


def test_estimator_without_sample_weight():
    X, y, g = _toy()
    with pytest.raises(ValueError, match="KNeighborsClassifier"):
        Reweighing(KNeighborsClassifier()).fit(X, y, sensitive_features=g)
    with pytest.raises(ValueError, match="KNeighborsClassifier"):
        Reweighing(make_pipeline(StandardScaler(), KNeighborsClassifier())).fit(
            X, y, sensitive_features=g
        )
    with pytest.raises(ValueError, match="passthrough"):
        Reweighing(Pipeline([("s", StandardScaler()), ("m", "passthrough")])).fit(
            X, y, sensitive_features=g
        )


def test_groups_required():
    X, y, _ = _toy()
    with pytest.raises(ValueError, match="sensitive_cols"):
        Reweighing(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="both"):
        Reweighing(LogisticRegression(), sensitive_cols=0).fit(
            X, y, sensitive_features=y
        )
    with pytest.raises(ValueError, match="rows"):
        Reweighing(LogisticRegression()).fit(X, y, sensitive_features=y[:-1])


def test_pipeline_inner_estimator_gets_weights_on_final_step():
    X, y, g = _toy()
    weights = reweighing_weights(y, sensitive_features=g)
    manual = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X, y, logisticregression__sample_weight=weights
    )
    model = Reweighing(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X, y, sensitive_features=g
    )
    assert_allclose(model.estimator_[-1].coef_, manual[-1].coef_)
    # The scaler was fitted without weights: its mean is the plain mean.
    assert_allclose(model.estimator_[0].mean_, X.mean(axis=0))

    nested = Pipeline(
        [
            (
                "outer",
                Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]),
            )
        ]
    )
    nested_model = Reweighing(nested).fit(X, y, sensitive_features=g)
    assert_allclose(nested_model.estimator_[-1][-1].coef_, manual[-1].coef_)


def test_fit_params_are_passed_on():
    X, y, g = _toy()
    weights = reweighing_weights(y, sensitive_features=g)
    # A weighted scaler sees the reweighed data only if asked to.
    model = Reweighing(make_pipeline(StandardScaler(), LogisticRegression())).fit(
        X, y, sensitive_features=g, standardscaler__sample_weight=weights
    )
    assert_allclose(model.estimator_[0].mean_, np.average(X, axis=0, weights=weights))
    with pytest.raises(ValueError, match="sample_weight"):
        Reweighing(make_pipeline(LogisticRegression())).fit(
            X, y, sensitive_features=g, logisticregression__sample_weight=weights
        )


def test_inputs_not_modified():
    X, y, g = _toy()
    df = _frame(X, g)
    ys = pd.Series(y)
    sw = np.ones(len(y))
    copies = df.copy(), ys.copy(), sw.copy()
    model = Reweighing(LogisticRegression(), sensitive_cols="group")
    model.fit(df, ys, sample_weight=sw)
    model.predict(df)
    pd.testing.assert_frame_equal(df, copies[0])
    pd.testing.assert_series_equal(ys, copies[1])
    assert_array_equal(sw, copies[2])


def test_pickle_round_trip():
    X, y, g = _toy()
    df = _frame(X, g)
    model = Reweighing(LogisticRegression(), sensitive_cols="group").fit(df, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(df), model.predict_proba(df))


@pytest.mark.parametrize("as_frame", [False, True])
def test_grid_search_default_scoring_and_cross_val_score(as_frame):
    X, y, g = _toy(n=300)
    if as_frame:
        data, cols = _frame(X, g), "group"
    else:
        data, cols = np.column_stack([X[:, 0], g, X[:, 1]]), 1
    model = Reweighing(LogisticRegression(), sensitive_cols=cols)
    search = GridSearchCV(model, {"estimator__C": [0.01, 1.0]}, cv=3).fit(data, y)
    assert search.best_params_["estimator__C"] in (0.01, 1.0)
    assert 0.5 < search.best_score_ <= 1.0
    # Default scoring is the inner model's accuracy on the held-out folds.
    best = search.best_estimator_
    assert best.score(data, y) == pytest.approx((best.predict(data) == y).mean())
    scores = cross_val_score(model, data, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.5).all()


def test_pipeline_with_disparate_impact_remover_and_reweighing():
    X, y, g = _toy(n=300)
    data = np.column_stack([g, X])
    pipe = make_pipeline(
        DisparateImpactRemover(sensitive_cols=0, random_state=0),
        Reweighing(LogisticRegression(), sensitive_cols=0),
    )
    scores = cross_val_score(pipe, data, y, cv=3)
    assert (scores > 0.5).all()
    search = GridSearchCV(
        pipe, {"disparateimpactremover__repair_level": [0.0, 1.0]}, cv=3
    ).fit(data, y)
    assert search.best_estimator_[-1].estimator_.n_features_in_ == 2


def test_tags_follow_inner_estimator():
    from sklearn.utils import get_tags

    assert get_tags(Reweighing(LogisticRegression())).estimator_type == "classifier"
    assert get_tags(Reweighing(LogisticRegression())).input_tags.sparse
    assert not get_tags(
        Reweighing(LogisticRegression(), sensitive_cols=0)
    ).input_tags.sparse


# --------------------------------------------------------------------------
# Metadata routing
# --------------------------------------------------------------------------


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_routing_plain_estimator(routing):
    X, y, g = _toy()
    weights = reweighing_weights(y, sensitive_features=g)
    manual = LogisticRegression().fit(X, y, sample_weight=weights)
    inner = LogisticRegression().set_fit_request(sample_weight=True)
    model = Reweighing(inner).fit(X, y, sensitive_features=g)
    assert_allclose(model.estimator_.coef_, manual.coef_)


def test_routing_requires_a_request(routing):
    X, y, g = _toy()
    with pytest.raises(ValueError, match="set_fit_request"):
        Reweighing(LogisticRegression()).fit(X, y, sensitive_features=g)
    with pytest.raises(ValueError, match="set_fit_request"):
        Reweighing(LogisticRegression().set_fit_request(sample_weight=False)).fit(
            X, y, sensitive_features=g
        )
    with pytest.raises(ValueError, match="KNeighborsClassifier"):
        Reweighing(KNeighborsClassifier()).fit(X, y, sensitive_features=g)


def test_routing_pipeline_step_request(routing):
    X, y, g = _toy()
    weights = reweighing_weights(y, sensitive_features=g)
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        LogisticRegression().set_fit_request(sample_weight=True),
    )
    model = Reweighing(pipe).fit(X, y, sensitive_features=g)
    manual = LogisticRegression().fit(
        StandardScaler().fit_transform(X), y, sample_weight=weights
    )
    assert_allclose(model.estimator_[-1].coef_, manual.coef_)
    assert_allclose(model.estimator_[0].mean_, X.mean(axis=0))

    # Requested on the scaler too: it then sees the weights as well.
    both = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True),
        LogisticRegression().set_fit_request(sample_weight=True),
    )
    model = Reweighing(both).fit(X, y, sensitive_features=g)
    assert_allclose(model.estimator_[0].mean_, np.average(X, axis=0, weights=weights))


def test_routing_grid_search_routes_sensitive_features(routing):
    X, y, g = _toy(n=300)
    model = Reweighing(
        LogisticRegression().set_fit_request(sample_weight=True)
    ).set_fit_request(sensitive_features=True)
    search = GridSearchCV(model, {"estimator__C": [0.1, 1.0]}, cv=3)
    search.fit(X, y, sensitive_features=g)
    refit = Reweighing(LogisticRegression(C=search.best_params_["estimator__C"]))
    with sklearn.config_context(enable_metadata_routing=False):
        refit.fit(X, y, sensitive_features=g)
    assert_allclose(search.best_estimator_.estimator_.coef_, refit.estimator_.coef_)
    scores = cross_val_score(model, X, y, cv=3, params={"sensitive_features": g})
    assert (scores > 0.5).all()


def test_routing_predict_params_reach_the_inner_pipeline(routing):
    X, y, g = _toy(n=300)
    remover = (
        DisparateImpactRemover(random_state=0)
        .set_fit_request(sensitive_features=True, sample_weight=False)
        .set_transform_request(sensitive_features=True)
    )
    pipe = make_pipeline(
        remover, LogisticRegression().set_fit_request(sample_weight=True)
    )
    model = Reweighing(pipe).fit(X, y, sensitive_features=g)
    manual_X = clone(remover).fit_transform(X, sensitive_features=g)
    weights = reweighing_weights(y, sensitive_features=g)
    manual = LogisticRegression().fit(manual_X, y, sample_weight=weights)
    assert_allclose(model.estimator_[-1].coef_, manual.coef_)
    assert_array_equal(model.predict(X, sensitive_features=g), manual.predict(manual_X))


def test_get_metadata_routing(routing):
    inner = LogisticRegression().set_fit_request(sample_weight=True)
    model = Reweighing(inner).set_fit_request(sensitive_features=True)
    router = model.get_metadata_routing()
    assert isinstance(router, MetadataRouter)
    assert router.consumes("fit", ["sensitive_features", "sample_weight"]) == {
        "sensitive_features",
        "sample_weight",
    }
    assert router.consumes("predict", ["sensitive_features"]) == set()


def test_extra_params_without_routing_are_rejected_at_predict():
    X, y, g = _toy()
    model = Reweighing(LogisticRegression()).fit(X, y, sensitive_features=g)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        model.predict(X, sensitive_features=g)


# --------------------------------------------------------------------------
# Adult: the fairness effect
# --------------------------------------------------------------------------


def _adult_model():
    encode = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_include="category"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def _selection_rate_gap(y_pred, groups):
    groups = np.asarray(groups)
    rates = [y_pred[groups == g].mean() for g in np.unique(groups)]
    return max(rates) - min(rates)


def test_adult_demographic_parity_gap_drops_by_a_fifth():
    from skfair.datasets import load_adult

    train, test = load_adult(split="train"), load_adult(split="test")
    baseline = _adult_model().fit(train.data.drop(columns="sex"), train.target)
    gap_before = _selection_rate_gap(
        baseline.predict(test.data.drop(columns="sex")), test.data["sex"]
    )
    model = Reweighing(_adult_model(), sensitive_cols="sex").fit(
        train.data, train.target
    )
    y_pred = model.predict(test.data)
    gap_after = _selection_rate_gap(y_pred, test.data["sex"])
    assert gap_after <= 0.8 * gap_before
    assert (y_pred == test.target).mean() > 0.8
