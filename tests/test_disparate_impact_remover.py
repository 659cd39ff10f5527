"""Tests for DisparateImpactRemover (Feldman et al., 2015, tie-aware repair)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair.preprocessing import DisparateImpactRemover, _disparate_impact


def _ks_between_groups(values, groups):
    """Largest two-sample KS distance between any two groups."""
    labels = np.unique(groups)
    return max(
        ks_2samp(values[groups == a], values[groups == b]).statistic
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
    )


def _discrete_data(n=6000, seed=0, n_groups=3):
    """Tie-heavy features whose distributions differ a lot between groups."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    counts = rng.poisson(1.0 + 2.0 * g).astype(float)
    hours = np.where(rng.random(n) < 0.5, 40.0, rng.integers(10, 70, n) + 5 * g)
    gain = np.where(rng.random(n) < 0.9 - 0.1 * g, 0.0, rng.integers(1, 20, n) * 100.0)
    return np.column_stack([counts, hours, gain]), g


def _with_distinct_rows(X, seed=0):
    """``X`` and a last, continuous column (not to repair) that tells rows apart.

    A row's tie-breaking draws hash its content, so whole duplicated rows
    share them (see the Notes on ties); on rows that differ somewhere, tied
    values are spread over their ranks independently.
    """
    other = np.random.default_rng(seed + 1000).random(X.shape[0])
    return np.column_stack([X, other]), list(range(X.shape[1]))


# --------------------------------------------------------------------------
# Closed forms on tiny data
# --------------------------------------------------------------------------


def test_closed_form_two_groups_equal_sizes():
    # Quantile functions 1,2,3,4 and 5,6,7,8 on the quarters: the median
    # (their average) is 3,4,5,6, and each rank maps to it exactly.
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    x = np.array([4.0, 1.0, 3.0, 2.0, 5.0, 8.0, 6.0, 7.0])
    X = np.column_stack([g, x])
    full = DisparateImpactRemover(sensitive_cols=0).fit_transform(X)
    assert_array_equal(full[:, 0], g)  # the sensitive column passes through
    assert_array_equal(full[:, 1], [6.0, 3.0, 5.0, 4.0, 3.0, 6.0, 4.0, 5.0])
    half = DisparateImpactRemover(repair_level=0.5, sensitive_cols=0).fit_transform(X)
    assert_array_equal(half[:, 1], [5.0, 2.0, 4.0, 3.0, 4.0, 7.0, 5.0, 6.0])


def test_closed_form_median_quantile_function_unequal_sizes():
    # A = {1, 2}: F_A^-1 = 1 on (0, .5], 2 on (.5, 1].
    # B = {10, 20, 30, 40}: F_B^-1 = 10, 20, 30, 40 on the quarters.
    # Median of two = average: 5.5, 10.5, 16, 21 on the quarters.
    X = np.array([1.0, 2.0, 10.0, 20.0, 30.0, 40.0])[:, None]
    g = np.array(["A", "A", "B", "B", "B", "B"])
    remover = DisparateImpactRemover().fit(X, sensitive_features=g)
    assert_allclose(remover.median_levels_[0], [0.25, 0.5, 0.75, 1.0])
    assert_allclose(remover.median_values_[0], [5.5, 10.5, 16.0, 21.0])
    assert_array_equal(remover.groups_, ["A", "B"])
    assert_allclose(remover.group_values_[0][0], [1.0, 2.0])
    assert_allclose(remover.group_cdf_[0][0], [0.5, 1.0])

    # B's values each own one quarter of the ranks: mapped exactly.
    out = remover.transform(X, sensitive_features=g)[:, 0]
    assert_array_equal(out[2:], [5.5, 10.5, 16.0, 21.0])
    # A's 1 owns ranks (0, .5]: it lands on 5.5 or 10.5, half the time each.
    # Identical rows share their draw: one of the two, for every copy.
    many = np.ones((200, 1))
    repaired = remover.transform(many, sensitive_features=np.full(200, "A"))
    assert np.unique(repaired).size == 1
    assert repaired[0, 0] in (5.5, 10.5)
    # Over rows that differ in another (unrepaired) column: half and half.
    rows = np.column_stack([np.ones(20000), np.arange(20000.0)])
    remover = DisparateImpactRemover(columns=[0]).fit(
        np.column_stack([X, np.arange(6.0)]), sensitive_features=g
    )
    repaired = remover.transform(rows, sensitive_features=np.full(20000, "A"))[:, 0]
    assert set(np.unique(repaired)) == {5.5, 10.5}
    assert np.mean(repaired == 5.5) == pytest.approx(0.5, abs=0.02)


