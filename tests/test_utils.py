"""Tests of skfair.utils: the sensitive-feature rule and group encoding."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.metrics import demographic_parity_difference
from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing
from skfair.utils import (
    _sensitive,
    check_binary_labels,
    check_sample_weight_1d,
    encode_groups,
    encode_known_groups,
    resolve_sensitive_features,
    split_sensitive_columns,
)


def _decode(encoding):
    return [encoding.groups[c] for c in encoding.codes]


# ------------------------------------------------------------ encode_groups


@pytest.mark.parametrize(
    "labels",
    [
        [3, 5, 3, 7, 5],  # small non-negative ints, not contiguous: lookup path
        [0, 1, 2, 1, 0],  # exactly 0..G-1: codes are the labels
        [-4, 10, -4, 2],  # negative ints: np.unique path
        [2**40, 1, 2**40],  # large ints: np.unique path
        ["b", "a", "c", "a"],
        [True, False, True],
        [1.5, 0.5, 1.5],
        np.array(["x", "y", "x"], dtype=object),
    ],
)
def test_encode_groups_round_trips_and_sorts(labels):
    encoding = encode_groups(labels)
    assert _decode(encoding) == list(labels)
    assert list(encoding.groups) == sorted(set(labels))
    assert encoding.codes.shape == (len(labels),)


def test_encode_groups_small_ints_keep_the_users_array_unmodified():
    labels = np.array([0, 2, 2, 0], dtype=np.int64)
    before = labels.copy()
    encoding = encode_groups(labels)
    np.testing.assert_array_equal(labels, before)
    assert encoding.groups.tolist() == [0, 2]
    assert encoding.codes.tolist() == [0, 1, 1, 0]


def test_encode_groups_single_bool_value():
    encoding = encode_groups(np.array([True, True]))
    assert encoding.groups.tolist() == [True]
    assert encoding.codes.tolist() == [0, 0]


@pytest.mark.parametrize("kind", ["object", "str", "category"])
def test_encode_groups_pandas_series(kind):
    values = ["m", "f", "m", "f", "m"]
    series = pd.Series(values, dtype=kind)
    encoding = encode_groups(series)
    assert encoding.groups.tolist() == ["f", "m"]
    assert _decode(encoding) == values


def test_encode_groups_categorical_drops_unused_categories():
    series = pd.Series(pd.Categorical(["b", "b"], categories=["a", "b", "c"]))
    encoding = encode_groups(series)
    assert encoding.groups.tolist() == ["b"]
    assert encoding.codes.tolist() == [0, 0]


@pytest.mark.parametrize("container", ["dataframe", "ndarray"])
def test_encode_groups_2d_gives_intersectional_groups(container):
    sex = ["m", "f", "m", "f", "m"]
    race = [1, 2, 1, 1, 2]
    if container == "dataframe":
        sf = pd.DataFrame({"sex": sex, "race": race})
    else:
        sf = np.array(list(zip(sex, race, strict=True)), dtype=object)
    encoding = encode_groups(sf)
    assert _decode(encoding) == list(zip(sex, race, strict=True))
    # Only the combinations that occur are groups.
    assert encoding.groups.tolist() == [("f", 1), ("f", 2), ("m", 1), ("m", 2)]


def test_encode_groups_single_column_dataframe_is_1d():
    encoding = encode_groups(pd.DataFrame({"sex": ["m", "f"]}))
    assert encoding.groups.tolist() == ["f", "m"]


@pytest.mark.parametrize(
    "labels",
    [
        [1.0, np.nan],
        ["a", None],
        np.array(["a", np.nan], dtype=object),
        pd.Series(["a", None]),
        pd.Series(pd.Categorical(["a", None])),
        pd.DataFrame({"a": ["x", None], "b": [1, 2]}),
    ],
)
def test_encode_groups_rejects_missing_values(labels):
    with pytest.raises(ValueError, match="missing values"):
        encode_groups(labels)


def test_encode_groups_rejects_empty_and_unorderable():
    with pytest.raises(ValueError, match="empty"):
        encode_groups(np.array([], dtype=float))
    with pytest.raises(ValueError, match="mixes label types"):
        encode_groups(np.array(["a", 1], dtype=object))


@given(arrays(np.int64, st.integers(1, 200), elements=st.integers(-5, 3000)))
def test_encode_groups_matches_np_unique(labels):
    expected_groups, expected_codes = np.unique(labels, return_inverse=True)
    encoding = encode_groups(labels)
    np.testing.assert_array_equal(encoding.groups, expected_groups)
    np.testing.assert_array_equal(encoding.codes, expected_codes.reshape(-1))


def _brute_force_groups(rows):
    """Groups of the rows' tuples by Python hashing: sorted tuples and indices."""
    groups = sorted({tuple(row) for row in rows})
    index = {group: i for i, group in enumerate(groups)}
    return groups, [index[tuple(row)] for row in rows]


