"""Tests of the bundled datasets."""

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from skfair.datasets import (
    _loaders,
    load_adult,
    load_german_credit,
    load_meps_insurance,
)


@pytest.mark.parametrize(
    "split, n_rows, n_positive", [("train", 32561, 7841), ("test", 16281, 3846)]
)
def test_adult_shapes_and_target_match_the_source_files(split, n_rows, n_positive):
    # Counted independently of the loader: lines of the raw file ending in >50K.
    filename = {"train": "adult.data.gz", "test": "adult.test.gz"}[split]
    raw = gzip.decompress(_loaders._read_verified(filename)).decode().splitlines()
    raw_positive = sum(line.rstrip(".").endswith(">50K") for line in raw)
    adult = load_adult(split=split)
    assert adult.data.shape == (n_rows, 14)
    assert int(adult.target.sum()) == n_positive == raw_positive
    assert set(np.unique(adult.target)) == {0, 1}
    assert adult.sensitive_feature_names == ["sex", "race"]
    assert list(adult.data.columns) == adult.feature_names
    assert adult.frame.shape == (n_rows, 15)


def test_adult_all_is_train_then_test():
    X_all, y_all = load_adult(split="all", return_X_y=True)
    X_train, y_train = load_adult(split="train", return_X_y=True)
    X_test, y_test = load_adult(split="test", return_X_y=True)
    assert len(X_all) == len(X_train) + len(X_test)
    np.testing.assert_array_equal(y_all, np.concatenate([y_train, y_test]))
    assert X_all["age"].iloc[len(X_train)] == X_test["age"].iloc[0]


def test_adult_as_numpy_needs_no_pandas_types():
    adult = load_adult(as_frame=False)
    assert isinstance(adult.data, np.ndarray) and adult.data.dtype == object
    assert adult.frame is None
    sex = adult.data[:, adult.feature_names.index("sex")]
    assert set(sex) == {"Male", "Female"}
    age = adult.data[:, adult.feature_names.index("age")].astype(float)
    assert 17 <= age.min() and age.max() <= 90


def test_adult_missing_values_are_nan_in_categorical_columns_only():
    X = load_adult().data
    missing = X.isna().sum()
    assert missing["workclass"] == 1836 and missing["occupation"] == 1843
    assert missing[_loaders.ADULT_NUMERIC].sum() == 0


def test_german_credit_decoded_and_sensitive_columns_derived():
    german = load_german_credit()
    X, y = german.data, german.target
    assert X.shape == (1000, 22) and int(y.sum()) == 700
    assert german.sensitive_feature_names == ["sex", "age_group"]
    is_female = X["personal_status_sex"].astype(str).str.startswith("female")
    np.testing.assert_array_equal(is_female, X["sex"] == "female")
    np.testing.assert_array_equal(X["age"] > 25, X["age_group"] == ">25")
    assert not X["status"].astype(str).str.startswith("A1").any()


def test_split_is_validated():
    with pytest.raises(ValueError, match="split must be"):
        load_adult(split="validation")


def test_damaged_file_is_detected(monkeypatch):
    _loaders._read_verified.cache_clear()
    monkeypatch.setitem(_loaders._SHA256, "german.data.gz", "0" * 64)
    try:
        with pytest.raises(OSError, match="damaged"):
            load_german_credit()
    finally:
        monkeypatch.undo()
        _loaders._read_verified.cache_clear()
    assert load_german_credit().data.shape[0] == 1000


@pytest.mark.parametrize(
    "loader", [load_adult, load_german_credit, load_meps_insurance]
)
def test_default_as_frame_follows_whether_pandas_is_installed(loader, monkeypatch):
    # After the README's plain install (no pandas) load_adult() raised an
    # ImportError; the default now returns ndarrays then.
    assert isinstance(loader().data, pd.DataFrame)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    bunch = loader()
    assert isinstance(bunch.data, np.ndarray) and bunch.frame is None
    X, y = loader(return_X_y=True)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(y, bunch.target)
    with pytest.raises(ImportError, match="as_frame=True needs pandas"):
        loader(as_frame=True)
    with pytest.raises(ValueError, match="as_frame must be None, True or False"):
        loader(as_frame="yes")


def _meps_raw_lines():
    """The bundled MEPS file's lines, read without the loader."""
    raw = gzip.decompress(_loaders._read_verified("meps_health_insurance.csv.gz"))
    return raw.decode().splitlines()