def test_unseen_values_map_by_their_cdf():
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    remover = DisparateImpactRemover().fit(x[:, None], sensitive_features=g)
    new = np.array([[2.5], [0.0], [99.0], [6.5], [4.0]])
    out = remover.transform(new, sensitive_features=[0, 0, 0, 1, 1])[:, 0]
    # 2.5 in group 0: F = 0.5 exactly, median quantile at 0.5 is 4.
    # 0 is below group 0's range (F = 0): the median's minimum, 3.
    # 99 is above it (F = 1): the median's maximum, 6.
    # 6.5 in group 1: F = 0.5 -> 4. 4 in group 1: below its range -> 3.
    assert_array_equal(out, [4.0, 3.0, 6.0, 4.0, 3.0])


def test_median_matches_numpy_inverted_cdf_quantiles():
    # Independent route: np.quantile(method="inverted_cdf") is inf{x: F(x) >= q}.
    rng = np.random.default_rng(7)
    n = 700
    g = rng.integers(0, 3, n)
    x = np.round(rng.gamma(2.0 + g, 3.0), 1)  # ties and unequal groups
    remover = DisparateImpactRemover().fit(x[:, None], sensitive_features=g)
    levels = np.linspace(0.001, 1.0, 997)
    expected = np.median(
        [np.quantile(x[g == k], levels, method="inverted_cdf") for k in range(3)],
        axis=0,
    )
    steps, values = remover.median_levels_[0], remover.median_values_[0]
    ours = values[np.minimum(np.searchsorted(steps, levels), values.size - 1)]
    assert_allclose(ours, expected)


def _dense_median_quantile_function(values, cdfs):
    """The previous implementation: the whole (groups x levels) quantile table."""
    levels = np.unique(np.concatenate(cdfs))
    quantiles = np.stack(
        [
            v[np.minimum(np.searchsorted(c, levels, side="left"), v.size - 1)]
            for v, c in zip(values, cdfs, strict=True)
        ]
    )
    median = np.median(quantiles, axis=0)
    keep = np.append(median[1:] != median[:-1], True)
    return levels[keep], median[keep]


@pytest.mark.parametrize("n_groups", [2, 3, 50, 400])
@pytest.mark.parametrize("weighted", [False, True])
def test_blocked_median_equals_the_dense_table(n_groups, weighted, monkeypatch):
    # Small blocks: many of them, and a ragged last one.
    monkeypatch.setattr(_disparate_impact, "_MEDIAN_BLOCK_CELLS", 97)
    rng = np.random.default_rng(n_groups)
    n = 3000
    g = rng.integers(0, n_groups, n)
    x = np.round(rng.gamma(2.0 + g % 5, 3.0), 1)  # ties, unequal groups
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    remover = DisparateImpactRemover().fit(
        x[:, None], sensitive_features=g, sample_weight=w
    )
    levels, median = _dense_median_quantile_function(
        remover.group_values_[0], remover.group_cdf_[0]
    )
    assert_array_equal(remover.median_levels_[0], levels)
    assert_array_equal(remover.median_values_[0], median)


def test_sample_weight_equals_repeating_rows():
    rng = np.random.default_rng(8)
    n = 80
    g = rng.integers(0, 2, n)
    x = rng.integers(0, 10, n).astype(float)
    counts = rng.integers(1, 4, n)
    weighted = DisparateImpactRemover().fit(
        x[:, None], sensitive_features=g, sample_weight=counts
    )
    repeated = DisparateImpactRemover().fit(
        np.repeat(x, counts)[:, None], sensitive_features=np.repeat(g, counts)
    )
    for attr in ("group_values_", "group_cdf_"):
        ours, theirs = getattr(weighted, attr)[0], getattr(repeated, attr)[0]
        for a, b in zip(ours, theirs, strict=True):
            assert_allclose(a, b)
    assert_allclose(weighted.median_levels_[0], repeated.median_levels_[0])
    assert_allclose(weighted.median_values_[0], repeated.median_values_[0])

    # Zero-weight rows are not part of the distribution.
    zero = np.where(x == x.max(), 0.0, 1.0)
    fitted = DisparateImpactRemover().fit(
        x[:, None], sensitive_features=g, sample_weight=zero
    )
    assert x.max() not in np.concatenate(fitted.group_values_[0])


