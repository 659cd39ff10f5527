"""CorrelationRemover: equal to fairlearn's transform, sensitive columns kept."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.preprocessing import CorrelationRemover as FairlearnCorrelationRemover
from numpy.testing import assert_allclose, assert_array_equal

from skfair.preprocessing import CorrelationRemover


def _data(n=300, seed=0, n_groups=2):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n)
    X = rng.normal(size=(n, 3)) + np.outer(group, [1.0, -0.5, 0.0])
    X[:, 2] += 0.3 * X[:, 0]
    return group, X


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_equals_fairlearn_for_a_binary_group(alpha):
    group, X = _data()
    X_new_group, X_new = _data(seed=1)
    ours = CorrelationRemover(sensitive_cols=0, alpha=alpha)
    ours.fit(np.column_stack([group, X]))
    theirs = FairlearnCorrelationRemover(sensitive_feature_ids=[0], alpha=alpha)
    theirs.fit(np.column_stack([group, X]))
    for g, rows in ((group, X), (X_new_group, X_new)):
        out = ours.transform(np.column_stack([g, rows]))
        # fairlearn drops the sensitive column; skfair passes it through.
        assert_array_equal(out[:, 0], g)
        expected = theirs.transform(np.column_stack([g, rows]))
        assert_allclose(out[:, 1:], expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_equals_fairlearn_on_one_hot_columns_of_several_groups(alpha):
    # fairlearn's transform with the full one-hot encoding (rank deficient
    # after centring) as its sensitive columns.
    group, X = _data(n_groups=4, seed=2)
    labels = np.array(["a", "b", "c", "d"], dtype=object)[group]
    onehot = pd.get_dummies(labels).to_numpy(dtype=float)
    theirs = FairlearnCorrelationRemover(
        sensitive_feature_ids=list(range(4)), alpha=alpha
    ).fit(np.column_stack([onehot, X]))
    ours = CorrelationRemover(alpha=alpha).fit(X, sensitive_features=labels)
    assert_allclose(
        ours.transform(X, sensitive_features=labels),
        theirs.transform(np.column_stack([onehot, X])),
        rtol=0,
        atol=1e-8,
    )


def test_alpha_one_equalizes_the_group_means_and_zero_changes_nothing():
    group, X = _data(n_groups=3)
    out = CorrelationRemover().fit_transform(X, sensitive_features=group)
    means = np.array([out[group == g].mean(axis=0) for g in range(3)])
    assert_allclose(means, np.broadcast_to(X.mean(axis=0), means.shape), atol=1e-12)
    assert np.abs(np.corrcoef(out[:, 0], group == 0)[0, 1]) < 1e-12
    unchanged = CorrelationRemover(alpha=0.0).fit_transform(X, sensitive_features=group)
    assert_array_equal(unchanged, X)


def test_sample_weight_equals_repeated_rows():
    group, X = _data(n=60)
    counts = np.random.default_rng(3).integers(1, 4, 60)
    weighted = CorrelationRemover().fit(
        X, sensitive_features=group, sample_weight=counts
    )
    repeated = CorrelationRemover().fit(
        np.repeat(X, counts, axis=0), sensitive_features=np.repeat(group, counts)
    )
    assert_allclose(weighted.group_means_, repeated.group_means_)
    assert_allclose(weighted.mean_, repeated.mean_)


def test_dataframe_keeps_the_string_group_column_in_place():
    group, X = _data(n=50)
    frame = pd.DataFrame(
        {"a": X[:, 0], "sex": np.where(group == 1, "M", "F"), "b": X[:, 1]}
    )
    remover = CorrelationRemover(sensitive_cols="sex").set_output(transform="pandas")
    out = remover.fit_transform(frame)
    assert list(out.columns) == ["a", "sex", "b"]
    assert out["sex"].equals(frame["sex"])
    expected = CorrelationRemover().fit_transform(
        X[:, :2], sensitive_features=frame["sex"]
    )
    assert_allclose(out[["a", "b"]].to_numpy(), expected)


def test_bad_input_raises_clear_errors():
    group, X = _data(n=40)
    with pytest.raises(ValueError, match="not seen in fit"):
        CorrelationRemover().fit(X, sensitive_features=group).transform(
            X, sensitive_features=group + 5
        )
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        CorrelationRemover().fit(X)
    text = np.column_stack([group, X]).astype(object)
    text[:, 1] = "x"
    with pytest.raises(ValueError, match="not numeric; CorrelationRemover"):
        CorrelationRemover(sensitive_cols=0).fit(text)
    with pytest.raises(ValueError, match="no column to transform besides"):
        CorrelationRemover(sensitive_cols=0).fit(group[:, None])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CorrelationRemover().fit(X_nan, sensitive_features=group)
    with pytest.raises(ValueError, match="zero total sample_weight"):
        CorrelationRemover().fit(
            X, sensitive_features=group, sample_weight=(group == 1).astype(float)
        )
    with pytest.raises(ValueError, match="alpha"):
        CorrelationRemover(alpha=1.5).fit(X, sensitive_features=group)