def test_meps_shapes_target_and_groups_match_the_source_file():
    lines = _meps_raw_lines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    insured = sum(row[header.index("insurance")] == "yes" for row in rows)
    meps = load_meps_insurance()
    X, y = meps.data, meps.target
    assert X.shape == (8802, 10) == (len(rows), len(header) - 1)
    assert meps.frame.shape == (8802, 11)
    assert list(X.columns) == meps.feature_names
    assert "insurance" not in meps.feature_names
    assert meps.target_names == ["no", "yes"] and y.name == "insurance"
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert int(y.sum()) == insured == 7052
    assert meps.sensitive_feature_names == ["ethnicity", "gender"]
    assert set(meps.sensitive_feature_names) <= set(meps.feature_names)
    # Three ethnicity groups, one of 365 rows; two genders.
    assert X["ethnicity"].value_counts().to_dict() == {
        "cauc": 7354,
        "afam": 1083,
        "other": 365,
    }
    assert X["gender"].value_counts().to_dict() == {"male": 4633, "female": 4169}
    # The documented insured shares by group.
    shares = meps.frame.groupby("ethnicity", observed=True)["insurance"].mean()
    np.testing.assert_allclose(
        shares[["cauc", "afam", "other"]], [0.809, 0.761, 0.753], atol=5e-4
    )
    # Row order is the file's: the 100th row's age and target as written.
    row = rows[99]
    assert X["age"].iloc[99] == float(row[header.index("age")])
    assert y.iloc[99] == (row[header.index("insurance")] == "yes")


def test_meps_dtypes_and_no_missing_values():
    X = load_meps_insurance().data
    assert X.isna().sum().sum() == 0
    numeric = X.select_dtypes("number").columns.tolist()
    assert numeric == _loaders.MEPS_NUMERIC == ["age", "family"]
    assert (X[numeric].dtypes == np.float64).all()
    assert 18 <= X["age"].min() and X["age"].max() <= 62
    assert X["family"].min() >= 1
    categorical = [c for c in X.columns if c not in numeric]
    assert all(isinstance(X[c].dtype, pd.CategoricalDtype) for c in categorical)
    assert set(X["region"].cat.categories) == {"northeast", "midwest", "south", "west"}
    assert set(X["education"].cat.categories) == {
        "none",
        "ged",
        "highschool",
        "bachelor",
        "master",
        "phd",
        "other",
    }
    for flag in ("health", "limit", "married", "selfemp"):
        assert set(X[flag].cat.categories) == {"yes", "no"}


def test_meps_numpy_and_return_X_y_variants_agree_with_the_frame():
    frame = load_meps_insurance(as_frame=True)
    bunch = load_meps_insurance(as_frame=False)
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == object
    assert bunch.data.shape == (8802, 10) and bunch.frame is None
    assert isinstance(bunch.target, np.ndarray) and bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, frame.target.to_numpy())
    assert bunch.feature_names == frame.feature_names
    ethnicity = bunch.data[:, bunch.feature_names.index("ethnicity")]
    np.testing.assert_array_equal(ethnicity, frame.data["ethnicity"].astype(str))
    age = bunch.data[:, bunch.feature_names.index("age")]
    assert all(isinstance(v, float) for v in age)
    X, y = load_meps_insurance(return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    pd.testing.assert_frame_equal(X, frame.data)
    X_np, y_np = load_meps_insurance(as_frame=False, return_X_y=True)
    np.testing.assert_array_equal(X_np, bunch.data)
    np.testing.assert_array_equal(y_np, bunch.target)


def test_meps_loader_does_not_share_arrays_between_calls():
    first = load_meps_insurance(as_frame=False)
    first.data[0, 0] = "edited"
    first.target[0] = 0
    second = load_meps_insurance(as_frame=False)
    assert second.data[0, 0] == "yes" and second.target[0] == 1


def test_meps_damaged_file_is_detected(monkeypatch):
    _loaders._read_verified.cache_clear()
    monkeypatch.setitem(_loaders._SHA256, "meps_health_insurance.csv.gz", "0" * 64)
    try:
        with pytest.raises(OSError, match="meps_health_insurance.csv.gz is damaged"):
            load_meps_insurance()
    finally:
        monkeypatch.undo()
        _loaders._read_verified.cache_clear()
    assert load_meps_insurance().data.shape[0] == 8802


def test_meps_descr_names_the_source_and_license():
    descr = load_meps_insurance().DESCR
    assert "Medical Expenditure Panel Survey" in descr
    assert "public domain" in descr