# --------------------------------------------------------------------------
# The distributional promise: ties included
# --------------------------------------------------------------------------


def test_full_repair_equalises_discrete_distributions():
    X, g = _discrete_data()
    before = [_ks_between_groups(X[:, j], g) for j in range(3)]
    assert min(before) > 0.1
    X, columns = _with_distinct_rows(X)
    out = DisparateImpactRemover(random_state=0, columns=columns).fit_transform(
        X, sensitive_features=g
    )
    after = [_ks_between_groups(out[:, j], g) for j in range(3)]
    assert max(after) < 0.03


def test_full_repair_equalises_unseen_rows():
    X, g = _discrete_data(seed=1)
    X_new, g_new = _discrete_data(seed=2)
    X, columns = _with_distinct_rows(X, seed=1)
    X_new, _ = _with_distinct_rows(X_new, seed=2)
    remover = DisparateImpactRemover(random_state=0, columns=columns)
    remover.fit(X, sensitive_features=g)
    out = remover.transform(X_new, sensitive_features=g_new)
    assert max(_ks_between_groups(out[:, j], g_new) for j in range(3)) < 0.05


@pytest.mark.parametrize("seed", range(4))
def test_full_repair_random_discrete_features(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    g = rng.integers(0, 2, n)
    support = rng.integers(2, 8)
    x = rng.binomial(support, 0.3 + 0.4 * g).astype(float)
    before = _ks_between_groups(x, g)
    X, columns = _with_distinct_rows(x[:, None], seed=seed)
    out = DisparateImpactRemover(random_state=seed, columns=columns).fit_transform(
        X, sensitive_features=g
    )
    after = _ks_between_groups(out[:, 0], g)
    assert after < min(0.04, before / 4)


def test_partial_repair_lands_in_between():
    rng = np.random.default_rng(3)
    n = 4000
    g = rng.integers(0, 2, n)
    x = rng.normal(loc=2.0 * g, size=n)
    ks = {}
    for level in (0.0, 0.5, 1.0):
        out = DisparateImpactRemover(repair_level=level, random_state=0).fit_transform(
            x[:, None], sensitive_features=g
        )
        ks[level] = _ks_between_groups(out[:, 0], g)
    assert ks[1.0] < ks[0.5] < ks[0.0]
    assert ks[1.0] < 0.03


def _assert_order_preserved(x, repaired):
    """Across distinct values of x, repaired values never go down."""
    values = np.unique(x)
    highs = np.array([repaired[x == v].max() for v in values])
    lows = np.array([repaired[x == v].min() for v in values])
    assert (highs[:-1] <= lows[1:] + 1e-12).all()


def test_order_within_group_is_preserved():
    X, g = _discrete_data(n=2000)
    out = DisparateImpactRemover(repair_level=0.7, random_state=0).fit_transform(
        X, sensitive_features=g
    )
    for k in range(3):
        for j in range(3):
            _assert_order_preserved(X[g == k, j], out[g == k, j])


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 2), st.integers(-3, 6)), min_size=2, max_size=40
    ).filter(lambda rows: len({group for group, _ in rows}) >= 2),  # two groups
    level=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_properties_on_small_random_data(data, level):
    g = np.array([d[0] for d in data])
    x = np.array([d[1] for d in data], dtype=float)
    remover = DisparateImpactRemover(repair_level=level, random_state=0)
    out = remover.fit_transform(x[:, None], sensitive_features=g)[:, 0]
    if level == 0.0:
        assert_array_equal(out, x)
    for k in np.unique(g):
        _assert_order_preserved(x[g == k], out[g == k])
    # Full repair lands on the median distribution's support.
    if level == 1.0:
        assert np.isin(out, remover.median_values_[0]).all()
    # The median quantile function, against numpy's inverted-CDF quantiles.
    levels = np.linspace(0.01, 1.0, 100)
    expected = np.median(
        [np.quantile(x[g == k], levels, method="inverted_cdf") for k in np.unique(g)],
        axis=0,
    )
    steps, values = remover.median_levels_[0], remover.median_values_[0]
    got = values[np.minimum(np.searchsorted(steps, levels), values.size - 1)]
    assert_allclose(got, expected)


