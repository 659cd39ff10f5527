"""BarycenterRegressor: Wasserstein-barycenter post-processing for regression."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

from skfair.metrics import ks_distance_between_groups
from skfair.postprocessing import BarycenterRegressor


def make_data(n=1200, seed=0):
    rng = np.random.RandomState(seed)
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    shift = {"a": 0.0, "b": 1.0, "c": -0.7}
    X = rng.normal(size=(n, 2)) + np.array([shift[g] for g in groups])[:, None]
    y = 2 * X[:, 0] - X[:, 1] + rng.normal(size=n)
    return X, y, groups


@pytest.fixture(scope="module")
def data():
    return make_data()


def _step_quantile(levels, quantiles, u):
    return quantiles[np.minimum(np.searchsorted(levels, u), levels.size - 1)]


def test_barycenter_is_the_weighted_average_of_the_groups_quantiles(data):
    X, y, groups = data
    fair = BarycenterRegressor(LinearRegression(), random_state=0)
    fair.fit(X, y, sensitive_features=groups)
    pred = fair.estimator_.predict(X)
    shares = np.array([np.mean(groups == g) for g in fair.groups_])
    assert_allclose(fair.group_weights_, shares)
    # Independently: numpy's inverted-CDF quantiles, averaged with the shares.
    u = np.linspace(0.0005, 0.9995, 999)
    expected = sum(
        p * np.quantile(pred[groups == g], u, method="inverted_cdf")
        for p, g in zip(shares, fair.groups_, strict=True)
    )
    assert_allclose(
        _step_quantile(fair.quantile_levels_, fair.barycenter_quantiles_, u),
        expected,
    )


def test_repair_equalises_the_groups_distributions(data):
    X, y, groups = data
    model = LinearRegression().fit(X, y)
    before = ks_distance_between_groups(y, model.predict(X), sensitive_features=groups)
    assert before > 0.3
    fair = BarycenterRegressor(model, prefit=True, random_state=0)
    fair.fit(X, y, sensitive_features=groups)
    after = ks_distance_between_groups(
        y, fair.predict(X, sensitive_features=groups), sensitive_features=groups
    )
    # On training data with distinct predictions, each group's repaired
    # predictions are the barycenter's quantiles at its own uniform draws.
    assert after < 0.06
    # On fresh data from the same distribution, up to sampling noise (of the
    # fresh rows and of the training CDFs, about 0.1 for 240 rows).
    X_new, _, groups_new = make_data(n=6000, seed=1)
    new = fair.predict(X_new, sensitive_features=groups_new)
    assert ks_distance_between_groups(None, new, sensitive_features=groups_new) < 0.12


def test_repair_level_interpolates(data):
    X, y, groups = data
    base = BarycenterRegressor(LinearRegression(), random_state=3)
    full = clone(base).fit(X, y, sensitive_features=groups)
    raw = full.estimator_.predict(X)
    repaired = full.predict(X, sensitive_features=groups)
    for level in (0.0, 0.3, 0.5):
        part = clone(base).set_params(repair_level=level)
        part.fit(X, y, sensitive_features=groups)
        assert_allclose(
            part.predict(X, sensitive_features=groups),
            (1 - level) * raw + level * repaired,
        )
    half = clone(base).set_params(repair_level=0.5).fit(X, y, sensitive_features=groups)
    ks = [
        ks_distance_between_groups(None, p, sensitive_features=groups)
        for p in (raw, half.predict(X, sensitive_features=groups), repaired)
    ]
    assert ks[0] > ks[1] > ks[2]


def test_ties_are_split_exactly(data):
    # A shallow tree predicts 4 values only: heavy ties. Splitting them by
    # uniform draws makes every group's repaired predictions follow the
    # barycenter; mapping a tie to one level (no split) would not.
    X, y, groups = data
    fair = BarycenterRegressor(DecisionTreeRegressor(max_depth=2, random_state=0))
    fair.fit(X, y, sensitive_features=groups)
    assert np.unique(fair.estimator_.predict(X)).size <= 4
    levels, quantiles = fair.quantile_levels_, fair.barycenter_quantiles_
    # The barycenter's CDF at each of its values.
    target = np.array([levels[quantiles <= q].max() for q in quantiles])
    draws = np.array(
        [
            fair.set_params(random_state=seed).predict(X, sensitive_features=groups)
            for seed in range(300)
        ]
    )
    for g in fair.groups_:
        out = draws[:, groups == g]
        # Expected CDF over the seeds, at each barycenter value.
        cdf = np.array([(out <= q).mean() for q in quantiles])
        assert_allclose(cdf, target, atol=0.02)
    # Without splitting, a tied prediction would take its CDF value as level.
    pred = fair.estimator_.predict(X)
    a = groups == fair.groups_[0]
    values, cdf_a = fair.group_values_[0], fair.group_cdfs_[0]
    unsplit = _step_quantile(levels, quantiles, cdf_a[np.searchsorted(values, pred[a])])
    assert (
        np.abs(np.array([(unsplit <= q).mean() for q in quantiles]) - target).max()
        > 0.1
    )


def test_predictions_follow_the_rows_not_the_batch(data):
    X, y, groups = data
    fair = BarycenterRegressor(LinearRegression(), random_state=0)
    fair.fit(X, y, sensitive_features=groups)
    out = fair.predict(X, sensitive_features=groups)
    perm = np.random.RandomState(0).permutation(len(y))
    assert_array_equal(
        fair.predict(X[perm], sensitive_features=groups[perm]), out[perm]
    )
    single = [
        fair.predict(X[i : i + 1], sensitive_features=groups[i : i + 1])[0]
        for i in range(10)
    ]
    assert_array_equal(single, out[:10])
    # Another seed moves the training rows (their levels are drawn).
    other = clone(fair).set_params(random_state=1).fit(X, y, sensitive_features=groups)
    assert not np.array_equal(other.predict(X, sensitive_features=groups), out)


def test_sample_weight_equals_repeated_rows(data):
    X, y, groups = data
    weights = np.random.RandomState(2).randint(0, 4, size=len(y))
    rows = np.repeat(np.arange(len(y)), weights)
    model = LinearRegression().fit(X, y)
    fair = BarycenterRegressor(model, prefit=True, random_state=0)
    weighted = clone(fair).set_params(estimator=model)
    weighted.fit(X, y, sensitive_features=groups, sample_weight=weights)
    repeated = clone(fair).set_params(estimator=model)
    repeated.fit(X[rows], y[rows], sensitive_features=groups[rows])
    assert_allclose(weighted.barycenter_quantiles_, repeated.barycenter_quantiles_)
    assert_allclose(
        weighted.predict(X, sensitive_features=groups),
        repeated.predict(X, sensitive_features=groups),
    )


def test_sensitive_cols_equals_keyword(data):
    X, y, groups = data
    codes = np.searchsorted(np.unique(groups), groups)
    Xg = np.column_stack([X, codes])
    by_cols = BarycenterRegressor(Ridge(), sensitive_cols=2, random_state=0).fit(Xg, y)
    by_kw = BarycenterRegressor(Ridge(), random_state=0).fit(
        X, y, sensitive_features=codes
    )
    assert_allclose(by_cols.predict(Xg), by_kw.predict(X, sensitive_features=codes))
    assert by_cols.score(Xg, y) == pytest.approx(
        by_kw.score(X, y, sensitive_features=codes)
    )


def test_mse_cost_of_parity_is_the_barycenter_distance(data):
    # At repair 1 on training data, the mean squared move of the predictions
    # is the weighted sum of the groups' squared Wasserstein-2 distances to
    # the barycenter, which for two groups of equal size n with sorted
    # predictions a, b is mean((a - b) ** 2) / 4.
    rng = np.random.RandomState(4)
    n = 300
    groups = np.repeat(["a", "b"], n)
    X = np.concatenate([rng.normal(size=n), rng.normal(1.0, 2.0, size=n)])[:, None]
    y = X[:, 0] + rng.normal(size=2 * n)
    fair = BarycenterRegressor(LinearRegression(), random_state=0)
    fair.fit(X, y, sensitive_features=groups)
    raw = fair.estimator_.predict(X)
    moved = fair.predict(X, sensitive_features=groups) - raw
    a, b = np.sort(raw[:n]), np.sort(raw[n:])
    assert np.mean(moved**2) == pytest.approx(np.mean((a - b) ** 2) / 4)
    out = fair.predict(X, sensitive_features=groups)
    assert_array_equal(np.sort(out[:n]), np.sort(out[n:]))


@pytest.mark.parametrize(
    "case, match",
    [
        ("one_group", "one group only"),
        ("unseen_group", "not seen"),
        ("zero_weight_group", "zero total sample_weight"),
        ("nan_y", "NaN"),
        ("repair_level", "repair_level"),
        ("no_groups", "sensitive_features"),
    ],
)
def test_bad_input_gets_a_clear_value_error(data, case, match):
    X, y, groups = data
    est = BarycenterRegressor(LinearRegression())
    kwargs = dict(sensitive_features=groups)
    if case == "one_group":
        kwargs["sensitive_features"] = np.full(len(y), "a")
    elif case == "zero_weight_group":
        kwargs["sample_weight"] = (groups != "c").astype(float)
    elif case == "nan_y":
        y = np.where(groups == "a", np.nan, y)
    elif case == "repair_level":
        est.set_params(repair_level=1.5)
    elif case == "no_groups":
        kwargs = {}
    if case == "unseen_group":
        est.fit(X, y, **kwargs)
        with pytest.raises(ValueError, match=match):
            est.predict(X[:3], sensitive_features=["a", "b", "z"])
        return
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, **kwargs)


def test_inputs_are_not_modified(data):
    X, y, groups = data
    copies = [a.copy() for a in (X, y, groups)]
    weights = np.ones(len(y))
    fair = BarycenterRegressor(LinearRegression(), random_state=0)
    fair.fit(X, y, sensitive_features=groups, sample_weight=weights)
    fair.predict(X, sensitive_features=groups)
    for arr, copy in zip((X, y, groups), copies, strict=True):
        assert_array_equal(arr, copy)
    assert_array_equal(weights, 1.0)


class _LastBitModel(LinearRegression):
    """Predictions that differ in the last bits between batch sizes, like BLAS."""

    def predict(self, X):
        pred = super().predict(X)
        return pred * (1 + 4e-16) if len(X) == 1 else pred


def test_last_bit_differences_do_not_change_the_tie_split(data):
    X, y, groups = data
    fair = BarycenterRegressor(_LastBitModel(), random_state=0)
    fair.fit(X, y, sensitive_features=groups)
    out = fair.predict(X[:20], sensitive_features=groups[:20])
    single = [
        fair.predict(X[i : i + 1], sensitive_features=groups[i : i + 1])[0]
        for i in range(20)
    ]
    assert_allclose(single, out, rtol=1e-12)