def test_encode_groups_65_binary_columns_do_not_overflow():
    # The product of the columns' label counts is 2**65 > 2**63.
    S = np.zeros((3, 65), dtype=int)
    S[1, 0] = 1
    S[2, 1:] = 1
    encoding = encode_groups(S)
    assert encoding.n_groups == 3
    assert [tuple(row) for row in S.tolist()] == _decode(encoding)
    assert (
        demographic_parity_difference([0, 0, 0], [1, 0, 0], sensitive_features=S) == 1.0
    )


def test_encode_groups_8_columns_of_300_labels_do_not_overflow():
    rng = np.random.default_rng(0)
    S = np.stack([rng.permutation(np.arange(3000) % 300) for _ in range(8)], axis=1)
    groups, codes = _brute_force_groups(S.tolist())
    encoding = encode_groups(S)
    assert encoding.groups.tolist() == groups
    np.testing.assert_array_equal(encoding.codes, codes)


@st.composite
def _label_columns(draw):
    """2 to 80 label columns; random per column (cheap to draw for 80 columns)."""
    n_rows = draw(st.integers(1, 40))
    n_columns = draw(st.integers(2, 80))
    kinds = draw(
        st.lists(st.sampled_from("bilp"), min_size=n_columns, max_size=n_columns)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = []
    for kind in kinds:
        if kind == "b":  # binary
            columns.append(rng.integers(0, 2, n_rows).tolist())
        elif kind == "i":  # large and negative ints
            columns.append(rng.integers(-(2**40), 2**40, n_rows).tolist())
        elif kind == "l":  # letters
            columns.append(rng.choice(list("abc"), n_rows).tolist())
        else:  # all labels distinct: the label counts multiply past 2**63
            columns.append(rng.permutation(n_rows).tolist())
    return columns


@given(_label_columns())
def test_encode_groups_2d_matches_brute_force_tuples(columns):
    rows = list(zip(*columns, strict=True))
    groups, codes = _brute_force_groups(rows)
    S = np.empty((len(rows), len(columns)), dtype=object)
    S[:] = rows
    encoding = encode_groups(S)
    assert encoding.groups.tolist() == groups
    np.testing.assert_array_equal(encoding.codes, codes)


@pytest.mark.parametrize("with_pandas", [True, False])
def test_encode_groups_refuses_labels_numpy_would_stringify(with_pandas, monkeypatch):
    # numpy turns [1, "1", 2.0] into the strings "1", "1", "2.0": int 1 and
    # str "1" became one group.
    if not with_pandas:
        monkeypatch.setattr(_sensitive, "_pandas_or_none", lambda: None)
    for labels in ([1, "1", 2.0], (1, 2, "x")):
        with pytest.raises(ValueError, match="mixes label types"):
            encode_groups(labels)
    with pytest.raises(ValueError, match="mixes label types"):
        demographic_parity_difference(
            [0, 0, 0], [1, 0, 0], sensitive_features=[1, "1", 2.0]
        )
    # Labels of one type keep their Python values.
    assert encode_groups(["b", "a", "b"]).groups.tolist() == ["a", "b"]
    assert encode_groups([2, 1.5, 2]).groups.tolist() == [1.5, 2]


def test_fit_refuses_mixed_label_types_instead_of_stringifying():
    # Fitting with [1, 2, "x"] stored the groups "1", "2", "x", so predicting
    # int 1 then said group 1 was not seen.
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="mixes label types"):
        DisparateImpactRemover().fit(X, sensitive_features=[1, 2, "x"])
    remover = DisparateImpactRemover().fit(X, sensitive_features=[1, 2, 3])
    remover.transform(X[:1], sensitive_features=[1])