def test_repair_level_zero_is_the_identity():
    X, g = _discrete_data(n=500)
    out = DisparateImpactRemover(repair_level=0.0).fit_transform(
        X, sensitive_features=g
    )
    assert_array_equal(out, X)
    df = pd.DataFrame({"a": X[:, 0], "s": np.where(g == 0, "x", "y"), "b": X[:, 1]})
    remover = DisparateImpactRemover(repair_level=0.0, sensitive_cols="s")
    pd.testing.assert_frame_equal(
        remover.set_output(transform="pandas").fit_transform(df), df
    )


# --------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------


def test_random_state_reproducible_and_transform_deterministic():
    X, g = _discrete_data(n=1000)
    a = DisparateImpactRemover(random_state=3).fit(X, sensitive_features=g)
    b = DisparateImpactRemover(random_state=3).fit(X, sensitive_features=g)
    first = a.transform(X, sensitive_features=g)
    assert_array_equal(first, a.transform(X, sensitive_features=g))
    assert_array_equal(first, b.transform(X, sensitive_features=g))
    assert_array_equal(first, a.fit_transform(X, sensitive_features=g))
    assert_array_equal(first[:100], a.transform(X[:100], sensitive_features=g[:100]))
    other = DisparateImpactRemover(random_state=4).fit_transform(
        X, sensitive_features=g
    )
    assert not np.array_equal(first, other)  # tied values are spread randomly


def test_transform_is_batch_free():
    # A row's repair depends on the row and the fitted remover only: alone,
    # inside any batch, in any order.
    X, g = _discrete_data(n=1500)
    labels = np.array(["a", "b", "c"])[g]
    df = pd.DataFrame({"n": X[:, 0], "grp": labels, "h": X[:, 1], "gain": X[:, 2]})
    remover = DisparateImpactRemover(sensitive_cols="grp", random_state=5).fit(df)
    full = remover.transform(df)
    for i in (0, 7, 123, 1499):
        assert_array_equal(remover.transform(df.iloc[[i]]), full[[i]])
    perm = np.random.default_rng(0).permutation(len(df))
    assert_array_equal(remover.transform(df.iloc[perm]), full[perm])
    subset = np.random.default_rng(1).random(len(df)) < 0.3
    assert_array_equal(remover.transform(df[subset]), full[subset])
    # The same on ndarrays with the groups by keyword, and on rows not seen
    # in fit.
    by_kw = DisparateImpactRemover(random_state=5).fit(X, sensitive_features=g)
    X_new, g_new = _discrete_data(n=500, seed=7)
    out = by_kw.transform(X_new, sensitive_features=g_new)
    perm = perm[perm < 500]
    assert_array_equal(
        by_kw.transform(X_new[perm], sensitive_features=g_new[perm]), out[perm]
    )
    for i in (0, 250, 499):
        row = by_kw.transform(X_new[i : i + 1], sensitive_features=g_new[i : i + 1])
        assert_array_equal(row, out[i : i + 1])
    # Tied values are still spread: rows of one value in one group (which
    # differ in the other columns) land on several repaired values.
    # (Group 0's zero gains, 90% of it, span levels where the median
    # distribution is zero and levels where it is positive.)
    tied = (g_new == 0) & (X_new[:, 2] == 0.0)
    assert tied.sum() > 100
    assert np.unique(out[tied, 2]).size > 1


def test_fit_transform_equals_transform_on_the_training_rows():
    X, g = _discrete_data(n=800)
    for level in (1.0, 0.4):
        remover = DisparateImpactRemover(repair_level=level, random_state=2)
        once = remover.fit_transform(X, sensitive_features=g)
        assert_array_equal(once, remover.transform(X, sensitive_features=g))
        half = slice(0, 400)
        assert_array_equal(
            once[half], remover.transform(X[half], sensitive_features=g[half])
        )


