"""FairResampler: cell sizes P(g) P(c) n, preferential order, imblearn Pipeline."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from imblearn.pipeline import Pipeline as ImbPipeline
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression

from skfair.preprocessing import FairResampler


def _data(n=400, seed=0, n_classes=2):
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["a", "b", "c"], dtype=object), n, p=[0.5, 0.3, 0.2])
    shift = (group == "a") * 1.0 - (group == "c") * 0.5
    x = rng.normal(size=(n, 2)) + shift[:, None]
    score = x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return x, y, group


def _cell_counts(y, group):
    return pd.crosstab(pd.Series(group), pd.Series(y))


@pytest.mark.parametrize("sampling", ["uniform", "preferential"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_cell_gets_its_size_under_independence(sampling, n_classes):
    x, y, group = _data(n_classes=n_classes)
    sampler = FairResampler(sampling=sampling, random_state=0)
    X_res, y_res = sampler.fit_resample(x, y, sensitive_features=group)
    # Independent route: the expected sizes from pandas' crosstab.
    counts = _cell_counts(y, group)
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / len(y)
    groups_res = group[sampler.sample_indices_]
    got = _cell_counts(y_res, groups_res).to_numpy()
    assert np.abs(got - expected).max() <= 0.5
    assert_array_equal(got, sampler.expected_counts_)
    assert_array_equal(counts.to_numpy(), sampler.observed_counts_)
    # The output is rows of the input.
    assert_array_equal(X_res, x[sampler.sample_indices_])
    assert_array_equal(y_res, y[sampler.sample_indices_])
    assert np.all(np.diff(sampler.sample_indices_) >= 0)


def test_shrinking_cells_keep_distinct_rows_and_growing_cells_keep_all():
    x, y, group = _data()
    sampler = FairResampler(random_state=0).fit(x, y, sensitive_features=group)
    taken = np.bincount(sampler.sample_indices_, minlength=len(y))
    for g_index, g in enumerate(sampler.groups_):
        for c in (0, 1):
            cell = (group == g) & (y == c)
            target = sampler.expected_counts_[g_index, c]
            if target <= cell.sum():
                assert taken[cell].max() <= 1
            else:
                assert taken[cell].min() >= 1
            assert taken[cell].sum() == target


def test_preferential_removes_and_duplicates_the_rows_nearest_the_boundary():
    x, y, group = _data()
    sampler = FairResampler(sampling="preferential").fit(x, y, sensitive_features=group)
    # The ranker, refitted independently: probability of each row's own class.
    proba = LogisticRegression(max_iter=1000).fit(x, y).predict_proba(x)
    own = proba[np.arange(len(y)), y]
    assert_allclose(sampler.estimator_.predict_proba(x), proba)
    taken = np.bincount(sampler.sample_indices_, minlength=len(y))
    changed = 0
    for g_index, g in enumerate(sampler.groups_):
        for c in (0, 1):
            rows = np.flatnonzero((group == g) & (y == c))
            target = sampler.expected_counts_[g_index, c]
            nearest_first = rows[np.argsort(own[rows], kind="stable")]
            k = abs(int(target) - rows.size)
            if target < rows.size:  # the k nearest rows are removed
                assert_array_equal(taken[nearest_first[:k]], 0)
                assert_array_equal(taken[nearest_first[k:]], 1)
            else:  # duplicated nearest first, cycling through the cell
                m = rows.size
                copies = 1 + k // m + (np.arange(m) < k % m)
                assert_array_equal(taken[nearest_first], copies)
            changed += k
    assert changed > 0


def test_random_state_reproduces_and_changes_uniform_sampling():
    x, y, group = _data()

    def indices(seed):
        sampler = FairResampler(random_state=seed)
        return sampler.fit(x, y, sensitive_features=group).sample_indices_

    assert_array_equal(indices(1), indices(1))
    assert not np.array_equal(indices(1), indices(2))


def test_sensitive_cols_keeps_the_column_and_equals_the_keyword():
    x, y, group = _data()
    frame = pd.DataFrame({"x0": x[:, 0], "sex": group, "x1": x[:, 1]})
    frame.index = frame.index + 100
    y_series = pd.Series(y, index=frame.index, name="label")
    for sampling in ("uniform", "preferential"):
        by_cols = FairResampler(sampling=sampling, sensitive_cols="sex", random_state=0)
        X_res, y_res = by_cols.fit_resample(frame, y_series)
        by_keyword = FairResampler(sampling=sampling, random_state=0)
        by_keyword.fit(frame[["x0", "x1"]], y, sensitive_features=frame["sex"])
        assert_array_equal(by_cols.sample_indices_, by_keyword.sample_indices_)
        assert list(X_res.columns) == ["x0", "sex", "x1"]
        assert_array_equal(X_res.index, frame.index[by_cols.sample_indices_])
        assert_array_equal(y_res.index, X_res.index)


def test_sparse_polars_and_list_inputs_keep_their_container():
    import polars as pl
    from scipy import sparse

    x, y, group = _data(n=120)
    sampler = FairResampler(random_state=0)
    X_res, y_res = sampler.fit_resample(
        sparse.csr_matrix(x), y, sensitive_features=group
    )
    assert sparse.issparse(X_res)
    assert_array_equal(X_res.toarray(), x[sampler.sample_indices_])
    frame = pl.DataFrame({"x0": x[:, 0], "sex": group.tolist()})
    X_res, y_res = FairResampler(sensitive_cols="sex", random_state=0).fit_resample(
        frame, pl.Series("y", y)
    )
    assert isinstance(X_res, pl.DataFrame) and isinstance(y_res, pl.Series)
    assert_array_equal(y_res.to_numpy(), y[sampler.sample_indices_])
    X_res, y_res = sampler.fit_resample(
        x.tolist(), y.tolist(), sensitive_features=group
    )
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)


def test_inside_an_imblearn_pipeline_the_classifier_learns_the_resampled_rows():
    x, y, group = _data()
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "sex": group})
    drop_sex = make_column_transformer(("drop", ["sex"]), remainder="passthrough")
    pipe = ImbPipeline(
        [
            ("resample", FairResampler(sensitive_cols="sex", random_state=0)),
            ("features", drop_sex),
            ("clf", LogisticRegression()),
        ]
    ).fit(frame, y)
    rows = pipe[0].sample_indices_
    direct = LogisticRegression().fit(x[rows], y[rows])
    assert_allclose(pipe[-1].coef_, direct.coef_)
    # predict does not resample.
    assert pipe.predict(frame).shape == (len(y),)


def test_metadata_routing_in_an_imblearn_pipeline():
    x, y, group = _data()
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = ImbPipeline(
            [
                ("resample", FairResampler(random_state=0)),
                ("clf", LogisticRegression()),
            ]
        ).fit(x, y, sensitive_features=group)
    direct = FairResampler(random_state=0).fit(x, y, sensitive_features=group)
    assert_array_equal(pipe[0].sample_indices_, direct.sample_indices_)


def test_bad_input_raises_clear_errors():
    x, y, group = _data(n=60)
    with pytest.raises(ValueError, match="Group 'c' has no row of class 1"):
        FairResampler().fit(x, np.where(group == "c", 0, y), sensitive_features=group)
    with pytest.raises(ValueError, match="requires y"):
        FairResampler().fit(x, None, sensitive_features=group)
    with pytest.raises(ValueError, match="Unknown label type"):
        FairResampler().fit(x, x[:, 0], sensitive_features=group)
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        FairResampler().fit_resample(x, y)
    with pytest.raises(ValueError, match="both"):
        FairResampler(sensitive_cols=0).fit(x, y, sensitive_features=group)
    with pytest.raises(ValueError, match="sampling"):
        FairResampler(sampling="smote").fit(x, y, sensitive_features=group)