@pytest.mark.parametrize("scalar", [5, "sex", np.int64(5)])
def test_scalar_sensitive_features_is_a_value_error(scalar):
    with pytest.raises(ValueError, match="one group label per row"):
        encode_groups(scalar)
    with pytest.raises(ValueError, match="one group label per row"):
        demographic_parity_difference([0, 1, 1], [1, 0, 1], sensitive_features=scalar)
    with pytest.raises(ValueError, match="one group label per row"):
        DisparateImpactRemover().fit(np.ones((3, 1)), sensitive_features=scalar)


@pytest.mark.parametrize(
    "missing",
    [
        np.array(["2020-01-01", "NaT"], dtype="datetime64[D]"),
        np.array([1, "NaT"], dtype="timedelta64[s]"),
        np.array([1.0, np.nan]),
    ],
)
def test_nat_is_rejected_like_nan(missing):
    with pytest.raises(ValueError, match="contains missing values"):
        encode_groups(missing)


# ------------------------------------------------------ encode_known_groups


def test_encode_known_groups_maps_to_fit_codes_and_names_unseen_group():
    fitted = encode_groups(["a", "c", "b"]).groups
    assert encode_known_groups(["c", "a"], fitted).tolist() == [2, 0]
    with pytest.raises(ValueError, match="group 'z'.*not seen in fit"):
        encode_known_groups(["a", "z"], fitted)


def test_encode_known_groups_intersectional_unseen_combination():
    fitted = encode_groups(pd.DataFrame({"s": ["m", "f"], "r": [1, 2]})).groups
    known = encode_known_groups(pd.DataFrame({"s": ["f", "m"], "r": [2, 1]}), fitted)
    assert known.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"\('m', 2\)"):
        encode_known_groups(pd.DataFrame({"s": ["m"], "r": [2]}), fitted)


# ------------------------------------------------- resolve / split columns


def test_split_sensitive_columns_by_name_and_position_agree():
    X = pd.DataFrame({"a": [1.0, 2.0], "sex": ["m", "f"], "b": [3.0, 4.0]})
    rest_by_name, sens_by_name, pos = split_sensitive_columns(X, "sex")
    rest_by_pos, sens_by_pos, _ = split_sensitive_columns(X, 1)
    assert pos == [1]
    assert list(rest_by_name.columns) == ["a", "b"]
    pd.testing.assert_frame_equal(rest_by_name, rest_by_pos)
    pd.testing.assert_series_equal(sens_by_name, sens_by_pos)


def test_split_sensitive_columns_numpy_several_columns():
    X = np.arange(12).reshape(3, 4)
    rest, sens, pos = split_sensitive_columns(X, [3, 0])
    assert pos == [3, 0]
    np.testing.assert_array_equal(rest, X[:, [1, 2]])
    np.testing.assert_array_equal(sens, X[:, [3, 0]])


def test_split_sensitive_columns_negative_position():
    X = np.arange(6).reshape(2, 3)
    rest, sens, pos = split_sensitive_columns(X, -1)
    assert pos == [2]
    np.testing.assert_array_equal(sens, [2, 5])


@pytest.mark.parametrize(
    "cols, message",
    [
        ("sex", "no column names"),
        (5, "out of range"),
        ([], "empty"),
        ([0, 0], "twice"),
        (True, "names or positions"),
    ],
)
def test_split_sensitive_columns_errors_on_numpy(cols, message):
    with pytest.raises(ValueError, match=message):
        split_sensitive_columns(np.zeros((2, 3)), cols)


def test_split_sensitive_columns_unknown_name():
    with pytest.raises(ValueError, match="'race', which is not a column"):
        split_sensitive_columns(pd.DataFrame({"sex": [1]}), "race")


def test_resolve_rule_both_neither_and_each():
    X = pd.DataFrame({"x": [1.0, 2.0], "sex": ["m", "f"]})
    with pytest.raises(ValueError, match="both sensitive_cols"):
        resolve_sensitive_features(X, sensitive_cols="sex", sensitive_features=[1, 2])
    with pytest.raises(ValueError, match="sensitive_cols=.*sensitive_features="):
        resolve_sensitive_features(X, method="predict")
    X_model, sf = resolve_sensitive_features(X, sensitive_cols="sex")
    assert list(X_model.columns) == ["x"] and sf.tolist() == ["m", "f"]
    X_model, sf = resolve_sensitive_features(X, sensitive_features=["a", "b"])
    assert X_model is X and sf == ["a", "b"]
    X_model, sf = resolve_sensitive_features(X, required=False)
    assert X_model is X and sf is None