def test_seed_decides_the_draws_of_tied_rows():
    X, g = _discrete_data(n=1000)
    first = DisparateImpactRemover(random_state=11).fit(X, sensitive_features=g)
    again = DisparateImpactRemover(random_state=11).fit(X, sensitive_features=g)
    other = DisparateImpactRemover(random_state=12).fit(X, sensitive_features=g)
    a = first.transform(X, sensitive_features=g)
    assert_array_equal(a, again.transform(X, sensitive_features=g))
    b = other.transform(X, sensitive_features=g)
    # Only the spreading of ties changes: the fitted distributions are equal,
    # and rows of one tied value move between targets of the median.
    for j in range(3):
        assert_array_equal(first.median_values_[j], other.median_values_[j])
    # Group 0's zero counts and zero gains: large ties whose ranks span
    # several targets.
    for j in (0, 2):
        tied = (g == 0) & (X[:, j] == 0.0)
        assert tied.sum() > 100
        assert np.unique(a[tied, j]).size > 1
        assert (a[tied, j] != b[tied, j]).mean() > 0.05
        assert np.isin(b[tied, j], first.median_values_[j]).all()


def test_identical_rows_share_their_draw_exact_over_seeds():
    # With one feature, every row of a tied value in a group is the same
    # row, so all of them are repaired to one value: the repaired
    # distribution is exact on average over the seed, not for each seed.
    rng = np.random.default_rng(4)
    g = rng.integers(0, 2, 300)
    x = rng.binomial(3, 0.3 + 0.4 * g).astype(float)
    targets, cdf = None, {0: [], 1: []}
    for seed in range(300):
        remover = DisparateImpactRemover(random_state=seed)
        out = remover.fit_transform(x[:, None], sensitive_features=g)[:, 0]
        for k in (0, 1):
            for v in np.unique(x[g == k]):
                assert np.unique(out[(g == k) & (x == v)]).size == 1
        targets = remover.median_values_[0]
        levels = remover.median_levels_[0]
        for k in (0, 1):
            cdf[k].append([np.mean(out[g == k] <= t) for t in targets])
    for k in (0, 1):
        mean_cdf = np.mean(cdf[k], axis=0)
        # F_median(t) at the targets is the level at which each step ends.
        assert_allclose(mean_cdf, levels, atol=0.06)
        # A single seed is off by much more: the trade-off being documented.
        assert np.abs(np.array(cdf[k]) - levels).max() > 0.15


def test_pass_through_columns_enter_the_draws_whatever_their_dtype():
    # Rows equal in the repaired column but not in a categorical
    # pass-through column get their own draws; a categorical column draws as
    # its values stored as objects (categories are hashed once, by code).
    rng = np.random.default_rng(6)
    n = 2000
    g = rng.integers(0, 2, n)
    x = rng.binomial(3, 0.3 + 0.4 * g).astype(float)
    city = rng.choice(np.array(["Oslo", "Lima", "Pune", "Kobe", np.nan], object), n)
    as_object = pd.DataFrame({"x": x, "g": g, "city": pd.Series(city, dtype=object)})
    as_category = as_object.astype({"city": "category"})
    remover = DisparateImpactRemover(sensitive_cols="g", random_state=0)
    out = remover.fit_transform(as_object)
    assert_array_equal(remover.transform(as_category)[:, 0], out[:, 0])
    assert_array_equal(remover.fit_transform(as_category)[:, 0], out[:, 0])
    alone = DisparateImpactRemover(random_state=0).fit_transform(
        x[:, None], sensitive_features=g
    )
    ties = [(g == k) & (x == v) for k in (0, 1) for v in np.unique(x[g == k])]
    # One row per tie alone (one draw each); five rows per tie with the city.
    assert all(np.unique(alone[tied, 0]).size == 1 for tied in ties)
    spread = [np.unique(out[tied, 0].astype(float)).size for tied in ties]
    assert sum(spread) > len(ties) + 2


def test_draws_agree_across_frame_libraries_and_missing_labels():
    # A missing label is NaN in a pandas categorical, null in polars and
    # None in an object array: the same rows, the same repair.
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(9)
    n = 1500
    g = rng.integers(0, 2, n)
    x = rng.binomial(3, 0.3 + 0.4 * g).astype(float)
    city = rng.choice(np.array(["Oslo", "Lima", None], dtype=object), n)
    as_array = np.column_stack([x, g, city]).astype(object)
    as_pandas = pd.DataFrame({"x": x, "g": g, "city": pd.Categorical(city)})
    as_polars = pl.DataFrame({"x": x, "g": g, "city": list(city)})
    remover = DisparateImpactRemover(sensitive_cols=1, random_state=0)
    expected = remover.fit_transform(as_array)[:, 0].astype(float)
    for frame in (as_pandas, as_polars):
        out = np.asarray(remover.fit_transform(frame))[:, 0].astype(float)
        assert_array_equal(out, expected)
    # The missing label is a label like the others: rows of one tied value
    # draw three ways (Oslo, Lima, missing), not one.
    ties = [(g == k) & (x == v) for k in (0, 1) for v in np.unique(x[g == k])]
    spread = [np.unique(expected[tied]).size for tied in ties]
    assert max(spread) == 3


def test_sensitive_cols_and_keyword_give_identical_results():
    X, g = _discrete_data(n=1000)
    labels = np.where(g == 0, "a", np.where(g == 1, "b", "c"))
    df = pd.DataFrame({"n": X[:, 0], "grp": labels, "h": X[:, 1], "gain": X[:, 2]})
    by_cols = DisparateImpactRemover(sensitive_cols="grp", random_state=0)
    out_cols = by_cols.fit_transform(df)
    by_kw = DisparateImpactRemover(random_state=0)
    out_kw = by_kw.fit_transform(df[["n", "h", "gain"]], sensitive_features=labels)
    assert_array_equal(out_cols[:, [0, 2, 3]].astype(float), out_kw)
    assert_array_equal(out_cols[:, 1], labels)

    arr = np.column_stack([X[:, 0], g, X[:, 1:]])
    by_position = DisparateImpactRemover(sensitive_cols=1, random_state=0)
    assert_array_equal(by_position.fit_transform(arr)[:, [0, 2, 3]], out_kw)


def test_intersectional_groups():
    X, g = _discrete_data(n=3000, n_groups=2)
    rng = np.random.default_rng(99)
    other = rng.integers(0, 2, len(g))
    X, _ = _with_distinct_rows(X)
    data = np.column_stack([g, other, X])
    remover = DisparateImpactRemover(
        sensitive_cols=[0, 1], columns=[2, 3, 4], random_state=0
    )
    out = remover.fit_transform(data)
    assert len(remover.groups_) == 4
    assert_array_equal(out[:, :2], data[:, :2])
    combined = g * 2 + other
    assert max(_ks_between_groups(out[:, j], combined) for j in (2, 3, 4)) < 0.06


# --------------------------------------------------------------------------
# Columns, pandas output, feature names
# --------------------------------------------------------------------------


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float) + 5 * g,
            "sex": pd.Categorical(np.where(g == 1, "Male", "Female")),
            "job": rng.choice(["a", "b"], n),
            "hours": rng.integers(20, 60, n),
        }
    )


def test_pandas_output_and_feature_names():
    df = _frame()
    remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
    remover.set_output(transform="pandas")
    out = remover.fit_transform(df)
    assert list(out.columns) == list(df.columns)
    assert out.index.equals(df.index)
    assert out["sex"].dtype == df["sex"].dtype  # sensitive column unchanged
    assert_array_equal(out["sex"], df["sex"])
    assert_array_equal(out["job"], df["job"])  # non-numeric passes through
    assert out["age"].dtype == np.float64 and out["hours"].dtype == np.float64
    assert_array_equal(remover.repaired_columns_, [0, 3])
    assert list(remover.get_feature_names_out()) == list(df.columns)
    assert list(remover.feature_names_in_) == list(df.columns)
    assert remover.n_features_in_ == 4

    default = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
    array_out = default.fit_transform(df)
    assert isinstance(array_out, np.ndarray) and array_out.dtype == object
    assert_array_equal(array_out[:, 0].astype(float), out["age"])


def test_columns_parameter():
    df = _frame()
    remover = DisparateImpactRemover(
        sensitive_cols="sex", columns=["hours"], random_state=0
    )
    out = remover.set_output(transform="pandas").fit_transform(df)
    assert_array_equal(out["age"], df["age"])  # not repaired
    assert not np.array_equal(out["hours"], df["hours"])
    by_position = DisparateImpactRemover(
        sensitive_cols="sex", columns=3, random_state=0
    )
    assert_array_equal(
        by_position.set_output(transform="pandas").fit_transform(df)["hours"],
        out["hours"],
    )