def test_resolve_does_not_modify_input():
    X = pd.DataFrame({"x": [1.0, 2.0], "sex": ["m", "f"]})
    before = X.copy()
    resolve_sensitive_features(X, sensitive_cols=["sex"])
    pd.testing.assert_frame_equal(X, before)


# ------------------------------------------------------------- validation


def test_check_binary_labels_defaults_and_pos_label():
    y01, classes = check_binary_labels(np.array([2, 5, 5]))
    assert y01.tolist() == [0, 1, 1] and classes.tolist() == [2, 5]
    y01, _ = check_binary_labels(["no", "yes"], pos_label="no")
    assert y01.tolist() == [1, 0]
    y01, _ = check_binary_labels([0, 0])
    assert y01.tolist() == [0, 0]
    y01, _ = check_binary_labels([1, 1])
    assert y01.tolist() == [1, 1]


@pytest.mark.parametrize(
    "y, message",
    [
        ([0, 1, 2], "must be binary"),
        ([[0, 1], [1, 0]], "1-D"),
        ([], "empty"),
        ([0.0, np.nan], "NaN"),
        (np.array(["a", None], dtype=object), "missing"),
    ],
)
def test_check_binary_labels_errors(y, message):
    with pytest.raises(ValueError, match=message):
        check_binary_labels(y)


def test_check_binary_labels_unknown_pos_label():
    with pytest.raises(ValueError, match="pos_label=3"):
        check_binary_labels([0, 1], pos_label=3)


def test_check_sample_weight_1d():
    assert check_sample_weight_1d(None, 3) is None
    np.testing.assert_array_equal(check_sample_weight_1d([1, 2], 2), [1.0, 2.0])
    for bad, message in [
        ([1.0], "2 entries"),
        ([1, -1], "negative"),
        ([1, np.inf], "infinite"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_sample_weight_1d(bad, 2)


def test_split_sensitive_columns_callable_derives_groups_and_keeps_X():
    X = pd.DataFrame({"age": [20.0, 30.0, 40.0], "x": [1.0, 2.0, 3.0]})
    rest, groups, positions = split_sensitive_columns(X, lambda X: X["age"] > 25)
    assert rest is X and positions == []
    assert groups.tolist() == [False, True, True]
    with pytest.raises(ValueError, match="one group label per row"):
        split_sensitive_columns(X, lambda X: [1])


def _meta_estimators():
    return [
        Reweighing(LogisticRegression()),
        ThresholdOptimizer(LogisticRegression()),
        DisparateImpactRemover(),
        ConstrainedLogisticRegression(),
    ]


@pytest.mark.parametrize("estimator", _meta_estimators(), ids=type)
def test_X_none_is_a_value_error_naming_X(estimator):
    # Was a TypeError from scikit-learn's _num_samples.
    y = np.array([0, 1] * 5)
    for params in ({}, {"sensitive_cols": 0}):
        estimator.set_params(**params)
        kwargs = {} if params else {"sensitive_features": y}
        with pytest.raises(ValueError, match="fit needs X.*got None"):
            estimator.fit(None, y, **kwargs)


@pytest.mark.parametrize("estimator", _meta_estimators(), ids=type)
def test_sparse_X_with_sensitive_cols_is_one_type_error(estimator):
    # ThresholdOptimizer raised a ValueError, the others a TypeError.
    X = sparse.csr_matrix(np.column_stack([np.arange(10) % 2, np.arange(10.0)]))
    estimator.set_params(sensitive_cols=0)
    with pytest.raises(TypeError, match="[Ss]parse input"):
        estimator.fit(X, np.array([0, 1] * 5))


def test_resolver_checks_X_before_the_groups():
    with pytest.raises(ValueError, match="predict needs X"):
        resolve_sensitive_features(None, sensitive_features=[0], method="predict")
    X = sparse.csr_matrix(np.eye(3))
    with pytest.raises(TypeError, match="not supported with sensitive_cols"):
        resolve_sensitive_features(X, sensitive_cols=0)
    # Callables too, as the estimators' tags (sparse=False) say, unless the
    # caller models sparse X (ConstrainedLogisticRegression).
    with pytest.raises(TypeError, match="not supported with sensitive_cols"):
        resolve_sensitive_features(X, sensitive_cols=lambda X: np.zeros(3))
    _, groups = resolve_sensitive_features(
        X, sensitive_cols=lambda X: np.zeros(3), accept_sparse=True
    )
    assert groups.tolist() == [0.0, 0.0, 0.0]