@pytest.mark.parametrize(
    "columns, match",
    [
        ("job", "not numeric"),
        (["age", "sex"], "sensitive"),
        ("nope", "not a column"),
        ([], "empty"),
        (["age", "age"], "twice"),
        (7, "out of range"),
    ],
)
def test_bad_columns(columns, match):
    with pytest.raises(ValueError, match=match):
        DisparateImpactRemover(sensitive_cols="sex", columns=columns).fit(_frame())


def test_column_names_need_a_dataframe():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="no column names"):
        DisparateImpactRemover(columns="a").fit(X, sensitive_features=[0, 0, 1, 1])


def test_object_arrays_with_string_groups():
    rng = np.random.default_rng(0)
    n = 200
    groups = rng.choice(["u", "v"], n)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = groups
    X[:, 2] = rng.integers(0, 5, n)
    out = DisparateImpactRemover(sensitive_cols=1, random_state=0).fit_transform(X)
    assert out.dtype == object
    assert_array_equal(out[:, 1], groups)
    with pytest.raises(ValueError, match="not numeric"):
        DisparateImpactRemover(sensitive_cols=0, columns=[1]).fit(X)


def test_numeric_object_columns_of_a_dataframe_are_repaired():
    # They were skipped silently (absent from repaired_columns_) while the
    # same numpy object array was repaired.
    rng = np.random.default_rng(3)
    n = 300
    income = rng.gamma(2.0, 3.0, n)
    frame = pd.DataFrame(
        {
            "group": rng.choice(["u", "v"], n),
            "income": income.astype(object),
            "age": rng.integers(18, 80, n).astype(object),
            "city": rng.choice(["x", "y"], n),
        }
    )
    remover = DisparateImpactRemover(sensitive_cols="group", random_state=0)
    out = remover.fit_transform(frame)
    assert remover.repaired_columns_.tolist() == [1, 2]
    as_array = DisparateImpactRemover(sensitive_cols=0, random_state=0)
    assert_array_equal(as_array.fit_transform(frame.to_numpy()), out)
    as_float = frame.astype({"income": float, "age": float})
    assert_array_equal(remover.fit_transform(as_float), out)
    assert_array_equal(out[:, 3], frame["city"])


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


def test_unseen_group_at_transform():
    X = np.arange(8.0)[:, None]
    remover = DisparateImpactRemover().fit(X, sensitive_features=list("aabbaabb"))
    with pytest.raises(ValueError, match="'c'"):
        remover.transform(X, sensitive_features=list("aabbaacc"))


def test_nan_in_repaired_column_or_groups():
    df = _frame()
    df_nan = df.copy()
    df_nan.loc[3, "age"] = np.nan
    with pytest.raises(ValueError, match="'age'.*NaN"):
        DisparateImpactRemover(sensitive_cols="sex").fit(df_nan)
    remover = DisparateImpactRemover(sensitive_cols="sex").fit(df)
    with pytest.raises(ValueError, match="'age'.*NaN"):
        remover.transform(df_nan)
    X = np.ones((4, 1))
    with pytest.raises(ValueError, match="missing"):
        DisparateImpactRemover().fit(X, sensitive_features=[0.0, np.nan, 1.0, 1.0])
    # NaN in a column that is not repaired passes through.
    df_job = df.copy()
    df_job.loc[0, "job"] = None
    out = DisparateImpactRemover(sensitive_cols="sex").fit_transform(df_job)
    assert out[0, 2] is None or pd.isna(out[0, 2])


@pytest.mark.parametrize("level", [-0.1, 1.5, "full"])
def test_repair_level_outside_unit_interval(level):
    with pytest.raises(ValueError, match="repair_level"):
        DisparateImpactRemover(repair_level=level).fit(
            np.ones((4, 1)), sensitive_features=[0, 0, 1, 1]
        )


def test_groups_required_and_lengths_checked():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="sensitive_cols"):
        DisparateImpactRemover().fit(X)
    with pytest.raises(ValueError, match="both"):
        DisparateImpactRemover(sensitive_cols=0).fit(X, sensitive_features=[0] * 4)
    with pytest.raises(ValueError, match="rows"):
        DisparateImpactRemover().fit(X, sensitive_features=[0, 1])
    remover = DisparateImpactRemover().fit(X, sensitive_features=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="sensitive_cols"):
        remover.transform(X)
    with pytest.raises(ValueError, match="features"):
        remover.transform(np.ones((4, 3)), sensitive_features=[0, 0, 1, 1])


def test_zero_weight_group_and_sparse_input():
    with pytest.raises(ValueError, match="zero total sample_weight"):
        DisparateImpactRemover().fit(
            np.ones((4, 1)), sensitive_features=[0, 0, 1, 1], sample_weight=[1, 1, 0, 0]
        )
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        DisparateImpactRemover().fit(
            sparse.csr_matrix(np.ones((4, 1))), sensitive_features=[0, 0, 1, 1]
        )


def test_inputs_not_modified():
    df = _frame()
    copy = df.copy()
    remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
    remover.set_output(transform="pandas").fit_transform(df)
    pd.testing.assert_frame_equal(df, copy)
    X, g = _discrete_data(n=300)
    X_copy, g_copy = X.copy(), g.copy()
    DisparateImpactRemover(random_state=0).fit_transform(X, sensitive_features=g)
    assert_array_equal(X, X_copy)
    assert_array_equal(g, g_copy)


# --------------------------------------------------------------------------
# scikit-learn integration
# --------------------------------------------------------------------------


def test_pickle_round_trip():
    df = _frame()
    remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0).fit(df)
    restored = pickle.loads(pickle.dumps(remover))
    assert_array_equal(restored.transform(df), remover.transform(df))


def _classification_data(n=400, seed=0):
    X, g = _discrete_data(n=n, seed=seed, n_groups=2)
    rng = np.random.default_rng(seed)
    y = (X[:, 1] + 20 * rng.normal(size=n) > 42).astype(int)
    return np.column_stack([g, X]), y


def test_pipeline_grid_search_and_cross_val_score():
    data, y = _classification_data()
    pipe = make_pipeline(
        DisparateImpactRemover(sensitive_cols=0, random_state=0),
        StandardScaler(),
        LogisticRegression(),
    )
    scores = cross_val_score(pipe, data, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.4).all()
    search = GridSearchCV(
        pipe, {"disparateimpactremover__repair_level": [0.0, 0.5, 1.0]}, cv=3
    ).fit(data, y)
    assert search.best_params_["disparateimpactremover__repair_level"] in (
        0.0,
        0.5,
        1.0,
    )


def test_metadata_routing_in_pipeline():
    data, y = _classification_data()
    g, X = data[:, 0], data[:, 1:]
    with sklearn.config_context(enable_metadata_routing=True):
        remover = (
            DisparateImpactRemover(random_state=0)
            .set_fit_request(sensitive_features=True)
            .set_transform_request(sensitive_features=True)
        )
        pipe = make_pipeline(remover, LogisticRegression()).fit(
            X, y, sensitive_features=g
        )
        routed = pipe.predict(X, sensitive_features=g)
    manual_X = DisparateImpactRemover(random_state=0).fit_transform(
        X, sensitive_features=g
    )
    manual = LogisticRegression().fit(manual_X, y)
    assert_array_equal(routed, manual.predict(manual_X))


# --------------------------------------------------------------------------
# Adult: the targets of the issue, as a regression test
# --------------------------------------------------------------------------


def test_adult_full_repair_ks_distances():
    from skfair.datasets import load_adult

    numeric = ["age", "fnlwgt", "hours-per-week"]
    train, test = load_adult(split="train"), load_adult(split="test")
    X_train, X_test = train.data[numeric + ["sex"]], test.data[numeric + ["sex"]]
    remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
    remover.set_output(transform="pandas")
    repaired_train = remover.fit_transform(X_train)
    repaired_test = remover.transform(X_test)
    for column in numeric:
        assert (
            _ks_between_groups(
                repaired_train[column].to_numpy(), X_train["sex"].to_numpy()
            )
            <= 0.02
        )
        assert (
            _ks_between_groups(
                repaired_test[column].to_numpy(), X_test["sex"].to_numpy()
            )
            <= 0.05
        )
